using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// A real coffer-server process serving HTTPS on 127.0.0.1 with a certificate of the test's own CA (made here, valid for the
/// address 127.0.0.1 only, as an organisation's self-signed server would be), set up by <c>coffer setup … --ca-file</c>.
/// </summary>
public sealed class TlsFixture : IAsyncLifetime
{
    public const string OwnerPassword = "tangerine kettle 93 lantern";
    public const string OwnerEmail = "tls-owner@example.org";

    private string _directory = "";
    private ServerProcess? _server;

    internal CofferHomeDirectory Owner { get; private set; } = null!;

    internal CofferRun SetupRun { get; private set; } = null!;

    /// <summary>https://127.0.0.1:port/</summary>
    public Uri ServerUrl => _server!.Address;

    /// <summary>The same server by a name its certificate does not carry.</summary>
    public Uri ServerUrlByAnotherName => new("https://localhost:" + ServerUrl.Port.ToString(CultureInfo.InvariantCulture) + "/");

    /// <summary>PEM of the CA that signed the server's certificate.</summary>
    public string CaFile => Path.Combine(_directory, "ca.pem");

    /// <summary>PEM of a CA that signed nothing here.</summary>
    public string OtherCaFile => Path.Combine(_directory, "other-ca.pem");

    /// <summary>sha256/ and the base64 SHA-256 of the server certificate's SubjectPublicKeyInfo.</summary>
    public string ServerPin { get; private set; } = "";

    public string OrganisationFingerprint { get; private set; } = "";

    public string OwnerSecretKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("coffer-e2e-tls-").FullName;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 ca = Authority("CN=Coffer test CA", caKey, now);
        using ECDsa otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 other = Authority("CN=Some other CA", otherKey, now);
        using ECDsa serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = new("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        SubjectAlternativeNameBuilder names = new();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using X509Certificate2 certificate = request.Create(ca, now.AddMinutes(-5), now.AddDays(7), RandomNumberGenerator.GetBytes(16));
        await File.WriteAllTextAsync(CaFile, ca.ExportCertificatePem());
        await File.WriteAllTextAsync(OtherCaFile, other.ExportCertificatePem());
        string certificatePath = Path.Combine(_directory, "server.pem");
        string keyPath = Path.Combine(_directory, "server.key");
        await File.WriteAllTextAsync(certificatePath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, serverKey.ExportPkcs8PrivateKeyPem());
        ServerPin = "sha256/" + Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));

        string address = "https://127.0.0.1:" + ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        _server = await ServerProcess.StartAsync(Path.Combine(_directory, "data"), new Uri(address), certificate,
            "--Coffer:PublicUrl=" + address, "--Coffer:Tls:CertificatePath=" + certificatePath, "--Coffer:Tls:KeyPath=" + keyPath);
        string link = await _server.SetupLinkAsync();
        Owner = new CofferHomeDirectory("tls-owner");
        SetupRun = await Owner.RunAsync(OwnerPassword + "\n", "setup", link, "--email", OwnerEmail, "--name", "Tess Owner",
            "--org-name", "Self-signed Ministry", "--password-stdin", "--ca-file", CaFile, "--format", "json");
        Assert.True(SetupRun.Exit == 0, SetupRun.ToString());
        using JsonDocument setup = JsonDocument.Parse(SetupRun.Stdout);
        OrganisationFingerprint = setup.RootElement.GetProperty("account").GetProperty("organisationFingerprint").GetString()!;
        string kit = File.ReadAllText(setup.RootElement.GetProperty("emergencyKit").GetString()!);
        OwnerSecretKey = OrganisationFixture.KitLine(kit, "Secret Key:");
    }

    private static X509Certificate2 Authority(string name, ECDsa key, DateTimeOffset now)
    {
        CertificateRequest request = new(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
    }

    public Task DisposeAsync()
    {
        Owner?.Dispose();
        _server?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        return Task.CompletedTask;
    }
}
