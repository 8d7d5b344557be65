using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Audit;

/// <summary>The server's audit key as this client verified it.</summary>
/// <param name="PublicKey">The audit key's ECDSA P-256 DER SPKI.</param>
/// <param name="Fingerprint">Its fingerprint.</param>
/// <param name="Certificate">The root's certificate of it, verified to the pinned root and not older than one seen before; null when uncertified.</param>
public sealed record AuditKeyState(byte[] PublicKey, Fingerprint Fingerprint, AuditKeyCertificate? Certificate)
{
    /// <summary>True when the organisation root certified this key.</summary>
    public bool IsCertified => Certificate is not null;
}

/// <summary>A checkpoint this client verified and countersigned.</summary>
/// <param name="Seq">The last event it covers.</param>
/// <param name="ChainHash">The chain hash at <paramref name="Seq"/>.</param>
/// <param name="Time">When the server signed it (Unix ms).</param>
/// <param name="AuditKey">The fingerprint of the certified audit key that signed it.</param>
/// <param name="CountersignedAt">The time in this client's countersignature (Unix ms).</param>
public sealed record CountersignedCheckpoint(long Seq, Sha256Hash ChainHash, long Time, Fingerprint AuditKey, long CountersignedAt);

/// <summary>A checkpoint whose signature this client verified under a certified audit key.</summary>
/// <param name="Seq">The last event it covers.</param>
/// <param name="ChainHash">The chain hash at <paramref name="Seq"/>.</param>
/// <param name="Time">When the server signed it (Unix ms).</param>
/// <param name="AuditKey">The fingerprint of the audit key that signed it.</param>
/// <param name="Certificate">The root's certificate of that key, verified to the pinned root.</param>
public sealed record VerifiedCheckpoint(long Seq, Sha256Hash ChainHash, long Time, Fingerprint AuditKey, AuditKeyCertificate Certificate);

/// <summary>
/// The activity log's signatures (PROTOCOL.md §11; docs/adr/0016) for one unlocked member over their session. The server
/// signs checkpoints with an audit key kept outside the database; the organisation root certifies that key
/// (<c>audit-key</c> record). An Owner's client <see cref="CertifyKeyAsync">certifies</see> the key the server presents;
/// an administrator's client <see cref="CountersignLatestAsync">countersigns</see> the newest checkpoint at every sign-in,
/// but only after checking the checkpoint's signature under the audit key and that key's certificate under the pinned
/// root — a countersignature over a checkpoint of an uncertified or forged key would vouch for whatever the server wrote.
/// Every certificate verified moves the account's audit-key pin forward (<see cref="Pins.ObserveAuditKeyCertificate"/>);
/// the caller seals and stores the pins as after any other verification.
/// </summary>
public sealed class AuditClient
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private readonly CofferSession _session;
    private readonly UnlockedAccount _account;
    private readonly TimeProvider _clock;

    /// <summary>The activity log's signatures for <paramref name="account"/>, signed in as <paramref name="session"/>.</summary>
    public AuditClient(CofferSession session, UnlockedAccount account, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(account);
        _session = session;
        _account = account;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The audit key the server signs checkpoints with now, and its certificate verified to the pinned root.</summary>
    /// <exception cref="ProvenanceException">The certificate presented is not the root's for this key, or older than one this account has seen.</exception>
    /// <exception cref="CofferProtocolException">The answer is malformed or names another organisation.</exception>
    public async Task<AuditKeyState> GetKeyAsync(CancellationToken cancellationToken = default)
    {
        AuditKeyResponse served = await _session.SendAsync(HttpMethod.Get, "/api/v1/audit/key", Json.AuditKeyResponse, cancellationToken)
            .ConfigureAwait(false);
        return ReadKeyState(served);
    }

    /// <summary>
    /// Certifies with the organisation root the audit key the server signs with now, unless a certificate verified to the
    /// pinned root already names it (then that one is returned). Show the fingerprint to the Owner first: the root vouches
    /// that this is the server's key, and only the server's own log (it logs the fingerprint at start) says so from outside.
    /// </summary>
    /// <returns>The certificate that names the key now.</returns>
    /// <exception cref="InvalidOperationException">This account does not hold the root key (only Owners do).</exception>
    /// <exception cref="ProvenanceException">A certificate the server presents does not verify.</exception>
    /// <exception cref="CofferApiException">The server refused: 403 <c>forbidden</c> (not an Owner), 409 <c>audit-key-mismatch</c> (the key changed meanwhile), 409 <c>stale-version</c> (a newer certificate is held).</exception>
    public async Task<AuditKeyCertificate> CertifyKeyAsync(CancellationToken cancellationToken = default)
    {
        EcdsaP256PrivateKey root = _account.RootKey
            ?? throw new InvalidOperationException("This account does not hold the organisation's root key: only Owners certify the audit key.");
        AuditKeyState state = await GetKeyAsync(cancellationToken).ConfigureAwait(false);
        if (state.Certificate is { } existing)
        {
            return existing;
        }
        // Never older than a certificate this account has seen, so the new one supersedes it for every client.
        long issuedAt = Math.Max(_clock.GetUtcNow().ToUnixTimeMilliseconds(), _account.Pins.AuditKeyIssuedAt + 1);
        AuditKeyCertificate certificate = Signing.CertifyAuditKey(root, _account.Trust.OrgId, state.PublicKey, issuedAt);
        byte[] answer = await _session.ExchangeAsync(HttpMethod.Post, "/api/v1/audit/key-certificate",
            JsonSerializer.SerializeToUtf8Bytes(WireMapper.ToDto(certificate), Json.AuditKeyCertificateDto), cancellationToken).ConfigureAwait(false);
        CryptographicOperations.ZeroMemory(answer);
        Pin(certificate);
        return certificate;
    }

    /// <summary>
    /// Countersigns the newest checkpoint with this member's keyset signing key (<c>countersign</c> record), after checking
    /// that the root certified the audit key that signed it (to the pinned root, not older than a certificate seen before)
    /// and that the checkpoint's signature verifies under that key. Administrators' clients call this at every sign-in (§11).
    /// </summary>
    /// <exception cref="AuditKeyUncertifiedException">No certificate names the audit key that signed the checkpoint; nothing was signed.</exception>
    /// <exception cref="ProvenanceException">The certificate or the checkpoint's signature does not verify, or the certificate is older than one this account has seen; nothing was signed.</exception>
    /// <exception cref="CofferApiException">404 <c>not-found</c>: no checkpoint yet; 403 <c>forbidden</c>: this member may not view the activity log.</exception>
    public async Task<CountersignedCheckpoint> CountersignLatestAsync(CancellationToken cancellationToken = default)
    {
        VerifiedCheckpoint cp = await GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        long now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        CountersignTbs countersign = new(_account.Trust.OrgId, cp.Seq, cp.ChainHash, _account.MemberId, now);
        AuditCountersignRequest request = new(cp.Seq, Base64Url.Encode(cp.ChainHash.AsSpan()), now, Base64Url.Encode(countersign.Sign(_account.Keyset.SigningKey)));
        byte[] answer = await _session.ExchangeAsync(HttpMethod.Post, "/api/v1/audit/countersignatures",
            JsonSerializer.SerializeToUtf8Bytes(request, Json.AuditCountersignRequest), cancellationToken).ConfigureAwait(false);
        CryptographicOperations.ZeroMemory(answer);
        return new CountersignedCheckpoint(cp.Seq, cp.ChainHash, cp.Time, cp.AuditKey, now);
    }

    /// <summary>
    /// The newest checkpoint, verified as <see cref="CountersignLatestAsync"/> verifies it before signing: this organisation's,
    /// signed by an audit key the pinned root certified (a certificate not older than one this account has seen), and its
    /// signature valid under that key. The certificate moves the audit-key pin forward.
    /// </summary>
    /// <exception cref="AuditKeyUncertifiedException">No certificate names the audit key that signed it.</exception>
    /// <exception cref="ProvenanceException">The certificate or the signature does not verify, or the certificate is superseded.</exception>
    /// <exception cref="CofferApiException">404 <c>not-found</c>: no checkpoint yet; 403 <c>forbidden</c>: this member may not view the activity log.</exception>
    public async Task<VerifiedCheckpoint> GetLatestCheckpointAsync(CancellationToken cancellationToken = default)
    {
        AuditCheckpointDto cp = await _session.SendAsync(HttpMethod.Get, "/api/v1/audit/checkpoints/latest", Json.AuditCheckpointDto, cancellationToken)
            .ConfigureAwait(false);
        const string What = "activity-log checkpoint";
        if (!string.Equals(cp.OrgId, _account.Trust.OrgId, StringComparison.Ordinal))
        {
            throw new ProvenanceException(ProvenanceFailure.WrongOrganisation, "the newest " + What);
        }
        if (!Base64Url.TryDecode(cp.ChainHash, out byte[]? hash) || hash.Length != Sha256Hash.Size)
        {
            throw WireMapper.Malformed(What, "the chain hash is not 32 bytes of base64url");
        }
        if (!Base64Url.TryDecode(cp.Signature, out byte[]? signature) || signature.Length != EcdsaP256.SignatureSize)
        {
            throw WireMapper.Malformed(What, "the signature is not 64 bytes of base64url");
        }
        (byte[] spki, Fingerprint fingerprint) = ReadKey(cp.AuditKey, cp.AuditKeyFingerprint, What);
        AuditKeyCertificate certificate = cp.AuditKeyCertificate is null
            ? throw new AuditKeyUncertifiedException(fingerprint)
            : VerifiedCertificate(cp.AuditKeyCertificate, fingerprint);

        Sha256Hash chainHash = Sha256Hash.FromBytes(hash);
        CheckpointTbs checkpoint = WireMapperBuild(() => new CheckpointTbs(_account.Trust.OrgId, cp.Seq, chainHash, cp.Time), What);
        using (EcdsaP256PublicKey auditKey = EcdsaP256.ImportPublicKey(spki))
        {
            if (!checkpoint.Verify(auditKey, signature))
            {
                throw new ProvenanceException(ProvenanceFailure.BadSignature, $"the {What} at seq {cp.Seq} (signed by the certified audit key {fingerprint.ToDisplayString()})");
            }
        }
        Pin(certificate);
        return new VerifiedCheckpoint(cp.Seq, chainHash, cp.Time, certificate.Record.AuditFpr, certificate);
    }

    /// <summary>
    /// Certifies the audit key like <see cref="CertifyKeyAsync"/>, but only if the server still signs with
    /// <paramref name="expected"/>: the key whose fingerprint the Owner was shown and agreed to.
    /// </summary>
    /// <exception cref="ProvenanceException">The server's audit key is not <paramref name="expected"/> any more; nothing was signed.</exception>
    public async Task<AuditKeyCertificate> CertifyShownKeyAsync(Fingerprint expected, CancellationToken cancellationToken = default)
    {
        AuditKeyState state = await GetKeyAsync(cancellationToken).ConfigureAwait(false);
        if (state.Fingerprint != expected)
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch, "the server's audit key (it is not the key whose fingerprint you were shown)");
        }
        return await CertifyKeyAsync(cancellationToken).ConfigureAwait(false);
    }

    private AuditKeyState ReadKeyState(AuditKeyResponse served)
    {
        const string What = "audit key";
        if (!string.Equals(served.OrgId, _account.Trust.OrgId, StringComparison.Ordinal))
        {
            throw new ProvenanceException(ProvenanceFailure.WrongOrganisation, "the server's " + What);
        }
        (byte[] spki, Fingerprint fingerprint) = ReadKey(served.PublicKey, served.Fingerprint, What);
        AuditKeyCertificate? certificate = served.Certificate is null ? null : VerifiedCertificate(served.Certificate, fingerprint);
        if (certificate is not null)
        {
            Pin(certificate);
        }
        return new AuditKeyState(spki, fingerprint, certificate);
    }

    /// <summary>A certificate of <paramref name="fingerprint"/>'s key, verified to the pinned root and not older than the pin.</summary>
    private AuditKeyCertificate VerifiedCertificate(AuditKeyCertificateDto dto, Fingerprint fingerprint)
    {
        const string Subject = "the certificate of the server's audit key";
        AuditKeyCertificate certificate = WireMapper.ToAuditKeyCertificate(dto, _account.Trust.OrgId, "certificate of the audit key");
        if (certificate.Record.AuditFpr != fingerprint)
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch, Subject + " (it names another key than the one that signs)");
        }
        ProvenanceFailure failure = _account.Trust.VerifyAuditKey(certificate);
        if (failure != ProvenanceFailure.None)
        {
            throw new ProvenanceException(failure, Subject);
        }
        if (_account.Pins.AuditKeyIssuedAt > certificate.Record.IssuedAt)
        {
            // A certificate this account has seen supersedes it: the server presents a key it replaced, perhaps because it leaked.
            throw new ProvenanceException(ProvenanceFailure.Mismatch, Subject + " (a newer certificate names another key: this one was replaced)");
        }
        return certificate;
    }

    private void Pin(AuditKeyCertificate certificate)
    {
        if (_account.Pins.ObserveAuditKeyCertificate(certificate.Record.IssuedAt, certificate.Record.AuditFpr.AsSpan()) == PinCheck.Conflict)
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch, "the certificate of the server's audit key (another key certified at the same time)");
        }
    }

    private static (byte[] Spki, Fingerprint Fingerprint) ReadKey(string? key, string? fingerprintText, string what)
    {
        if (!Base64Url.TryDecode(key, out byte[]? spki) || !Fingerprint.TryFromSpki(spki, out Fingerprint fingerprint, out SpkiAlgorithm algorithm)
            || algorithm != SpkiAlgorithm.EcP256)
        {
            throw WireMapper.Malformed(what, "the audit key is not a canonical P-256 public key");
        }
        if (!string.Equals(fingerprintText, fingerprint.ToString(), StringComparison.Ordinal))
        {
            throw WireMapper.Malformed(what, "the fingerprint is not the audit key's");
        }
        return (spki, fingerprint);
    }

    private static T WireMapperBuild<T>(Func<T> make, string what)
    {
        try
        {
            return make();
        }
        catch (ArgumentException e)
        {
            throw WireMapper.Malformed(what, "a field is out of range", e);
        }
    }
}
