using System.Security.Cryptography;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Mfa;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Kdf;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Sessions;
using Coffer.Protocol.Srp;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Sdk.Mfa;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Auth;

/// <summary>What a successful sign-in gives: the session, the account keys 2SKD derived, and whether a factor is owed.</summary>
public sealed class SignInResult : IDisposable
{
    internal SignInResult(CofferSession session, DerivedAccountKeys keys, KdfParameters kdf, MfaRequirementDto mfa)
    {
        Session = session;
        AccountKeys = keys;
        Kdf = kdf;
        Mfa = mfa;
    }

    /// <summary>The new session (the caller owns it).</summary>
    public CofferSession Session { get; }

    /// <summary>AUK and SRP x from 2SKD; the AUK opens the keyset. Disposed with this result.</summary>
    public DerivedAccountKeys AccountKeys { get; }

    /// <summary>The KDF parameters used (the iteration count goes into the pins).</summary>
    public KdfParameters Kdf { get; }

    /// <summary>Whether a second factor is owed before anything else (cleared once <see cref="SignIn.SatisfyMfaAsync"/> presented one).</summary>
    public MfaRequirementDto Mfa { get; private set; }

    internal void MfaSatisfied() => Mfa = new MfaRequirementDto(false, []);

    /// <summary>Zeroes the derived keys (the session stays the caller's).</summary>
    public void Dispose() => AccountKeys.Dispose();
}

/// <summary>
/// Traditional sign-in (PROTOCOL.md §2, §3): <c>auth/start</c> for the member id and KDF
/// parameters, which the client checks against its floor and its pins; one 2SKD run; SRP-6a
/// <c>exchange</c> and <c>verify</c>; the server's proof M2 is checked before the session is used.
/// </summary>
public static class SignIn
{
    /// <summary>Signs in with email, account password and Secret Key.</summary>
    /// <param name="connection">The server.</param>
    /// <param name="email">The sign-in email.</param>
    /// <param name="password">The account password (preprocessed by 2SKD).</param>
    /// <param name="secretKey">The Secret Key.</param>
    /// <param name="deviceId">This device's id.</param>
    /// <param name="device">What the device says of itself.</param>
    /// <param name="policy">The KDF policy (null = production floor).</param>
    /// <param name="lastIterations">The iteration count this device last used for the account, from its pins.</param>
    /// <param name="cancellationToken">Cancels the sign-in.</param>
    /// <exception cref="CofferApiException">The server refused (type <c>sign-in-failed</c>, <c>too-many-attempts</c>, …).</exception>
    /// <exception cref="CofferProtocolException">The server broke the protocol: KDF parameters below the floor, a bad B or M2.</exception>
    /// <remarks>
    /// A device id that was deauthorised still signs in, on purpose: the session it gets answers its first request with
    /// the sealed remote wipe (<see cref="CofferDeviceWipedException"/>, ADR 0012), which is how a device that was offline
    /// while its sessions expired still learns it must wipe. To use such a device again, sign in under a new device id.
    /// </remarks>
    public static async Task<SignInResult> SignInAsync(CofferConnection connection, string email, string password, SecretKey secretKey,
        string deviceId, DeviceInfoDto device, KdfPolicy? policy = null, int? lastIterations = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(secretKey);
        Contracts.CofferJsonContext json = Contracts.CofferJsonContext.Default;
        AuthStartResponse start = await connection.PostAsync("/api/v1/auth/start",
            new AuthStartRequest(email, secretKey.AccountId, deviceId, device), json.AuthStartRequest, json.AuthStartResponse,
            cancellationToken).ConfigureAwait(false);

        // One 2SKD run; the floor and this device's last count are checked before any work.
        DerivedAccountKeys keys = AccountKeyDerivation.Derive(password, secretKey, start.MemberId, start.Kdf, policy, lastIterations);
        return await CompleteAsync(connection, start, deviceId, keys, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Signs in like <see cref="SignInAsync(CofferConnection, string, string, SecretKey, string, DeviceInfoDto, KdfPolicy?, int?, CancellationToken)"/>
    /// and, when the organisation requires a second factor of this sign-in, presents one through <paramref name="mfa"/>
    /// (<see cref="SatisfyMfaAsync"/>): the session returned owes nothing.
    /// </summary>
    /// <exception cref="CofferApiException">The server refused the sign-in or the factor (<c>mfa-failed</c>, <c>too-many-attempts</c>).</exception>
    public static async Task<SignInResult> SignInAsync(CofferConnection connection, string email, string password, SecretKey secretKey,
        string deviceId, DeviceInfoDto device, IMfaHandler mfa, KdfPolicy? policy = null, int? lastIterations = null,
        CancellationToken cancellationToken = default)
    {
        SignInResult result = await SignInAsync(connection, email, password, secretKey, deviceId, device, policy, lastIterations, cancellationToken)
            .ConfigureAwait(false);
        return await WithMfaAsync(result, mfa, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="SignInAgainAsync(CofferConnection, string, string, string, DeviceInfoDto, DerivedAccountKeys, KdfParameters, CancellationToken)"/>,
    /// then a factor through <paramref name="mfa"/> when one is owed (on a device remembered for a factor none is).
    /// </summary>
    public static async Task<SignInResult> SignInAgainAsync(CofferConnection connection, string email, string accountId, string deviceId,
        DeviceInfoDto device, DerivedAccountKeys keys, KdfParameters kdf, IMfaHandler mfa, CancellationToken cancellationToken = default)
    {
        SignInResult result = await SignInAgainAsync(connection, email, accountId, deviceId, device, keys, kdf, cancellationToken).ConfigureAwait(false);
        return await WithMfaAsync(result, mfa, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Presents the factor a sign-in owes (docs/adr/0022): when the member has none yet, enrols TOTP (the handler shows the
    /// URI and returns the app's first code) and confirms it; else asks the handler for a code of an allowed kind. A wrong
    /// code is asked for again, up to <paramref name="attempts"/> times. Nothing happens when nothing is owed.
    /// </summary>
    /// <returns>What the server accepted, or null when nothing was owed.</returns>
    /// <exception cref="CofferApiException">The last code was refused (<c>mfa-failed</c>), or <c>too-many-attempts</c>.</exception>
    public static async Task<MfaAcceptedResponse?> SatisfyMfaAsync(SignInResult result, IMfaHandler handler, int attempts = 3,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1);
        if (!result.Mfa.Required)
        {
            return null;
        }
        MfaClient client = new(result.Session);
        TotpEnrolment? enrolment = result.Mfa.EnrolmentRequired
            ? await client.EnrolTotpAsync(handler is TotpAuthenticator software ? software.FactorName : "Authenticator app", cancellationToken).ConfigureAwait(false)
            : null;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                MfaAcceptedResponse accepted;
                if (enrolment is not null)
                {
                    string code = attempt == 1
                        ? await handler.EnrolAsync(enrolment, cancellationToken).ConfigureAwait(false)
                        : (await handler.GetCodeAsync([MfaKinds.Totp], cancellationToken).ConfigureAwait(false)).Code;
                    accepted = await client.ConfirmTotpAsync(enrolment.FactorId, code, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    MfaCode code = await handler.GetCodeAsync(result.Mfa.Methods, cancellationToken).ConfigureAwait(false);
                    accepted = await client.PresentAsync(handler, code, cancellationToken).ConfigureAwait(false);
                }
                result.MfaSatisfied();
                return accepted;
            }
            catch (CofferApiException e) when (e.Type == ErrorTypes.MfaFailed && attempt < attempts)
            {
            }
        }
    }

    private static async Task<SignInResult> WithMfaAsync(SignInResult result, IMfaHandler mfa, CancellationToken cancellationToken)
    {
        try
        {
            await SatisfyMfaAsync(result, mfa, cancellationToken: cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Signs in again with the keys an earlier sign-in derived (kept in memory while the account is unlocked, e.g. by
    /// the agent when its session expires), without another 2SKD run. The server's KDF parameters must be exactly the
    /// ones those keys came from; if the account's password, Secret Key or parameters changed, sign in with the password.
    /// </summary>
    /// <param name="connection">The server.</param>
    /// <param name="email">The sign-in email.</param>
    /// <param name="accountId">The account id (from the Secret Key).</param>
    /// <param name="deviceId">This device's id.</param>
    /// <param name="device">What the device says of itself.</param>
    /// <param name="keys">The derived keys; copied, so the caller keeps and disposes its own.</param>
    /// <param name="kdf">The KDF parameters the keys were derived with.</param>
    /// <param name="cancellationToken">Cancels the sign-in.</param>
    /// <exception cref="CofferProtocolException">The server's KDF parameters differ, or it broke the protocol.</exception>
    /// <exception cref="CofferApiException">The server refused.</exception>
    public static async Task<SignInResult> SignInAgainAsync(CofferConnection connection, string email, string accountId, string deviceId,
        DeviceInfoDto device, DerivedAccountKeys keys, KdfParameters kdf, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(kdf);
        Contracts.CofferJsonContext json = Contracts.CofferJsonContext.Default;
        AuthStartResponse start = await connection.PostAsync("/api/v1/auth/start",
            new AuthStartRequest(email, accountId, deviceId, device), json.AuthStartRequest, json.AuthStartResponse,
            cancellationToken).ConfigureAwait(false);
        KdfParameters offered = WireMapper.ToKdfParameters(start.Kdf);
        if (!string.Equals(offered.Algorithm, kdf.Algorithm, StringComparison.Ordinal) || offered.Iterations != kdf.Iterations
            || !CryptographicOperations.FixedTimeEquals(offered.Salt, kdf.Salt))
        {
            throw new CofferProtocolException("The account's key derivation changed since this device unlocked; sign in with the password.");
        }
        return await CompleteAsync(connection, start, deviceId, keys.Copy(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>SRP-6a exchange and verify with derived keys the result takes over (disposed on failure).</summary>
    private static async Task<SignInResult> CompleteAsync(CofferConnection connection, AuthStartResponse start, string deviceId, DerivedAccountKeys keys,
        CancellationToken cancellationToken)
    {
        Contracts.CofferJsonContext json = Contracts.CofferJsonContext.Default;
        KdfParameters kdf = WireMapper.ToKdfParameters(start.Kdf);
        try
        {
            using SrpClient srp = new(SrpParameters.Coffer, start.MemberId, kdf.Salt, keys.SrpX);
            AuthExchangeResponse exchange = await connection.PostAsync("/api/v1/auth/exchange",
                new AuthExchangeRequest(start.AuthId, Base64Url.Encode(srp.PublicKey)), json.AuthExchangeRequest,
                json.AuthExchangeResponse, cancellationToken).ConfigureAwait(false);
            if (!Base64Url.TryDecode(exchange.B, out byte[]? b))
            {
                throw new CofferProtocolException("The server sent a malformed SRP value B.");
            }
            byte[] m1 = srp.ComputeProof(b) ?? throw new CofferProtocolException("The server sent an SRP value B that is not allowed; refusing to continue.");
            AuthVerifyResponse verify = await connection.PostAsync("/api/v1/auth/verify",
                new AuthVerifyRequest(start.AuthId, Base64Url.Encode(m1)), json.AuthVerifyRequest, json.AuthVerifyResponse,
                cancellationToken).ConfigureAwait(false);
            if (!Base64Url.TryDecode(verify.M2, out byte[]? m2) || !srp.VerifyServerProof(m2))
            {
                throw new CofferProtocolException("The server could not prove it knows this account's verifier; the session is not used.");
            }
            byte[] k = srp.ExportSessionKey();
            try
            {
                SessionKeys sessionKeys = SessionKeys.Derive(k, verify.SessionId);
                return new SignInResult(new CofferSession(connection, sessionKeys, start.MemberId, deviceId), keys, kdf, verify.Mfa);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(k);
            }
        }
        catch
        {
            keys.Dispose();
            throw;
        }
    }
}
