using System.Text.Json;
using Coffer.Testing.Browser;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Issue 5, "Done means": an Owner signs in with a Chromium virtual security key — through the real <c>coffer</c> binary, its
/// agent's one-time loopback listener, the page the real server serves on <c>http://localhost:PORT</c> and Chromium's DevTools
/// virtual authenticator (docs/adr/0026, "Browser ceremony").
/// </summary>
public sealed class SecurityKeyTests(LocalhostOrganisationFixture org) : IClassFixture<LocalhostOrganisationFixture>
{
    [Fact]
    public async Task Owner_AddsAChromiumSecurityKey_ThenSignsInOnANewDeviceWithIt()
    {
        await using HeadlessChromium chromium = await HeadlessChromium.StartAsync();
        VirtualSecurityKey key = await chromium.NewTabWithSecurityKeyAsync(residentKeys: false, userVerification: true);
        List<Uri> opened = [];
        async Task OpenAsync(Uri page)
        {
            opened.Add(page);
            await key.OpenAsync(page);
        }
        org.Owner.SecurityKeyBrowser = OpenAsync;
        org.Owner.Environment["BROWSER"] = "/bin/true";   // the printed address is the test's way in; nothing else opens it
        using CofferHomeDirectory laptop = new("owner-laptop") { SecurityKeyBrowser = OpenAsync, AnswersWithSecurityKey = true };
        laptop.Environment["BROWSER"] = "/bin/true";

        CofferRun add = await org.Owner.RunAsync(null, "mfa", "add-security-key", "--name", "Desk key", "--format", "json");
        CofferRun list = await org.Owner.RunAsync(null, "mfa", "list", "--format", "json");
        CofferRun signIn = await laptop.RunAsync(org.OwnerSecretKey + "\n" + OrganisationFixture.OwnerPassword + "\n", "signin", org.PublicUrl.ToString(),
            "--email", OrganisationFixture.OwnerEmail, "--org-fingerprint", org.OrganisationFingerprint, "--secret-key-stdin", "--password-stdin");
        CofferRun whoami = await laptop.RunAsync(null, "whoami", "--format", "json");

        Assert.True(add.Exit == 0, add.ToString());
        Assert.Contains(JsonDocument.Parse(list.Stdout).RootElement.GetProperty("factors").EnumerateArray(),
            f => f.GetProperty("kind").GetString() == "security_key" && f.GetProperty("name").GetString() == "Desk key" && f.GetProperty("active").GetBoolean());
        Assert.Single(await key.CredentialsAsync());
        Assert.True(signIn.Exit == 0, signIn.ToString());
        Assert.True(whoami.Exit == 0, whoami.ToString());
        Assert.Equal(OrganisationFixture.OwnerEmail, JsonDocument.Parse(whoami.Stdout).RootElement.GetProperty("email").GetString());
        // Two ceremonies, each on its own one-time page of the server's origin; the session never reached the browser.
        Assert.Equal(2, opened.Count);
        Assert.All(opened, page => Assert.Equal(org.PublicUrl.GetLeftPart(UriPartial.Authority) + "/webauthn", page.GetLeftPart(UriPartial.Path)));
        Assert.NotEqual(opened[0].Fragment, opened[1].Fragment);
    }
}
