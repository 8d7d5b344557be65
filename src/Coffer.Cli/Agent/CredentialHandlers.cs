using System.Text.Json;
using Coffer.Cli.State;
using Coffer.Contracts.Accounts;
using Coffer.Contracts.Errors;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Generators;
using Coffer.Crypto.Kdf;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Policies;
using Coffer.Sdk.Setup;

namespace Coffer.Cli.Agent;

/// <summary>
/// Account upkeep in the agent (docs/adr/0017): a new password, a new Secret Key, a new sign-in email. The server takes a
/// change only from a session that completed SRP within five minutes, so each first signs in again with the keys the agent
/// holds (no password prompt, no 2SKD run). A new Secret Key is written to disk — beside the current one — and its
/// Emergency Kit written before the change is submitted; once the server has taken it, the agent signs in with the new
/// credentials (proving they work), holds the new 2SKD output, and the device's record and Secret Key file are replaced.
/// </summary>
internal sealed class CredentialHandlers(AgentState state, AccountStore store)
{
    private static readonly AgentJsonContext Json = AgentJsonContext.Default;

    public Task<JsonElement> HandleAsync(AccountRequest request, CancellationToken cancellationToken)
    {
        UnlockedSession session = state.Get(request.Account);
        return session.ExclusiveAsync(async () => request switch
        {
            ChangePasswordRequest r => Result(await ChangePasswordAsync(session, r, cancellationToken).ConfigureAwait(false), Json.CredentialResult),
            RegenerateSecretKeyRequest r => Result(await RegenerateSecretKeyAsync(session, r, cancellationToken).ConfigureAwait(false), Json.CredentialResult),
            ChangeEmailRequest r => Result(await ChangeEmailAsync(session, r, cancellationToken).ConfigureAwait(false), Json.EmailChangeResult),
            ConfirmEmailRequest r => Result(await ConfirmEmailAsync(session, r, cancellationToken).ConfigureAwait(false), Json.CredentialResult),
            _ => throw new ArgumentOutOfRangeException(nameof(request)),
        }, cancellationToken);
    }

    private async Task<CredentialResult> ChangePasswordAsync(UnlockedSession session, ChangePasswordRequest r, CancellationToken cancellationToken)
    {
        StoredAccount account = session.Account;
        using SecretKey secretKey = store.ReadSecretKey(account.MemberId);
        SignInResult fresh = await session.SignInAgainAsync(cancellationToken).ConfigureAwait(false);
        CredentialChangeOptions options = await PasswordOptionsAsync(session, cancellationToken).ConfigureAwait(false);
        CredentialChange change = Prepare(() => AccountCredentials.PreparePasswordChange(session.Keys, fresh.AccountKeys, fresh.Kdf, secretKey,
            r.CurrentPassword, r.NewPassword, OrganisationName(account), options));
        using (change)
        {
            await SubmitAsync(fresh, change, cancellationToken).ConfigureAwait(false);
            await AdoptAsync(session, change, cancellationToken).ConfigureAwait(false);
            string kit = WriteKit(r.KitPath, "password", new EmergencyKit(OrganisationName(account), new Uri(account.ServerUrl), account.Email,
                secretKey.Format(), account.AccountId, Fingerprint.Parse(account.OrganisationFingerprint)), session.Account);
            return new CredentialResult(account.Shorthand, change.Kind, account.Email, change.EndedSessions ?? 0, kit);
        }
    }

    private async Task<CredentialResult> RegenerateSecretKeyAsync(UnlockedSession session, RegenerateSecretKeyRequest r, CancellationToken cancellationToken)
    {
        StoredAccount account = session.Account;
        using SecretKey current = store.ReadSecretKey(account.MemberId);
        SignInResult fresh = await session.SignInAgainAsync(cancellationToken).ConfigureAwait(false);
        CredentialChange change = Prepare(() => AccountCredentials.PrepareSecretKeyRegeneration(session.Keys, fresh.AccountKeys, fresh.Kdf, current,
            r.Password, OrganisationName(account), new Uri(account.ServerUrl), Options()));
        using (change)
        {
            // Both on disk before the server may switch: if its answer is lost, the new key exists nowhere else.
            store.WritePendingSecretKey(account.MemberId, change.SecretKey!);
            string kit = WriteKit(r.KitPath, "secret-key", change.EmergencyKit!, account);
            try
            {
                await SubmitAsync(fresh, change, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CofferApiException or CliException)
            {
                // Refused: nothing changed on the server; the new key and its kit never counted.
                store.DropPendingSecretKey(account.MemberId);
                File.Delete(kit);
                throw;
            }
            store.PromotePendingSecretKey(account.MemberId);
            await AdoptAsync(session, change, cancellationToken).ConfigureAwait(false);
            return new CredentialResult(account.Shorthand, change.Kind, account.Email, change.EndedSessions ?? 0, kit, store.Home.SecretKeyFile(account.MemberId));
        }
    }

    private static async Task<EmailChangeResult> ChangeEmailAsync(UnlockedSession session, ChangeEmailRequest r, CancellationToken cancellationToken)
    {
        SignInResult fresh = await session.SignInAgainAsync(cancellationToken).ConfigureAwait(false);
        EmailChangeResponse answer = await AccountCredentials.RequestEmailChangeAsync(fresh.Session, r.NewEmail, cancellationToken).ConfigureAwait(false);
        return new EmailChangeResult(session.Account.Shorthand, r.NewEmail.Trim(), answer.ExpiresAt);
    }

    private async Task<CredentialResult> ConfirmEmailAsync(UnlockedSession session, ConfirmEmailRequest r, CancellationToken cancellationToken)
    {
        StoredAccount account = session.Account;
        RememberedAccount confirmed;
        try
        {
            confirmed = await session.RunAsync(s => AccountCredentials.ConfirmEmailChangeAsync(s, account.ToRemembered(), r.Token, cancellationToken), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (CofferApiException e) when (e.Type == ErrorTypes.EmailConfirmationFailed)
        {
            throw new CliException(ExitCodes.Usage, "That confirmation code is wrong, used or expired: ask for a new one with `coffer account change-email`.", e.Problem);
        }
        StoredAccount updated = account with { Email = confirmed.Email };
        session.Account = updated;
        await store.SaveAsync(updated, cancellationToken).ConfigureAwait(false);
        using SecretKey secretKey = store.ReadSecretKey(account.MemberId);
        string kit = WriteKit(r.KitPath, "email", new EmergencyKit(OrganisationName(updated), new Uri(updated.ServerUrl), updated.Email, secretKey.Format(),
            updated.AccountId, Fingerprint.Parse(updated.OrganisationFingerprint)), updated);
        return new CredentialResult(updated.Shorthand, "email", updated.Email, 0, kit);
    }

    /// <summary>The prepare step's refusals as the person should read them.</summary>
    private static CredentialChange Prepare(Func<CredentialChange> prepare)
    {
        try
        {
            return prepare();
        }
        catch (UnlockFailedException e)
        {
            throw new CliException(ExitCodes.AuthFailed, e.Message);
        }
        catch (ArgumentException e)
        {
            throw new CliException(ExitCodes.Usage, e.Message);
        }
    }

    private static async Task SubmitAsync(SignInResult fresh, CredentialChange change, CancellationToken cancellationToken)
    {
        try
        {
            _ = await AccountCredentials.SubmitAsync(fresh.Session, change, cancellationToken).ConfigureAwait(false);
        }
        catch (CofferApiException e) when (e.Type == ErrorTypes.ReauthenticationRequired)
        {
            throw new CliException(ExitCodes.AuthFailed, "The server asks for a fresh sign-in for this change; run the command again.", e.Problem);
        }
    }

    /// <summary>
    /// The server took the change and ended every other session: sign in with the new credentials (which proves them) and hold
    /// that sign-in, so the agent's later renewals use the new 2SKD output; the device remembers the iteration count.
    /// </summary>
    private async Task AdoptAsync(UnlockedSession session, CredentialChange change, CancellationToken cancellationToken)
    {
        StoredAccount account = session.Account;
        SignInResult next = await SignIn.SignInAgainAsync(session.Connection, account.Email, account.AccountId, account.DeviceId, UnlockedSession.DeviceInfo,
            change.AccountKeys, change.Kdf, cancellationToken).ConfigureAwait(false);
        SignInResult previous = session.CurrentSignIn;
        session.ReplaceSignIn(next);
        await UnlockedSession.EndQuietlyAsync(previous.Session).ConfigureAwait(false);
        StoredAccount updated = account with { LastIterations = Math.Max(account.LastIterations, change.Kdf.Iterations) };
        session.Account = updated;
        await store.SaveAsync(updated, cancellationToken).ConfigureAwait(false);
        await AccountUpkeep.TrySavePinsAsync(session, store, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a new Emergency Kit (0600, never over an existing file) and returns its path.</summary>
    private string WriteKit(string? path, string why, EmergencyKit kit, StoredAccount account)
    {
        string target = path ?? Path.Combine(store.Home.KitsDirectory,
            $"coffer-emergency-kit-{account.Shorthand}-{AgentHandlers.Slug(account.Email)}-{why}-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}.txt");
        string? directory = Path.GetDirectoryName(target);
        if (directory is not null && target.StartsWith(store.Home.Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            store.Home.EnsureDirectory(directory);
        }
        SecureFiles.CreateNew(target, kit.ToText());
        return target;
    }

    private static string OrganisationName(StoredAccount account) => account.OrganisationName ?? new Uri(account.ServerUrl).Host;

    private static CredentialChangeOptions Options() => new() { Policy = KdfPolicy.Default };

    /// <summary>
    /// A new password is checked against the organisation's minimum length (the policy's <c>minPasswordLength</c>, at least
    /// 14); the server never sees the password, so only the client can hold it to the policy.
    /// </summary>
    private static async Task<CredentialChangeOptions> PasswordOptionsAsync(UnlockedSession session, CancellationToken cancellationToken)
    {
        OrganisationPolicy policy = await session.RunAsync(s => new PolicyClient(s, session.Keys).GetAsync(cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        return Options() with { MinimumPasswordLength = Math.Max(PasswordRules.DefaultMinimumLength, policy.Settings.MinPasswordLength) };
    }

    private static JsonElement Result<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) => JsonSerializer.SerializeToElement(value, type);
}
