namespace Coffer.Contracts.Mfa;

// Security keys (WebAuthn Level 2; docs/adr/0026). A ceremony is two calls on the member's own session:
//   registration  POST /api/v1/mfa/security-keys/registrations              -> SecurityKeyRegistrationOptionsResponse
//                 POST /api/v1/mfa/security-keys/registrations/{ceremonyId} (WebAuthnRegistrationCredentialDto) -> MfaAcceptedResponse
//   assertion     POST /api/v1/mfa/security-keys/assertions                 -> SecurityKeyAssertionOptionsResponse
//                 POST /api/v1/mfa/security-keys/assertions/{ceremonyId}    (WebAuthnAssertionCredentialDto)   -> MfaAcceptedResponse
// The options are the browser's PublicKeyCredential{Creation,Request}OptionsJSON (WebAuthn Level 3 §5.1.x "JSON"
// forms: every binary value base64url without padding), so a page can hand them to navigator.credentials after
// decoding those fields. The responses carry what the browser returned, base64url-encoded the same way.

/// <summary><c>POST /api/v1/mfa/security-keys/registrations</c>: start registering a security key.</summary>
/// <param name="Name">The member's name for it (1–100 characters).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SecurityKeyRegistrationRequest([property: JsonRequired] string Name);

/// <summary>The relying party (<c>PublicKeyCredentialRpEntity</c>).</summary>
/// <param name="Id">The RP id: the server's host name.</param>
/// <param name="Name">A name a person recognises.</param>
public sealed record WebAuthnRpDto(
    [property: JsonRequired] string Id,
    [property: JsonRequired] string Name);

/// <summary>The account the credential is for (<c>PublicKeyCredentialUserEntity</c>).</summary>
/// <param name="Id">The user handle: opaque random bytes, base64url (never the email or member id).</param>
/// <param name="Name">What the authenticator shows in an account picker.</param>
/// <param name="DisplayName">A friendlier name, shown likewise.</param>
public sealed record WebAuthnUserDto(
    [property: JsonRequired] string Id,
    [property: JsonRequired] string Name,
    [property: JsonRequired] string DisplayName);

/// <summary>One acceptable credential type and algorithm (<c>PublicKeyCredentialParameters</c>).</summary>
/// <param name="Type">Always <c>public-key</c>.</param>
/// <param name="Alg">A COSE algorithm: −7 (ES256) or −257 (RS256).</param>
public sealed record WebAuthnCredentialParameterDto(
    [property: JsonRequired] string Type,
    [property: JsonRequired] int Alg);

/// <summary>A credential, by id (<c>PublicKeyCredentialDescriptor</c>).</summary>
/// <param name="Type">Always <c>public-key</c>.</param>
/// <param name="Id">The credential id, base64url.</param>
/// <param name="Transports">Transports the authenticator reported at registration, if any.</param>
public sealed record WebAuthnCredentialDescriptorDto(
    [property: JsonRequired] string Type,
    [property: JsonRequired] string Id,
    IReadOnlyList<string>? Transports);

/// <summary>What the relying party asks of the authenticator (<c>AuthenticatorSelectionCriteria</c>).</summary>
/// <param name="ResidentKey"><c>discouraged</c>, <c>preferred</c> or <c>required</c>.</param>
/// <param name="RequireResidentKey">True exactly when <paramref name="ResidentKey"/> is <c>required</c> (Level 1 compatibility).</param>
/// <param name="UserVerification"><c>required</c> when the policy demands it, else <c>preferred</c> or <c>discouraged</c>.</param>
public sealed record WebAuthnAuthenticatorSelectionDto(
    [property: JsonRequired] string ResidentKey,
    [property: JsonRequired] bool RequireResidentKey,
    [property: JsonRequired] string UserVerification);

/// <summary><c>PublicKeyCredentialCreationOptionsJSON</c>.</summary>
/// <param name="Rp">The relying party.</param>
/// <param name="User">The account.</param>
/// <param name="Challenge">32 random bytes, base64url; single use, valid 5 minutes.</param>
/// <param name="PubKeyCredParams">ES256 then RS256.</param>
/// <param name="Timeout">Milliseconds the browser should wait.</param>
/// <param name="ExcludeCredentials">The member's registered keys, so one is not registered twice.</param>
/// <param name="AuthenticatorSelection">Resident key and user verification wishes.</param>
/// <param name="Attestation">Always <c>none</c>: Coffer does not judge authenticator models (docs/adr/0026).</param>
public sealed record WebAuthnCreationOptionsDto(
    [property: JsonRequired] WebAuthnRpDto Rp,
    [property: JsonRequired] WebAuthnUserDto User,
    [property: JsonRequired] string Challenge,
    [property: JsonRequired] IReadOnlyList<WebAuthnCredentialParameterDto> PubKeyCredParams,
    [property: JsonRequired] int Timeout,
    [property: JsonRequired] IReadOnlyList<WebAuthnCredentialDescriptorDto> ExcludeCredentials,
    [property: JsonRequired] WebAuthnAuthenticatorSelectionDto AuthenticatorSelection,
    [property: JsonRequired] string Attestation);

/// <summary><c>PublicKeyCredentialRequestOptionsJSON</c>.</summary>
/// <param name="Challenge">32 random bytes, base64url; single use, valid 5 minutes.</param>
/// <param name="Timeout">Milliseconds the browser should wait.</param>
/// <param name="RpId">The RP id.</param>
/// <param name="AllowCredentials">The member's registered keys.</param>
/// <param name="UserVerification"><c>required</c> when the policy demands it, else <c>preferred</c> or <c>discouraged</c>.</param>
public sealed record WebAuthnRequestOptionsDto(
    [property: JsonRequired] string Challenge,
    [property: JsonRequired] int Timeout,
    [property: JsonRequired] string RpId,
    [property: JsonRequired] IReadOnlyList<WebAuthnCredentialDescriptorDto> AllowCredentials,
    [property: JsonRequired] string UserVerification);

/// <summary>A registration ceremony started: hand <paramref name="PublicKey"/> to <c>navigator.credentials.create</c>.</summary>
/// <param name="CeremonyId">Names the ceremony in the finishing call.</param>
/// <param name="PublicKey">The creation options.</param>
public sealed record SecurityKeyRegistrationOptionsResponse(
    [property: JsonRequired] string CeremonyId,
    [property: JsonRequired] WebAuthnCreationOptionsDto PublicKey);

/// <summary>An assertion ceremony started: hand <paramref name="PublicKey"/> to <c>navigator.credentials.get</c>.</summary>
/// <param name="CeremonyId">Names the ceremony in the finishing call.</param>
/// <param name="PublicKey">The request options.</param>
public sealed record SecurityKeyAssertionOptionsResponse(
    [property: JsonRequired] string CeremonyId,
    [property: JsonRequired] WebAuthnRequestOptionsDto PublicKey);

/// <summary><c>AuthenticatorAttestationResponse</c>, base64url.</summary>
/// <param name="ClientDataJson">clientDataJSON exactly as the browser produced it.</param>
/// <param name="AttestationObject">The CBOR attestation object.</param>
/// <param name="Transports">From <c>getTransports()</c>, when the browser offers it.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record WebAuthnAttestationResponseDto(
    [property: JsonRequired, JsonPropertyName("clientDataJSON")] string ClientDataJson,
    [property: JsonRequired] string AttestationObject,
    IReadOnlyList<string>? Transports);

/// <summary>
/// <c>POST /api/v1/mfa/security-keys/registrations/{ceremonyId}</c>: the new credential (the browser's
/// <c>RegistrationResponseJSON</c>, without the members the server does not use).
/// </summary>
/// <param name="Id">The credential id, base64url.</param>
/// <param name="RawId">The same bytes; must equal <paramref name="Id"/>.</param>
/// <param name="Type">Always <c>public-key</c>.</param>
/// <param name="Response">The authenticator's answer.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record WebAuthnRegistrationCredentialDto(
    [property: JsonRequired] string Id,
    [property: JsonRequired] string RawId,
    [property: JsonRequired] string Type,
    [property: JsonRequired] WebAuthnAttestationResponseDto Response);

/// <summary><c>AuthenticatorAssertionResponse</c>, base64url.</summary>
/// <param name="ClientDataJson">clientDataJSON exactly as the browser produced it.</param>
/// <param name="AuthenticatorData">The authenticator data that was signed.</param>
/// <param name="Signature">The signature (DER for ES256).</param>
/// <param name="UserHandle">The user handle, for discoverable credentials.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record WebAuthnAssertionResponseDto(
    [property: JsonRequired, JsonPropertyName("clientDataJSON")] string ClientDataJson,
    [property: JsonRequired] string AuthenticatorData,
    [property: JsonRequired] string Signature,
    string? UserHandle);

/// <summary>
/// <c>POST /api/v1/mfa/security-keys/assertions/{ceremonyId}</c>: the assertion (the browser's
/// <c>AuthenticationResponseJSON</c>, without the members the server does not use).
/// </summary>
/// <param name="Id">The credential id, base64url.</param>
/// <param name="RawId">The same bytes; must equal <paramref name="Id"/>.</param>
/// <param name="Type">Always <c>public-key</c>.</param>
/// <param name="Response">The authenticator's answer.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record WebAuthnAssertionCredentialDto(
    [property: JsonRequired] string Id,
    [property: JsonRequired] string RawId,
    [property: JsonRequired] string Type,
    [property: JsonRequired] WebAuthnAssertionResponseDto Response);
