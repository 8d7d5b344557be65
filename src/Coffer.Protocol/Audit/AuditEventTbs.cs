using System.Net;
using Coffer.Protocol.Signatures;

namespace Coffer.Protocol.Audit;

/// <summary>
/// The hash input of one activity-log event (PROTOCOL.md §5.2 and §11): the TBS encoding with the tag
/// <c>coffer/audit-event/v1</c> and the fields time, actorMemberId, deviceId, sessionId, ip, action,
/// targetKind, targetId, outcome, detailsHash. An absent value (null here) is an empty field; a present
/// value is never empty, so the two cannot be confused.
/// </summary>
public sealed record AuditEventTbs
{
    /// <summary>The ASCII tag that starts the TBS.</summary>
    public const string Tag = "coffer/audit-event/v1";

    /// <summary>Checks every field; docs/protocol/signatures.md gives the encodings.</summary>
    /// <param name="time">When the event happened (Unix ms).</param>
    /// <param name="actorMemberId">The member who acted, or null (e.g. a failed sign-in for an unknown email).</param>
    /// <param name="deviceId">The device, or null.</param>
    /// <param name="sessionId">The session, or null.</param>
    /// <param name="ip">The client IP in canonical text form (dotted-quad IPv4, RFC 5952 IPv6), or null.</param>
    /// <param name="action">What happened: a lower-case token such as <c>item.update</c>.</param>
    /// <param name="targetKind">The kind of the object acted on (a lower-case token), or null.</param>
    /// <param name="targetId">The id of the object acted on, or null.</param>
    /// <param name="outcome">The outcome: a lower-case token such as <c>success</c>.</param>
    /// <param name="detailsHash">SHA-256 of the details JSON bytes exactly as stored, or null when there are no details.</param>
    /// <exception cref="ArgumentException">A field is malformed.</exception>
    public AuditEventTbs(
        long time,
        string? actorMemberId,
        string? deviceId,
        string? sessionId,
        string? ip,
        string action,
        string? targetKind,
        string? targetId,
        string outcome,
        Sha256Hash? detailsHash)
    {
        Time = TbsFields.Number(time, nameof(time));
        ActorMemberId = TbsFields.OptionalId(actorMemberId, nameof(actorMemberId));
        DeviceId = TbsFields.OptionalId(deviceId, nameof(deviceId));
        SessionId = TbsFields.OptionalId(sessionId, nameof(sessionId));
        Ip = ip is null ? null : TbsFields.Ip(ip, nameof(ip));
        Action = TbsFields.Token(action, nameof(action));
        TargetKind = TbsFields.OptionalToken(targetKind, nameof(targetKind));
        TargetId = TbsFields.OptionalId(targetId, nameof(targetId));
        Outcome = TbsFields.Token(outcome, nameof(outcome));
        DetailsHash = TbsFields.OptionalHash(detailsHash, nameof(detailsHash));
    }

    /// <summary>When the event happened (Unix ms).</summary>
    public long Time { get; }

    /// <summary>The member who acted, or null.</summary>
    public string? ActorMemberId { get; }

    /// <summary>The device, or null.</summary>
    public string? DeviceId { get; }

    /// <summary>The session, or null.</summary>
    public string? SessionId { get; }

    /// <summary>The client IP in canonical text form, or null.</summary>
    public string? Ip { get; }

    /// <summary>What happened.</summary>
    public string Action { get; }

    /// <summary>The kind of the object acted on, or null.</summary>
    public string? TargetKind { get; }

    /// <summary>The id of the object acted on, or null.</summary>
    public string? TargetId { get; }

    /// <summary>The outcome.</summary>
    public string Outcome { get; }

    /// <summary>SHA-256 of the details JSON bytes exactly as stored, or null.</summary>
    public Sha256Hash? DetailsHash { get; }

    /// <summary>
    /// The canonical text of a client address for <c>ip</c>: an IPv4 or IPv4-mapped address as a dotted
    /// quad, any other IPv6 address in RFC 5952 form with hex groups only (docs/protocol/signatures.md).
    /// </summary>
    public static string FormatIp(IPAddress address) => TbsFields.FormatIp(address);

    /// <summary>The event's TBS bytes, the input to <see cref="AuditChain.Next(Sha256Hash, long, AuditEventTbs)"/>.</summary>
    public byte[] ToBeSigned()
    {
        TbsWriter writer = new(Tag);
        writer.Number(Time)
            .Text(ActorMemberId ?? string.Empty)
            .Text(DeviceId ?? string.Empty)
            .Text(SessionId ?? string.Empty)
            .Text(Ip ?? string.Empty)
            .Text(Action)
            .Text(TargetKind ?? string.Empty)
            .Text(TargetId ?? string.Empty)
            .Text(Outcome);
        if (DetailsHash is { } details)
        {
            writer.Bytes(details.AsSpan());
        }
        else
        {
            writer.Bytes([]);
        }
        return writer.ToArray();
    }
}
