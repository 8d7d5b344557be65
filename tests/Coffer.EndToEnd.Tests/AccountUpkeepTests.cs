using System.Text.Json;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Account upkeep with the real <c>coffer</c> binary (docs/adr/0017): a member changes their password, replaces their
/// Secret Key and changes their email; afterwards only the new credentials sign in on another device.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AccountUpkeepTests(OrganisationFixture org) : IClassFixture<OrganisationFixture>
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task ChangePassword_ThenOnlyTheNewPasswordSignsIn_AndTheAgentCarriesOn()
    {
        using CliMember gina = await CliMember.JoinAsync(org, "gina");
        const string newPassword = "seven lazy otters drift by 2031";
        string secretKey = SecretKeyOf(gina);

        CofferRun change = await gina.Device.RunAsync(gina.Password + "\n" + newPassword + "\n", "account", "change-password", "--password-stdin",
            "--format", "json");
        CofferRun whoami = await gina.Device.RunAsync(null, "whoami", "--format", "json");
        using CofferHomeDirectory other = new("gina-other");
        CofferRun old = await SignInAsync(other, gina.Email, secretKey, gina.Password);
        CofferRun fresh = await SignInAsync(other, gina.Email, secretKey, newPassword);
        CofferRun wrongCurrent = await gina.Device.RunAsync("not my password at all\nyet another new one 4242\n", "account", "change-password", "--password-stdin");

        Assert.True(change.Exit == 0, change.ToString());
        string kit = JsonDocument.Parse(change.Stdout).RootElement.GetProperty("emergencyKit").GetString()!;
        Assert.Equal(Private, File.GetUnixFileMode(kit));
        Assert.DoesNotContain(newPassword, File.ReadAllText(kit), StringComparison.Ordinal);
        Assert.True(whoami.Exit == 0, whoami.ToString());
        Assert.Equal(3, old.Exit);
        Assert.True(fresh.Exit == 0, fresh.ToString());
        Assert.Equal(3, wrongCurrent.Exit);
        Assert.Contains("nothing was changed", wrongCurrent.Stderr, StringComparison.Ordinal);
        // The agent holds the new 2SKD output: after a lock, the new password unlocks this device too.
        await gina.Device.RunAsync(null, "lock");
        Assert.Equal(0, (await gina.Device.RunAsync(newPassword + "\n", "unlock", "--password-stdin")).Exit);
    }

    // The server never sees a password, so the organisation's minimum length is the client's to enforce (POLICY.md).
    [Fact]
    public async Task ChangePassword_ShorterThanThePolicysMinimum_IsRefused_AndTheOldPasswordStillWorks()
    {
        using CliMember hal = await CliMember.JoinAsync(org, "hal");
        const string newPassword = "twenty-six chars long 2031";
        SharedVaultFixture.Succeeded(await org.Owner.RunAsync(null, "policy", "set", "minPasswordLength=30"));
        CofferRun change;
        try
        {
            change = await hal.Device.RunAsync(hal.Password + "\n" + newPassword + "\n", "account", "change-password", "--password-stdin");
        }
        finally
        {
            SharedVaultFixture.Succeeded(await org.Owner.RunAsync(null, "policy", "set", "minPasswordLength=14"));
        }
        using CofferHomeDirectory other = new("hal-other");
        CofferRun old = await SignInAsync(other, hal.Email, SecretKeyOf(hal), hal.Password);

        Assert.Equal(2, change.Exit);
        Assert.Contains("Use at least 30 characters (this password has 26)", change.Stderr, StringComparison.Ordinal);
        Assert.True(old.Exit == 0, old.ToString());
    }

    [Fact]
    public async Task RegenerateSecretKey_TheOldKitNoLongerSignsIn_TheNewOneDoes()
    {
        using CliMember hugo = await CliMember.JoinAsync(org, "hugo");
        string oldKey = SecretKeyOf(hugo);

        CofferRun regenerate = await hugo.Device.RunAsync(hugo.Password + "\n", "account", "regenerate-secret-key", "--password-stdin", "--yes",
            "--format", "json");

        Assert.True(regenerate.Exit == 0, regenerate.ToString());
        string kit = JsonDocument.Parse(regenerate.Stdout).RootElement.GetProperty("emergencyKit").GetString()!;
        Assert.Equal(Private, File.GetUnixFileMode(kit));
        string newKey = OrganisationFixture.KitLine(File.ReadAllText(kit), "Secret Key:");
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(newKey, SecretKeyOf(hugo));
        Assert.False(File.Exists(Path.Combine(hugo.Device.Home, "secret-keys", hugo.MemberId + ".new")));
        using CofferHomeDirectory other = new("hugo-other");
        CofferRun withOld = await SignInAsync(other, hugo.Email, oldKey, hugo.Password);
        CofferRun withNew = await SignInAsync(other, hugo.Email, newKey, hugo.Password);
        Assert.Equal(3, withOld.Exit);
        Assert.True(withNew.Exit == 0, withNew.ToString());
        await hugo.Device.RunAsync(null, "lock");
        Assert.Equal(0, (await hugo.Device.RunAsync(hugo.Password + "\n", "unlock", "--password-stdin")).Exit);
    }

    [Fact]
    public async Task ChangeEmail_ConfirmedWithTheCodeMailedToTheNewAddress_SignsInWithTheNewEmail()
    {
        using CliMember iris = await CliMember.JoinAsync(org, "iris");
        string newEmail = "iris.new-" + Guid.NewGuid().ToString("N")[..6] + "@example.org";

        CofferRun request = await iris.Device.RunAsync(null, "account", "change-email", newEmail);
        Assert.True(request.Exit == 0, request.ToString());
        string mail = org.Outbox().Single(m => m.Contains($"\r\nTo: {newEmail}\r\n", StringComparison.OrdinalIgnoreCase));
        int at = mail.IndexOf("#token=", StringComparison.Ordinal);
        string link = mail[mail.LastIndexOf("http", at, StringComparison.Ordinal)..].Split('\r', '\n', ' ')[0];
        CofferRun wrong = await iris.Device.RunAsync("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "account", "confirm-email");
        CofferRun confirm = await iris.Device.RunAsync(link + "\n", "account", "confirm-email", "--format", "json");
        CofferRun whoami = await iris.Device.RunAsync(null, "whoami", "--format", "json");

        Assert.Equal(2, wrong.Exit);
        Assert.True(confirm.Exit == 0, confirm.ToString());
        string kit = JsonDocument.Parse(confirm.Stdout).RootElement.GetProperty("emergencyKit").GetString()!;
        Assert.Contains(newEmail, File.ReadAllText(kit), StringComparison.Ordinal);
        Assert.Equal(newEmail, JsonDocument.Parse(whoami.Stdout).RootElement.GetProperty("email").GetString());
        SecondFactors.EmailChanged(org.ServerUrl, iris.Email, newEmail);
        using CofferHomeDirectory other = new("iris-other");
        Assert.Equal(3, (await SignInAsync(other, iris.Email, SecretKeyOf(iris), iris.Password)).Exit);
        CofferRun signIn = await SignInAsync(other, newEmail, SecretKeyOf(iris), iris.Password);
        Assert.True(signIn.Exit == 0, signIn.ToString());
    }

    [Fact]
    public async Task Mfa_ListAddRemoveAndBackupCodes_ThroughTheCommand_AndPolicyShow()
    {
        using CliMember jude = await CliMember.JoinAsync(org, "jude");

        CofferRun policy = await jude.Device.RunAsync(null, "policy", "show", "--format", "json");
        CofferRun list = await jude.Device.RunAsync(null, "mfa", "list", "--format", "json");
        using JsonDocument before = JsonDocument.Parse(list.Stdout);
        string first = before.RootElement.GetProperty("factors").EnumerateArray().Single().GetProperty("id").GetString()!;
        CofferRun onlyOne = await jude.Device.RunAsync(null, "mfa", "remove", first);
        CofferRun add = await jude.Device.RunAsync(null, "mfa", "add-totp", "--name", "Second phone", "--format", "json");
        CofferRun remove = await jude.Device.RunAsync(null, "mfa", "remove", first, "--format", "json");
        CofferRun codes = await jude.Device.RunAsync(null, "mfa", "backup-codes", "--format", "json");
        CofferRun notAllowed = await jude.Device.RunAsync(null, "policy", "set", "mfaRememberDeviceDays=7");
        CofferRun set = await org.Owner.RunAsync(null, "policy", "set", "mfaRememberDeviceDays=7", "--format", "json");
        CofferRun unknown = await org.Owner.RunAsync(null, "policy", "set", "noSuchSetting=1");

        Assert.True(policy.Exit == 0, policy.ToString());
        Assert.Equal("everyone", JsonDocument.Parse(policy.Stdout).RootElement.GetProperty("settings").GetProperty("requireMfa").GetString());
        Assert.True(list.Exit == 0, list.ToString());
        Assert.Equal(10, before.RootElement.GetProperty("backupCodesLeft").GetInt32());
        Assert.Equal(6, onlyOne.Exit);
        Assert.StartsWith("coffer: ", onlyOne.Stderr, StringComparison.Ordinal);
        Assert.True(add.Exit == 0, add.ToString());
        Assert.Contains("otpauth://", add.Stderr, StringComparison.Ordinal);
        string second = JsonDocument.Parse(add.Stdout).RootElement.GetProperty("factorId").GetString()!;
        Assert.True(remove.Exit == 0, remove.ToString());
        Assert.Equal(second, Assert.Single(JsonDocument.Parse(remove.Stdout).RootElement.GetProperty("factors").EnumerateArray()).GetProperty("id").GetString());
        Assert.True(codes.Exit == 0, codes.ToString());
        Assert.Equal(10, JsonDocument.Parse(codes.Stdout).RootElement.GetProperty("codes").GetArrayLength());
        Assert.Equal(7, notAllowed.Exit);
        Assert.True(set.Exit == 0, set.ToString());
        Assert.Equal(7, JsonDocument.Parse(set.Stdout).RootElement.GetProperty("settings").GetProperty("mfaRememberDeviceDays").GetInt32());
        Assert.Equal(2, unknown.Exit);
        // A new device signs in with the app added through `coffer mfa add-totp`.
        using CofferHomeDirectory other = new("jude-other");
        CofferRun signIn = await SignInAsync(other, jude.Email, SecretKeyOf(jude), jude.Password);
        Assert.True(signIn.Exit == 0, signIn.ToString());
    }

    private Task<CofferRun> SignInAsync(CofferHomeDirectory device, string email, string secretKey, string password) =>
        device.RunAsync(secretKey + "\n" + password + "\n", "signin", org.ServerUrl.ToString(), "--email", email, "--org-fingerprint",
            org.OrganisationFingerprint, "--secret-key-stdin", "--password-stdin");

    private static string SecretKeyOf(CliMember member) => File.ReadAllText(Path.Combine(member.Device.Home, "secret-keys", member.MemberId)).Trim();
}
