using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Coffer.Cli.Agent;
using Coffer.Cli.Commands;
using Coffer.Cli.State;

namespace Coffer.Cli.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class CommandLineTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("10m", 600)]
    [InlineData("1h", 3600)]
    [InlineData("45", 45)]
    [InlineData("1.5s", 1.5)]
    public void ParseDuration_Accepted_GivesSeconds(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), CliContext.ParseDuration(text));

    [Theory]
    [InlineData("0")]
    [InlineData("-5s")]
    [InlineData("25h")]
    [InlineData("soon")]
    public void ParseDuration_Refused_IsUsageError(string text) =>
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() => CliContext.ParseDuration(text)).ExitCode);

    [Fact]
    public void SetupLink_AsPrinted_GivesServerAndToken()
    {
        Assert.True(AccountCommands.TryParseSetupLink("http://127.0.0.1:8080/setup#token=AAECAwQ", out Uri? server, out string? token));
        Assert.Equal(new Uri("http://127.0.0.1:8080/"), server);
        Assert.Equal("AAECAwQ", token);
        Assert.True(AccountCommands.TryParseSetupLink("https://example.org/coffer/setup#token=AAECAwQ", out server, out _));
        Assert.Equal(new Uri("https://example.org/coffer/"), server);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/setup")]
    [InlineData("http://127.0.0.1:8080/setup#token=")]
    [InlineData("http://127.0.0.1:8080/setup#token=not*base64")]
    [InlineData("ftp://127.0.0.1/setup#token=AAECAwQ")]
    public void SetupLink_WithoutUsableToken_IsNotALink(string link) =>
        Assert.False(AccountCommands.TryParseSetupLink(link, out _, out _));

    [Fact]
    public void Parse_UnknownCommand_IsUsageError()
    {
        System.CommandLine.ParseResult parse = CofferCli.Build().Parse(["frobnicate"]);
        Assert.NotEmpty(parse.Errors);
    }

    [Fact]
    public void SecureFiles_NewFileAndReplacement_Are0600()
    {
        string dir = Directory.CreateTempSubdirectory("coffer-files-").FullName;
        try
        {
            string path = Path.Combine(dir, "kit.txt");
            SecureFiles.CreateNew(path, "secret");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(ExitCodes.Conflict, Assert.Throws<CliException>(() => SecureFiles.CreateNew(path, "again")).ExitCode);
            Assert.Equal("secret", File.ReadAllText(path));
            SecureFiles.Replace(path, "next"u8);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal("next", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ServerTrust_Pin_AcceptsOnlyThePinnedKey()
    {
        using X509Certificate2 pinned = SelfSigned();
        using X509Certificate2 other = SelfSigned();
        byte[] pin = Convert.FromBase64String(ServerTrust.PinOf(pinned)["sha256/".Length..]);

        Assert.True(ServerTrust.Validate(pinned, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors, null, pin));
        Assert.False(ServerTrust.Validate(other, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors, null, pin));
        Assert.False(ServerTrust.Validate(pinned, System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch, null, pin));
    }

    [Fact]
    public void ServerTrust_CaFile_AcceptsChainsToItOnly()
    {
        using X509Certificate2 ca = SelfSigned(isCa: true);
        using X509Certificate2 stranger = SelfSigned();
        X509Certificate2Collection roots = [ca];
        Assert.True(ServerTrust.Validate(ca, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors, roots, null));
        Assert.False(ServerTrust.Validate(stranger, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors, roots, null));
    }

    [Fact]
    public void Slug_OrganisationName_IsLowercaseAsciiWithHyphens() =>
        Assert.Equal("example-ministry-of-tea", AgentHandlers.Slug("  Example Ministry of Tea! "));

    private static X509Certificate2 SelfSigned(bool isCa = false)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = new("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        if (isCa)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        }
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}

public class LayeringTests
{
    /// <summary>CONVENTIONS.md: Cli → Sdk (and through it Crypto, Protocol, Contracts); never the server.</summary>
    [Fact]
    public void Cli_ReferencesOnlyTheClientLibraries()
    {
        string[] coffer = [.. typeof(Coffer.Cli.ExitCodes).Assembly.GetReferencedAssemblies().Select(a => a.Name!)
            .Where(n => n.StartsWith("Coffer.", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        Assert.Contains("Coffer.Sdk", coffer);
        Assert.All(coffer, n => Assert.Contains(n, new[] { "Coffer.Contracts", "Coffer.Crypto", "Coffer.Protocol", "Coffer.Sdk" }));
    }
}
