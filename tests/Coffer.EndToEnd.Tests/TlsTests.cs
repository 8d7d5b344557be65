using System.Security.Cryptography;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// The real <c>coffer</c> against a real server behind a self-signed TLS certificate: trusted through <c>--ca-file</c> or
/// <c>--server-pin</c> (remembered with the account), refused without them, with a wrong pin or another CA, and for a
/// host name the certificate does not carry.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TlsTests(TlsFixture tls) : IClassFixture<TlsFixture>
{
    [Fact]
    public async Task Setup_WithCaFile_RemembersIt_SoLaterCommandsReachTheServerWithoutIt()
    {
        CofferRun vaults = await tls.Owner.RunAsync(null, "vault", "list", "--format", "json");
        CofferRun devices = await tls.Owner.RunAsync(null, "device", "list", "--format", "json");

        Assert.True(vaults.Exit == 0, vaults.ToString());
        Assert.True(devices.Exit == 0, devices.ToString());
        Assert.Contains(tls.CaFile, File.ReadAllText(Path.Combine(tls.Owner.Home, "accounts.json")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--ca-file")]
    [InlineData("--server-pin")]
    public async Task SignIn_NewDevice_WithTheCaFileOrThePinAlone_IsUnlockedOverTls(string trust)
    {
        using CofferHomeDirectory device = new("tls" + trust);

        CofferRun signIn = await SignInAsync(device, tls.ServerUrl, trust, trust == "--ca-file" ? tls.CaFile : tls.ServerPin);
        CofferRun devices = await device.RunAsync(null, "device", "list", "--format", "json");

        Assert.True(signIn.Exit == 0, signIn.ToString());
        Assert.True(devices.Exit == 0, devices.ToString());
    }

    [Fact]
    public async Task SignIn_WithoutCaFileOrPin_IsRefusedInOneLineNamingCaFile_AndNothingIsKept()
    {
        using CofferHomeDirectory device = new("tls-none");

        CofferRun signIn = await SignInAsync(device, tls.ServerUrl);

        Assert.Equal(8, signIn.Exit);
        string line = AdministrationTests.OneLine(signIn.Stderr);
        Assert.StartsWith("coffer: The server presented a TLS certificate this device does not trust", line, StringComparison.Ordinal);
        Assert.Contains("--ca-file", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(device.Home, "accounts.json")));
    }

    [Fact]
    public async Task SignIn_WithAWrongPin_OrAnotherCa_IsRefused()
    {
        using CofferHomeDirectory device = new("tls-wrong");
        string wrongPin = "sha256/" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        CofferRun pinned = await SignInAsync(device, tls.ServerUrl, "--server-pin", wrongPin);
        CofferRun otherCa = await SignInAsync(device, tls.ServerUrl, "--ca-file", tls.OtherCaFile);
        CofferRun both = await SignInAsync(device, tls.ServerUrl, "--ca-file", tls.CaFile, "--server-pin", wrongPin);

        foreach (CofferRun refused in new[] { pinned, otherCa, both })
        {
            Assert.Equal(8, refused.Exit);
            Assert.Contains("does not trust", AdministrationTests.OneLine(refused.Stderr), StringComparison.Ordinal);
        }
        Assert.False(File.Exists(Path.Combine(device.Home, "accounts.json")));
    }

    [Fact]
    public async Task SignIn_ByAHostNameTheCertificateDoesNotCarry_IsRefused_EvenWithTheCaFileAndPin()
    {
        using CofferHomeDirectory device = new("tls-name");

        CofferRun signIn = await SignInAsync(device, tls.ServerUrlByAnotherName, "--ca-file", tls.CaFile, "--server-pin", tls.ServerPin);

        Assert.Equal(8, signIn.Exit);
        Assert.Contains("does not trust", AdministrationTests.OneLine(signIn.Stderr), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(device.Home, "accounts.json")));
    }

    private Task<CofferRun> SignInAsync(CofferHomeDirectory device, Uri server, params string[] trust) =>
        device.RunAsync(tls.OwnerSecretKey + "\n" + TlsFixture.OwnerPassword + "\n",
            ["signin", server.ToString(), "--email", TlsFixture.OwnerEmail, "--org-fingerprint", tls.OrganisationFingerprint,
                "--secret-key-stdin", "--password-stdin", .. trust]);
}
