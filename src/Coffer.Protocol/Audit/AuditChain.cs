using System.Buffers.Binary;
using System.Security.Cryptography;
using Coffer.Protocol.Signatures;

namespace Coffer.Protocol.Audit;

/// <summary>
/// The activity-log hash chain of PROTOCOL.md §11:
/// <c>hash_i = SHA-256("coffer/audit/v1" || u64be(seq_i) || hash_{i−1} || TBS(event_i))</c>, with
/// <c>hash_0</c> 32 zero bytes. SHA-256 is FIPS 180-4; every hash is 32 bytes. An edit, deletion,
/// insertion or reordering breaks the chain; a cut at the end or a consistent rewrite is caught only
/// against a signed checkpoint, which is why <see cref="Verify"/> takes them.
/// </summary>
public static class AuditChain
{
    /// <summary>The ASCII domain tag that starts every chain hash input.</summary>
    public const string Domain = "coffer/audit/v1";

    private static readonly byte[] DomainBytes = System.Text.Encoding.ASCII.GetBytes(Domain);

    /// <summary><c>hash_0</c>: 32 zero bytes.</summary>
    public static Sha256Hash Genesis { get; } = Sha256Hash.FromBytes(new byte[Sha256Hash.Size]);

    /// <summary>The anchor every unpurged chain starts from: seq 0 with <see cref="Genesis"/>.</summary>
    public static AuditChainAnchor Start => new(0, Genesis);

    /// <summary>Computes <c>hash_i</c> from <c>hash_{i−1}</c>, <c>seq_i</c> and the event's fields.</summary>
    /// <exception cref="ArgumentException"><paramref name="previous"/> is default or <paramref name="seq"/> is not positive.</exception>
    public static Sha256Hash Next(Sha256Hash previous, long seq, AuditEventTbs auditEvent)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        return Next(previous, seq, auditEvent.ToBeSigned());
    }

    /// <summary>Computes <c>hash_i</c> from <c>hash_{i−1}</c>, <c>seq_i</c> and the event's TBS bytes.</summary>
    /// <exception cref="ArgumentException"><paramref name="previous"/> is default or <paramref name="seq"/> is not positive.</exception>
    public static Sha256Hash Next(Sha256Hash previous, long seq, ReadOnlySpan<byte> eventTbs)
    {
        if (previous.IsDefault)
        {
            throw new ArgumentException("The previous hash is required.", nameof(previous));
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seq);
        // One buffer, one hash call: a hash object per event was a native context made and freed for every read's event.
        int length = DomainBytes.Length + sizeof(ulong) + Sha256Hash.Size + eventTbs.Length;
        byte[]? rented = length > 1024 ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> input = (rented is null ? stackalloc byte[1024] : rented)[..length];
        Span<byte> digest = stackalloc byte[Sha256Hash.Size];
        try
        {
            DomainBytes.CopyTo(input);
            BinaryPrimitives.WriteUInt64BigEndian(input[DomainBytes.Length..], (ulong)seq);
            previous.AsSpan().CopyTo(input[(DomainBytes.Length + sizeof(ulong))..]);
            eventTbs.CopyTo(input[(DomainBytes.Length + sizeof(ulong) + Sha256Hash.Size)..]);
            SHA256.HashData(input, digest);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
        return Sha256Hash.FromBytes(digest);
    }

    /// <summary>
    /// Re-walks stored events from <paramref name="start"/> (default: seq 0 and <see cref="Genesis"/>),
    /// in the order given, and checks every sequence number, every stored hash and every checkpoint.
    /// Reports the first fault; checkpoints past the last event report a truncation.
    /// </summary>
    /// <param name="links">The stored events in ascending sequence order, starting right after <paramref name="start"/>.</param>
    /// <param name="start">Where the stored chain begins: <see cref="Start"/>, or the checkpoint a purge kept.</param>
    /// <param name="checkpoints">Signed (and countersigned) checkpoints whose signatures the caller has verified.</param>
    public static AuditChainResult Verify(
        IEnumerable<AuditChainLink> links,
        AuditChainAnchor? start = null,
        IEnumerable<AuditChainAnchor>? checkpoints = null)
    {
        ArgumentNullException.ThrowIfNull(links);
        AuditChainAnchor head = start ?? Start;
        if (head.Hash.IsDefault || head.Seq < 0)
        {
            throw new ArgumentException("The start anchor needs a hash and a non-negative seq.", nameof(start));
        }
        AuditChainAnchor[] known = [.. (checkpoints ?? []).OrderBy(c => c.Seq)];
        int next = 0;
        while (next < known.Length && known[next].Seq <= head.Seq)
        {
            if (known[next].Seq == head.Seq && known[next].Hash != head.Hash)
            {
                return new AuditChainResult(AuditChainFault.CheckpointMismatch, head.Seq, head);
            }
            next++;
        }

        foreach (AuditChainLink link in links)
        {
            ArgumentNullException.ThrowIfNull(link, nameof(links));
            long expected = head.Seq + 1;
            if (link.Seq != expected)
            {
                return new AuditChainResult(AuditChainFault.SequenceBreak, expected, head);
            }
            Sha256Hash hash = Next(head.Hash, link.Seq, link.Event);
            if (hash != link.Hash)
            {
                return new AuditChainResult(AuditChainFault.HashMismatch, link.Seq, head);
            }
            while (next < known.Length && known[next].Seq == link.Seq)
            {
                if (known[next].Hash != hash)
                {
                    return new AuditChainResult(AuditChainFault.CheckpointMismatch, link.Seq, head);
                }
                next++;
            }
            head = new AuditChainAnchor(link.Seq, hash);
        }

        return next < known.Length
            ? new AuditChainResult(AuditChainFault.Truncated, head.Seq + 1, head)
            : new AuditChainResult(AuditChainFault.None, null, head);
    }
}
