using System.Security.Cryptography;
using Coffer.Contracts;
using Coffer.Contracts.Accounts;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Generators;
using Coffer.Crypto.Kdf;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Srp;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Sdk.Setup;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Accounts;

/// <summary>
/// Account upkeep (docs/adr/0017): a new account password, a new Secret Key, a new sign-in email.
/// </summary>
/// <remarks>
/// <para>
/// <b>Password and Secret Key</b> (PROTOCOL.md §2). The client checks the current secrets against the keys this sign-in
/// derived (so a mistyped password never becomes the account's), enforces POLICY.md's password rules, derives 2SKD anew with
/// a fresh salt, computes the SRP verifier and seals the unchanged keyset key under the new AUK. The server replaces salt,
/// verifier and seal in one transaction and ends every other session of the member; the keyset, its certificate and
/// everything sealed or wrapped to it stay, so nothing else needs re-signing.
/// </para>
/// <para>
/// The server takes the change only in a session that completed SRP within the last <see cref="ReauthenticationWindow"/>;
/// otherwise it answers <c>reauthentication-required</c> (<see cref="CofferApiException.Type"/>). Sign in afresh first —
/// <c>SignIn.SignInAgainAsync</c> with the keys held in memory needs no password — and use that sign-in. Afterwards, sign in
/// again with the change's <see cref="CredentialChange.AccountKeys"/> and <see cref="CredentialChange.Kdf"/>.
/// </para>
/// <para>
/// Each change can be made in two steps (<see cref="PreparePasswordChange"/> or <see cref="PrepareSecretKeyRegeneration"/>,
/// then <see cref="SubmitAsync"/>) so a new Secret Key is stored before the server switches to it; the one-step methods are
/// for callers that need no such pause.
/// </para>
/// <para>
/// <b>Email</b> (PROTOCOL.md §1): never part of a key, so nothing cryptographic changes. <see cref="RequestEmailChangeAsync"/>
/// makes the server mail a one-time token to the new address; <see cref="ConfirmEmailChangeAsync"/> posts it back, in a
/// session of the same member, and the sign-in email switches.
/// </para>
/// </remarks>
public static class AccountCredentials
{
    /// <summary>How recently the session must have signed in for the server to take a credential or email change (docs/adr/0017).</summary>
    public static readonly TimeSpan ReauthenticationWindow = TimeSpan.FromMinutes(5);

    private static CofferJsonContext Json => CofferJsonContext.Default;

    /// <summary>Changes the account password in one step: <see cref="PreparePasswordChange"/>, then <see cref="SubmitAsync"/>.</summary>
    /// <param name="signIn">A sign-in of this account within the last <see cref="ReauthenticationWindow"/>: its session sends the change, its keys
    /// and KDF parameters check the current password.</param>
    /// <param name="account">The unlocked account (its keyset is re-sealed; its pins learn the new iteration count).</param>
    /// <param name="secretKey">The account's Secret Key (unchanged).</param>
    /// <param name="currentPassword">The current password, as typed.</param>
    /// <param name="newPassword">The new password, as typed.</param>
    /// <param name="organisationName">The organisation's name (a password must not contain it).</param>
    /// <param name="options">Minimum length, KDF policy and iterations; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The submitted change: the caller stores <see cref="CredentialChange.Account"/>, keeps the new keys if it signs in again, and disposes it.</returns>
    /// <exception cref="ArgumentException">The new password breaks a rule (the message says which, never the password), is the current one, or the options are refused.</exception>
    /// <exception cref="UnlockFailedException">The current password or the Secret Key is wrong; nothing was sent.</exception>
    /// <exception cref="CofferApiException">The server refused (<c>reauthentication-required</c>: sign in again; nothing changed).</exception>
    public static async Task<CredentialChange> ChangePasswordAsync(SignInResult signIn, UnlockedAccount account, SecretKey secretKey, string currentPassword,
        string newPassword, string organisationName, CredentialChangeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signIn);
        CredentialChange change = PreparePasswordChange(account, signIn.AccountKeys, signIn.Kdf, secretKey, currentPassword, newPassword, organisationName,
            options);
        return await SubmitOrDisposeAsync(signIn.Session, change, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Replaces the Secret Key in one step: <see cref="PrepareSecretKeyRegeneration"/>, then <see cref="SubmitAsync"/>. If the
    /// answer is lost the new Secret Key exists only in the result that never came; a client that can, stores it between the
    /// two steps instead.
    /// </summary>
    /// <param name="signIn">A sign-in of this account within the last <see cref="ReauthenticationWindow"/>.</param>
    /// <param name="account">The unlocked account.</param>
    /// <param name="currentSecretKey">The Secret Key in use now.</param>
    /// <param name="password">The account password (unchanged), as typed.</param>
    /// <param name="organisationName">The organisation's name, for the Emergency Kit.</param>
    /// <param name="options">KDF policy and iterations; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The submitted change with the new <see cref="CredentialChange.SecretKey"/> and <see cref="CredentialChange.EmergencyKit"/>.</returns>
    /// <exception cref="ArgumentException">The options are refused.</exception>
    /// <exception cref="UnlockFailedException">The password or the current Secret Key is wrong; nothing was sent.</exception>
    /// <exception cref="CofferApiException">The server refused (<c>reauthentication-required</c>: sign in again; nothing changed).</exception>
    public static async Task<CredentialChange> RegenerateSecretKeyAsync(SignInResult signIn, UnlockedAccount account, SecretKey currentSecretKey,
        string password, string organisationName, CredentialChangeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signIn);
        CredentialChange change = PrepareSecretKeyRegeneration(account, signIn.AccountKeys, signIn.Kdf, currentSecretKey, password, organisationName,
            signIn.Session.Connection.ServerUrl, options);
        return await SubmitOrDisposeAsync(signIn.Session, change, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Prepares a new account password on this device; nothing is sent.</summary>
    /// <param name="account">The unlocked account.</param>
    /// <param name="currentKeys">The keys this account's latest sign-in derived (<see cref="SignInResult.AccountKeys"/>).</param>
    /// <param name="currentKdf">The KDF parameters they came from (<see cref="SignInResult.Kdf"/>).</param>
    /// <param name="secretKey">The account's Secret Key (unchanged).</param>
    /// <param name="currentPassword">The current password: checked against <paramref name="currentKeys"/>.</param>
    /// <param name="newPassword">The new password: checked against POLICY.md's rules.</param>
    /// <param name="organisationName">The organisation's name (a password must not contain it).</param>
    /// <param name="options">Minimum length, KDF policy and iterations; null for the defaults.</param>
    /// <exception cref="ArgumentException">The new password breaks a rule (the message says which, never the password), is the current one, or the options are refused.</exception>
    /// <exception cref="UnlockFailedException">The current password or the Secret Key is wrong.</exception>
    public static CredentialChange PreparePasswordChange(UnlockedAccount account, DerivedAccountKeys currentKeys, KdfParameters currentKdf,
        SecretKey secretKey, string currentPassword, string newPassword, string organisationName, CredentialChangeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(currentPassword);
        ArgumentNullException.ThrowIfNull(newPassword);
        ArgumentNullException.ThrowIfNull(organisationName);
        CredentialChangeOptions settings = options ?? new CredentialChangeOptions();
        // The rules first: they cost nothing, the check of the current password costs a 2SKD run.
        PasswordRuleResult rules = PasswordRules.Check(newPassword, settings.MinimumPasswordLength, account.Account.Email, organisationName);
        if (!rules.IsAcceptable)
        {
            throw new ArgumentException(string.Join(" ", rules.Messages), nameof(newPassword));
        }
        if (SamePassword(currentPassword, newPassword))
        {
            throw new ArgumentException("The new password is the current one: choose another.", nameof(newPassword));
        }
        CheckCurrent(account, currentKeys, currentKdf, secretKey, currentPassword, settings);
        return Make(CredentialChangeKinds.Password, account, currentKdf, newPassword, secretKey, settings, newSecretKey: null, kit: null);
    }

    /// <summary>Prepares a new Secret Key (and Emergency Kit) on this device; nothing is sent. Store the new key before submitting.</summary>
    /// <param name="account">The unlocked account.</param>
    /// <param name="currentKeys">The keys this account's latest sign-in derived (<see cref="SignInResult.AccountKeys"/>).</param>
    /// <param name="currentKdf">The KDF parameters they came from (<see cref="SignInResult.Kdf"/>).</param>
    /// <param name="currentSecretKey">The Secret Key in use now: checked, with the password, against <paramref name="currentKeys"/>.</param>
    /// <param name="password">The account password (unchanged).</param>
    /// <param name="organisationName">The organisation's name, for the Emergency Kit.</param>
    /// <param name="signInAddress">The server's address, for the Emergency Kit.</param>
    /// <param name="options">KDF policy and iterations; null for the defaults.</param>
    /// <exception cref="ArgumentException">The options are refused.</exception>
    /// <exception cref="UnlockFailedException">The password or the current Secret Key is wrong.</exception>
    public static CredentialChange PrepareSecretKeyRegeneration(UnlockedAccount account, DerivedAccountKeys currentKeys, KdfParameters currentKdf,
        SecretKey currentSecretKey, string password, string organisationName, Uri signInAddress, CredentialChangeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(organisationName);
        ArgumentNullException.ThrowIfNull(signInAddress);
        CredentialChangeOptions settings = options ?? new CredentialChangeOptions();
        CheckCurrent(account, currentKeys, currentKdf, currentSecretKey, password, settings);
        SecretKey fresh = SecretKey.Generate(account.Account.AccountId);
        try
        {
            EmergencyKit kit = new(organisationName, signInAddress, account.Account.Email, fresh.Format(), account.Account.AccountId,
                account.Account.OrganisationFingerprint);
            return Make(CredentialChangeKinds.SecretKey, account, currentKdf, password, fresh, settings, fresh, kit);
        }
        catch
        {
            fresh.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends a prepared change. On success the server has replaced the credentials and ended the member's other sessions;
    /// <paramref name="session"/> stays valid. Sending the same change again (say, after a lost answer) is harmless.
    /// </summary>
    /// <param name="session">A session of the same member that signed in within the last <see cref="ReauthenticationWindow"/>.</param>
    /// <param name="change">The prepared change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The server's answer (how many sessions ended).</returns>
    /// <exception cref="ArgumentException">The session is another member's.</exception>
    /// <exception cref="CofferApiException">The server refused: <c>reauthentication-required</c> (sign in again and submit again), or
    /// <c>validation-failed</c> (say, the keyset changed meanwhile). Nothing changed.</exception>
    public static async Task<ChangeCredentialsResponse> SubmitAsync(CofferSession session, CredentialChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(change);
        change.ThrowIfDisposed();
        if (!string.Equals(session.MemberId, change.MemberId, StringComparison.Ordinal))
        {
            throw new ArgumentException("The session is another member's.", nameof(session));
        }
        ChangeCredentialsResponse response = await session.SendAsync(HttpMethod.Post, "/api/v1/account/credentials", change.Request,
            Json.ChangeCredentialsRequest, Json.ChangeCredentialsResponse, cancellationToken).ConfigureAwait(false);
        change.MarkSubmitted(response.EndedSessions);
        return response;
    }

    /// <summary>
    /// Asks to make <paramref name="newEmail"/> the sign-in email: the server mails a one-time token to that address (valid 24
    /// hours; a newer request replaces it; at most 3 an hour). Nothing changes until <see cref="ConfirmEmailChangeAsync"/>.
    /// </summary>
    /// <param name="session">A session with a fresh factor (step-up, docs/adr/0024; for a member without one, a recent SRP proof).</param>
    /// <param name="newEmail">The new address.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>When the mailed token expires.</returns>
    /// <exception cref="ArgumentException">The address is empty.</exception>
    /// <exception cref="CofferApiException">The server refused: <c>step-up-required</c> (unless the session's
    /// <see cref="CofferSession.StepUpHandler"/> stepped up), <c>too-many-attempts</c>, or <c>validation-failed</c> (not an address,
    /// or already the sign-in email).</exception>
    public static Task<EmailChangeResponse> RequestEmailChangeAsync(CofferSession session, string newEmail, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentException.ThrowIfNullOrWhiteSpace(newEmail);
        return session.SendAsync(HttpMethod.Post, "/api/v1/account/email", new EmailChangeRequest(newEmail.Trim()), Json.EmailChangeRequest,
            Json.EmailChangeResponse, cancellationToken);
    }

    /// <summary>Confirms an email change with the token from the mail (the code itself, or the whole link).</summary>
    /// <param name="session">A session of the member who asked.</param>
    /// <param name="account">What this device remembers of the account.</param>
    /// <param name="token">The mailed code, or the link that carries it in its fragment.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What the device remembers, with the new sign-in email: store it in place of the old one.</returns>
    /// <exception cref="ArgumentException">The token is empty or the session is another member's.</exception>
    /// <exception cref="CofferApiException">The server refused: <c>email-confirmation-failed</c> (wrong, used or expired token), or
    /// <c>email-taken</c> (the address became another account's). Nothing changed.</exception>
    public static async Task<RememberedAccount> ConfirmEmailChangeAsync(CofferSession session, RememberedAccount account, string token,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(account);
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        if (!string.Equals(session.MemberId, account.MemberId, StringComparison.Ordinal))
        {
            throw new ArgumentException("The session is another member's.", nameof(session));
        }
        EmailConfirmResponse response = await session.SendAsync(HttpMethod.Post, "/api/v1/account/email/confirm", new EmailConfirmRequest(TokenOf(token)),
            Json.EmailConfirmRequest, Json.EmailConfirmResponse, cancellationToken).ConfigureAwait(false);
        return account with { Email = response.Email };
    }

    /// <summary>The token from a pasted code or link (<c>…#token=CODE</c>).</summary>
    internal static string TokenOf(string text)
    {
        string trimmed = text.Trim();
        int at = trimmed.IndexOf("#token=", StringComparison.Ordinal);
        if (at < 0)
        {
            return trimmed;
        }
        string rest = trimmed[(at + "#token=".Length)..];
        int end = rest.IndexOf('&', StringComparison.Ordinal);
        return end < 0 ? rest : rest[..end];
    }

    private static async Task<CredentialChange> SubmitOrDisposeAsync(CofferSession session, CredentialChange change, CancellationToken cancellationToken)
    {
        try
        {
            await SubmitAsync(session, change, cancellationToken).ConfigureAwait(false);
            return change;
        }
        catch
        {
            change.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The current secrets must derive exactly the keys this sign-in derived: otherwise a mistyped password would become the
    /// account's, or a Secret Key change would lock its owner out.
    /// </summary>
    private static void CheckCurrent(UnlockedAccount account, DerivedAccountKeys currentKeys, KdfParameters currentKdf, SecretKey secretKey,
        string currentPassword, CredentialChangeOptions settings)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(currentKeys);
        ArgumentNullException.ThrowIfNull(currentKdf);
        ArgumentNullException.ThrowIfNull(secretKey);
        ArgumentNullException.ThrowIfNull(currentPassword);
        if (!string.Equals(secretKey.AccountId, account.Account.AccountId, StringComparison.Ordinal))
        {
            throw new UnlockFailedException("This Secret Key belongs to another account id: use the Secret Key on this account's Emergency Kit.");
        }
        using DerivedAccountKeys check = TwoSecretKeyDerivation.Derive(currentPassword, secretKey, account.MemberId, currentKdf, settings.Policy);
        bool same = CryptographicOperations.FixedTimeEquals(check.AukBytes, currentKeys.AukBytes)
            & CryptographicOperations.FixedTimeEquals(check.SrpX, currentKeys.SrpX);
        if (!same)
        {
            throw new UnlockFailedException("The current password or Secret Key is wrong; nothing was changed.");
        }
    }

    private static bool SamePassword(string a, string b)
    {
        byte[] x = AccountPassword.Preprocess(a);
        byte[] y = AccountPassword.Preprocess(b);
        try
        {
            return CryptographicOperations.FixedTimeEquals(x, y);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(x);
            CryptographicOperations.ZeroMemory(y);
        }
    }

    /// <summary>New salt, never fewer iterations, 2SKD, verifier, and the keyset key sealed under the new AUK.</summary>
    private static CredentialChange Make(string kind, UnlockedAccount account, KdfParameters currentKdf, string password, SecretKey secretKey,
        CredentialChangeOptions settings, SecretKey? newSecretKey, EmergencyKit? kit)
    {
        KdfPolicy policy = settings.Policy ?? KdfPolicy.Default;
        int floor = Math.Max(Math.Max(currentKdf.Iterations, policy.Floor), Math.Max(account.Account.LastIterations, account.Pins.LastIterations));
        if (settings.Iterations is int asked && asked < floor)
        {
            throw new ArgumentException("Iterations never go down: the count asked for is below what this account uses now or the floor.", nameof(settings));
        }
        KdfParameters kdf = KdfParameters.CreateNew(settings.Iterations ?? floor);
        string? refusal = policy.Check(kdf.Algorithm, kdf.Iterations, null);
        if (refusal is not null)
        {
            throw new ArgumentException("The iteration count is not acceptable: " + refusal, nameof(settings));
        }
        DerivedAccountKeys keys = TwoSecretKeyDerivation.Derive(password, secretKey, account.MemberId, kdf, policy);
        try
        {
            byte[] verifier = SrpVerifier.Compute(SrpParameters.Coffer, keys.SrpX);
            using EnvelopeKey auk = keys.CreateAukKey();
            Envelope sealedKey = account.Keyset.SealSymmetricKeyWithAuk(auk);
            ChangeCredentialsRequest request = new(kind, WireMapper.ToDto(kdf), Base64Url.Encode(verifier), account.Keyset.KeysetId, account.Keyset.Serial,
                WireMapper.ToDto(sealedKey));
            RememberedAccount remembered = account.Account with { LastIterations = Math.Max(account.Account.LastIterations, kdf.Iterations) };
            return new CredentialChange(kind, account.MemberId, request, keys, kdf, remembered, account.Pins, newSecretKey, kit);
        }
        catch
        {
            keys.Dispose();
            throw;
        }
    }
}
