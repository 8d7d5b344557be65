using Coffer.Protocol.Signatures;

namespace Coffer.Protocol.Audit;

/// <summary>One stored activity-log event: its sequence number, its fields and the hash stored with it.</summary>
/// <param name="Seq">The stored sequence number.</param>
/// <param name="Event">The stored fields.</param>
/// <param name="Hash">The stored chain hash.</param>
public sealed record AuditChainLink(long Seq, AuditEventTbs Event, Sha256Hash Hash);
