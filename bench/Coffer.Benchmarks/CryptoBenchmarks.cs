using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Keys;
using Coffer.Protocol.Envelopes;

namespace Coffer.Benchmarks;

/// <summary>The one slow hash of every sign-in: 2SKD at the production floor (PROTOCOL.md §2).</summary>
[MemoryDiagnoser]
public class TwoSkdBenchmarks
{
    private SecretKey _secretKey = null!;
    private KdfParameters _kdf = null!;

    [GlobalSetup]
    public void Setup()
    {
        _secretKey = SecretKey.Generate("ABC234");
        _kdf = KdfParameters.CreateNew();
    }

    [GlobalCleanup]
    public void Cleanup() => _secretKey.Dispose();

    [Benchmark(Description = "2SKD, 650 000 iterations")]
    public int Derive()
    {
        using DerivedAccountKeys keys = TwoSecretKeyDerivation.Derive("correct horse battery staple", _secretKey,
            "0190a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b", _kdf);
        return keys.SrpX[0];
    }
}

/// <summary>Envelope seal/open of 1 KiB (AES-256-GCM with context AAD).</summary>
[MemoryDiagnoser]
public class EnvelopeBenchmarks
{
    private const string Context = "coffer/item/0190a1b2-c3d4-7e5f-8a6b-0000000000a1/v3/details";
    private readonly byte[] _plaintext = RandomNumberGenerator.GetBytes(1024);
    private EnvelopeKey _key = null!;
    private Envelope _sealed = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = EnvelopeKey.Generate("item:x:v3");
        _sealed = _key.Seal(Context, _plaintext);
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    [Benchmark(Description = "seal 1 KiB")]
    public Envelope Seal() => _key.Seal(Context, _plaintext);

    [Benchmark(Description = "open 1 KiB")]
    public byte[]? Open() => _key.Open(Context, _sealed);
}

/// <summary>RSA-OAEP-SHA256 unwrap of a 32-byte key with a 2048-bit private key.</summary>
public class KeyWrapBenchmarks
{
    private Keyset _keyset = null!;
    private byte[] _wrapped = null!;

    [GlobalSetup]
    public void Setup()
    {
        _keyset = Keyset.Generate("0190a1b2-c3d4-7e5f-8a6b-000000000001");
        _wrapped = KeyWrap.Wrap(_keyset.EncryptionPublicKey, RandomNumberGenerator.GetBytes(32));
    }

    [GlobalCleanup]
    public void Cleanup() => _keyset.Dispose();

    [Benchmark(Description = "RSA-OAEP unwrap")]
    public byte[]? Unwrap() => KeyWrap.Unwrap(_keyset.EncryptionKey, _wrapped);

    [Benchmark(Description = "RSA-OAEP wrap (incl. SPKI checks)")]
    public byte[] Wrap() => KeyWrap.Wrap(_keyset.EncryptionPublicKey, _wrapped.AsSpan(0, 32));
}
