using Coffer.Protocol.Audit;
using Coffer.Protocol.Signatures;

namespace Coffer.Server.Features.Audit;

/// <summary>What <see cref="AuditVerifier"/> found. <see cref="FirstBadSeq"/> names the first event or checkpoint that fails.</summary>
internal sealed record AuditVerifyReport(
    bool Intact,
    string Fault,
    long? FirstBadSeq,
    string Message,
    long StartSeq,
    long HeadSeq,
    long EventsChecked,
    int CheckpointsChecked,
    int CountersignaturesChecked);

/// <summary>
/// <c>coffer-server audit verify</c> (PROTOCOL.md §11): checks every checkpoint's signature with the trusted audit key,
/// every countersignature with its signer's keyset signing keys, then re-walks the chain from genesis or from the
/// checkpoint the newest purge kept, recomputing every hash and comparing every checkpoint. Reports the first fault:
/// an edited event (hash mismatch or a malformed field), a deleted, inserted or moved one (sequence break), a consistent
/// rewrite (checkpoint mismatch), a truncated tail (a checkpoint past the last event), or a bad signature.
/// </summary>
internal sealed class AuditVerifier(AuditStore store)
{
    private const int PageSize = 2000;

    /// <summary>Verifies everything; <paramref name="trustedAuditKey"/> is the audit key's DER SPKI (from the key file), and checkpoints signed by any other key fail.</summary>
    public async Task<AuditVerifyReport> VerifyAsync(byte[] trustedAuditKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(trustedAuditKey);
        int checkpointsChecked = 0;
        int countersChecked = 0;
        using EcdsaP256PublicKey auditKey = EcdsaP256.ImportPublicKey(trustedAuditKey);
        string? orgId = await store.OrganisationIdAsync(ct);

        List<AuditCheckpointRow> checkpoints = await store.CheckpointsAsync(ct);
        Dictionary<long, AuditCheckpointRow> bySeq = [];
        foreach (AuditCheckpointRow cp in checkpoints)
        {
            if (orgId is null || !CheckpointSignatureValid(cp, orgId, auditKey))
            {
                return Fail("bad-checkpoint-signature", cp.Seq, $"Checkpoint at seq {cp.Seq} is not signed by the audit key in the key file.",
                    0, 0, 0, checkpointsChecked, countersChecked);
            }
            bySeq[cp.Seq] = cp;
            checkpointsChecked++;
        }

        Dictionary<string, List<byte[]>> signingKeys = new(StringComparer.Ordinal);
        foreach (AuditCountersignatureRow cs in await store.CountersignaturesAsync(ct))
        {
            if (!signingKeys.TryGetValue(cs.SignerId, out List<byte[]>? keys))
            {
                keys = await store.MemberSigningKeysAsync(cs.SignerId, ct);
                signingKeys[cs.SignerId] = keys;
            }
            if (orgId is null || !bySeq.TryGetValue(cs.Seq, out AuditCheckpointRow? cp) || !CountersignatureValid(cs, cp, orgId, keys))
            {
                return Fail("bad-countersignature", cs.Seq, $"The countersignature of checkpoint {cs.Seq} by member {cs.SignerId} does not verify.",
                    0, 0, 0, checkpointsChecked, countersChecked);
            }
            countersChecked++;
        }

        AuditChainAnchor start = AuditChain.Start;
        if (await store.LatestPurgeAsync(ct) is { } purge)
        {
            if (!bySeq.TryGetValue(purge.CutSeq, out AuditCheckpointRow? kept) || !kept.ChainHash.AsSpan().SequenceEqual(purge.CutHash))
            {
                return Fail("missing-purge-checkpoint", purge.CutSeq, $"No signed checkpoint at the purge cut {purge.CutSeq}; the kept chain has no anchor.",
                    0, 0, 0, checkpointsChecked, countersChecked);
            }
            start = new AuditChainAnchor(kept.Seq, Sha256Hash.FromBytes(kept.ChainHash));
        }
        AuditChainAnchor[] anchors = [.. checkpoints.Select(cp => new AuditChainAnchor(cp.Seq, Sha256Hash.FromBytes(cp.ChainHash)))];

        AuditChainAnchor head = start;
        long checkedEvents = 0;
        while (true)
        {
            List<AuditEventRow> page = await store.EventsAsync(head.Seq == start.Seq && checkedEvents == 0 ? long.MinValue : head.Seq, PageSize, ct);
            if (page.Count == 0)
            {
                break;
            }
            List<AuditChainLink> links = new(page.Count);
            AuditEventRow? malformed = null;
            foreach (AuditEventRow row in page)
            {
                try
                {
                    links.Add(row.ToLink());
                }
                catch (ArgumentException)
                {
                    malformed = row;
                    break;
                }
            }
            long last = links.Count > 0 ? links[^1].Seq : head.Seq;
            AuditChainResult result = AuditChain.Verify(links, head, anchors.Where(a => a.Seq >= head.Seq && a.Seq <= last));
            if (!result.IsValid)
            {
                return FromChain(result, start, checkedEvents + (result.Head.Seq - head.Seq), checkpointsChecked, countersChecked);
            }
            checkedEvents += links.Count;
            head = result.Head;
            if (malformed is not null)
            {
                return Fail("malformed-event", malformed.Seq, $"Event {malformed.Seq} has a malformed field: it was edited.",
                    start.Seq, head.Seq, checkedEvents, checkpointsChecked, countersChecked);
            }
            if (page.Count < PageSize)
            {
                break;
            }
        }
        AuditChainResult tail = AuditChain.Verify([], head, anchors.Where(a => a.Seq >= head.Seq));
        if (!tail.IsValid)
        {
            return FromChain(tail, start, checkedEvents, checkpointsChecked, countersChecked);
        }
        return new AuditVerifyReport(true, "none", null,
            $"Activity log intact: events {start.Seq + 1}..{head.Seq} ({checkedEvents}), {checkpointsChecked} checkpoints, {countersChecked} countersignatures verified.",
            start.Seq, head.Seq, checkedEvents, checkpointsChecked, countersChecked);
    }

    private static bool CheckpointSignatureValid(AuditCheckpointRow cp, string orgId, EcdsaP256PublicKey auditKey)
    {
        if (cp.ChainHash.Length != Sha256Hash.Size || !cp.KeyFingerprint.AsSpan().SequenceEqual(auditKey.Fingerprint.AsSpan()))
        {
            return false;
        }
        CheckpointTbs tbs;
        try
        {
            tbs = new CheckpointTbs(orgId, cp.Seq, Sha256Hash.FromBytes(cp.ChainHash), cp.Time);
        }
        catch (ArgumentException)
        {
            return false;
        }
        return tbs.Verify(auditKey, cp.Signature);
    }

    private static bool CountersignatureValid(AuditCountersignatureRow cs, AuditCheckpointRow cp, string orgId, List<byte[]> signerKeys)
    {
        CountersignTbs tbs;
        try
        {
            tbs = new CountersignTbs(orgId, cp.Seq, Sha256Hash.FromBytes(cp.ChainHash), cs.SignerId, cs.Time);
        }
        catch (ArgumentException)
        {
            return false;
        }
        byte[] data = tbs.ToBeSigned();
        return signerKeys.Any(k => EcdsaP256.Verify(k, data, cs.Signature));
    }

    private static AuditVerifyReport FromChain(AuditChainResult r, AuditChainAnchor start, long checkedEvents, int checkpoints, int counters)
    {
        (string fault, string what) = r.Fault switch
        {
            AuditChainFault.HashMismatch => ("edited", "its hash does not match its fields and the previous hash: it was edited"),
            AuditChainFault.SequenceBreak => ("missing-or-reordered", "is missing or out of order: events were deleted, inserted or moved"),
            AuditChainFault.CheckpointMismatch => ("checkpoint-mismatch", "disagrees with a signed checkpoint: history was rewritten"),
            AuditChainFault.Truncated => ("truncated", "is missing although a signed checkpoint covers it: the log was cut short"),
            _ => ("unknown", "failed"),
        };
        return Fail(fault, r.FirstBadSeq, $"Event {r.FirstBadSeq} {what}.", start.Seq, r.Head.Seq, checkedEvents, checkpoints, counters);
    }

    private static AuditVerifyReport Fail(string fault, long? seq, string message, long start, long head, long events, int checkpoints, int counters) =>
        new(false, fault, seq, message, start, head, events, checkpoints, counters);
}
