using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Coffer.Protocol.Srp;

namespace Coffer.Benchmarks;

/// <summary>
/// One SRP-6a sign-in on Coffer's parameters (4096-bit group, SHA-256), each side's whole share:
/// the server's B generation plus proof check, and the client's A generation plus proof and M2 check.
/// The ephemeral exponents are fixed so every iteration takes the success path.
/// </summary>
[MemoryDiagnoser]
public class SrpBenchmarks
{
    private const string MemberId = "0190a3b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b";
    private static readonly SrpParameters Parameters = SrpParameters.Coffer;

    private readonly byte[] _salt = RandomNumberGenerator.GetBytes(16);
    private readonly byte[] _x = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _a = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _b = RandomNumberGenerator.GetBytes(32);
    private byte[] _verifier = [];
    private byte[] _clientPublic = [];
    private byte[] _serverPublic = [];
    private byte[] _clientProof = [];
    private byte[] _serverProof = [];

    [GlobalSetup]
    public void Setup()
    {
        _verifier = SrpVerifier.Compute(Parameters, _x);
        using SrpClient client = SrpClient.CreateWithPrivateKey(Parameters, MemberId, _salt, _x, _a);
        using SrpServer server = SrpServer.CreateWithPrivateKey(Parameters, MemberId, _salt, _verifier, _b);
        _clientPublic = client.PublicKey.ToArray();
        _serverPublic = server.PublicKey.ToArray();
        _clientProof = client.ComputeProof(_serverPublic) ?? throw new InvalidOperationException("B rejected");
        _serverProof = server.VerifyClientProof(_clientPublic, _clientProof) ?? throw new InvalidOperationException("M1 rejected");
        if (!client.VerifyServerProof(_serverProof))
        {
            throw new InvalidOperationException("M2 rejected");
        }
    }

    /// <summary>auth/exchange + auth/verify on the server: B = k·v + g^b, then S, K, M1 check and M2.</summary>
    [Benchmark]
    public byte[]? ServerStep()
    {
        using SrpServer server = SrpServer.CreateWithPrivateKey(Parameters, MemberId, _salt, _verifier, _b);
        return server.VerifyClientProof(_clientPublic, _clientProof);
    }

    /// <summary>The client's share: A = g^a, then S, K, M1, and the M2 check.</summary>
    [Benchmark]
    public bool ClientStep()
    {
        using SrpClient client = SrpClient.CreateWithPrivateKey(Parameters, MemberId, _salt, _x, _a);
        return client.ComputeProof(_serverPublic) is not null && client.VerifyServerProof(_serverProof);
    }

    /// <summary>v = g^x: sign-up, password change.</summary>
    [Benchmark]
    public byte[] Verifier() => SrpVerifier.Compute(Parameters, _x);
}

/// <summary>
/// One modular exponentiation in the 4096-bit group: libcrypto's BN_mod_exp_mont_consttime (what
/// Coffer uses) against BigInteger.ModPow (the test reference), with SRP's 256-bit exponents and
/// full 4096-bit ones.
/// </summary>
[MemoryDiagnoser]
public class SrpModExpBenchmarks
{
    private readonly byte[] _modulus = SrpGroup.Group4096.Prime.ToArray();
    private readonly byte[] _base = RandomNumberGenerator.GetBytes(512);
    private readonly byte[] _result = new byte[512];
    private byte[] _exponent = [];

    [Params(256, 4096)]
    public int ExponentBits { get; set; }

    [GlobalSetup]
    public void Setup() => _exponent = RandomNumberGenerator.GetBytes(ExponentBits / 8);

    [Benchmark(Baseline = true)]
    public byte[] BigIntegerModPow()
    {
        ManagedModExp.ModPow(_base, _exponent, _modulus, _result);
        return _result;
    }

    [Benchmark]
    public byte[] LibCryptoConstTime()
    {
        SrpMath.ModExp(_base, _exponent, _modulus, _result);
        return _result;
    }
}
