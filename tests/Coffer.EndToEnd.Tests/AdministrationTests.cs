using System.Text.Json;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// An administrator's work with the real <c>coffer</c> binary against a real server process: confirming with fingerprints
/// and the SAS, suspension, groups, and the activity log (the audit key certified at setup, countersigned by the Owner).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AdministrationTests(OrganisationFixture org) : IClassFixture<OrganisationFixture>
{
    [Fact]
    public async Task Setup_CertifiesTheAuditKey_TheOwnerCountersigns_AndVerifySaysSo()
    {
        using JsonDocument setup = JsonDocument.Parse(org.SetupRun.Stdout);
        string auditKey = setup.RootElement.GetProperty("auditKeyFingerprint").GetString()!;
        CofferRun key = await org.Owner.RunAsync(null, "audit", "certify-key", "--format", "json");
        Assert.True(key.Exit == 0, key.ToString());
        Assert.True(JsonDocument.Parse(key.Stdout).RootElement.GetProperty("certified").GetBoolean());
        Assert.Equal(auditKey, JsonDocument.Parse(key.Stdout).RootElement.GetProperty("fingerprint").GetString());

        // The server signs its first checkpoint within a minute of starting.
        CofferRun countersign = await org.Owner.RunAsync(null, "audit", "countersign", "--format", "json");
        for (int i = 0; i < 90 && countersign.Exit == 5; i++)
        {
            await Task.Delay(1000);
            countersign = await org.Owner.RunAsync(null, "audit", "countersign", "--format", "json");
        }
        Assert.True(countersign.Exit == 0, countersign.ToString());
        using JsonDocument signed = JsonDocument.Parse(countersign.Stdout);
        long seq = signed.RootElement.GetProperty("seq").GetInt64();
        Assert.Equal(auditKey, signed.RootElement.GetProperty("auditKeyFingerprint").GetString());

        CofferRun verify = await org.Owner.RunAsync(null, "audit", "verify", "--format", "json");
        Assert.True(verify.Exit == 0, verify.ToString());
        using JsonDocument report = JsonDocument.Parse(verify.Stdout);
        Assert.True(report.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal("none", report.RootElement.GetProperty("chainFault").GetString());
        Assert.True(report.RootElement.GetProperty("fromGenesis").GetBoolean());
        Assert.True(report.RootElement.GetProperty("checkpointSeq").GetInt64() >= seq);
        Assert.True(report.RootElement.GetProperty("lastCountersignedSeq").GetInt64() >= seq);
        CofferRun table = await org.Owner.RunAsync(null, "audit", "verify");
        Assert.Contains("every hash recomputed here matches", table.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(org.Owner.Home, "pins", org.OwnerMemberId + ".json")), "the agent keeps its own copy of the sealed pins");
    }

    [Fact]
    public async Task MemberConfirm_ShowsFingerprintsAndTheSas_TheNewcomersCofferShowsTheSameWords()
    {
        (CofferHomeDirectory device, string email, string password, string memberId) = await CliMember.AcceptAsync(org, "dora");
        using (device)
        {
            CofferRun mine = await device.RunAsync(null, "whoami", "--sas", "--format", "json");
            Assert.True(mine.Exit == 0, mine.ToString());
            using JsonDocument me = JsonDocument.Parse(mine.Stdout);
            string words = string.Join(' ', me.RootElement.GetProperty("shortAuthenticationString").EnumerateArray().Select(w => w.GetString()));
            Assert.Equal(6, words.Split(' ').Length);

            string[] wrongWords = [.. words.Split(' ')];
            wrongWords[0] = wrongWords[0] == "abacus" ? "zebra" : "abacus";
            CofferRun refused = await org.Owner.RunAsync(null, "member", "confirm", email, "--sas-words", string.Join(' ', wrongWords), "--yes");
            CofferRun notYet = await device.RunAsync(password + "\n", "unlock", "--password-stdin");
            CofferRun confirm = await org.Owner.RunAsync(null, "member", "confirm", email, "--sas-words", words, "--yes", "--format", "json");
            CofferRun unlock = await device.RunAsync(password + "\n", "unlock", "--password-stdin");
            CofferRun after = await device.RunAsync(null, "whoami", "--sas", "--format", "json");

            Assert.Equal(8, refused.Exit);
            Assert.Contains("not the ones for the keys", refused.Stderr, StringComparison.Ordinal);
            Assert.Equal(7, notYet.Exit);
            Assert.True(confirm.Exit == 0, confirm.ToString());
            using JsonDocument confirmed = JsonDocument.Parse(confirm.Stdout);
            Assert.True(confirmed.RootElement.GetProperty("confirmed").GetBoolean());
            Assert.Equal(memberId, confirmed.RootElement.GetProperty("memberId").GetString());
            Assert.Equal(me.RootElement.GetProperty("encryptionFingerprint").GetString(), confirmed.RootElement.GetProperty("encryptionFingerprint").GetString());
            Assert.Equal(me.RootElement.GetProperty("signingFingerprint").GetString(), confirmed.RootElement.GetProperty("signingFingerprint").GetString());
            Assert.Contains(me.RootElement.GetProperty("encryptionFingerprint").GetString()!, refused.Stdout, StringComparison.Ordinal);
            Assert.True(unlock.Exit == 0, unlock.ToString());
            // Once unlocked, the words come from the certificate the organisation issued: the same ones.
            Assert.Equal(words, string.Join(' ', JsonDocument.Parse(after.Stdout).RootElement.GetProperty("shortAuthenticationString").EnumerateArray()
                .Select(w => w.GetString())));
        }
    }

    [Fact]
    public async Task ConfirmAsAdministrator_ComparesTheSas_TheirCofferGetsAnIssuerKeyFromTheOwners_ThenTheyConfirmOthers()
    {
        (CofferHomeDirectory device, string email, string password, _) = await CliMember.AcceptAsync(org, "alex");
        using (device)
        {
            string words = string.Join(' ', JsonDocument.Parse((await device.RunAsync(null, "whoami", "--sas", "--format", "json")).Stdout).RootElement
                .GetProperty("shortAuthenticationString").EnumerateArray().Select(w => w.GetString()));
            CofferRun withoutWords = await org.Owner.RunAsync(null, "member", "confirm", email, "--admin", "--yes");
            CofferRun confirm = await org.Owner.RunAsync(null, "member", "confirm", email, "--admin", "--sas-words", words, "--yes");
            CofferRun first = await device.RunAsync(password + "\n", "unlock", "--password-stdin");
            // The Owner's coffer certifies the request at its next unlock; the Administrator's next unlock opens the issuer key.
            await org.Owner.RunAsync(null, "lock");
            CofferRun owner = await org.Owner.RunAsync(OrganisationFixture.OwnerPassword + "\n", "unlock", "--password-stdin");
            await device.RunAsync(null, "lock");
            CofferRun second = await device.RunAsync(password + "\n", "unlock", "--password-stdin");
            (CofferHomeDirectory newcomer, string newcomerEmail, string newcomerPassword, _) = await CliMember.AcceptAsync(org, "bea");
            using (newcomer)
            {
                CofferRun byAdministrator = await device.RunAsync(null, "member", "confirm", newcomerEmail, "--yes");
                CofferRun unlock = await newcomer.RunAsync(newcomerPassword + "\n", "unlock", "--password-stdin");
                CofferRun role = await device.RunAsync(null, "whoami", "--format", "json");

                Assert.Equal(2, withoutWords.Exit);
                Assert.Contains("--sas-words", withoutWords.Stderr, StringComparison.Ordinal);
                Assert.True(confirm.Exit == 0, confirm.ToString());
                Assert.Contains("Short authentication string: " + words, confirm.Stdout, StringComparison.Ordinal);
                Assert.True(first.Exit == 0, first.ToString());
                Assert.Contains("issuer key", first.Stderr, StringComparison.Ordinal);
                Assert.True(owner.Exit == 0, owner.ToString());
                Assert.True(second.Exit == 0, second.ToString());
                Assert.DoesNotContain("issuer key", second.Stderr, StringComparison.Ordinal);
                Assert.True(byAdministrator.Exit == 0, byAdministrator.ToString());
                Assert.True(unlock.Exit == 0, unlock.ToString());
                Assert.Equal("Administrator", JsonDocument.Parse(role.Stdout).RootElement.GetProperty("role").GetString());
            }
        }
    }

    [Fact]
    public async Task RemovingAnAdministrator_RecertifiesTheMembersTheyConfirmed_RevokesTheirIssuer_AndTheMembersStillUnlock()
    {
        (string adminId, string newcomerId, CofferRun remove, CofferRun unlock) = await RemoveAdministratorAsync("ivan", "jade", async email =>
            await org.Owner.RunAsync(null, "member", "remove", email, "--yes", "--format", "json"));

        Assert.True(remove.Exit == 0, remove.ToString());
        using JsonDocument removed = JsonDocument.Parse(remove.Stdout);
        Assert.Equal("removed", removed.RootElement.GetProperty("member").GetProperty("state").GetString());
        JsonElement retirement = removed.RootElement.GetProperty("issuerRetirement");
        Assert.Equal(adminId, retirement.GetProperty("holderId").GetString());
        Assert.Single(retirement.GetProperty("revokedIssuerIds").EnumerateArray());
        Assert.Contains(newcomerId, retirement.GetProperty("recertifiedMemberIds").EnumerateArray().Select(m => m.GetString()));
        Assert.True(unlock.Exit == 0, unlock.ToString());
    }

    [Fact]
    public async Task ARemovalThatDidNotRetire_TheOwnersNextUnlockFinishesIt_AndTheMembersStillUnlock()
    {
        // Removed through the SDK's plain call, as a removal interrupted before its retirement leaves it.
        (_, _, CofferRun ownerUnlock, CofferRun unlock) = await RemoveAdministratorAsync("kurt", "lena", async email =>
        {
            (Coffer.Sdk.Http.CofferConnection connection, Coffer.Sdk.Auth.SignInResult owner, Coffer.Sdk.Accounts.UnlockedAccount keys) =
                await org.OwnerThroughSdkAsync();
            using (connection)
            using (owner)
            using (keys)
            {
                Coffer.Sdk.Members.MemberDirectory directory = new(owner.Session);
                string memberId = (await directory.ListAsync()).Single(m => m.Email == email).Id;
                _ = await directory.RemoveAsync(memberId);
            }
            await org.Owner.RunAsync(null, "lock");
            return await org.Owner.RunAsync(OrganisationFixture.OwnerPassword + "\n", "unlock", "--password-stdin");
        });

        Assert.True(ownerUnlock.Exit == 0, ownerUnlock.ToString());
        Assert.Contains("Finished retiring the issuer keys of 1 former administrator(s)", ownerUnlock.Stderr, StringComparison.Ordinal);
        Assert.True(unlock.Exit == 0, unlock.ToString());
    }

    /// <summary>
    /// An administrator (<paramref name="adminName"/>) confirms a newcomer with their own issuer; then <paramref name="remove"/>
    /// removes the administrator; then the newcomer unlocks again. Returns the ids, the removal's run and the newcomer's unlock.
    /// </summary>
    private async Task<(string AdminId, string NewcomerId, CofferRun Remove, CofferRun Unlock)> RemoveAdministratorAsync(string adminName, string newcomerName,
        Func<string, Task<CofferRun>> remove)
    {
        // docs/adr/0027: the Owner's coffer re-certifies with its own issuer what the leaving administrator's issuer certified, then revokes it.
        (CofferHomeDirectory device, string email, string password, string adminId) = await CliMember.AcceptAsync(org, adminName);
        using (device)
        {
            string words = string.Join(' ', JsonDocument.Parse((await device.RunAsync(null, "whoami", "--sas", "--format", "json")).Stdout).RootElement
                .GetProperty("shortAuthenticationString").EnumerateArray().Select(w => w.GetString()));
            CofferRun confirm = await org.Owner.RunAsync(null, "member", "confirm", email, "--admin", "--sas-words", words, "--yes");
            await device.RunAsync(password + "\n", "unlock", "--password-stdin");
            // The Owner's next unlock certifies the administrator's issuer request; the administrator's next unlock opens it.
            await org.Owner.RunAsync(null, "lock");
            CofferRun owner = await org.Owner.RunAsync(OrganisationFixture.OwnerPassword + "\n", "unlock", "--password-stdin");
            await device.RunAsync(null, "lock");
            await device.RunAsync(password + "\n", "unlock", "--password-stdin");
            (CofferHomeDirectory newcomer, string newcomerEmail, string newcomerPassword, string newcomerId) = await CliMember.AcceptAsync(org, newcomerName);
            using (newcomer)
            {
                CofferRun byAdministrator = await device.RunAsync(null, "member", "confirm", newcomerEmail, "--yes");
                CofferRun removal = await remove(email);
                await newcomer.RunAsync(null, "lock");
                CofferRun unlock = await newcomer.RunAsync(newcomerPassword + "\n", "unlock", "--password-stdin");

                Assert.True(confirm.Exit == 0, confirm.ToString());
                Assert.True(owner.Exit == 0, owner.ToString());
                Assert.True(byAdministrator.Exit == 0, byAdministrator.ToString());
                return (adminId, newcomerId, removal, unlock);
            }
        }
    }

    [Fact]
    public async Task Suspend_TheMembersNextCommandIsOneClearLine_ReactivateLetsThemBackIn()
    {
        using CliMember erin = await CliMember.JoinAsync(org, "erin");

        CofferRun suspend = await org.Owner.RunAsync(null, "member", "suspend", erin.Email);
        CofferRun refused = await erin.Device.RunAsync(null, "whoami");
        CofferRun reactivate = await org.Owner.RunAsync(null, "member", "reactivate", erin.Email, "--format", "json");
        CofferRun unlock = await erin.Device.RunAsync(erin.Password + "\n", "unlock", "--password-stdin");

        Assert.True(suspend.Exit == 0, suspend.ToString());
        Assert.Contains("Suspended " + erin.Email, suspend.Stdout, StringComparison.Ordinal);
        Assert.Equal(3, refused.Exit);
        Assert.Equal("coffer: Your account is suspended: ask an administrator of your organisation to reactivate it.", OneLine(refused.Stderr));
        Assert.True(reactivate.Exit == 0, reactivate.ToString());
        Assert.Equal("active", JsonDocument.Parse(reactivate.Stdout).RootElement.GetProperty("member").GetProperty("state").GetString());
        Assert.True(unlock.Exit == 0, unlock.ToString());
    }

    [Fact]
    public async Task MemberUnlock_ClearsFailedAttempts_SaysWhetherALockWasRunning_AndNeedsManageMembers()
    {
        using CliMember kate = await CliMember.JoinAsync(org, "kate");
        using CofferHomeDirectory other = new("kate-other");
        string secretKey = File.ReadAllText(Path.Combine(kate.Device.Home, "secret-keys", kate.MemberId)).Trim();
        CofferRun wrong = await other.RunAsync(secretKey + "\nnot kate's password at all\n", "signin", org.ServerUrl.ToString(), "--email", kate.Email,
            "--org-fingerprint", org.OrganisationFingerprint, "--secret-key-stdin", "--password-stdin");

        CofferRun released = await org.Owner.RunAsync(null, "member", "unlock", kate.Email, "--format", "json");
        CofferRun again = await org.Owner.RunAsync(null, "member", "unlock", kate.Email);
        CofferRun refused = await kate.Device.RunAsync(null, "member", "unlock", kate.Email);

        Assert.NotEqual(0, wrong.Exit);
        Assert.True(released.Exit == 0, released.ToString());
        JsonElement answer = JsonDocument.Parse(released.Stdout).RootElement;
        Assert.False(answer.GetProperty("wasLocked").GetBoolean());   // one failure is far below the lockout threshold
        Assert.Equal(1, answer.GetProperty("failuresCleared").GetInt32());
        Assert.True(again.Exit == 0, again.ToString());
        Assert.Equal(kate.Email + " was not locked (0 failed attempt(s) cleared).", again.Stdout.Trim());
        Assert.NotEqual(0, refused.Exit);
    }

    [Fact]
    public async Task Groups_CreateAddRemove_RemovalRotatesTheKey_AndRemovingAMemberListsWhatToRotate()
    {
        using CliMember frank = await CliMember.JoinAsync(org, "frank");
        string name = "Ops " + Guid.NewGuid().ToString("N")[..6];

        CofferRun create = await org.Owner.RunAsync(null, "group", "create", name, "--permission", "create_vaults", "--format", "json");
        CofferRun add = await org.Owner.RunAsync(null, "group", "add", name, frank.Email);
        JsonElement added = Group(await org.Owner.RunAsync(null, "group", "list", "--format", "json"), name);
        CofferRun remove = await org.Owner.RunAsync(null, "group", "remove", name, frank.Email, "--format", "json");
        JsonElement removed = Group(await org.Owner.RunAsync(null, "group", "list", "--format", "json"), name);
        CofferRun addAgain = await org.Owner.RunAsync(null, "group", "add", name, frank.MemberId);
        CofferRun leave = await org.Owner.RunAsync(null, "member", "remove", frank.Email, "--yes", "--format", "json");

        Assert.True(create.Exit == 0, create.ToString());
        string groupId = JsonDocument.Parse(create.Stdout).RootElement.GetProperty("groupId").GetString()!;
        Assert.True(add.Exit == 0, add.ToString());
        Assert.Equal(1, added.GetProperty("memberCount").GetInt64());
        Assert.Equal(1, added.GetProperty("keySerial").GetInt64());
        Assert.True(remove.Exit == 0, remove.ToString());
        Assert.True(JsonDocument.Parse(remove.Stdout).RootElement.GetProperty("rotated").GetBoolean());
        Assert.Equal(0, removed.GetProperty("memberCount").GetInt64());
        Assert.Equal(2, removed.GetProperty("keySerial").GetInt64());
        // The Owner's agent holds the rotated key: adding wraps the new one.
        Assert.True(addAgain.Exit == 0, addAgain.ToString());
        Assert.True(leave.Exit == 0, leave.ToString());
        using JsonDocument gone = JsonDocument.Parse(leave.Stdout);
        Assert.Contains(groupId, gone.RootElement.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal("removed", gone.RootElement.GetProperty("member").GetProperty("state").GetString());
    }

    [Fact]
    public async Task AuditTailAndExport_ParseAsJson_AndExportWritesCsv()
    {
        CofferRun tail = await org.Owner.RunAsync(null, "audit", "tail", "-n", "5", "--format", "json");
        CofferRun export = await org.Owner.RunAsync(null, "audit", "export", "--format", "json");
        CofferRun lines = await org.Owner.RunAsync(null, "audit", "export", "--since", "2");
        string csvFile = Path.Combine(org.Owner.Root, "audit.csv");
        CofferRun csv = await org.Owner.RunAsync(null, "audit", "export", "--format", "csv", "--output", csvFile);
        CofferRun csvElsewhere = await org.Owner.RunAsync(null, "member", "list", "--format", "csv");

        Assert.True(tail.Exit == 0, tail.ToString());
        using JsonDocument newest = JsonDocument.Parse(tail.Stdout);
        Assert.InRange(newest.RootElement.GetArrayLength(), 1, 5);
        Assert.True(export.Exit == 0, export.ToString());
        using JsonDocument all = JsonDocument.Parse(export.Stdout);
        JsonElement first = all.RootElement[0];
        Assert.Equal(1, first.GetProperty("seq").GetInt64());
        Assert.Contains(all.RootElement.EnumerateArray(), e => e.GetProperty("action").GetString() == "audit.key.certify");
        Assert.True(lines.Exit == 0, lines.ToString());
        string[] jsonl = lines.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, JsonDocument.Parse(jsonl[0]).RootElement.GetProperty("seq").GetInt64());
        Assert.True(csv.Exit == 0, csv.ToString());
        Assert.StartsWith("seq,time,action,outcome,", File.ReadAllText(csvFile), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(csvFile));
        Assert.Equal(2, csvElsewhere.Exit);
    }

    private static JsonElement Group(CofferRun list, string name)
    {
        Assert.True(list.Exit == 0, list.ToString());
        return JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray().Single(g => g.GetProperty("name").GetString() == name).Clone();
    }

    internal static string OneLine(string stderr)
    {
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, "expected one line on stderr:\n" + stderr);
        return lines[0];
    }
}
