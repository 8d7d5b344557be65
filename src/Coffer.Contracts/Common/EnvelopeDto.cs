namespace Coffer.Contracts.Common;

/// <summary>A sealed value on the wire (PROTOCOL.md §4): key id, algorithm, base64url IV and data. The server never opens it.</summary>
/// <param name="Kid">The id of the key that sealed it.</param>
/// <param name="Enc">Always <c>A256GCM</c>.</param>
/// <param name="Iv">12-byte IV, base64url.</param>
/// <param name="Data">Ciphertext and 16-byte tag, base64url.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record EnvelopeDto(
    [property: JsonRequired] string Kid,
    [property: JsonRequired] string Enc,
    [property: JsonRequired] string Iv,
    [property: JsonRequired] string Data);
