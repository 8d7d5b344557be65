using System.Diagnostics;

namespace Coffer.Protocol.Tests.Signatures;

// Runs tests/node/signatures/check-signatures.mjs: Node.js WebCrypto recomputes every tbs, chain hash and
// fingerprint in testdata/vectors and verifies every signature (PROTOCOL.md §5, §5.2, §11).
public class NodeSignatureCheckTests
{
    [Fact]
    public async Task CheckSignaturesScript_CommittedVectors_ExitsZero()
    {
        string script = Path.Combine(TestData.RepoRoot, "tests", "node", "signatures", "check-signatures.mjs");
        ProcessStartInfo start = new("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(Path.Combine(TestData.RepoRoot, "testdata", "vectors"));

        // A missing node fails the test (Process.Start throws): the vectors must be checked independently.
        using Process node = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        Task<string> stdout = node.StandardOutput.ReadToEndAsync();
        Task<string> stderr = node.StandardError.ReadToEndAsync();
        using CancellationTokenSource timeout = new(TimeSpan.FromMinutes(2));
        await node.WaitForExitAsync(timeout.Token);
        string output = await stdout;
        string errors = await stderr;

        Assert.True(node.ExitCode == 0, $"check-signatures.mjs exited {node.ExitCode}:\n{output}\n{errors}");
        Assert.Contains("checks passed", output, StringComparison.Ordinal);
    }
}
