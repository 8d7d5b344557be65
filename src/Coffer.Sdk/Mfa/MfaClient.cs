using System.Security.Cryptography;
using Coffer.Contracts;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Mfa;
using Coffer.Crypto.Kdf;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Srp;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;

namespace Coffer.Sdk.Mfa;

/// <summary>A TOTP factor being enrolled: put <see cref="Uri"/> in an authenticator app, then confirm with its first code.</summary>
/// <param name="FactorId">The factor, inactive until confirmed.</param>
/// <param name="Uri">The <c>otpauth://</c> URI; it holds the secret, so show it only to the member and do not keep it.</param>
public sealed record TotpEnrolment(string FactorId, string Uri);

/// <summary>
/// The signed-in member's second factors (docs/adr/0022): list, enrol TOTP and confirm it, present a factor, remove one,
/// and regenerate backup codes. A session that owes a factor may list, present, and — only while the member has none —
/// enrol and confirm; everything else on it is refused with <c>mfa-required</c>.
/// </summary>
public sealed class MfaClient
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private readonly CofferSession _session;

    /// <summary>A client for the member signed in as <paramref name="session"/>.</summary>
    public MfaClient(CofferSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
    }

    /// <summary>The member's factors, how many backup codes are left, and whether this session still owes a factor.</summary>
    public Task<MfaFactorsResponse> ListAsync(CancellationToken cancellationToken = default) =>
        _session.SendAsync(HttpMethod.Get, "/api/v1/mfa/factors", Json.MfaFactorsResponse, cancellationToken);

    /// <summary>Starts enrolling an authenticator app under <paramref name="name"/>.</summary>
    /// <exception cref="CofferApiException">403 <c>mfa-required</c>: the session owes a factor and the member already has one.</exception>
    public async Task<TotpEnrolment> EnrolTotpAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        TotpEnrolResponse r = await _session.SendAsync(HttpMethod.Post, "/api/v1/mfa/totp", new TotpEnrolRequest(name), Json.TotpEnrolRequest,
            Json.TotpEnrolResponse, cancellationToken).ConfigureAwait(false);
        return new TotpEnrolment(r.FactorId, r.Uri);
    }

    /// <summary>Activates an enrolled TOTP factor with its first code; a session that owed a factor owes nothing afterwards.</summary>
    /// <exception cref="CofferApiException">400 <c>mfa-failed</c>: wrong or used code; 429 <c>too-many-attempts</c>.</exception>
    public Task<MfaAcceptedResponse> ConfirmTotpAsync(string factorId, string code, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(factorId);
        ArgumentException.ThrowIfNullOrEmpty(code);
        return _session.SendAsync(HttpMethod.Post, "/api/v1/mfa/totp/" + Uri.EscapeDataString(factorId) + "/confirm",
            new MfaCodeRequest(MfaKinds.Totp, code), Json.MfaCodeRequest, Json.MfaAcceptedResponse, cancellationToken);
    }

    /// <summary>Presents a factor: a TOTP code (<see cref="MfaKinds.Totp"/>) or a backup code (<see cref="MfaKinds.BackupCode"/>).</summary>
    /// <exception cref="CofferApiException">400 <c>mfa-failed</c>: wrong or used code; 429 <c>too-many-attempts</c>.</exception>
    public Task<MfaAcceptedResponse> VerifyAsync(string kind, string code, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(code);
        return _session.SendAsync(HttpMethod.Post, "/api/v1/mfa/verify", new MfaCodeRequest(kind, code), Json.MfaCodeRequest,
            Json.MfaAcceptedResponse, cancellationToken);
    }

    /// <summary>
    /// Steps the session up (docs/adr/0024): asks <paramref name="handler"/> for a code of one of <paramref name="methods"/> and
    /// presents it, so the session's factor is fresh for the step-up window. A refused code is asked for again, up to
    /// <paramref name="attempts"/> times. A session may do this whenever it owes nothing; each TOTP step still counts once.
    /// </summary>
    /// <exception cref="CofferApiException">The last code was refused (<c>mfa-failed</c>), or <c>too-many-attempts</c>.</exception>
    public async Task<MfaAcceptedResponse> StepUpAsync(IMfaHandler handler, IReadOnlyList<string> methods, int attempts = 3,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1);
        for (int attempt = 1; ; attempt++)
        {
            MfaCode code = await handler.GetCodeAsync(methods, cancellationToken).ConfigureAwait(false);
            try
            {
                return await PresentAsync(handler, code, cancellationToken).ConfigureAwait(false);
            }
            catch (CofferApiException e) when (e.Type == ErrorTypes.MfaFailed && attempt < attempts)
            {
            }
        }
    }

    /// <summary>
    /// Steps the session up for a member without a second factor (docs/adr/0024): proves the password and Secret Key again by
    /// SRP-6a with the account keys the client already derived (<paramref name="keys"/>, from <paramref name="kdf"/>), inside
    /// this session; nothing is asked of the person. The server must prove it holds the verifier too.
    /// </summary>
    /// <returns>The session's new step-up time.</returns>
    /// <exception cref="CofferApiException">A wrong proof (<c>sign-in-failed</c>), <c>too-many-attempts</c>, or <c>member-state</c>
    /// when the member has a factor (present it with <see cref="StepUpAsync"/>).</exception>
    /// <exception cref="CofferProtocolException">The account's key derivation changed, or the server's proof is wrong.</exception>
    public async Task<DateTimeOffset> StepUpWithSrpAsync(DerivedAccountKeys keys, KdfParameters kdf, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(kdf);
        using SrpClient srp = new(SrpParameters.Coffer, _session.MemberId, kdf.Salt, keys.SrpX);
        StepUpStartResponse start = await _session.SendAsync(HttpMethod.Post, "/api/v1/auth/step-up/start",
            new StepUpStartRequest(Base64Url.Encode(srp.PublicKey)), Json.StepUpStartRequest, Json.StepUpStartResponse, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(start.Kdf.Alg, kdf.Algorithm, StringComparison.Ordinal) || start.Kdf.Iterations != kdf.Iterations
            || !Base64Url.TryDecode(start.Kdf.Salt, out byte[]? salt) || !CryptographicOperations.FixedTimeEquals(salt, kdf.Salt))
        {
            throw new CofferProtocolException("The account's key derivation changed since this device unlocked; sign in with the password.");
        }
        if (!Base64Url.TryDecode(start.B, out byte[]? b))
        {
            throw new CofferProtocolException("The server sent a malformed SRP value B.");
        }
        byte[] m1 = srp.ComputeProof(b) ?? throw new CofferProtocolException("The server sent an SRP value B that is not allowed; refusing to continue.");
        StepUpFinishResponse finish = await _session.SendAsync(HttpMethod.Post, "/api/v1/auth/step-up/finish",
            new StepUpFinishRequest(start.AuthId, Base64Url.Encode(m1)), Json.StepUpFinishRequest, Json.StepUpFinishResponse, cancellationToken)
            .ConfigureAwait(false);
        if (!Base64Url.TryDecode(finish.M2, out byte[]? m2) || !srp.VerifyServerProof(m2))
        {
            throw new CofferProtocolException("The server could not prove it knows this account's verifier.");
        }
        return DateTimeOffset.FromUnixTimeMilliseconds(finish.SteppedUpAt);
    }

    /// <summary>
    /// Presents what <paramref name="handler"/> chose: a code through <see cref="VerifyAsync"/>, or, for
    /// <see cref="MfaCode.SecurityKey"/>, a whole assertion ceremony whose assertion the handler provides.
    /// </summary>
    internal async Task<MfaAcceptedResponse> PresentAsync(IMfaHandler handler, MfaCode code, CancellationToken cancellationToken)
    {
        if (code.Kind != MfaKinds.SecurityKey)
        {
            return await VerifyAsync(code.Kind, code.Code, cancellationToken).ConfigureAwait(false);
        }
        SecurityKeyAssertionOptionsResponse options = await BeginSecurityKeyAssertionAsync(cancellationToken).ConfigureAwait(false);
        WebAuthnAssertionCredentialDto assertion = await handler.GetSecurityKeyAssertionAsync(options.PublicKey, cancellationToken).ConfigureAwait(false);
        return await FinishSecurityKeyAssertionAsync(options.CeremonyId, assertion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts registering a security key under <paramref name="name"/> (docs/adr/0026): hand the answer's options to
    /// <c>navigator.credentials.create</c>, then finish with <see cref="FinishSecurityKeyRegistrationAsync"/> within 5 minutes.
    /// While a sign-in still owes a factor this works only for the member's first one; past the first it needs a fresh factor
    /// (step-up <c>mfa_factor_add</c>).
    /// </summary>
    /// <exception cref="CofferApiException">403 <c>forbidden</c> when the policy does not allow security keys or the server cannot
    /// offer them (it has no host name); 403 <c>mfa-required</c> or <c>step-up-required</c> as for TOTP enrolment.</exception>
    public Task<SecurityKeyRegistrationOptionsResponse> BeginSecurityKeyRegistrationAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return _session.SendAsync(HttpMethod.Post, "/api/v1/mfa/security-keys/registrations", new SecurityKeyRegistrationRequest(name),
            Json.SecurityKeyRegistrationRequest, Json.SecurityKeyRegistrationOptionsResponse, cancellationToken);
    }

    /// <summary>
    /// Finishes a registration with what the authenticator created: the key becomes an active factor and, like confirming TOTP,
    /// the session owes nothing afterwards. The ceremony is spent whatever the outcome.
    /// </summary>
    /// <exception cref="CofferApiException">400 <c>mfa-failed</c>: the response did not verify (the reason is only in the server's
    /// log); 429 <c>too-many-attempts</c>.</exception>
    public Task<MfaAcceptedResponse> FinishSecurityKeyRegistrationAsync(string ceremonyId, WebAuthnRegistrationCredentialDto credential,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(ceremonyId);
        ArgumentNullException.ThrowIfNull(credential);
        return _session.SendAsync(HttpMethod.Post, "/api/v1/mfa/security-keys/registrations/" + Uri.EscapeDataString(ceremonyId), credential,
            Json.WebAuthnRegistrationCredentialDto, Json.MfaAcceptedResponse, cancellationToken);
    }

    /// <summary>
    /// Starts presenting a security key: hand the answer's options to <c>navigator.credentials.get</c>, then finish with
    /// <see cref="FinishSecurityKeyAssertionAsync"/> within 5 minutes.
    /// </summary>
    /// <exception cref="CofferApiException">404 when the member has no security key; 403 <c>forbidden</c> when the policy does not
    /// allow them or the server cannot offer them.</exception>
    public Task<SecurityKeyAssertionOptionsResponse> BeginSecurityKeyAssertionAsync(CancellationToken cancellationToken = default) =>
        _session.SendAsync(HttpMethod.Post, "/api/v1/mfa/security-keys/assertions", Json.SecurityKeyAssertionOptionsResponse, cancellationToken);

    /// <summary>
    /// Finishes an assertion: like a TOTP code at <see cref="VerifyAsync"/>, it satisfies a pending sign-in or, in a session that
    /// owes nothing, steps it up (docs/adr/0024). The ceremony is spent whatever the outcome.
    /// </summary>
    /// <exception cref="CofferApiException">400 <c>mfa-failed</c>: refused (the reason is only in the server's log); 429
    /// <c>too-many-attempts</c>.</exception>
    public Task<MfaAcceptedResponse> FinishSecurityKeyAssertionAsync(string ceremonyId, WebAuthnAssertionCredentialDto credential,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(ceremonyId);
        ArgumentNullException.ThrowIfNull(credential);
        return _session.SendAsync(HttpMethod.Post, "/api/v1/mfa/security-keys/assertions/" + Uri.EscapeDataString(ceremonyId), credential,
            Json.WebAuthnAssertionCredentialDto, Json.MfaAcceptedResponse, cancellationToken);
    }

    /// <summary>Removes a factor; every device remembered for a factor must present one again.</summary>
    /// <exception cref="CofferApiException">404 for a factor that is not the member's; 409 <c>member-state</c> for the only factor while one is required.</exception>
    public Task RemoveAsync(string factorId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(factorId);
        return _session.SendAsync(HttpMethod.Delete, "/api/v1/mfa/factors/" + Uri.EscapeDataString(factorId), cancellationToken);
    }

    /// <summary>Ten new single-use backup codes; the old ones stop working. Show them once.</summary>
    public async Task<IReadOnlyList<string>> RegenerateBackupCodesAsync(CancellationToken cancellationToken = default) =>
        (await _session.SendAsync(HttpMethod.Post, "/api/v1/mfa/backup-codes", Json.BackupCodesResponse, cancellationToken).ConfigureAwait(false)).Codes;
}
