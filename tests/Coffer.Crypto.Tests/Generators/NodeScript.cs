using System.Diagnostics;

namespace Coffer.Crypto.Tests.Generators;

/// <summary>Runs a Node.js script from the repository; a missing node fails the test (it is a dependency, not optional).</summary>
internal static class NodeScript
{
    public static (int ExitCode, string Output) Run(params string[] repoRelativeArgs)
    {
        ProcessStartInfo start = new("node")
        {
            WorkingDirectory = TestData.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(TestData.RepoRoot, repoRelativeArgs[0]));
        foreach (string arg in repoRelativeArgs.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("node did not finish");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
