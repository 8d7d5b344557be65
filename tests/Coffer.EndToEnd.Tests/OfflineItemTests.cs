using System.Text.Json;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Reading from the local cache with the server stopped (its own organisation: the test stops the server). Offline access
/// is off by default; <c>coffer account offline-window</c> allows it on this device within the organisation's window (the
/// policy's <c>offlineWindowDays</c>), and the next online unlock records it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OfflineItemTests(OrganisationFixture org) : IClassFixture<OrganisationFixture>
{
    [Fact]
    public async Task ServerStopped_UnlockReadsFromTheCache_ReadOnly_OnlyWhereTheDeviceAllowsIt()
    {
        CofferHomeDirectory owner = org.Owner;
        using CofferHomeDirectory other = new("offline-off");
        Succeeded(await other.RunAsync(org.OwnerSecretKey + "\n" + OrganisationFixture.OwnerPassword + "\n", "signin", org.ServerUrl.ToString(),
            "--email", OrganisationFixture.OwnerEmail, "--org-fingerprint", org.OrganisationFingerprint, "--secret-key-stdin", "--password-stdin"));
        Succeeded(await owner.RunAsync(null, "vault", "create", "Field kit"));
        Succeeded(await owner.RunAsync("radio-pass-1\n", "item", "create", "--vault", "Field kit", "--title", "Radio", "--url", "https://radio.example.net",
            "--password-stdin-field"));
        CofferRun window = Succeeded(await owner.RunAsync(null, "account", "offline-window", "3d", "--format", "json"));
        Assert.Equal(259_200, JsonDocument.Parse(window.Stdout).RootElement.GetProperty("offlineWindowSeconds").GetInt64());
        // The organisation's window bounds the device's: none by default, then two days once the policy says so.
        Succeeded(await owner.RunAsync(null, "lock"));
        CofferRun refused = Succeeded(await owner.RunAsync(OrganisationFixture.OwnerPassword + "\n", "unlock", "--password-stdin"));
        Assert.Contains("Your organisation does not allow offline access", OneLine(refused.Stderr), StringComparison.Ordinal);
        Succeeded(await owner.RunAsync(null, "policy", "set", "offlineWindowDays=2"));
        Succeeded(await owner.RunAsync(null, "lock"));
        CofferRun shortened = Succeeded(await owner.RunAsync(OrganisationFixture.OwnerPassword + "\n", "unlock", "--password-stdin"));
        Assert.Contains("at most 2 days", OneLine(shortened.Stderr), StringComparison.Ordinal);
        Succeeded(await other.RunAsync(null, "item", "list"));
        Succeeded(await other.RunAsync(null, "lock"));

        org.StopServer();
        Succeeded(await owner.RunAsync(null, "lock"));
        CofferRun wrong = await owner.RunAsync("not the password at all 99\n", "unlock", "--password-stdin");
        CofferRun unlock = await owner.RunAsync(OrganisationFixture.OwnerPassword + "\n", "unlock", "--password-stdin");
        CofferRun password = await owner.RunAsync(null, "item", "get", "Radio", "--field", "password");
        CofferRun search = await owner.RunAsync(null, "item", "search", "radio.example.net", "--format", "json");
        CofferRun vaults = await owner.RunAsync(null, "vault", "list", "--format", "json");
        CofferRun create = await owner.RunAsync("x-pass-1\n", "item", "create", "--vault", "Field kit", "--title", "New", "--password-stdin-field");
        CofferRun edit = await owner.RunAsync(null, "item", "edit", "Radio", "--add-tag", "offline");
        CofferRun whoami = await owner.RunAsync(null, "whoami");
        CofferRun notAllowed = await other.RunAsync(OrganisationFixture.OwnerPassword + "\n", "unlock", "--password-stdin");

        Assert.Equal(3, wrong.Exit);
        Assert.True(unlock.Exit == 0, unlock.ToString());
        Assert.Contains("unlocked offline, read-only", OneLine(unlock.Stderr), StringComparison.Ordinal);
        Assert.True(password.Exit == 0, password.ToString());
        Assert.Equal("radio-pass-1\n", password.Stdout);
        Assert.StartsWith("Offline (read-only)", OneLine(password.Stderr), StringComparison.Ordinal);
        Assert.Equal("Radio", Assert.Single(JsonDocument.Parse(search.Stdout).RootElement.EnumerateArray()).GetProperty("title").GetString());
        Assert.Contains(JsonDocument.Parse(vaults.Stdout).RootElement.EnumerateArray(), v => v.GetProperty("name").GetString() == "Field kit");
        foreach (CofferRun write in (CofferRun[])[create, edit])
        {
            Assert.Equal(9, write.Exit);
            Assert.Equal("coffer: Offline (read-only): changes need the server. Run `coffer unlock` once it can be reached.", OneLine(write.Stderr));
        }
        Assert.Equal(9, whoami.Exit);
        // The other device never allowed offline access: the server being gone is all it can say.
        Assert.Equal(9, notAllowed.Exit);
        Assert.StartsWith("coffer: Cannot reach the server", OneLine(notAllowed.Stderr), StringComparison.Ordinal);
        Assert.Equal(4, (await other.RunAsync(null, "item", "list")).Exit);
    }

    private static CofferRun Succeeded(CofferRun run)
    {
        Assert.True(run.Exit == 0, run.ToString());
        return run;
    }

    private static string OneLine(string stderr)
    {
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, "expected one line on stderr:\n" + stderr);
        return lines[0];
    }
}
