using System.Numerics;
using System.Security.Cryptography;
using Coffer.Protocol.Srp;

namespace Coffer.Protocol.Tests.Srp;

/// <summary>Properties and misuse of SrpClient / SrpServer on Coffer's parameters (PROTOCOL.md §3).</summary>
public class SrpExchangeTests
{
    private const string MemberId = "0190a3b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b";
    private static readonly SrpParameters Coffer = SrpParameters.Coffer;

    private sealed record Account(byte[] Salt, byte[] X, byte[] Verifier)
    {
        public static Account Create()
        {
            byte[] salt = RandomNumberGenerator.GetBytes(16);
            byte[] x = RandomNumberGenerator.GetBytes(32);
            return new Account(salt, x, SrpVerifier.Compute(Coffer, x));
        }
    }

    [Fact]
    public void Exchange_CofferParameters_BothSidesAgreeOnK()
    {
        Account account = Account.Create();
        using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
        using SrpServer server = new(Coffer, MemberId, account.Salt, account.Verifier);

        Assert.Equal(512, client.PublicKey.Length);
        Assert.Equal(512, server.PublicKey.Length);

        byte[]? m1 = client.ComputeProof(server.PublicKey);
        Assert.NotNull(m1);
        Assert.Equal(32, m1.Length);

        byte[]? m2 = server.VerifyClientProof(client.PublicKey, m1);
        Assert.NotNull(m2);
        Assert.Equal(32, m2.Length);
        Assert.True(client.VerifyServerProof(m2));

        byte[] clientKey = client.ExportSessionKey();
        byte[] serverKey = server.ExportSessionKey();
        Assert.Equal(32, clientKey.Length);
        Assert.Equal(clientKey, serverKey);
    }

    [Fact]
    public void Resume_FromExportedEphemeral_FinishesTheExchangeOnAnotherNode()
    {
        Account account = Account.Create();
        using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
        byte[] b;
        byte[] sentB;
        using (SrpServer first = new(Coffer, MemberId, account.Salt, account.Verifier))
        {
            b = first.ExportPrivateEphemeral();
            sentB = first.PublicKey.ToArray();
        }
        using SrpServer second = SrpServer.Resume(Coffer, MemberId, account.Salt, account.Verifier, b);
        Assert.Equal(sentB, second.PublicKey.ToArray());
        byte[] m1 = client.ComputeProof(sentB)!;
        byte[]? m2 = second.VerifyClientProof(client.PublicKey, m1);
        Assert.NotNull(m2);
        Assert.True(client.VerifyServerProof(m2));
        Assert.Equal(client.ExportSessionKey(), second.ExportSessionKey());
        Assert.Throws<InvalidOperationException>(() => second.ExportPrivateEphemeral());
        Assert.Throws<ArgumentException>(() => SrpServer.Resume(Coffer, MemberId, account.Salt, account.Verifier, b.AsSpan(1)));
    }

    [Fact]
    public void Resume_WithSentPublicKey_FinishesTheExchangeWithoutRecomputingB()
    {
        Account account = Account.Create();
        using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
        byte[] b;
        byte[] sentB;
        using (SrpServer first = new(Coffer, MemberId, account.Salt, account.Verifier))
        {
            b = first.ExportPrivateEphemeral();
            sentB = first.PublicKey.ToArray();
        }
        using SrpServer second = SrpServer.Resume(Coffer, MemberId, account.Salt, account.Verifier, b, sentB);
        Assert.Equal(sentB, second.PublicKey.ToArray());
        byte[] m1 = client.ComputeProof(sentB)!;
        byte[]? m2 = second.VerifyClientProof(client.PublicKey, m1);
        Assert.NotNull(m2);
        Assert.True(client.VerifyServerProof(m2));
        Assert.Equal(client.ExportSessionKey(), second.ExportSessionKey());
    }

    [Fact]
    public void Resume_WithAnotherPublicKey_RejectsTheClientProof()
    {
        Account account = Account.Create();
        using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
        using SrpServer first = new(Coffer, MemberId, account.Salt, account.Verifier);
        using SrpServer other = new(Coffer, MemberId, account.Salt, account.Verifier);
        byte[] m1 = client.ComputeProof(first.PublicKey)!;
        using SrpServer resumed = SrpServer.Resume(Coffer, MemberId, account.Salt, account.Verifier, first.ExportPrivateEphemeral(), other.PublicKey);
        Assert.Null(resumed.VerifyClientProof(client.PublicKey, m1));
    }

    [Fact]
    public void Resume_WithInvalidPublicKey_Throws()
    {
        Account account = Account.Create();
        byte[] b = RandomNumberGenerator.GetBytes(32);
        Assert.Throws<ArgumentException>(() => SrpServer.Resume(Coffer, MemberId, account.Salt, account.Verifier, b, new byte[512]));
        Assert.Throws<ArgumentException>(() => SrpServer.Resume(Coffer, MemberId, account.Salt, account.Verifier, b, new byte[511]));
        Assert.Throws<ArgumentException>(() => SrpServer.Resume(Coffer, MemberId, account.Salt, account.Verifier, b, ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void Exchange_TwoRuns_UseFreshEphemeralsAndKeys()
    {
        Account account = Account.Create();
        (byte[] a1, byte[] b1, byte[] k1) = Run(account);
        (byte[] a2, byte[] b2, byte[] k2) = Run(account);
        Assert.NotEqual(a1, a2);
        Assert.NotEqual(b1, b2);
        Assert.NotEqual(k1, k2);

        static (byte[] A, byte[] B, byte[] K) Run(Account account)
        {
            using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
            using SrpServer server = new(Coffer, MemberId, account.Salt, account.Verifier);
            byte[] m1 = client.ComputeProof(server.PublicKey)!;
            Assert.True(client.VerifyServerProof(server.VerifyClientProof(client.PublicKey, m1)));
            return (client.PublicKey.ToArray(), server.PublicKey.ToArray(), client.ExportSessionKey());
        }
    }

    [Fact]
    public void VerifyClientProof_WrongX_ReturnsNull()
    {
        Account account = Account.Create();
        using SrpClient client = new(Coffer, MemberId, account.Salt, RandomNumberGenerator.GetBytes(32));
        using SrpServer server = new(Coffer, MemberId, account.Salt, account.Verifier);

        byte[]? m1 = client.ComputeProof(server.PublicKey);
        Assert.NotNull(m1); // the client cannot tell: only the server's check fails
        Assert.Null(server.VerifyClientProof(client.PublicKey, m1));
        Assert.Throws<InvalidOperationException>(() => server.ExportSessionKey());
    }

    [Theory]
    [InlineData("other-member", false)]
    [InlineData(MemberId, true)]
    public void VerifyClientProof_DifferentIdentityOrSalt_ReturnsNull(string serverIdentity, bool changeSalt)
    {
        Account account = Account.Create();
        byte[] serverSalt = changeSalt ? RandomNumberGenerator.GetBytes(16) : account.Salt;
        using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
        using SrpServer server = new(Coffer, serverIdentity, serverSalt, account.Verifier);

        byte[]? m1 = client.ComputeProof(server.PublicKey);
        Assert.Null(server.VerifyClientProof(client.PublicKey, m1));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 7)]
    [InlineData(17, 3)]
    [InlineData(31, 0)]
    [InlineData(31, 7)]
    public void VerifyClientProof_FlippedBitInM1_ReturnsNull(int index, int bit)
    {
        Account account = Account.Create();
        using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
        using SrpServer server = new(Coffer, MemberId, account.Salt, account.Verifier);

        byte[] m1 = client.ComputeProof(server.PublicKey)!;
        m1[index] ^= (byte)(1 << bit);
        Assert.Null(server.VerifyClientProof(client.PublicKey, m1));
    }

    [Fact]
    public void VerifyClientProof_TruncatedOrExtendedM1_ReturnsNull()
    {
        Account account = Account.Create();
        foreach (Func<byte[], byte[]> tamper in new Func<byte[], byte[]>[] { m => m[..31], m => [.. m, 0], m => [] })
        {
            using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
            using SrpServer server = new(Coffer, MemberId, account.Salt, account.Verifier);
            byte[] m1 = client.ComputeProof(server.PublicKey)!;
            Assert.Null(server.VerifyClientProof(client.PublicKey, tamper(m1)));
        }
    }

    [Fact]
    public void VerifyClientProof_DifferentValidA_ReturnsNull()
    {
        Account account = Account.Create();
        using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
        using SrpServer server = new(Coffer, MemberId, account.Salt, account.Verifier);

        byte[] m1 = client.ComputeProof(server.PublicKey)!;
        byte[] otherA = client.PublicKey.ToArray();
        otherA[^1] ^= 1;
        Assert.Null(server.VerifyClientProof(otherA, m1));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(15, 4)]
    [InlineData(31, 7)]
    public void VerifyServerProof_FlippedBitInM2_ReturnsFalse(int index, int bit)
    {
        Account account = Account.Create();
        using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
        using SrpServer server = new(Coffer, MemberId, account.Salt, account.Verifier);

        byte[] m1 = client.ComputeProof(server.PublicKey)!;
        byte[] m2 = server.VerifyClientProof(client.PublicKey, m1)!;
        m2[index] ^= (byte)(1 << bit);
        Assert.False(client.VerifyServerProof(m2));
        Assert.Throws<InvalidOperationException>(() => client.ExportSessionKey());
        Assert.Throws<InvalidOperationException>(() => client.VerifyServerProof(m2));
    }

    [Fact]
    public void VerifyServerProof_ServerWithoutVerifier_ReturnsFalse()
    {
        // A server that does not know v cannot answer M1 correctly: here it echoes M1 back as M2.
        Account account = Account.Create();
        using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
        using SrpServer impostor = new(Coffer, MemberId, account.Salt, SrpVerifier.Compute(Coffer, RandomNumberGenerator.GetBytes(32)));

        byte[] m1 = client.ComputeProof(impostor.PublicKey)!;
        Assert.Null(impostor.VerifyClientProof(client.PublicKey, m1));
        Assert.False(client.VerifyServerProof(m1));
    }

    public static TheoryData<string> BadPublicValues()
    {
        byte[] n = SrpGroup.Group4096.Prime.ToArray();
        BigInteger nValue = new(n, isUnsigned: true, isBigEndian: true);
        return new TheoryData<string>
        {
            Convert.ToHexString(new byte[512]),                                                   // 0
            Convert.ToHexString(n),                                                               // N
            Convert.ToHexString(Pad((nValue * 2).ToByteArray(isUnsigned: true, isBigEndian: true), 513)), // 2N (513 bytes)
            Convert.ToHexString(Pad((nValue + 1).ToByteArray(isUnsigned: true, isBigEndian: true), 512)), // N + 1
            new string('F', 1024),                                                                // 2^4096 − 1 > N
            Convert.ToHexString(Pad([1], 511)),                                                   // 1, one byte short
            Convert.ToHexString(Pad([1], 513)),                                                   // 1, one byte long
            Convert.ToHexString(Pad([2], 1024)),                                                  // 2, double length
            "",
        };
    }

    [Theory]
    [MemberData(nameof(BadPublicValues))]
    public void VerifyClientProof_InvalidA_ReturnsNull(string aHex)
    {
        Account account = Account.Create();
        using SrpServer server = new(Coffer, MemberId, account.Salt, account.Verifier);
        Assert.Null(server.VerifyClientProof(Convert.FromHexString(aHex), new byte[32]));
        Assert.Throws<InvalidOperationException>(() => server.VerifyClientProof(Convert.FromHexString(aHex), new byte[32]));
    }

    [Fact]
    public void VerifyClientProof_AIsZeroWithMatchingProof_ReturnsNull()
    {
        // A = 0 forces S = 0 whatever b is, so an attacker could compute the "right" M1 without
        // the password: the range check, not the proof, must stop it.
        Account account = Account.Create();
        using SrpServer server = new(Coffer, MemberId, account.Salt, account.Verifier);
        byte[] zeroA = new byte[512];
        byte[] u = new byte[32];
        SrpMath.Scrambler(Coffer, zeroA, server.PublicKey, u);
        byte[] k = SHA256.HashData(new byte[512]);
        byte[] forged = new byte[32];
        SrpMath.ClientProof(Coffer, System.Text.Encoding.ASCII.GetBytes(MemberId), account.Salt, zeroA, server.PublicKey, k, forged);
        Assert.Null(server.VerifyClientProof(zeroA, forged));
    }

    [Theory]
    [MemberData(nameof(BadPublicValues))]
    public void ComputeProof_InvalidB_ReturnsNull(string bHex)
    {
        Account account = Account.Create();
        using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
        Assert.Null(client.ComputeProof(Convert.FromHexString(bHex)));
        Assert.Throws<InvalidOperationException>(() => client.ComputeProof(Convert.FromHexString(bHex)));
        Assert.Throws<InvalidOperationException>(() => client.VerifyServerProof(new byte[32]));
    }

    [Fact]
    public void ComputeProof_CalledTwice_Throws()
    {
        Account account = Account.Create();
        using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
        using SrpServer server = new(Coffer, MemberId, account.Salt, account.Verifier);
        Assert.NotNull(client.ComputeProof(server.PublicKey));
        Assert.Throws<InvalidOperationException>(() => client.ComputeProof(server.PublicKey));
    }

    [Fact]
    public void Steps_OutOfOrder_Throw()
    {
        Account account = Account.Create();
        using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
        using SrpServer server = new(Coffer, MemberId, account.Salt, account.Verifier);

        Assert.Throws<InvalidOperationException>(() => client.VerifyServerProof(new byte[32]));
        Assert.Throws<InvalidOperationException>(() => client.ExportSessionKey());
        Assert.Throws<InvalidOperationException>(() => server.ExportSessionKey());

        byte[] m1 = client.ComputeProof(server.PublicKey)!;
        Assert.Throws<InvalidOperationException>(() => client.ExportSessionKey()); // server not yet authenticated
        byte[] m2 = server.VerifyClientProof(client.PublicKey, m1)!;
        Assert.Throws<InvalidOperationException>(() => server.VerifyClientProof(client.PublicKey, m1));
        Assert.True(client.VerifyServerProof(m2));
        Assert.Throws<InvalidOperationException>(() => client.VerifyServerProof(m2));
    }

    [Fact]
    public void ExportSessionKey_ReturnsACopy()
    {
        Account account = Account.Create();
        using SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
        using SrpServer server = new(Coffer, MemberId, account.Salt, account.Verifier);
        Assert.True(client.VerifyServerProof(server.VerifyClientProof(client.PublicKey, client.ComputeProof(server.PublicKey))));

        byte[] first = client.ExportSessionKey();
        byte[] expected = first.ToArray();
        CryptographicOperations.ZeroMemory(first);
        Assert.Equal(expected, client.ExportSessionKey());
        Assert.Equal(expected, server.ExportSessionKey());
    }

    [Fact]
    public void Disposed_EveryMember_ThrowsObjectDisposed()
    {
        Account account = Account.Create();
        SrpClient client = new(Coffer, MemberId, account.Salt, account.X);
        SrpServer server = new(Coffer, MemberId, account.Salt, account.Verifier);
        Assert.True(client.VerifyServerProof(server.VerifyClientProof(client.PublicKey, client.ComputeProof(server.PublicKey))));
        client.Dispose();
        server.Dispose();
        client.Dispose(); // idempotent
        server.Dispose();

        Assert.Throws<ObjectDisposedException>(() => client.PublicKey.Length);
        Assert.Throws<ObjectDisposedException>(() => client.ComputeProof(new byte[512]));
        Assert.Throws<ObjectDisposedException>(() => client.VerifyServerProof(new byte[32]));
        Assert.Throws<ObjectDisposedException>(() => client.ExportSessionKey());
        Assert.Throws<ObjectDisposedException>(() => server.PublicKey.Length);
        Assert.Throws<ObjectDisposedException>(() => server.VerifyClientProof(new byte[512], new byte[32]));
        Assert.Throws<ObjectDisposedException>(() => server.ExportSessionKey());
    }

    [Fact]
    public void Constructors_BadArguments_Throw()
    {
        Account account = Account.Create();
        byte[] x = account.X;
        byte[] v = account.Verifier;
        byte[] s = account.Salt;

        Assert.Throws<ArgumentNullException>(() => new SrpClient(null!, MemberId, s, x));
        Assert.Throws<ArgumentNullException>(() => new SrpClient(Coffer, null!, s, x));
        Assert.Throws<ArgumentException>(() => new SrpClient(Coffer, "mémbre", s, x));
        Assert.Throws<ArgumentException>(() => new SrpClient(Coffer, MemberId, s, []));
        Assert.Throws<ArgumentException>(() => new SrpClient(Coffer, MemberId, s, new byte[513]));

        Assert.Throws<ArgumentNullException>(() => new SrpServer(null!, MemberId, s, v));
        Assert.Throws<ArgumentNullException>(() => new SrpServer(Coffer, null!, s, v));
        Assert.Throws<ArgumentException>(() => new SrpServer(Coffer, "mémbre", s, v));
        Assert.Throws<ArgumentException>(() => new SrpServer(Coffer, MemberId, s, v.AsSpan(1)));
        Assert.Throws<ArgumentException>(() => new SrpServer(Coffer, MemberId, s, [0, .. v]));
        Assert.Throws<ArgumentException>(() => new SrpServer(Coffer, MemberId, s, new byte[512]));
        Assert.Throws<ArgumentException>(() => new SrpServer(Coffer, MemberId, s, SrpGroup.Group4096.Prime.ToArray()));

        Assert.Throws<ArgumentNullException>(() => SrpVerifier.Compute(null!, x));
        Assert.Throws<ArgumentException>(() => SrpVerifier.Compute(Coffer, []));
        Assert.Throws<ArgumentException>(() => SrpVerifier.Compute(Coffer, new byte[513]));
    }

    [Fact]
    public void Compute_CofferParameters_IsGToTheXAsPaddedBytes()
    {
        byte[] x = RandomNumberGenerator.GetBytes(32);
        byte[] expected = new byte[512];
        ManagedModExp.ModPow([5], x, SrpGroup.Group4096.Prime, expected);
        Assert.Equal(expected, SrpVerifier.Compute(Coffer, x));
    }

    [Fact]
    public void Exchange_EmptySaltAndIdentity_StillAgree()
    {
        byte[] x = RandomNumberGenerator.GetBytes(32);
        using SrpClient client = new(Coffer, "", [], x);
        using SrpServer server = new(Coffer, "", [], SrpVerifier.Compute(Coffer, x));
        Assert.True(client.VerifyServerProof(server.VerifyClientProof(client.PublicKey, client.ComputeProof(server.PublicKey))));
    }

    private static byte[] Pad(byte[] value, int length)
    {
        byte[] padded = new byte[length];
        value.CopyTo(padded, length - value.Length);
        return padded;
    }
}
