namespace Coffer.Protocol.Audit;

/// <summary>Why an activity-log chain failed to verify.</summary>
public enum AuditChainFault
{
    /// <summary>The chain verified.</summary>
    None = 0,

    /// <summary>The recomputed hash differs from the stored one: the event (or an earlier hash) was edited.</summary>
    HashMismatch = 1,

    /// <summary>A sequence number is missing, repeated or out of order: an event was deleted, inserted or moved.</summary>
    SequenceBreak = 2,

    /// <summary>The chain is self-consistent but disagrees with a signed checkpoint: history was rewritten.</summary>
    CheckpointMismatch = 3,

    /// <summary>The chain ends before a checkpoint's sequence number: events were cut off the end.</summary>
    Truncated = 4,
}
