namespace Coffer.Contracts.Audit;

/// <summary>
/// One activity-log event (PROTOCOL.md §11). Its chain hash covers every field; <see cref="Details"/> is the JSON text
/// exactly as hashed (SHA-256 of its UTF-8 bytes is the event's detailsHash), so a client can re-walk the chain.
/// </summary>
/// <param name="Seq">Position in the chain, from 1.</param>
/// <param name="Time">Unix ms.</param>
/// <param name="ActorMemberId">The member who acted, if any.</param>
/// <param name="DeviceId">The device, if any.</param>
/// <param name="SessionId">The session, if any.</param>
/// <param name="Ip">The client address in canonical text, if any.</param>
/// <param name="Action">What happened, e.g. <c>auth.signin</c>.</param>
/// <param name="TargetKind">The kind of the object acted on, if any.</param>
/// <param name="TargetId">The id of the object acted on, if any.</param>
/// <param name="Outcome">e.g. <c>success</c>, <c>failure</c>.</param>
/// <param name="Details">JSON text, if any.</param>
/// <param name="Hash">The chain hash after this event, base64url.</param>
public sealed record AuditEventDto(
    [property: JsonRequired] long Seq,
    [property: JsonRequired] long Time,
    [property: JsonRequired] string Action,
    [property: JsonRequired] string Outcome,
    [property: JsonRequired] string Hash,
    string? ActorMemberId = null,
    string? DeviceId = null,
    string? SessionId = null,
    string? Ip = null,
    string? TargetKind = null,
    string? TargetId = null,
    string? Details = null);

/// <summary><c>GET /api/v1/audit/events</c>: a page of events, oldest first.</summary>
/// <param name="Events">The events after the requested seq.</param>
/// <param name="HasMore">True when more events follow the last one.</param>
public sealed record AuditEventsResponse(
    [property: JsonRequired] IReadOnlyList<AuditEventDto> Events,
    [property: JsonRequired] bool HasMore);

/// <summary>A checkpoint signed by the server's audit key (<c>checkpoint</c> record, PROTOCOL.md §5.2).</summary>
/// <param name="OrgId">The organisation id (the record's first field).</param>
/// <param name="Seq">The last event covered.</param>
/// <param name="ChainHash">The chain hash at <paramref name="Seq"/>, base64url.</param>
/// <param name="Time">When it was signed, Unix ms.</param>
/// <param name="Signature">P1363 signature, base64url.</param>
/// <param name="AuditKey">The audit key's DER SPKI, base64url (not yet certified by the root).</param>
/// <param name="AuditKeyFingerprint">Its fingerprint, base32.</param>
public sealed record AuditCheckpointDto(
    [property: JsonRequired] string OrgId,
    [property: JsonRequired] long Seq,
    [property: JsonRequired] string ChainHash,
    [property: JsonRequired] long Time,
    [property: JsonRequired] string Signature,
    [property: JsonRequired] string AuditKey,
    [property: JsonRequired] string AuditKeyFingerprint);

/// <summary>
/// <c>POST /api/v1/audit/countersignatures</c>: an administrator's <c>countersign</c> record (orgId, seq, chainHash,
/// signerId, time) signed with the signing key of their keyset; the signer is the caller.
/// </summary>
/// <param name="Seq">The checkpoint's seq.</param>
/// <param name="ChainHash">The checkpoint's chain hash, base64url.</param>
/// <param name="Time">When the client countersigned, Unix ms.</param>
/// <param name="Signature">P1363 signature, base64url.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AuditCountersignRequest(
    [property: JsonRequired] long Seq,
    [property: JsonRequired] string ChainHash,
    [property: JsonRequired] long Time,
    [property: JsonRequired] string Signature);
