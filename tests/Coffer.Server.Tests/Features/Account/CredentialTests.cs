using System.Data.Common;
using System.Text;
using Coffer.Contracts;
using Coffer.Contracts.Accounts;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Accounts;
using Coffer.Protocol.Encoding;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Setup;
using Coffer.Sdk.Vaults;
using Coffer.Server.Features.Account;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Members;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Tests.Features.Account;

/// <summary>
/// Account upkeep (docs/adr/0017), through the SDK as a client does it: a new password or Secret Key replaces salt, verifier
/// and the keyset's AUK seal at once (PROTOCOL.md §2) and only the new secrets sign in and open what was there; other sessions
/// end; a session that signed in too long ago is refused; a new email takes effect only with the token mailed to it.
/// </summary>
public sealed class CredentialTests
{
    private const string NewPassword = "violet lantern quietly hums 58";
    private const string Organisation = "Example Ministry";
    private const string SecondDeviceId = "0190a1b2-0000-7000-8000-00000000c002";

    private static readonly CredentialChangeOptions Options = new() { Policy = TestOrganisation.Policy };
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;
    private static readonly DeviceInfoDto Device = new("Member laptop", "linux-cli", "0.1.0");
    private static readonly byte[] Overview = Encoding.UTF8.GetBytes("""{"v":1,"category":"login","title":"Supplier portal","archived":false,"trashed":false}""");
    private static readonly byte[] Details = Encoding.UTF8.GetBytes("""{"v":1,"fields":[]}""");

    [Theory, BothEngines]
    public async Task ChangePassword_OldPasswordFails_NewOneOpensWhatWasWritten_OtherSessionsEnd(Engine engine)
    {
        CapturedLogs logs = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, configure: b => b.Logging.AddProvider(logs));
        using TestMember mia = await JoinAsync(org, "mia@example.org");
        (SignInResult signIn, UnlockedAccount keys) = await mia.SignInAndUnlockAsync();
        using SignInResult signInScope = signIn;
        using UnlockedAccount keysScope = keys;
        (string vaultId, string itemId) = await WriteItemAsync(signIn, keys);
        using SignInResult elsewhere = await mia.SignInAsync(deviceId: SecondDeviceId);

        using CredentialChange change = await AccountCredentials.ChangePasswordAsync(signIn, keys, mia.SecretKey, TestMember.Password, NewPassword,
            Organisation, Options);

        Assert.Equal(1, change.EndedSessions);
        Assert.Null(change.SecretKey);
        // The session that made the change goes on; the other one has ended.
        _ = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse);
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() =>
            elsewhere.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse));
        CofferApiException old = await Assert.ThrowsAsync<CofferApiException>(() => mia.SignInAsync());
        Assert.Equal(ErrorTypes.SignInFailed, old.Type);

        using SignInResult again = await mia.SignInAsync(NewPassword);
        using UnlockedAccount reopened = await TestOrganisation.UnlockAsync(again, change.Account);
        Assert.Equal((keys.Keyset.KeysetId, keys.Keyset.Serial), (reopened.Keyset.KeysetId, reopened.Keyset.Serial));
        Assert.Equal(keys.Certificate.Signature, reopened.Certificate.Signature);
        using (VaultClient vaults = new(again.Session, reopened))
        {
            Assert.Equal(Overview, (await vaults.GetItemAsync(vaultId, itemId)).Overview);
        }
        // What an agent keeps in memory signs in again without the password.
        using SignInResult agent = await SignIn.SignInAgainAsync(org.Connection, mia.Email, mia.Account.AccountId, mia.DeviceId, Device,
            change.AccountKeys, change.Kdf);

        string mail = Assert.Single(Mails(org, AccountMail.PasswordChangedSubject));
        Assert.Contains($"\r\nTo: {mia.Email}\r\n", mail, StringComparison.Ordinal);
        Assert.Contains("Your other sessions (1) were signed out", mail, StringComparison.Ordinal);
        Assert.DoesNotContain(NewPassword, mail, StringComparison.Ordinal);
        Assert.DoesNotContain(mia.SecretKey.Format(), mail, StringComparison.Ordinal);
        AuditEventRow changed = Assert.Single(await EventsAsync(org), e => e.Action == AuditActions.CredentialsChange);
        Assert.Equal((mia.MemberId, signIn.Session.SessionId, AuditOutcomes.Success), (changed.ActorMemberId, changed.SessionId, changed.Outcome));
        Assert.Contains("\"kind\":\"password\"", changed.Details, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.Contains(mia.Email, StringComparison.OrdinalIgnoreCase));
    }

    [Theory, BothEngines]
    public async Task RegenerateSecretKey_OldKeyFails_NewKeyAndKitOpenWhatWasWritten(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using TestMember mia = await JoinAsync(org, "mia@example.org");
        (SignInResult signIn, UnlockedAccount keys) = await mia.SignInAndUnlockAsync();
        using SignInResult signInScope = signIn;
        using UnlockedAccount keysScope = keys;
        (string vaultId, string itemId) = await WriteItemAsync(signIn, keys);

        using CredentialChange change = await AccountCredentials.RegenerateSecretKeyAsync(signIn, keys, mia.SecretKey, TestMember.Password, Organisation,
            Options);

        SecretKey fresh = change.SecretKey!;
        EmergencyKit kit = change.EmergencyKit!;
        Assert.NotEqual(mia.SecretKey.Format(), fresh.Format());
        Assert.Equal(mia.Account.AccountId, fresh.AccountId);
        Assert.Equal((fresh.Format(), mia.Email, Organisation, org.Connection.ServerUrl), (kit.SecretKey, kit.Email, kit.OrganisationName, kit.SignInAddress));
        Assert.Equal(mia.Account.OrganisationFingerprint, kit.OrganisationFingerprint);
        Assert.Equal(0, change.EndedSessions);

        CofferApiException old = await Assert.ThrowsAsync<CofferApiException>(() => mia.SignInAsync());
        Assert.Equal(ErrorTypes.SignInFailed, old.Type);
        using SignInResult again = await SignIn.SignInAsync(org.Connection, mia.Email, TestMember.Password, fresh, mia.DeviceId, Device,
            TestOrganisation.Policy);
        using UnlockedAccount reopened = await TestOrganisation.UnlockAsync(again, change.Account);
        Assert.Equal((keys.Keyset.KeysetId, keys.Keyset.Serial), (reopened.Keyset.KeysetId, reopened.Keyset.Serial));
        using (VaultClient vaults = new(again.Session, reopened))
        {
            Assert.Equal(Overview, (await vaults.GetItemAsync(vaultId, itemId)).Overview);
        }

        string mail = Assert.Single(Mails(org, AccountMail.SecretKeyChangedSubject));
        Assert.DoesNotContain(fresh.Format(), mail, StringComparison.Ordinal);
        Assert.DoesNotContain(mia.SecretKey.Format(), mail, StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"secret_key\"", Assert.Single(await EventsAsync(org), e => e.Action == AuditActions.CredentialsChange).Details,
            StringComparison.Ordinal);
    }

    [Theory, BothEngines]
    public async Task Change_SessionSignedInTooLongAgo_IsReauthenticationRequiredOrStepUp_AndAFreshSignInGoesAhead(Engine engine)
    {
        ManualClock clock = new(DateTimeOffset.UtcNow);
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        using TestMember mia = await JoinAsync(org, "mia@example.org");
        (SignInResult stale, UnlockedAccount keys) = await mia.SignInAndUnlockAsync();
        using SignInResult staleScope = stale;
        using UnlockedAccount keysScope = keys;
        clock.Advance(TimeSpan.FromMinutes(6));
        string before = await CredentialRowsAsync(org, mia.MemberId);
        stale.Session.StepUpHandler = null;   // an email change is a step-up action (docs/adr/0024): its refusal is under test too

        CofferApiException password = await Assert.ThrowsAsync<CofferApiException>(() =>
            AccountCredentials.ChangePasswordAsync(stale, keys, mia.SecretKey, TestMember.Password, NewPassword, Organisation, Options));
        CofferApiException secretKey = await Assert.ThrowsAsync<CofferApiException>(() =>
            AccountCredentials.RegenerateSecretKeyAsync(stale, keys, mia.SecretKey, TestMember.Password, Organisation, Options));
        CofferApiException email = await Assert.ThrowsAsync<CofferApiException>(() =>
            AccountCredentials.RequestEmailChangeAsync(stale.Session, "mia.new@example.net"));
        Assert.All(new[] { password, secretKey }, e => Assert.Equal((403, ErrorTypes.ReauthenticationRequired), (e.Status, e.Type)));
        Assert.Equal((403, ErrorTypes.StepUpRequired, "change_email"), (email.Status, email.Type, email.StepUp?.Action));
        Assert.Equal(before, await CredentialRowsAsync(org, mia.MemberId));
        Assert.Empty(Mails(org, AccountMail.PasswordChangedSubject));
        Assert.Empty(Mails(org, AccountMail.ConfirmEmailSubject));
        Assert.Equal(2, (await EventsAsync(org)).Count(e => e.Outcome == AuditOutcomes.Refused && e.Details is not null
            && e.Details.Contains("reauthentication_required", StringComparison.Ordinal)));
        Assert.Single(await EventsAsync(org), e => e.Action == AuditActions.StepUp && e.Outcome == AuditOutcomes.Refused);

        // The client signs in afresh with the keys it holds (no password asked) and submits the same change in that session.
        using SignInResult fresh = await SignIn.SignInAgainAsync(org.Connection, mia.Email, mia.Account.AccountId, mia.DeviceId, Device,
            stale.AccountKeys, stale.Kdf);
        using CredentialChange change = AccountCredentials.PreparePasswordChange(keys, fresh.AccountKeys, fresh.Kdf, mia.SecretKey, TestMember.Password,
            NewPassword, Organisation, Options);
        ChangeCredentialsResponse done = await AccountCredentials.SubmitAsync(fresh.Session, change);
        Assert.Equal(1, done.EndedSessions);
        Assert.True(change.Submitted);
        Assert.NotEqual(before, await CredentialRowsAsync(org, mia.MemberId));
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => stale.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse));
    }

    [Theory, BothEngines]
    public async Task ChangeCredentials_BadInput_IsAStable400_AndNothingIsWritten(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using TestMember mia = await JoinAsync(org, "mia@example.org");
        (SignInResult signIn, UnlockedAccount keys) = await mia.SignInAndUnlockAsync();
        using SignInResult signInScope = signIn;
        using UnlockedAccount keysScope = keys;
        using CredentialChange good = AccountCredentials.PreparePasswordChange(keys, signIn.AccountKeys, signIn.Kdf, mia.SecretKey, TestMember.Password,
            NewPassword, Organisation, Options);
        ChangeCredentialsRequest r = good.Request;
        string ownerKeyset = await RowsAsync(org, "SELECT id FROM keysets WHERE member_id = @id", new { id = TestOrganisation.OwnerId });
        string before = await CredentialRowsAsync(org, mia.MemberId);

        ChangeCredentialsRequest[] bad =
        [
            r with { Kind = "both" },
            r with { Kdf = r.Kdf with { Alg = "pbkdf2-sha1" } },
            r with { Kdf = r.Kdf with { Salt = Base64Url.Encode(new byte[15]) } },
            r with { Kdf = r.Kdf with { Iterations = TestOrganisation.Iterations - 1 } },
            r with { Kdf = r.Kdf with { Iterations = 100_000_001 } },
            r with { Verifier = Base64Url.Encode(new byte[512]) },                            // v = 0
            r with { Verifier = Base64Url.Encode(Enumerable.Repeat((byte)0xff, 512).ToArray()) }, // v ≥ N
            r with { Verifier = Base64Url.Encode(new byte[511]) },
            r with { Verifier = "not base64url!" },
            r with { KeysetId = "not-an-id" },
            r with { KeysetSerial = 0 },
            r with { KeysetSerial = 2 },                                                       // not the current serial
            r with { KeysetId = ownerKeyset },                                                 // someone else's keyset
            r with { SealedSymmetricKey = r.SealedSymmetricKey with { Kid = $"keyset:{r.KeysetId}:s1" } },
            r with { SealedSymmetricKey = r.SealedSymmetricKey with { Data = Base64Url.Encode(new byte[64]) } },
            r with { SealedSymmetricKey = r.SealedSymmetricKey with { Iv = Base64Url.Encode(new byte[11]) } },
        ];
        foreach (ChangeCredentialsRequest request in bad)
        {
            CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => signIn.Session.SendAsync(HttpMethod.Post,
                "/api/v1/account/credentials", request, Json.ChangeCredentialsRequest, Json.ChangeCredentialsResponse));
            Assert.True((e.Status, e.Type) == (400, ErrorTypes.ValidationFailed), $"{request}: {e.Status} {e.Type}");
        }
        Assert.Equal(before, await CredentialRowsAsync(org, mia.MemberId));
        Assert.Empty(Mails(org, AccountMail.PasswordChangedSubject));

        // Iterations never go down: once at 2 000, the client refuses fewer, and so does the server.
        using CredentialChange raised = AccountCredentials.PreparePasswordChange(keys, signIn.AccountKeys, signIn.Kdf, mia.SecretKey, TestMember.Password,
            NewPassword, Organisation, Options with { Iterations = 2000 });
        await AccountCredentials.SubmitAsync(signIn.Session, raised);
        Assert.Throws<ArgumentException>(() => AccountCredentials.PreparePasswordChange(keys, raised.AccountKeys, raised.Kdf, mia.SecretKey, NewPassword,
            TestMember.Password, Organisation, Options with { Iterations = 1500 }));
        string raisedRows = await CredentialRowsAsync(org, mia.MemberId);
        CofferApiException fewer = await Assert.ThrowsAsync<CofferApiException>(() => signIn.Session.SendAsync(HttpMethod.Post,
            "/api/v1/account/credentials", r with { Kdf = r.Kdf with { Iterations = 1500 } }, Json.ChangeCredentialsRequest, Json.ChangeCredentialsResponse));
        Assert.Equal((400, ErrorTypes.ValidationFailed), (fewer.Status, fewer.Type));
        Assert.Equal(raisedRows, await CredentialRowsAsync(org, mia.MemberId));
    }

    [Theory, BothEngines]
    public async Task ChangeEmail_OnlyWithTheTokenMailedToTheNewAddress_ThenOnlyTheNewAddressSignsIn(Engine engine)
    {
        CapturedLogs logs = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, configure: b => b.Logging.AddProvider(logs));
        using TestMember mia = await JoinAsync(org, "mia@example.org");
        (SignInResult signIn, UnlockedAccount keys) = await mia.SignInAndUnlockAsync();
        using SignInResult signInScope = signIn;
        using UnlockedAccount keysScope = keys;
        const string NewEmail = "Mia.New@Example.net";

        EmailChangeResponse asked = await AccountCredentials.RequestEmailChangeAsync(signIn.Session, NewEmail);
        Assert.InRange(asked.ExpiresAt - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), (long)TimeSpan.FromHours(23).TotalMilliseconds,
            (long)TimeSpan.FromHours(24).TotalMilliseconds);
        string confirmation = Assert.Single(Mails(org, AccountMail.ConfirmEmailSubject));
        Assert.Contains($"\r\nTo: {NewEmail}\r\n", confirmation, StringComparison.Ordinal);
        string link = LinkIn(confirmation);

        // Nothing changes before the confirmation: the old address signs in, the new one does not.
        await AssertSignInFailsAsync(org, mia, "mia.new@example.net");
        (await mia.SignInAsync()).Dispose();
        CofferApiException wrong = await Assert.ThrowsAsync<CofferApiException>(() =>
            AccountCredentials.ConfirmEmailChangeAsync(signIn.Session, mia.Account, Base64Url.Encode(new byte[32])));
        Assert.Equal((400, ErrorTypes.EmailConfirmationFailed), (wrong.Status, wrong.Type));

        RememberedAccount updated = await AccountCredentials.ConfirmEmailChangeAsync(signIn.Session, mia.Account, link);

        Assert.Equal(NewEmail, updated.Email);
        Assert.Equal(mia.Account with { Email = NewEmail }, updated);
        await AssertSignInFailsAsync(org, mia, mia.Email);
        using (SignInResult next = await SignIn.SignInAsync(org.Connection, "mia.new@EXAMPLE.net", TestMember.Password, mia.SecretKey, mia.DeviceId,
            Device, TestOrganisation.Policy))
        {
            using UnlockedAccount reopened = await TestOrganisation.UnlockAsync(next, updated);
            Assert.Equal(keys.Keyset.KeysetId, reopened.Keyset.KeysetId);
        }
        CofferApiException reused = await Assert.ThrowsAsync<CofferApiException>(() =>
            AccountCredentials.ConfirmEmailChangeAsync(signIn.Session, updated, link));
        Assert.Equal(ErrorTypes.EmailConfirmationFailed, reused.Type);

        string notice = Assert.Single(Mails(org, AccountMail.EmailChangedSubject));
        Assert.Contains($"\r\nTo: {mia.Email}\r\n", notice, StringComparison.Ordinal);
        Assert.Contains("M*******@Example.net", notice, StringComparison.Ordinal);
        Assert.DoesNotContain(link[(link.IndexOf('#', StringComparison.Ordinal) + 7)..], notice, StringComparison.Ordinal);
        List<AuditEventRow> events = await EventsAsync(org);
        Assert.Single(events, e => e.Action == AuditActions.EmailChangeRequest && e.Outcome == AuditOutcomes.Success);
        Assert.Single(events, e => e.Action == AuditActions.EmailChange && e.Outcome == AuditOutcomes.Success);
        Assert.DoesNotContain(events, e => (e.Details ?? "").Contains("example", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("example.net", StringComparison.OrdinalIgnoreCase)
            || l.Contains(mia.Email, StringComparison.OrdinalIgnoreCase));
    }

    [Theory, BothEngines]
    public async Task ChangeEmail_TakenSupersededThrottledVoidedOrMalformed_StableErrors_AndTheEmailStays(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using TestMember mia = await JoinAsync(org, "mia@example.org");
        (SignInResult signIn, UnlockedAccount keys) = await mia.SignInAndUnlockAsync();
        using SignInResult signInScope = signIn;
        using UnlockedAccount keysScope = keys;
        string before = await RowsAsync(org, "SELECT email || '|' || email_normalized FROM members ORDER BY id", null);

        // Malformed, or no change at all: refused before anything is stored or mailed.
        foreach (string bad in new[] { "not-an-email", "two words@example.org", mia.Email })
        {
            CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => AccountCredentials.RequestEmailChangeAsync(signIn.Session, bad));
            Assert.Equal((400, ErrorTypes.ValidationFailed), (e.Status, e.Type));
        }
        CofferApiException shortToken = await Assert.ThrowsAsync<CofferApiException>(() =>
            AccountCredentials.ConfirmEmailChangeAsync(signIn.Session, mia.Account, "AAAA"));
        Assert.Equal((400, ErrorTypes.ValidationFailed), (shortToken.Status, shortToken.Type));
        CofferApiException nothingPending = await Assert.ThrowsAsync<CofferApiException>(() =>
            AccountCredentials.ConfirmEmailChangeAsync(signIn.Session, mia.Account, Base64Url.Encode(new byte[32])));
        Assert.Equal(ErrorTypes.EmailConfirmationFailed, nothingPending.Type);
        Assert.Empty(Mails(org, AccountMail.ConfirmEmailSubject));

        // A newer request supersedes an older one; asking for a taken address looks like any request (nobody learns who has an account)
        // and fails only at confirmation, for whoever holds the token.
        await AccountCredentials.RequestEmailChangeAsync(signIn.Session, "mia.two@example.net");
        string first = LinkIn(MailTo(org, "mia.two@example.net"));
        await AccountCredentials.RequestEmailChangeAsync(signIn.Session, "OWNER@example.org");
        string taken = LinkIn(MailTo(org, "OWNER@example.org"));
        CofferApiException superseded = await Assert.ThrowsAsync<CofferApiException>(() =>
            AccountCredentials.ConfirmEmailChangeAsync(signIn.Session, mia.Account, first));
        Assert.Equal(ErrorTypes.EmailConfirmationFailed, superseded.Type);
        CofferApiException inUse = await Assert.ThrowsAsync<CofferApiException>(() => AccountCredentials.ConfirmEmailChangeAsync(signIn.Session, mia.Account, taken));
        Assert.Equal((409, ErrorTypes.EmailTaken), (inUse.Status, inUse.Type));

        // Five wrong tokens void the newest request: its right token fails afterwards.
        await AccountCredentials.RequestEmailChangeAsync(signIn.Session, "mia.three@example.net");
        string third = LinkIn(MailTo(org, "mia.three@example.net"));
        for (int i = 0; i < CredentialStore.EmailConfirmAttempts; i++)
        {
            await Assert.ThrowsAsync<CofferApiException>(() => AccountCredentials.ConfirmEmailChangeAsync(signIn.Session, mia.Account,
                Base64Url.Encode(new byte[32])));
        }
        CofferApiException voided = await Assert.ThrowsAsync<CofferApiException>(() => AccountCredentials.ConfirmEmailChangeAsync(signIn.Session, mia.Account, third));
        Assert.Equal(ErrorTypes.EmailConfirmationFailed, voided.Type);

        // Three mails an hour, then 429 with a delay.
        CofferApiException throttled = await Assert.ThrowsAsync<CofferApiException>(() =>
            AccountCredentials.RequestEmailChangeAsync(signIn.Session, "mia.four@example.net"));
        Assert.Equal((429, ErrorTypes.TooManyAttempts), (throttled.Status, throttled.Type));
        Assert.InRange(throttled.RetryAfterSeconds ?? 0, 1, 3600);
        Assert.Equal(3, Mails(org, AccountMail.ConfirmEmailSubject).Length);

        Assert.Equal(before, await RowsAsync(org, "SELECT email || '|' || email_normalized FROM members ORDER BY id", null));
        Assert.Empty(Mails(org, AccountMail.EmailChangedSubject));
        (await mia.SignInAsync()).Dispose();
    }

    private static async Task<TestMember> JoinAsync(TestOrganisation org, string email)
    {
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            return await org.AddMemberAsync(owner, ownerKeys, email);
        }
    }

    /// <summary>A vault and an item written with the keys before the change.</summary>
    private static async Task<(string VaultId, string ItemId)> WriteItemAsync(SignInResult signIn, UnlockedAccount keys)
    {
        using VaultClient vaults = new(signIn.Session, keys);
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Before the change");
        return (vault.Id, (await vaults.CreateItemAsync(vault.Id, Overview, Details)).Id);
    }

    private static async Task AssertSignInFailsAsync(TestOrganisation org, TestMember member, string email)
    {
        CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => SignIn.SignInAsync(org.Connection, email, TestMember.Password,
            member.SecretKey, member.DeviceId, Device, TestOrganisation.Policy));
        Assert.Equal(ErrorTypes.SignInFailed, e.Type);
    }

    /// <summary>The member's salt, iterations, verifier and sealed keyset key: what a credential change replaces.</summary>
    private static async Task<string> CredentialRowsAsync(TestOrganisation org, string memberId)
    {
        await using DbConnection c = await org.Database.Database.OpenAsync(CancellationToken.None);
        (byte[] salt, long iterations, byte[] verifier, string email) = await c.QuerySingleAsync<(byte[], long, byte[], string)>(
            "SELECT kdf_salt, kdf_iterations, srp_verifier, email FROM members WHERE id = @memberId", new { memberId });
        string sealedKey = await c.QuerySingleAsync<string>("SELECT sealed_symmetric_key FROM keysets WHERE member_id = @memberId", new { memberId });
        return $"{Convert.ToHexString(salt)}|{iterations}|{Convert.ToHexString(verifier)}|{email}|{sealedKey}";
    }

    /// <summary>The rows a query returns, one string per row.</summary>
    private static async Task<string> RowsAsync(TestOrganisation org, string sql, object? args)
    {
        await using DbConnection c = await org.Database.Database.OpenAsync(CancellationToken.None);
        return string.Join("\n", await c.QueryAsync<string>(sql, args));
    }

    private static string[] Mails(TestOrganisation org, string subject)
    {
        string outbox = org.Server.Services.GetRequiredService<Mailer>().OutboxDirectory;
        return Directory.Exists(outbox)
            ? [.. Directory.GetFiles(outbox, "*.eml").Select(File.ReadAllText)
                .Where(m => m.Contains($"\r\nSubject: {subject}\r\n", StringComparison.Ordinal))]
            : [];
    }

    private static string MailTo(TestOrganisation org, string address) =>
        Assert.Single(Mails(org, AccountMail.ConfirmEmailSubject), m => m.Contains($"\r\nTo: {address}\r\n", StringComparison.Ordinal));

    /// <summary>The confirmation link in a mail (its fragment carries the token).</summary>
    private static string LinkIn(string mail)
    {
        return mail.Split("\r\n").Single(l => l.Contains("#token=", StringComparison.Ordinal)).Trim();
    }

    private static async Task<List<AuditEventRow>> EventsAsync(TestOrganisation org)
    {
        await org.Server.Services.GetRequiredService<AuditLog>().FlushAsync(CancellationToken.None);
        return await org.Server.Services.GetRequiredService<AuditStore>().EventsAsync(0, 1000, CancellationToken.None);
    }
}
