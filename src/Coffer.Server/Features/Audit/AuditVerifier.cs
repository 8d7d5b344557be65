using Coffer.Protocol.Audit;
using Coffer.Protocol.Signatures;

namespace Coffer.Server.Features.Audit;

/// <summary>Whether the audit key in the key file is certified by the organisation root (docs/adr/0016).</summary>
internal enum AuditKeyCertification
{
    /// <summary>No organisation yet, so nothing to certify.</summary>
    NotSetUp,

    /// <summary>The newest certificate names the key in the key file.</summary>
    Certified,

    /// <summary>The key has a certificate, but a newer one names another key: the key file holds a replaced key.</summary>
    Superseded,

    /// <summary>No certificate names the key (never certified, or the key file was replaced since).</summary>
    Uncertified,
}

/// <summary>
/// What <see cref="AuditVerifier"/> found. <see cref="FirstBadSeq"/> names the first event or checkpoint that fails.
/// <see cref="Warnings"/> are findings that do not break the log's integrity, say an audit key no Owner has certified yet.
/// </summary>
internal sealed record AuditVerifyReport(
    bool Intact,
    string Fault,
    long? FirstBadSeq,
    string Message,
    long StartSeq,
    long HeadSeq,
    long EventsChecked,
    int CheckpointsChecked,
    int CountersignaturesChecked)
{
    /// <summary>The state of the key-file key's certificate.</summary>
    public AuditKeyCertification KeyCertification { get; init; } = AuditKeyCertification.NotSetUp;

    /// <summary>The organisation root the certificates were checked under (base32), for comparison with the Emergency Kit.</summary>
    public string? RootFingerprint { get; init; }

    /// <summary>Root certificates of audit keys checked.</summary>
    public int KeyCertificatesChecked { get; init; }

    /// <summary>Checkpoints signed by a key the root certified (the key file's or a replaced one).</summary>
    public int CheckpointsByCertifiedKey { get; init; }

    /// <summary>Checkpoints signed by the key in the key file while no certificate names it.</summary>
    public int CheckpointsByUncertifiedKey { get; init; }

    /// <summary>Findings for the operator that are not integrity faults.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// <c>coffer-server audit verify</c> (PROTOCOL.md §11): checks every root certificate of an audit key (docs/adr/0016)
/// under the organisation root, every checkpoint's signature with the audit key of the key file or a root-certified one,
/// every countersignature with its signer's keyset signing keys, then re-walks the chain from genesis or from the
/// checkpoint the newest purge kept, recomputing every hash and comparing every checkpoint. Reports the first fault:
/// a certificate that does not verify, an edited event (hash mismatch or a malformed field), a deleted, inserted or moved
/// one (sequence break), a consistent rewrite (checkpoint mismatch), a truncated tail (a checkpoint past the last event),
/// a bad signature, or a certification the chain records whose certificate is gone (deleting the newest certificate would
/// put a replaced key back in charge). A key-file key that no certificate names is a warning, not a fault: the log is as
/// intact as before certificates existed, but no Owner has vouched for the key.
/// </summary>
internal sealed class AuditVerifier(AuditStore store, AuditKeyCertificateStore certificates)
{
    private const int PageSize = 2000;

    /// <summary>A verifier over <paramref name="store"/>'s database.</summary>
    public AuditVerifier(AuditStore store)
        : this(store, new AuditKeyCertificateStore(store.Database, store))
    {
    }

    /// <summary>Verifies everything without a pinned organisation fingerprint (the root is the database's).</summary>
    public Task<AuditVerifyReport> VerifyAsync(byte[] trustedAuditKey, CancellationToken ct) => VerifyAsync(trustedAuditKey, null, ct);

    /// <summary>
    /// Verifies everything. <paramref name="trustedAuditKey"/> is the audit key's DER SPKI (from the key file); a checkpoint
    /// signed by any other key fails unless the root certified that key. <paramref name="expectedRoot"/>, when given (from the
    /// Emergency Kit), must be the root the database holds, since whoever edits the database could put in a root of their own.
    /// </summary>
    public async Task<AuditVerifyReport> VerifyAsync(byte[] trustedAuditKey, Fingerprint? expectedRoot, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(trustedAuditKey);
        int checkpointsChecked = 0;
        int countersChecked = 0;
        using EcdsaP256PublicKey auditKey = EcdsaP256.ImportPublicKey(trustedAuditKey);
        AuditRoot? root = await store.RootAsync(ct);
        string? orgId = root?.OrgId;
        string? rootText = root is null ? null : Fingerprint.FromSpki(root.PublicKey).ToString();

        // The root's certificates of audit keys: every one must verify, whichever key it names.
        Dictionary<Fingerprint, AuditKeyCertificateRow> certified = [];
        List<AuditKeyCertificateRow> certs = await certificates.AllAsync(ct);
        if (root is not null && expectedRoot is { } pinned && Fingerprint.FromSpki(root.PublicKey) != pinned)
        {
            AuditVerifyReport mismatch = Fail("root-mismatch", null,
                $"The database holds root {rootText}, not the organisation fingerprint given ({pinned}): the root was replaced.", 0, 0, 0, 0, 0);
            return mismatch with { RootFingerprint = rootText };
        }
        foreach (AuditKeyCertificateRow cert in certs)
        {
            if (root is null || !CertificateValid(cert, root))
            {
                AuditVerifyReport forged = Fail("bad-audit-key-certificate", null,
                    $"The certificate of audit key {Describe(cert.KeyFingerprint)} does not verify under the organisation root: it was altered or forged.",
                    0, 0, 0, 0, 0);
                return forged with { RootFingerprint = rootText };
            }
            certified[Fingerprint.FromBytes(cert.KeyFingerprint)] = cert;
        }
        AuditKeyCertification certification = KeyState(root, certs, auditKey.Fingerprint);

        List<AuditCheckpointRow> checkpoints = await store.CheckpointsAsync(ct);
        Dictionary<long, AuditCheckpointRow> bySeq = [];
        int byCertified = 0;
        int byUncertified = 0;
        foreach (AuditCheckpointRow cp in checkpoints)
        {
            if (orgId is null || !SignedByTrustedKey(cp, orgId, auditKey, certified))
            {
                AuditVerifyReport bad = Fail("bad-checkpoint-signature", cp.Seq,
                    $"Checkpoint at seq {cp.Seq} is signed neither by the audit key in the key file nor by one the root certified.",
                    0, 0, 0, checkpointsChecked, countersChecked);
                return bad with { RootFingerprint = rootText, KeyCertification = certification };
            }
            if (certified.ContainsKey(Fingerprint.FromBytes(cp.KeyFingerprint)))
            {
                byCertified++;
            }
            else
            {
                byUncertified++;
            }
            bySeq[cp.Seq] = cp;
            checkpointsChecked++;
        }
        AuditVerifyReport Finish(AuditVerifyReport report) => report with
        {
            KeyCertification = certification,
            RootFingerprint = rootText,
            KeyCertificatesChecked = certs.Count,
            CheckpointsByCertifiedKey = byCertified,
            CheckpointsByUncertifiedKey = byUncertified,
            Warnings = report.Intact ? Warnings(certification, auditKey.Fingerprint, byUncertified) : [],
        };

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
                return Finish(Fail("bad-countersignature", cs.Seq, $"The countersignature of checkpoint {cs.Seq} by member {cs.SignerId} does not verify.",
                    0, 0, 0, checkpointsChecked, countersChecked));
            }
            countersChecked++;
        }

        AuditChainAnchor start = AuditChain.Start;
        if (await store.LatestPurgeAsync(ct) is { } purge)
        {
            if (!bySeq.TryGetValue(purge.CutSeq, out AuditCheckpointRow? kept) || !kept.ChainHash.AsSpan().SequenceEqual(purge.CutHash))
            {
                return Finish(Fail("missing-purge-checkpoint", purge.CutSeq, $"No signed checkpoint at the purge cut {purge.CutSeq}; the kept chain has no anchor.",
                    0, 0, 0, checkpointsChecked, countersChecked));
            }
            start = new AuditChainAnchor(kept.Seq, Sha256Hash.FromBytes(kept.ChainHash));
        }
        AuditChainAnchor[] anchors = [.. checkpoints.Select(cp => new AuditChainAnchor(cp.Seq, Sha256Hash.FromBytes(cp.ChainHash)))];

        AuditChainAnchor head = start;
        long checkedEvents = 0;
        List<(long Seq, string? Details)> certifications = [];
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
                if (row.Action == AuditActions.AuditKeyCertify && row.Outcome == AuditOutcomes.Success)
                {
                    certifications.Add((row.Seq, row.Details));
                }
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
                return Finish(FromChain(result, start, checkedEvents + (result.Head.Seq - head.Seq), checkpointsChecked, countersChecked));
            }
            checkedEvents += links.Count;
            head = result.Head;
            if (malformed is not null)
            {
                return Finish(Fail("malformed-event", malformed.Seq, $"Event {malformed.Seq} has a malformed field: it was edited.",
                    start.Seq, head.Seq, checkedEvents, checkpointsChecked, countersChecked));
            }
            if (page.Count < PageSize)
            {
                break;
            }
        }
        AuditChainResult tail = AuditChain.Verify([], head, anchors.Where(a => a.Seq >= head.Seq));
        if (!tail.IsValid)
        {
            return Finish(FromChain(tail, start, checkedEvents, checkpointsChecked, countersChecked));
        }
        // Every certification the verified chain records must still be there (or a newer one of the same key): deleting the
        // newest certificate would otherwise put an older, replaced key back in charge without a trace.
        foreach ((long seq, string? details) in certifications)
        {
            if (!CertificationKept(details, certified))
            {
                return Finish(Fail("missing-audit-key-certificate", seq,
                    $"Event {seq} records a certification of the audit key whose certificate is no longer stored: it was deleted or replaced by an older one.",
                    start.Seq, head.Seq, checkedEvents, checkpointsChecked, countersChecked));
            }
        }
        return Finish(new AuditVerifyReport(true, "none", null,
            $"Activity log intact: events {start.Seq + 1}..{head.Seq} ({checkedEvents}), {checkpointsChecked} checkpoints, {countersChecked} countersignatures verified.",
            start.Seq, head.Seq, checkedEvents, checkpointsChecked, countersChecked));
    }

    /// <summary>The key file's key is certified when the newest certificate names it; an older one names a key since replaced.</summary>
    private static AuditKeyCertification KeyState(AuditRoot? root, List<AuditKeyCertificateRow> certs, Fingerprint keyFile)
    {
        if (root is null)
        {
            return AuditKeyCertification.NotSetUp;
        }
        AuditKeyCertificateRow? newest = certs.MaxBy(c => c.IssuedAt);
        if (newest is not null && newest.KeyFingerprint.AsSpan().SequenceEqual(keyFile.AsSpan()))
        {
            return AuditKeyCertification.Certified;
        }
        return certs.Any(c => c.KeyFingerprint.AsSpan().SequenceEqual(keyFile.AsSpan())) ? AuditKeyCertification.Superseded : AuditKeyCertification.Uncertified;
    }

    private static List<string> Warnings(AuditKeyCertification certification, Fingerprint keyFile, int byUncertified) => certification switch
    {
        AuditKeyCertification.Uncertified =>
        [
            $"The audit key in the key file ({keyFile.ToDisplayString()}) is not certified by the organisation root: no Owner has certified it yet, or the "
            + $"key file was replaced. {byUncertified} checkpoints are signed by it, and administrators' clients will not countersign them until an "
            + "Owner's client certifies it (POST /api/v1/audit/key-certificate).",
        ],
        AuditKeyCertification.Superseded =>
        [
            $"The audit key in the key file ({keyFile.ToDisplayString()}) was certified once, but a newer certificate names another key: this node "
            + "holds a replaced key file. Clients refuse its checkpoints; give every node the current key file.",
        ],
        _ => [],
    };

    /// <summary>The certify event's key (details: fingerprint, issuedAt) has a verified certificate at least as new.</summary>
    private static bool CertificationKept(string? details, Dictionary<Fingerprint, AuditKeyCertificateRow> certified)
    {
        try
        {
            using System.Text.Json.JsonDocument doc = System.Text.Json.JsonDocument.Parse(details ?? "");
            Fingerprint fingerprint = Fingerprint.Parse(doc.RootElement.GetProperty("fingerprint").GetString() ?? "");
            long issuedAt = doc.RootElement.GetProperty("issuedAt").GetInt64();
            return certified.TryGetValue(fingerprint, out AuditKeyCertificateRow? cert) && cert.IssuedAt >= issuedAt;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    private static bool CertificateValid(AuditKeyCertificateRow cert, AuditRoot root) =>
        cert.KeyFingerprint.Length == Fingerprint.Size
        && Fingerprint.TryFromSpki(cert.PublicKey, out Fingerprint actual, out SpkiAlgorithm algorithm) && algorithm == SpkiAlgorithm.EcP256
        && actual == Fingerprint.FromBytes(cert.KeyFingerprint)
        && AuditKeyCertificateStore.SignedByRoot(root.OrgId, root.PublicKey, actual, cert.IssuedAt, cert.Signature);

    private static string Describe(byte[] fingerprint) =>
        fingerprint.Length == Fingerprint.Size ? Fingerprint.FromBytes(fingerprint).ToDisplayString() : "(malformed fingerprint)";

    /// <summary>Signed by the key-file key, or by a key the root certified (one that was replaced since, say).</summary>
    private static bool SignedByTrustedKey(AuditCheckpointRow cp, string orgId, EcdsaP256PublicKey keyFile,
        Dictionary<Fingerprint, AuditKeyCertificateRow> certified)
    {
        if (cp.KeyFingerprint.Length != Fingerprint.Size)
        {
            return false;
        }
        if (cp.KeyFingerprint.AsSpan().SequenceEqual(keyFile.Fingerprint.AsSpan()))
        {
            return CheckpointSignatureValid(cp, orgId, keyFile);
        }
        return certified.TryGetValue(Fingerprint.FromBytes(cp.KeyFingerprint), out AuditKeyCertificateRow? cert)
            && CheckpointSignatureValid(cp, orgId, cert.PublicKey);
    }

    private static bool CheckpointSignatureValid(AuditCheckpointRow cp, string orgId, byte[] certifiedKey)
    {
        if (!EcdsaP256.TryImportPublicKey(certifiedKey, out EcdsaP256PublicKey? key))
        {
            return false;
        }
        using (key)
        {
            return CheckpointSignatureValid(cp, orgId, key);
        }
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
