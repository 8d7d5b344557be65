namespace Coffer.Protocol.Audit;

/// <summary>The outcome of <see cref="AuditChain.Verify"/>.</summary>
/// <param name="Fault">What went wrong, or <see cref="AuditChainFault.None"/>.</param>
/// <param name="FirstBadSeq">The first sequence number that does not verify (for a sequence break or a truncation, the first one missing), or null.</param>
/// <param name="Head">The last verified anchor: the sequence number and hash the chain reached before any fault.</param>
public sealed record AuditChainResult(AuditChainFault Fault, long? FirstBadSeq, AuditChainAnchor Head)
{
    /// <summary>True when every event verified and every checkpoint matched.</summary>
    public bool IsValid => Fault == AuditChainFault.None;
}
