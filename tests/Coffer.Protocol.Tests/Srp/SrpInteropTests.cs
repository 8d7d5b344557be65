using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coffer.Protocol.Srp;

namespace Coffer.Protocol.Tests.Srp;

/// <summary>
/// PROTOCOL.md §3: Coffer's SRP-6a interoperates in both directions with the npm package
/// fast-srp-hap 2.0.4 (SRP.params[4096]), run by tests/node/srp-peer.mjs.
/// </summary>
public class SrpInteropTests
{
    private const string MemberId = "0190a3b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b";
    private static readonly SrpParameters Coffer = SrpParameters.Coffer;

    [Fact]
    public async Task Params_FastSrpHap4096_AreCoffersGroupAndHash()
    {
        await using NodeSrpPeer node = NodeSrpPeer.Start();
        JsonElement p = await node.SendAsync(new JsonObject { ["op"] = "params" });
        Assert.Equal(SrpGroup.Group4096.Prime.ToArray(), Convert.FromHexString(p.GetProperty("N").GetString()!));
        Assert.Equal("05", p.GetProperty("g").GetString());
        Assert.Equal("sha256", p.GetProperty("hash").GetString());
        Assert.Equal(4096, p.GetProperty("bits").GetInt32());
    }

    [Fact]
    public async Task OurClient_AgainstFastSrpHapServer_BothAcceptAndAgreeOnK()
    {
        await using NodeSrpPeer node = NodeSrpPeer.Start();
        for (int round = 0; round < 3; round++)
        {
            byte[] salt = RandomNumberGenerator.GetBytes(16);
            byte[] x = RandomNumberGenerator.GetBytes(32); // Coffer's x is any 32 bytes (a 2SKD output)
            using SrpClient client = new(Coffer, MemberId, salt, x);
            await RunOurClientAsync(node, client, salt, SrpVerifier.Compute(Coffer, x), nodeSecret: null, expectSuccess: true);
        }
    }

    [Fact]
    public async Task FastSrpHapClient_AgainstOurServer_BothAcceptAndAgreeOnK()
    {
        await using NodeSrpPeer node = NodeSrpPeer.Start();
        for (int round = 0; round < 3; round++)
        {
            byte[] salt = RandomNumberGenerator.GetBytes(16);
            string password = "correct horse " + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
            byte[] verifier = SrpVerifier.Compute(Coffer, FastSrpX(salt, MemberId, password));
            using SrpServer server = new(Coffer, MemberId, salt, verifier);
            await RunNodeClientAsync(node, server, salt, password, nodeSecret: null, expectSuccess: true);
        }
    }

    [Fact]
    public async Task OurClient_WrongXAgainstFastSrpHapServer_ServerRejectsM1()
    {
        await using NodeSrpPeer node = NodeSrpPeer.Start();
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        byte[] verifier = SrpVerifier.Compute(Coffer, RandomNumberGenerator.GetBytes(32));
        using SrpClient client = new(Coffer, MemberId, salt, RandomNumberGenerator.GetBytes(32));
        await RunOurClientAsync(node, client, salt, verifier, nodeSecret: null, expectSuccess: false);
    }

    [Fact]
    public async Task FastSrpHapClient_WrongPasswordAgainstOurServer_OurServerRejectsM1()
    {
        await using NodeSrpPeer node = NodeSrpPeer.Start();
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        byte[] verifier = SrpVerifier.Compute(Coffer, FastSrpX(salt, MemberId, "the right password"));
        using SrpServer server = new(Coffer, MemberId, salt, verifier);
        await RunNodeClientAsync(node, server, salt, "the wrong password", nodeSecret: null, expectSuccess: false);
    }

    [Fact]
    public async Task FastSrpHapClient_ForgedM2_IsRejected()
    {
        // Our server answers for a different verifier than the one the client's password gives:
        // M1 fails on our side, and an M2 the server makes up fails on theirs.
        await using NodeSrpPeer node = NodeSrpPeer.Start();
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        using SrpServer server = new(Coffer, MemberId, salt, SrpVerifier.Compute(Coffer, RandomNumberGenerator.GetBytes(32)));
        JsonElement start = await node.SendAsync(ClientStart(salt, "some password", null));
        JsonElement proof = await node.SendAsync(new JsonObject { ["op"] = "client-proof", ["B"] = Hex(server.PublicKey) });
        Assert.True(proof.GetProperty("ok").GetBoolean());
        byte[] m1 = Bytes(proof, "M1");
        Assert.Null(server.VerifyClientProof(Bytes(start, "A"), m1));
        JsonElement verify = await node.SendAsync(new JsonObject { ["op"] = "client-verify", ["M2"] = Hex(m1) });
        Assert.False(verify.GetProperty("ok").GetBoolean());
    }

    // Leading zero bytes are where SRP implementations most often disagree (PAD versus minimal
    // encodings), and random values have one only once in 256 runs, so these force them.

    [Fact]
    public async Task OurClient_ALeadingZero_FastSrpHapServerAgrees()
    {
        await using NodeSrpPeer node = NodeSrpPeer.Start();
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        byte[] x = RandomNumberGenerator.GetBytes(32);
        byte[] a = FindPrivateKey(a => PublicOf(a)[0] == 0);
        using SrpClient client = SrpClient.CreateWithPrivateKey(Coffer, MemberId, salt, x, a);
        Assert.Equal(0, client.PublicKey[0]);
        await RunOurClientAsync(node, client, salt, SrpVerifier.Compute(Coffer, x), nodeSecret: null, expectSuccess: true);
    }

    [Fact]
    public async Task OurClient_BLeadingZero_FastSrpHapServerAgrees()
    {
        await using NodeSrpPeer node = NodeSrpPeer.Start();
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        byte[] x = RandomNumberGenerator.GetBytes(32);
        byte[] v = SrpVerifier.Compute(Coffer, x);
        byte[] b = FindPrivateKey(b => ServerPublicOf(v, b)[0] == 0);
        using SrpClient client = new(Coffer, MemberId, salt, x);
        await RunOurClientAsync(node, client, salt, v, nodeSecret: b, expectSuccess: true);
    }

    [Fact]
    public async Task OurClient_SLeadingZero_FastSrpHapServerAgrees()
    {
        await using NodeSrpPeer node = NodeSrpPeer.Start();
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        byte[] x = RandomNumberGenerator.GetBytes(32);
        byte[] v = SrpVerifier.Compute(Coffer, x);
        byte[] b = RandomNumberGenerator.GetBytes(32);
        byte[] bPub = ServerPublicOf(v, b);
        byte[] a = FindPrivateKey(a => ServerPremasterOf(v, b, PublicOf(a), bPub)[0] == 0);
        using SrpClient client = SrpClient.CreateWithPrivateKey(Coffer, MemberId, salt, x, a);
        await RunOurClientAsync(node, client, salt, v, nodeSecret: b, expectSuccess: true);
    }

    [Fact]
    public async Task FastSrpHapClient_BLeadingZero_OurServerAgrees()
    {
        await using NodeSrpPeer node = NodeSrpPeer.Start();
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        byte[] v = SrpVerifier.Compute(Coffer, FastSrpX(salt, MemberId, "password"));
        byte[] b = FindPrivateKey(b => ServerPublicOf(v, b)[0] == 0);
        using SrpServer server = SrpServer.CreateWithPrivateKey(Coffer, MemberId, salt, v, b);
        Assert.Equal(0, server.PublicKey[0]);
        await RunNodeClientAsync(node, server, salt, "password", nodeSecret: null, expectSuccess: true);
    }

    [Fact]
    public async Task FastSrpHapClient_ALeadingZero_OurServerAgrees()
    {
        await using NodeSrpPeer node = NodeSrpPeer.Start();
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        byte[] v = SrpVerifier.Compute(Coffer, FastSrpX(salt, MemberId, "password"));
        byte[] a = FindPrivateKey(a => PublicOf(a)[0] == 0);
        using SrpServer server = new(Coffer, MemberId, salt, v);
        await RunNodeClientAsync(node, server, salt, "password", nodeSecret: a, expectSuccess: true);
    }

    [Fact]
    public async Task FastSrpHapClient_SLeadingZero_OurServerAgrees()
    {
        await using NodeSrpPeer node = NodeSrpPeer.Start();
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        byte[] v = SrpVerifier.Compute(Coffer, FastSrpX(salt, MemberId, "password"));
        byte[] b = RandomNumberGenerator.GetBytes(32);
        byte[] bPub = ServerPublicOf(v, b);
        byte[] a = FindPrivateKey(a => ServerPremasterOf(v, b, PublicOf(a), bPub)[0] == 0);
        using SrpServer server = SrpServer.CreateWithPrivateKey(Coffer, MemberId, salt, v, b);
        await RunNodeClientAsync(node, server, salt, "password", nodeSecret: a, expectSuccess: true);
    }

    private static async Task RunOurClientAsync(
        NodeSrpPeer node, SrpClient client, byte[] salt, byte[] verifier, byte[]? nodeSecret, bool expectSuccess)
    {
        JsonObject start = new()
        {
            ["op"] = "server-start",
            ["identity"] = MemberId,
            ["salt"] = Hex(salt),
            ["verifier"] = Hex(verifier),
        };
        if (nodeSecret is not null)
        {
            start["secret"] = Hex(nodeSecret);
        }
        byte[] b = Bytes(await node.SendAsync(start), "B");
        Assert.Equal(512, b.Length);

        byte[]? m1 = client.ComputeProof(b);
        Assert.NotNull(m1);

        JsonElement verify = await node.SendAsync(new JsonObject { ["op"] = "server-verify", ["A"] = Hex(client.PublicKey), ["M1"] = Hex(m1) });
        if (!expectSuccess)
        {
            Assert.False(verify.GetProperty("ok").GetBoolean());
            return;
        }
        Assert.True(verify.GetProperty("ok").GetBoolean(), "fast-srp-hap rejected M1: " + verify);
        Assert.True(client.VerifyServerProof(Bytes(verify, "M2")));
        Assert.Equal(Bytes(verify, "K"), client.ExportSessionKey());
    }

    private static async Task RunNodeClientAsync(
        NodeSrpPeer node, SrpServer server, byte[] salt, string password, byte[]? nodeSecret, bool expectSuccess)
    {
        byte[] a = Bytes(await node.SendAsync(ClientStart(salt, password, nodeSecret)), "A");
        Assert.Equal(512, a.Length);

        JsonElement proof = await node.SendAsync(new JsonObject { ["op"] = "client-proof", ["B"] = Hex(server.PublicKey) });
        Assert.True(proof.GetProperty("ok").GetBoolean(), "fast-srp-hap rejected B: " + proof);

        byte[]? m2 = server.VerifyClientProof(a, Bytes(proof, "M1"));
        if (!expectSuccess)
        {
            Assert.Null(m2);
            return;
        }
        Assert.NotNull(m2);
        JsonElement verify = await node.SendAsync(new JsonObject { ["op"] = "client-verify", ["M2"] = Hex(m2) });
        Assert.True(verify.GetProperty("ok").GetBoolean(), "fast-srp-hap rejected M2: " + verify);
        Assert.Equal(server.ExportSessionKey(), Bytes(verify, "K"));
    }

    private static JsonObject ClientStart(byte[] salt, string password, byte[]? secret)
    {
        JsonObject start = new()
        {
            ["op"] = "client-start",
            ["identity"] = MemberId,
            ["salt"] = Hex(salt),
            ["password"] = password,
        };
        if (secret is not null)
        {
            start["secret"] = Hex(secret);
        }
        return start;
    }

    // fast-srp-hap derives x itself as H(salt || H(I ":" P)) (RFC 5054 §2.4 / RFC 2945); Coffer's
    // x comes from 2SKD instead, so the test computes theirs to make our server's verifier.
    private static byte[] FastSrpX(byte[] salt, string identity, string password) =>
        SHA256.HashData([.. salt, .. SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(identity + ":" + password))]);

    private static byte[] FindPrivateKey(Func<byte[], bool> wanted)
    {
        for (int i = 0; i < 10_000; i++)
        {
            byte[] key = RandomNumberGenerator.GetBytes(32);
            if (wanted(key))
            {
                return key;
            }
        }
        throw new InvalidOperationException("No private key with the wanted property in 10 000 tries.");
    }

    private static byte[] PublicOf(byte[] a)
    {
        byte[] result = new byte[512];
        SrpMath.GeneratorPower(Coffer, a, result);
        return result;
    }

    private static byte[] ServerPublicOf(byte[] v, byte[] b)
    {
        byte[] result = new byte[512];
        SrpMath.ServerPublicValue(Coffer, v, b, result);
        return result;
    }

    private static byte[] ServerPremasterOf(byte[] v, byte[] b, byte[] aPub, byte[] bPub)
    {
        byte[] u = new byte[32];
        SrpMath.Scrambler(Coffer, aPub, bPub, u);
        byte[] s = new byte[512];
        SrpMath.ServerPremaster(Coffer, v, b, u, aPub, s);
        return s;
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    private static byte[] Bytes(JsonElement answer, string name) => Convert.FromHexString(answer.GetProperty(name).GetString()!);
}
