using Coffer.Contracts.Common;

namespace Coffer.Contracts.Keys;

/// <summary>
/// A member's pins record (PROTOCOL.md §5.1), sealed by their keyset key under
/// <c>coffer/keyset/&lt;keysetId&gt;/pins/v&lt;version&gt;</c>; the server keeps the newest and refuses older versions.
/// </summary>
/// <param name="KeysetId">The keyset whose key sealed it.</param>
/// <param name="KeysetSerial">That keyset's serial.</param>
/// <param name="Version">The record's version (named in the seal's context).</param>
/// <param name="SealedPins">The sealed record.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PinsDto(
    [property: JsonRequired] string KeysetId,
    [property: JsonRequired] int KeysetSerial,
    [property: JsonRequired] long Version,
    [property: JsonRequired] EnvelopeDto SealedPins);
