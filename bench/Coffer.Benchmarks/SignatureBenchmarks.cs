using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Coffer.Protocol.Signatures;

namespace Coffer.Benchmarks;

/// <summary>
/// PROTOCOL.md §5.2: what a client pays per certificate it checks (build the member-cert TBS and verify
/// it against an imported issuer key), per certificate it issues (sign), and per fresh key it meets.
/// </summary>
[MemoryDiagnoser]
public class SignatureBenchmarks : IDisposable
{
    private const string Org = "019b76da-a801-7389-9d58-71c52416991f";
    private const string Member = "019b76da-a805-7450-96e5-6b74bb935c2e";
    private const string Keyset = "019b76da-a809-7000-8000-000000000009";
    private const string Issuer = "019b76da-a804-7000-8000-000000000004";

    private readonly Fingerprint _encFpr = Fingerprint.FromBytes(SHA256.HashData("enc"u8));
    private readonly Fingerprint _sigFpr = Fingerprint.FromBytes(SHA256.HashData("sig"u8));
    private EcdsaP256PrivateKey _issuerKey = null!;
    private EcdsaP256PublicKey _issuerPublicKey = null!;
    private byte[] _issuerSpki = [];
    private byte[] _signature = [];
    private byte[] _tbs = [];

    [GlobalSetup]
    public void Setup()
    {
        _issuerKey = EcdsaP256.GenerateKey();
        _issuerSpki = _issuerKey.PublicKey.ExportSpki();
        _issuerPublicKey = EcdsaP256.ImportPublicKey(_issuerSpki);
        _tbs = BuildMemberCert().ToBeSigned();
        _signature = _issuerKey.Sign(_tbs);
    }

    [Benchmark]
    public byte[] MemberCertBuildTbs() => BuildMemberCert().ToBeSigned();

    [Benchmark(Baseline = true)]
    public bool MemberCertBuildAndVerify() => BuildMemberCert().Verify(_issuerPublicKey, _signature);

    [Benchmark]
    public byte[] MemberCertSign() => _issuerKey.Sign(_tbs);

    [Benchmark]
    public bool ImportSpkiAndVerify() => EcdsaP256.Verify(_issuerSpki, _tbs, _signature);

    [Benchmark]
    public Fingerprint FingerprintFromSpki() => Fingerprint.FromSpki(_issuerSpki);

    [GlobalCleanup]
    public void Dispose()
    {
        _issuerPublicKey?.Dispose();
        _issuerKey?.Dispose();
        GC.SuppressFinalize(this);
    }

    private MemberCertTbs BuildMemberCert() =>
        new(Org, Member, BaseGroups.TeamMembers, _encFpr, _sigFpr, Keyset, 1, Issuer, 1767225602000);
}
