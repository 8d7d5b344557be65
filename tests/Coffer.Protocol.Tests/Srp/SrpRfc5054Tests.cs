using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Protocol.Srp;

namespace Coffer.Protocol.Tests.Srp;

/// <summary>RFC 5054 Appendix B "SRP Test Vectors" (1024-bit group, SHA-1), testdata/vectors/srp-rfc5054.json.</summary>
public sealed class SrpRfc5054Tests : IDisposable
{
    private static readonly SrpParameters Rfc5054 = new(SrpGroup.Group1024, HashAlgorithmName.SHA1);
    private readonly JsonDocument _doc = TestData.Json("vectors", "srp-rfc5054.json");

    private string Identity => _doc.RootElement.GetProperty("I").GetString()!;

    public void Dispose() => _doc.Dispose();

    private byte[] V(string name) => TestData.Hex(_doc.RootElement.GetProperty(name).GetString()!);

    [Fact]
    public void Vectors_Rfc5054AppendixB_UseThe1024BitGroup()
    {
        Assert.Equal(V("N"), SrpGroup.Group1024.Prime.ToArray());
        Assert.Equal(V("g"), SrpGroup.Group1024.GeneratorBytes.ToArray());
    }

    // RFC 5054 Appendix B: k = SHA1(N | PAD(g)).
    [Fact]
    public void Multiplier_Rfc5054AppendixB_MatchesK() => Assert.Equal(V("k"), Rfc5054.Multiplier.ToArray());

    // RFC 5054 Appendix B: x = SHA1(s | SHA1(I | ":" | P)) — computed here, since Coffer's x comes from 2SKD instead.
    [Fact]
    public void X_Rfc5054AppendixB_MatchesX()
    {
        string password = _doc.RootElement.GetProperty("P").GetString()!;
        byte[] inner = SHA1.HashData(System.Text.Encoding.ASCII.GetBytes(Identity + ":" + password));
        Assert.Equal(V("x"), SHA1.HashData([.. V("s"), .. inner]));
    }

    // RFC 5054 Appendix B: v = g^x % N.
    [Fact]
    public void Compute_Rfc5054AppendixB_MatchesV() => Assert.Equal(V("v"), SrpVerifier.Compute(Rfc5054, V("x")));

    // RFC 5054 Appendix B: A = g^a % N.
    [Fact]
    public void ClientPublicKey_Rfc5054AppendixB_MatchesA()
    {
        using SrpClient client = SrpClient.CreateWithPrivateKey(Rfc5054, Identity, V("s"), V("x"), V("a"));
        Assert.Equal(V("A"), client.PublicKey.ToArray());
    }

    // RFC 5054 Appendix B: B = k*v + g^b % N.
    [Fact]
    public void ServerPublicKey_Rfc5054AppendixB_MatchesB()
    {
        using SrpServer server = SrpServer.CreateWithPrivateKey(Rfc5054, Identity, V("s"), V("v"), V("b"));
        Assert.Equal(V("B"), server.PublicKey.ToArray());
    }

    // RFC 5054 Appendix B: u = SHA1(PAD(A) | PAD(B)).
    [Fact]
    public void Scrambler_Rfc5054AppendixB_MatchesU()
    {
        byte[] u = new byte[20];
        SrpMath.Scrambler(Rfc5054, V("A"), V("B"), u);
        Assert.Equal(V("u"), u);
    }

    // RFC 5054 Appendix B: S = (B - (k * g^x)) ^ (a + (u * x)) % N.
    [Fact]
    public void ClientPremaster_Rfc5054AppendixB_MatchesS()
    {
        byte[] s = new byte[128];
        SrpMath.ClientPremaster(Rfc5054, V("x"), V("a"), V("u"), V("B"), s);
        Assert.Equal(V("S"), s);
    }

    // RFC 5054 Appendix B: S = (A * v^u) ^ b % N.
    [Fact]
    public void ServerPremaster_Rfc5054AppendixB_MatchesS()
    {
        byte[] s = new byte[128];
        SrpMath.ServerPremaster(Rfc5054, V("v"), V("b"), V("u"), V("A"), s);
        Assert.Equal(V("S"), s);
    }

    // The whole exchange on the Appendix B inputs: both sides reach K = SHA1(PAD(S)), and the
    // proofs are RFC 2945 §3's M1 and M2, recomputed here from their definitions.
    [Fact]
    public void Exchange_Rfc5054AppendixB_ProducesTheDefinedProofsAndKey()
    {
        using SrpClient client = SrpClient.CreateWithPrivateKey(Rfc5054, Identity, V("s"), V("x"), V("a"));
        using SrpServer server = SrpServer.CreateWithPrivateKey(Rfc5054, Identity, V("s"), V("v"), V("b"));

        byte[] expectedK = SHA1.HashData(V("S"));
        byte[] hn = SHA1.HashData(V("N"));
        byte[] hg = SHA1.HashData(V("g"));
        byte[] hnXorHg = [.. hn.Zip(hg, (p, q) => (byte)(p ^ q))];
        byte[] expectedM1 = SHA1.HashData(
            [.. hnXorHg, .. SHA1.HashData(System.Text.Encoding.ASCII.GetBytes(Identity)), .. V("s"), .. V("A"), .. V("B"), .. expectedK]);
        byte[] expectedM2 = SHA1.HashData([.. V("A"), .. expectedM1, .. expectedK]);

        byte[]? m1 = client.ComputeProof(server.PublicKey);
        Assert.Equal(expectedM1, m1);
        byte[]? m2 = server.VerifyClientProof(client.PublicKey, m1);
        Assert.Equal(expectedM2, m2);
        Assert.True(client.VerifyServerProof(m2));
        Assert.Equal(expectedK, client.ExportSessionKey());
        Assert.Equal(expectedK, server.ExportSessionKey());
    }
}
