using Coffer.Contracts;
using Coffer.Contracts.Mfa;
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
