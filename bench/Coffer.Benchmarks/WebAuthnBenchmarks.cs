using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.WebAuthn;

namespace Coffer.Benchmarks;

/// <summary>
/// What the server pays per security-key sign-in (WebAuthn L2 §7.2): parse the stored COSE key, then verify an
/// assertion (client data, authenticator data, signature, counter), for ES256 and RS256.
/// </summary>
[MemoryDiagnoser]
public class WebAuthnBenchmarks : IDisposable
{
    private const string RpId = "localhost";
    private const string Origin = "http://localhost:8443";

    private readonly WebAuthnRelyingParty _rp = new(RpId, Origin);
    private readonly byte[] _challenge = RandomNumberGenerator.GetBytes(32);
    private ECDsa _ecdsa = null!;
    private RSA _rsa = null!;
    private byte[] _es256Key = [];
    private byte[] _rs256Key = [];
    private CoseKey _es256 = null!;
    private CoseKey _rs256 = null!;
    private byte[] _authData = [];
    private byte[] _clientData = [];
    private byte[] _es256Signature = [];
    private byte[] _rs256Signature = [];

    [GlobalSetup]
    public void Setup()
    {
        _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _rsa = RSA.Create(2048);
        ECParameters ec = _ecdsa.ExportParameters(false);
        RSAParameters rsa = _rsa.ExportParameters(false);
        // {1: 2, 3: -7, -1: 1, -2: x, -3: y} and {1: 3, 3: -257, -1: n, -2: e}, CTAP2 canonical order.
        _es256Key = [0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20, .. ec.Q.X!, 0x22, 0x58, 0x20, .. ec.Q.Y!];
        _rs256Key = [0xa4, 0x01, 0x03, 0x03, 0x39, 0x01, 0x00, 0x20, 0x59, 0x01, 0x00, .. rsa.Modulus!, 0x21, 0x43, .. rsa.Exponent!];
        _es256 = CoseKey.Parse(_es256Key);
        _rs256 = CoseKey.Parse(_rs256Key);
        _authData = [.. SHA256.HashData(Encoding.UTF8.GetBytes(RpId)), 0x01, 0, 0, 0, 1];
        _clientData = Encoding.UTF8.GetBytes(
            $$"""{"type":"webauthn.get","challenge":"{{Base64Url.Encode(_challenge)}}","origin":"{{Origin}}","crossOrigin":false}""");
        byte[] signed = [.. _authData, .. SHA256.HashData(_clientData)];
        _es256Signature = _ecdsa.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        _rs256Signature = _rsa.SignData(signed, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    [Benchmark]
    public CoseKey ParseEs256Key() => CoseKey.Parse(_es256Key);

    [Benchmark]
    public CoseKey ParseRs256Key() => CoseKey.Parse(_rs256Key);

    [Benchmark(Baseline = true)]
    public bool VerifyEs256Assertion() => _rp.VerifyAssertion(_authData, _clientData, _es256Signature, _challenge, _es256, 0, false).Succeeded;

    [Benchmark]
    public bool VerifyRs256Assertion() => _rp.VerifyAssertion(_authData, _clientData, _rs256Signature, _challenge, _rs256, 0, false).Succeeded;

    [GlobalCleanup]
    public void Dispose()
    {
        _ecdsa?.Dispose();
        _rsa?.Dispose();
        GC.SuppressFinalize(this);
    }
}
