using System.Diagnostics;

namespace Coffer.Testing;

/// <summary>
/// Runs a committed Node.js script under <c>tests/node</c> — the independent
/// implementations our own vectors are checked against. Fails (never skips) when
/// Node.js is missing: the test command installs it.
/// </summary>
internal static class NodeScript
{
    public static (int ExitCode, string Stdout, string Stderr) Run(string scriptUnderTestsNode, params string[] args)
    {
        string script = Path.Combine(TestData.RepoRoot, "tests", "node", scriptUnderTestsNode);
        Assert.True(File.Exists(script), "missing " + script);
        ProcessStartInfo psi = new("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        psi.ArgumentList.Add(script);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("node " + scriptUnderTestsNode + " did not finish");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs the script and asserts it exits 0, showing its output otherwise.</summary>
    public static string RunAndAssertSuccess(string scriptUnderTestsNode, params string[] args)
    {
        (int code, string stdout, string stderr) = Run(scriptUnderTestsNode, args);
        Assert.True(code == 0, $"node {scriptUnderTestsNode} exited {code}\n{stdout}\n{stderr}");
        return stdout;
    }
}
