using Coffer.Protocol.Signatures;

namespace Coffer.Crypto.Provenance;

/// <summary>
/// A group certificate as it was made at a rotation, with the succession signature that vouches for it:
/// the previous serial's group signing key (ECDSA P-256, P1363) over this certificate's <c>group-cert</c>
/// record (PROTOCOL.md §5.2). The first certificate of a group (serial 1) has none.
/// </summary>
/// <param name="Certificate">The certificate of one keyset serial.</param>
/// <param name="Signature">The previous serial's signature over <see cref="GroupCertificate.Record"/>, or null for serial 1.</param>
public sealed record GroupSuccession(GroupCertificate Certificate, byte[]? Signature);

/// <summary>
/// Group key rotation under pinned keys (PROTOCOL.md §5.1: once a client has pinned a subject's key, a different
/// key is accepted only if it is signed by the subject's previous signing key; docs/adr/0010). At a rotation the
/// rotating client, which holds the old group keyset, signs the new serial's <c>group-cert</c> record with the old
/// group signing key (ECDSA P-256 with SHA-256, 64-byte P1363 signature). A client that pinned serial <c>p</c> moves
/// its pin to the current serial <c>n</c> only along an unbroken chain of such signatures from <c>p</c> to <c>n</c>.
/// The group signing key signs nothing else, so the reused <c>group-cert</c> tag is not ambiguous.
/// </summary>
public static class GroupKeySuccession
{
    /// <summary>Signs the next serial's certificate record with the previous serial's group signing key.</summary>
    /// <param name="previousGroupSigningKey">The signing key of the keyset being replaced.</param>
    /// <param name="next">The new certificate's record.</param>
    /// <returns>The 64-byte signature.</returns>
    public static byte[] Sign(EcdsaP256PrivateKey previousGroupSigningKey, GroupCertTbs next)
    {
        ArgumentNullException.ThrowIfNull(previousGroupSigningKey);
        ArgumentNullException.ThrowIfNull(next);
        return next.Sign(previousGroupSigningKey);
    }

    /// <summary>True if <paramref name="signature"/> is the previous signing key's signature over <paramref name="next"/>.</summary>
    /// <param name="previousSigningSpki">The previous serial's ECDSA P-256 public key, DER SPKI.</param>
    /// <param name="next">The new certificate's record.</param>
    /// <param name="signature">The succession signature.</param>
    public static bool Verify(ReadOnlySpan<byte> previousSigningSpki, GroupCertTbs next, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (!EcdsaP256.TryImportPublicKey(previousSigningSpki, out EcdsaP256PublicKey? key))
        {
            return false;
        }
        using (key)
        {
            return next.Verify(key, signature);
        }
    }

    /// <summary>
    /// Checks that <paramref name="current"/> follows from the pinned keys of serial <see cref="PinnedKeys.KeysetSerial"/>:
    /// <paramref name="history"/> must hold, for every serial from the pinned one to the current one, this group's
    /// certificate; the pinned serial's must name the pinned fingerprints; each later one must carry a succession
    /// signature by the signing key of the serial before it; and the last must name the current certificate's keys.
    /// The current certificate's own chain to the root is the caller's to check (<see cref="OrganisationTrust.VerifyGroup"/>).
    /// </summary>
    /// <returns><see cref="ProvenanceFailure.None"/>, or why the chain does not hold.</returns>
    public static ProvenanceFailure VerifyChain(PinnedKeys pinned, GroupCertificate current, IEnumerable<GroupSuccession> history)
    {
        ArgumentNullException.ThrowIfNull(pinned);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(history);
        GroupCertTbs target = current.Record;
        if (target.KeysetSerial <= pinned.KeysetSerial)
        {
            // Same serial with other keys, or an older serial: a substitution or a rollback, never a rotation.
            return ProvenanceFailure.Mismatch;
        }
        Dictionary<long, GroupSuccession> bySerial = [];
        foreach (GroupSuccession entry in history)
        {
            ArgumentNullException.ThrowIfNull(entry);
            GroupCertTbs r = entry.Certificate.Record;
            if (!string.Equals(r.GroupId, target.GroupId, StringComparison.Ordinal)
                || !string.Equals(r.OrgId, target.OrgId, StringComparison.Ordinal)
                || !bySerial.TryAdd(r.KeysetSerial, entry))
            {
                return ProvenanceFailure.Mismatch;
            }
        }
        if (!bySerial.TryGetValue(pinned.KeysetSerial, out GroupSuccession? start)
            || !start.Certificate.Record.EncFpr.AsSpan().SequenceEqual(pinned.EncryptionFingerprint)
            || !start.Certificate.Record.SigFpr.AsSpan().SequenceEqual(pinned.SigningFingerprint)
            || Fingerprint.FromSpki(start.Certificate.SigningPublicKey) != start.Certificate.Record.SigFpr)
        {
            return ProvenanceFailure.Mismatch;
        }
        byte[] previousSigningSpki = start.Certificate.SigningPublicKey;
        for (long serial = pinned.KeysetSerial + 1; serial <= target.KeysetSerial; serial++)
        {
            if (!bySerial.TryGetValue(serial, out GroupSuccession? step) || step.Signature is null)
            {
                return ProvenanceFailure.Mismatch;
            }
            GroupCertificate certificate = step.Certificate;
            if (Fingerprint.FromSpki(certificate.SigningPublicKey) != certificate.Record.SigFpr)
            {
                return ProvenanceFailure.FingerprintMismatch;
            }
            if (!Verify(previousSigningSpki, certificate.Record, step.Signature))
            {
                return ProvenanceFailure.BadSignature;
            }
            previousSigningSpki = certificate.SigningPublicKey;
        }
        GroupCertTbs last = bySerial[target.KeysetSerial].Certificate.Record;
        bool same = last.EncFpr == target.EncFpr && last.SigFpr == target.SigFpr
            && string.Equals(last.KeysetId, target.KeysetId, StringComparison.Ordinal)
            && string.Equals(last.GroupKind, target.GroupKind, StringComparison.Ordinal);
        return same ? ProvenanceFailure.None : ProvenanceFailure.Mismatch;
    }
}
