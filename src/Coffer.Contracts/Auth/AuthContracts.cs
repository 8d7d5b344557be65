namespace Coffer.Contracts.Auth;

/// <summary>The device a sign-in comes from: shown in device lists, never trusted for authentication.</summary>
/// <param name="Name">A name the person recognises ("Work laptop").</param>
/// <param name="Platform">e.g. <c>linux-cli</c>, <c>web</c>.</param>
/// <param name="ClientVersion">The client's version.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DeviceInfoDto(
    [property: JsonRequired] string Name,
    [property: JsonRequired] string Platform,
    [property: JsonRequired] string ClientVersion);

/// <summary><c>POST /api/v1/auth/start</c> (PROTOCOL.md §3).</summary>
/// <param name="Email">The sign-in handle; matched case-insensitively in ASCII.</param>
/// <param name="AccountId">The organisation's account id from the Secret Key.</param>
/// <param name="DeviceId">The device's id (lowercase UUIDv7).</param>
/// <param name="DeviceInfo">What the device says of itself.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AuthStartRequest(
    [property: JsonRequired] string Email,
    [property: JsonRequired] string AccountId,
    [property: JsonRequired] string DeviceId,
    [property: JsonRequired] DeviceInfoDto DeviceInfo);

/// <summary>A member's 2SKD parameters.</summary>
/// <param name="Alg">Always <c>coffer/2skd/v1</c>.</param>
/// <param name="Salt">16 bytes, base64url.</param>
/// <param name="Iterations">PBKDF2 iterations; clients refuse fewer than 650 000 or than they last used.</param>
public sealed record KdfDto(
    [property: JsonRequired] string Alg,
    [property: JsonRequired] string Salt,
    [property: JsonRequired] int Iterations);

/// <summary>Answer to <c>auth/start</c>; for an unknown email every field is plausible and fake.</summary>
/// <param name="AuthId">The sign-in attempt's id.</param>
/// <param name="MemberId">The member id (the SRP identity and 2SKD salt input).</param>
/// <param name="Kdf">The KDF parameters.</param>
public sealed record AuthStartResponse(
    [property: JsonRequired] string AuthId,
    [property: JsonRequired] string MemberId,
    [property: JsonRequired] KdfDto Kdf);

/// <summary><c>POST /api/v1/auth/exchange</c>: the client's ephemeral A (512 bytes, base64url).</summary>
/// <param name="AuthId">The sign-in attempt's id.</param>
/// <param name="A">SRP A, exactly 512 bytes, base64url.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AuthExchangeRequest(
    [property: JsonRequired] string AuthId,
    [property: JsonRequired] string A);

/// <summary>Answer to <c>auth/exchange</c>.</summary>
/// <param name="B">SRP B, exactly 512 bytes, base64url.</param>
public sealed record AuthExchangeResponse([property: JsonRequired] string B);

/// <summary><c>POST /api/v1/auth/verify</c>: the client's proof.</summary>
/// <param name="AuthId">The sign-in attempt's id.</param>
/// <param name="M1">The client proof, 32 bytes, base64url.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AuthVerifyRequest(
    [property: JsonRequired] string AuthId,
    [property: JsonRequired] string M1);

/// <summary>What the session must present before it may do anything else.</summary>
/// <param name="Required">True while a factor is still owed.</param>
/// <param name="Methods">The kinds the member may present, in the organisation's order of preference (allowed by policy and
/// enrolled; <c>backup_code</c> last when they have codes left); when they have none, the kinds they may enrol.</param>
/// <param name="EnrolmentRequired">True when the member has no factor yet: the session may only enrol one
/// (<c>POST /api/v1/mfa/totp</c>) and confirm it, which satisfies it.</param>
public sealed record MfaRequirementDto(
    [property: JsonRequired] bool Required,
    [property: JsonRequired] IReadOnlyList<string> Methods,
    bool EnrolmentRequired = false);

/// <summary>Answer to <c>auth/verify</c>: the server's proof and the new session.</summary>
/// <param name="M2">The server proof, 32 bytes, base64url.</param>
/// <param name="SessionId">The session id, salt of the session keys.</param>
/// <param name="Mfa">Whether a factor is owed.</param>
public sealed record AuthVerifyResponse(
    [property: JsonRequired] string M2,
    [property: JsonRequired] string SessionId,
    [property: JsonRequired] MfaRequirementDto Mfa);
