namespace Coffer.Protocol.Tests.Signatures;

// Runs tests/node/signatures/check-signatures.mjs: Node.js WebCrypto recomputes every tbs, chain hash and
// fingerprint in testdata/vectors and verifies every signature (PROTOCOL.md §5, §5.2, §11).
public class NodeSignatureCheckTests
{
    [Fact]
    public void CheckSignaturesScript_CommittedVectors_ExitsZero()
    {
        string output = NodeScript.RunAndAssertSuccess(Path.Combine("signatures", "check-signatures.mjs"),
            Path.Combine(TestData.RepoRoot, "testdata", "vectors"));
        Assert.Contains("checks passed", output, StringComparison.Ordinal);
    }
}
