using System.Security.Cryptography;
using Coffer.Contracts.Mfa;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.WebAuthn;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Policies;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.StepUp;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Mfa;

/// <remarks>
/// Security keys (WebAuthn Level 2; docs/adr/0026), two calls per ceremony on the member's own session. Registering follows
/// TOTP enrolment's rules (a session owing a factor may register only the member's first one; past the first, step-up
/// <c>mfa_factor_add</c>) and, like confirming TOTP, satisfies the session. An assertion is a factor presented exactly like a
/// TOTP code at <c>/mfa/verify</c>: throttled, counted and logged the same way (<see cref="ThrottledAsync"/>,
/// <see cref="FailedAsync"/>, <see cref="AcceptedAsync"/>), satisfying a pending sign-in or moving the step-up time.
/// Why a response was refused (<see cref="WebAuthnFailure"/>) goes to the server's log and the event; the client hears
/// <c>mfa-failed</c>.
/// </remarks>
internal static partial class MfaEndpoints
{
    private const int CeremonyTimeoutMs = 300_000;   // the ceremony's 5 minutes: the browser may wait as long as the challenge lives
    private const int UserHandleBytes = 32;
    private const string PublicKeyType = "public-key";

    private static readonly WebAuthnCredentialParameterDto[] Algorithms =
    [
        new(PublicKeyType, (int)CoseAlgorithm.ES256),
        new(PublicKeyType, (int)CoseAlgorithm.RS256),
    ];

    private static RouteGroupBuilder MapSecurityKeyEndpoints(this RouteGroupBuilder group)
    {
        group.MapPost("/security-keys/registrations", BeginSecurityKeyRegistration).WithName("Mfa_BeginSecurityKeyRegistration")
            .RequireCofferSession().AllowWhileMfaPending();
        group.MapPost("/security-keys/registrations/{ceremonyId}", FinishSecurityKeyRegistration).WithName("Mfa_FinishSecurityKeyRegistration")
            .RequireCofferSession().AllowWhileMfaPending();
        group.MapPost("/security-keys/assertions", BeginSecurityKeyAssertion).WithName("Mfa_BeginSecurityKeyAssertion")
            .RequireCofferSession().AllowWhileMfaPending();
        group.MapPost("/security-keys/assertions/{ceremonyId}", FinishSecurityKeyAssertion).WithName("Mfa_FinishSecurityKeyAssertion")
            .RequireCofferSession().AllowWhileMfaPending();
        return group;
    }

    internal static async Task<Results<Ok<SecurityKeyRegistrationOptionsResponse>, ProblemHttpResult>> BeginSecurityKeyRegistration(
        SecurityKeyRegistrationRequest request, HttpContext http, MfaStore store, SecurityKeyStore keys, SecurityKeyRelyingParty relyingParty,
        IWebAuthnChallenges challenges, PolicyStore policies, StepUpGate stepUp, CancellationToken ct)
    {
        RequestValidation v = new();
        string name = v.Text("name", request.Name, 100);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        CurrentPolicy policy = await policies.CurrentAsync(ct);
        if (await RefuseRegistrationAsync(http, caller, policy, relyingParty, store, stepUp, ct) is { } refused)
        {
            return refused;
        }
        WebAuthnRelyingParty rp = relyingParty.Verifier!;
        List<SecurityKeyRow> existing = await keys.KeysAsync(caller.MemberId, ct);
        // One random handle per member, the same for all their keys: an authenticator keeps one account per (RP, handle).
        byte[] userHandle = existing.Count > 0 ? existing[0].UserHandle : RandomNumberGenerator.GetBytes(UserHandleBytes);
        byte[] challenge = challenges.Next();
        string ceremonyId = await keys.BeginAsync(caller, CeremonyKinds.Registration, challenge, name, userHandle, ct);
        // The email is the account name the authenticator shows in its picker. It travels only in this answer, sealed to the member
        // by the session layer (never in a URL or a log), and lands only on the member's own authenticator.
        string email = await store.EmailAsync(caller.MemberId, ct);
        return TypedResults.Ok(new SecurityKeyRegistrationOptionsResponse(ceremonyId, new WebAuthnCreationOptionsDto(
            new WebAuthnRpDto(rp.RpId, "Coffer"),
            new WebAuthnUserDto(Base64Url.Encode(userHandle), email, email),
            Base64Url.Encode(challenge),
            Algorithms,
            CeremonyTimeoutMs,
            [.. existing.Select(Descriptor)],
            new WebAuthnAuthenticatorSelectionDto("discouraged", false, UserVerification(policy)),
            "none")));
    }

    internal static async Task<Results<Ok<MfaAcceptedResponse>, ProblemHttpResult>> FinishSecurityKeyRegistration(string ceremonyId,
        WebAuthnRegistrationCredentialDto credential, HttpContext http, MfaStore store, SecurityKeyStore keys, SecurityKeyRelyingParty relyingParty,
        PolicyStore policies, StepUpGate stepUp, TimeProvider clock, ILogger<SecurityKeyStore> logger, CancellationToken ct)
    {
        RequestValidation v = new();
        v.Id("ceremonyId", ceremonyId);
        byte[] credentialId = CredentialIdOf(v, credential.Id, credential.RawId, credential.Type);
        byte[] clientData = Bytes(v, "response.clientDataJSON", credential.Response?.ClientDataJson);
        byte[] attestation = Bytes(v, "response.attestationObject", credential.Response?.AttestationObject);
        List<string> transports = [.. credential.Response?.Transports ?? []];
        v.Check(transports.Count <= 10 && transports.All(t => t.Length is > 0 and <= 20 && t.All(char.IsAsciiLetterOrDigit)),
            "response.transports", "must be at most 10 tokens such as usb, nfc, ble, internal or hybrid");
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        CurrentPolicy policy = await policies.CurrentAsync(ct);
        if (await RefuseRegistrationAsync(http, caller, policy, relyingParty, store, stepUp, ct) is { } refused)
        {
            return refused;
        }
        if (await ThrottledAsync(http, caller, store, policies, clock, ct) is { } throttled)
        {
            return throttled;
        }
        CeremonyRow? ceremony = await keys.TakeAsync(caller, ceremonyId, CeremonyKinds.Registration, ct);
        if (ceremony is null)
        {
            return await RefusedKeyAsync(logger, caller, store, policies, clock, CeremonyKinds.Registration, "ceremony_unknown_or_expired", ct);
        }
        WebAuthnRegistrationResult result = relyingParty.Verifier!.VerifyRegistration(attestation, clientData, ceremony.Challenge, RequiresUv(policy));
        if (!result.Succeeded)
        {
            return await RefusedKeyAsync(logger, caller, store, policies, clock, CeremonyKinds.Registration, result.Failure.ToString(), ct);
        }
        RegisteredCredential registered = result.Credential!;
        if (!CryptographicOperations.FixedTimeEquals(registered.CredentialId, credentialId))
        {
            return await RefusedKeyAsync(logger, caller, store, policies, clock, CeremonyKinds.Registration, "credential_id_mismatch", ct);
        }
        long now = clock.NowMs();
        SecurityKeyRow key = new()
        {
            Id = Ids.New(),
            MemberId = caller.MemberId,
            CredentialId = credentialId,
            PublicKey = registered.PublicKey.ToArray(),
            SignCount = registered.SignCount,
            Name = ceremony.Name ?? "Security key",
            RegistrationFlags = (long)registered.Flags,
            Transports = transports.Count == 0 ? null : string.Join(' ', transports),
            UserHandle = ceremony.UserHandle ?? RandomNumberGenerator.GetBytes(UserHandleBytes),
            CreatedAt = now,
        };
        AuditEntry added = AuditEntry.By(caller, now, AuditActions.MfaFactorAdd, AuditTargets.MfaFactor, key.Id,
            details: AuditEntry.DetailsOf(("kind", MfaKinds.SecurityKey), ("attestation", registered.AttestationFormat),
                ("userVerified", registered.Flags.HasFlag(AuthenticatorFlagBits.UserVerified)), ("backupEligible", registered.Flags.HasFlag(AuthenticatorFlagBits.BackupEligible))));
        if (!await keys.AddAsync(key, added, ct))
        {
            return await RefusedKeyAsync(logger, caller, store, policies, clock, CeremonyKinds.Registration, "credential_already_registered", ct);
        }
        return await AcceptedAsync(caller, store, policies, clock, MfaKinds.SecurityKey, key.Id, ct);
    }

    internal static async Task<Results<Ok<SecurityKeyAssertionOptionsResponse>, ProblemHttpResult>> BeginSecurityKeyAssertion(HttpContext http,
        SecurityKeyStore keys, SecurityKeyRelyingParty relyingParty, IWebAuthnChallenges challenges, PolicyStore policies, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        CurrentPolicy policy = await policies.CurrentAsync(ct);
        if (RefuseSecurityKeys(policy, relyingParty) is { } refused)
        {
            return refused;
        }
        List<SecurityKeyRow> existing = await keys.KeysAsync(caller.MemberId, ct);
        if (existing.Count == 0)
        {
            return Problems.Of(CofferErrors.NotFound, "You have no security key registered: present another factor, or register a key first.");
        }
        byte[] challenge = challenges.Next();
        string ceremonyId = await keys.BeginAsync(caller, CeremonyKinds.Assertion, challenge, null, null, ct);
        return TypedResults.Ok(new SecurityKeyAssertionOptionsResponse(ceremonyId, new WebAuthnRequestOptionsDto(
            Base64Url.Encode(challenge), CeremonyTimeoutMs, relyingParty.Verifier!.RpId, [.. existing.Select(Descriptor)], UserVerification(policy))));
    }

    internal static async Task<Results<Ok<MfaAcceptedResponse>, ProblemHttpResult>> FinishSecurityKeyAssertion(string ceremonyId,
        WebAuthnAssertionCredentialDto credential, HttpContext http, MfaStore store, SecurityKeyStore keys, SecurityKeyRelyingParty relyingParty,
        PolicyStore policies, TimeProvider clock, ILogger<SecurityKeyStore> logger, CancellationToken ct)
    {
        RequestValidation v = new();
        v.Id("ceremonyId", ceremonyId);
        byte[] credentialId = CredentialIdOf(v, credential.Id, credential.RawId, credential.Type);
        byte[] clientData = Bytes(v, "response.clientDataJSON", credential.Response?.ClientDataJson);
        byte[] authenticatorData = Bytes(v, "response.authenticatorData", credential.Response?.AuthenticatorData);
        byte[] signature = Bytes(v, "response.signature", credential.Response?.Signature);
        byte[]? userHandle = credential.Response?.UserHandle is { Length: > 0 } handle ? Bytes(v, "response.userHandle", handle) : null;
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        CurrentPolicy policy = await policies.CurrentAsync(ct);
        if (RefuseSecurityKeys(policy, relyingParty) is { } refused)
        {
            return refused;
        }
        if (await ThrottledAsync(http, caller, store, policies, clock, ct) is { } throttled)
        {
            return throttled;
        }
        CeremonyRow? ceremony = await keys.TakeAsync(caller, ceremonyId, CeremonyKinds.Assertion, ct);
        if (ceremony is null)
        {
            return await RefusedKeyAsync(logger, caller, store, policies, clock, CeremonyKinds.Assertion, "ceremony_unknown_or_expired", ct);
        }
        // Another member's credential is answered exactly like an unknown one.
        SecurityKeyRow? key = await keys.KeyAsync(caller.MemberId, credentialId, ct);
        if (key is null)
        {
            return await RefusedKeyAsync(logger, caller, store, policies, clock, CeremonyKinds.Assertion, "credential_unknown", ct);
        }
        if (userHandle is not null && !CryptographicOperations.FixedTimeEquals(userHandle, key.UserHandle))
        {
            return await RefusedKeyAsync(logger, caller, store, policies, clock, CeremonyKinds.Assertion, "user_handle_mismatch", ct);
        }
        // The stored key passed the same strict decoder at registration.
        WebAuthnAssertionResult result = relyingParty.Verifier!.VerifyAssertion(authenticatorData, clientData, signature, ceremony.Challenge,
            CoseKey.Parse(key.PublicKey), (uint)key.SignCount, RequiresUv(policy));
        if (!result.Succeeded)
        {
            return await RefusedKeyAsync(logger, caller, store, policies, clock, CeremonyKinds.Assertion, result.Failure.ToString(), ct);
        }
        if (!await keys.RecordUseAsync(key.Id, key.SignCount, result.SignCount, ct))
        {
            // Another assertion moved the counter since this one was checked: one of two identical counters is a clone's.
            return await RefusedKeyAsync(logger, caller, store, policies, clock, CeremonyKinds.Assertion, nameof(WebAuthnFailure.CounterRegression), ct);
        }
        return await AcceptedAsync(caller, store, policies, clock, MfaKinds.SecurityKey, key.Id, ct);
    }

    /// <summary>Registering is refused as security keys are, and past the member's first factor as TOTP enrolment is.</summary>
    private static async Task<ProblemHttpResult?> RefuseRegistrationAsync(HttpContext http, CofferCaller caller, CurrentPolicy policy,
        SecurityKeyRelyingParty relyingParty, MfaStore store, StepUpGate stepUp, CancellationToken ct) =>
        RefuseSecurityKeys(policy, relyingParty) ?? await RefuseBeyondFirstAsync(http, caller, store, stepUp, ct);

    /// <summary>Security keys are refused when the policy does not allow them, or when this server cannot be a relying party.</summary>
    private static ProblemHttpResult? RefuseSecurityKeys(CurrentPolicy policy, SecurityKeyRelyingParty relyingParty)
    {
        if (!policy.Settings.MfaKinds.Contains(MfaKinds.SecurityKey))
        {
            return Problems.Of(CofferErrors.Forbidden, "The organisation's policy does not allow security keys (security_key).");
        }
        return relyingParty.Unavailable is { } why ? Problems.Of(CofferErrors.Forbidden, why) : null;
    }

    private static async Task<ProblemHttpResult> RefusedKeyAsync(ILogger logger, CofferCaller caller, MfaStore store, PolicyStore policies,
        TimeProvider clock, string ceremony, string reason, CancellationToken ct)
    {
        LogSecurityKeyRefused(logger, ceremony, caller.MemberId, caller.SessionId, reason);
        return await FailedAsync(caller, store, policies, clock, MfaKinds.SecurityKey, ct, reason);
    }

    private static bool RequiresUv(CurrentPolicy policy) =>
        string.Equals(policy.Settings.SecurityKeyUserVerification, PolicyValues.UserVerificationRequired, StringComparison.Ordinal);

    private static string UserVerification(CurrentPolicy policy) =>
        RequiresUv(policy) ? PolicyValues.UserVerificationRequired : PolicyValues.UserVerificationPreferred;

    private static WebAuthnCredentialDescriptorDto Descriptor(SecurityKeyRow key) =>
        new(PublicKeyType, Base64Url.Encode(key.CredentialId), key.TransportList);

    /// <summary>The credential id: <c>id</c> and <c>rawId</c> must be the same base64url bytes (1–1023 of them), the type <c>public-key</c>.</summary>
    private static byte[] CredentialIdOf(RequestValidation v, string? id, string? rawId, string? type)
    {
        v.Check(string.Equals(type, PublicKeyType, StringComparison.Ordinal), "type", "must be public-key");
        v.Check(string.Equals(id, rawId, StringComparison.Ordinal), "rawId", "must equal id");
        byte[] bytes = Bytes(v, "id", id);
        v.Check(bytes.Length is > 0 and <= 1023, "id", "must be a credential id of 1 to 1023 bytes");
        return bytes;
    }

    private static byte[] Bytes(RequestValidation v, string field, string? text)
    {
        if (text is not null && text.Length <= 64 * 1024 && Base64Url.TryDecode(text, out byte[]? bytes))
        {
            return bytes;
        }
        v.Fail(field, "must be base64url without padding");
        return [];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Security key {Ceremony} refused for member {MemberId} in session {SessionId}: {Reason}")]
    private static partial void LogSecurityKeyRefused(ILogger logger, string ceremony, string memberId, string sessionId, string reason);
}
