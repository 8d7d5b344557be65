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

/// <summary>
/// A checkpoint signed by the server's audit key (<c>checkpoint</c> record, PROTOCOL.md §5.2). A client checks the
/// signature with <paramref name="AuditKey"/> and that key's certificate with its pinned root before it trusts or
/// countersigns the checkpoint (docs/adr/0016).
/// </summary>
/// <param name="OrgId">The organisation id (the record's first field).</param>
/// <param name="Seq">The last event covered.</param>
/// <param name="ChainHash">The chain hash at <paramref name="Seq"/>, base64url.</param>
/// <param name="Time">When it was signed, Unix ms.</param>
/// <param name="Signature">P1363 signature, base64url.</param>
/// <param name="AuditKey">The DER SPKI, base64url, of the audit key that signed it.</param>
/// <param name="AuditKeyFingerprint">Its fingerprint, base32.</param>
/// <param name="AuditKeyCertificate">The root's certificate of that key, absent while no Owner has certified it or when a newer certificate names another key.</param>
public sealed record AuditCheckpointDto(
    [property: JsonRequired] string OrgId,
    [property: JsonRequired] long Seq,
    [property: JsonRequired] string ChainHash,
    [property: JsonRequired] long Time,
    [property: JsonRequired] string Signature,
    [property: JsonRequired] string AuditKey,
    [property: JsonRequired] string AuditKeyFingerprint,
    AuditKeyCertificateDto? AuditKeyCertificate = null);

/// <summary>
/// The server's audit key certified by the organisation root: the <c>audit-key</c> record (orgId, auditFpr, issuedAt;
/// docs/adr/0016) with the key it names. The organisation id is the server's; the fingerprint is the key's. It is also
/// the body of <c>POST /api/v1/audit/key-certificate</c>, where the server takes it only for its own current audit key,
/// signed by the organisation's root and newer than every certificate it holds.
/// </summary>
/// <param name="PublicKey">The audit key's ECDSA P-256 DER SPKI, base64url.</param>
/// <param name="IssuedAt">When the root signed it, Unix ms.</param>
/// <param name="Signature">The root's P1363 signature over the record, base64url.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AuditKeyCertificateDto(
    [property: JsonRequired] string PublicKey,
    [property: JsonRequired] long IssuedAt,
    [property: JsonRequired] string Signature);

/// <summary>
/// <c>GET /api/v1/audit/key</c> (and the answer to certifying it): the audit key the server signs checkpoints with now, and
/// its certificate: the newest certificate the root made, when it names this key. Without one the key is uncertified —
/// never certified, replaced since (a new key file), or an older key put back: an Owner's client certifies it, and until
/// then administrators' clients do not countersign its checkpoints.
/// </summary>
/// <param name="OrgId">The organisation id.</param>
/// <param name="PublicKey">The audit key's ECDSA P-256 DER SPKI, base64url.</param>
/// <param name="Fingerprint">Its fingerprint, base32.</param>
/// <param name="Certificate">The root's certificate of this key, if an Owner has certified it.</param>
public sealed record AuditKeyResponse(
    [property: JsonRequired] string OrgId,
    [property: JsonRequired] string PublicKey,
    [property: JsonRequired] string Fingerprint,
    AuditKeyCertificateDto? Certificate = null);

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
