using Coffer.Protocol.Signatures;

namespace Coffer.Protocol.Audit;

/// <summary>
/// A chain hash known from outside the events being checked: <c>hash_0</c> at seq 0, the signed
/// checkpoint a retention purge kept, or a checkpoint the server signed or an administrator countersigned.
/// </summary>
/// <param name="Seq">The sequence number the hash is for.</param>
/// <param name="Hash">The chain hash after the event with that sequence number.</param>
public readonly record struct AuditChainAnchor(long Seq, Sha256Hash Hash);
