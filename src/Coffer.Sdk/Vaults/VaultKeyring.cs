using System.Security.Cryptography;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Groups;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Vaults;

/// <summary>
/// The vault keys one client holds, and how it comes to hold one (PROTOCOL.md §5, §5.1): the highest key accepted per
/// vault, never an older one; a key it has not seen only from a signed grant to this member (or to a group it opened)
/// whose signer's certificate chain it verified; key n+1 after key n only through its succession envelope. Shared by
/// <see cref="VaultClient"/> (online, certificates fetched from the server) and by the local cache's offline reader
/// (certificates kept in the cache and verified again), so both follow one set of rules.
/// </summary>
internal sealed class VaultKeyring : IDisposable
{
    private readonly UnlockedAccount _account;
    private readonly Func<string, CancellationToken, Task<MemberCertificateResponse>> _fetchCertificate;
    private readonly Dictionary<string, VaultKey> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MemberCertificateResponse> _verifiedSigners = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <param name="account">The unlocked account whose keys open the grants.</param>
    /// <param name="fetchCertificate">Where a signer's certificate (with its issuer certificates) comes from; it is verified here.</param>
    public VaultKeyring(UnlockedAccount account, Func<string, CancellationToken, Task<MemberCertificateResponse>> fetchCertificate)
    {
        _account = account;
        _fetchCertificate = fetchCertificate;
    }

    /// <summary>The account the keys belong to.</summary>
    public UnlockedAccount Account => _account;

    /// <summary>The key held for a vault, if any.</summary>
    public VaultKey? Held(string vaultId)
    {
        lock (_lock)
        {
            return _keys.GetValueOrDefault(vaultId);
        }
    }

    /// <summary>Holds <paramref name="key"/> for its vault from now on, zeroing the one it replaces.</summary>
    public void Hold(VaultKey key)
    {
        lock (_lock)
        {
            if (_keys.Remove(key.VaultId, out VaultKey? old) && !ReferenceEquals(old, key))
            {
                old.Dispose();
            }
            _keys[key.VaultId] = key;
        }
    }

    /// <summary>Forgets (and zeroes) the key of a vault this member no longer holds.</summary>
    public void Forget(string vaultId)
    {
        lock (_lock)
        {
            if (_keys.Remove(vaultId, out VaultKey? key))
            {
                key.Dispose();
            }
        }
    }

    /// <summary>
    /// The last certificate response of <paramref name="memberId"/> that passed verification here, as it was served, so
    /// a cache can keep it and verify it again offline.
    /// </summary>
    public MemberCertificateResponse? VerifiedResponse(string memberId)
    {
        lock (_lock)
        {
            return _verifiedSigners.GetValueOrDefault(memberId);
        }
    }

    /// <summary>
    /// The vault key to use: the one held (a client never goes back to an older serial, and with
    /// <paramref name="preferHeld"/> it writes under what it holds, leaving the server to refuse a stale one),
    /// else the successor accepted through its succession envelope, else the key from a verified signed grant to this
    /// member or to a group it opened.
    /// </summary>
    public async Task<VaultKey> KeyAsync(VaultDto vault, CancellationToken cancellationToken, bool preferHeld = false)
    {
        VaultKey? held = Held(vault.Id);
        if (held is not null && (preferHeld || held.Serial >= vault.KeySerial))
        {
            return held;
        }
        (VaultGrantDto grant, Holder holder) = GrantToHolder(vault)
            ?? throw new ProvenanceException("The vault comes with no grant of its current key to this member or a group it holds.");
        int serial = checked((int)vault.KeySerial);
        byte[] raw = await UnwrapVerifiedAsync(grant.Wrap, vault.Id, serial, holder, cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_lock)
            {
                if (_keys.TryGetValue(vault.Id, out held) && held.Serial >= serial)
                {
                    return held;
                }
                VaultKey key;
                if (held is not null)
                {
                    VaultSuccessionDto succession = vault.Successions.FirstOrDefault(s => s.Serial == serial && held.Serial == serial - 1)
                        ?? throw new ProvenanceException("The vault's new key comes without a succession from the key held.");
                    key = held.AcceptSuccessor(serial, raw, WireMapper.ToEnvelope(succession.Succession, "vault.successions"))
                        ?? throw new ProvenanceException("The vault's new key does not follow from the key held.");
                    held.Dispose();
                }
                else
                {
                    key = VaultKey.FromUnwrapped(vault.Id, serial, raw);
                }
                _keys[vault.Id] = key;
                return key;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    /// <summary>The grant of the current key to this member, else to a group this account opened.</summary>
    public (VaultGrantDto Grant, Holder Holder)? GrantToHolder(VaultDto vault)
    {
        foreach (VaultGrantDto grant in vault.Grants.Where(g => g.Wrap.KeySerial == vault.KeySerial)
                     .OrderBy(g => g.Wrap.RecipientKind == CertKinds.Member ? 0 : 1))
        {
            if (grant.Wrap.RecipientKind == CertKinds.Member && grant.Wrap.RecipientId == _account.MemberId)
            {
                return (grant, new Holder(CertKinds.Member, _account.MemberId, _account.Keyset, _account.Certificate.Record.EncFpr));
            }
            if (grant.Wrap.RecipientKind == CertKinds.Group && _account.Groups.TryGetValue(grant.Wrap.RecipientId, out UnlockedGroup? group))
            {
                return (grant, new Holder(CertKinds.Group, group.GroupId, group.Keyset, group.Certificate.Record.EncFpr));
            }
        }
        return null;
    }

    /// <summary>
    /// A member's certificate, fetched and verified (PROTOCOL.md §5.1): it must name that member, chain through its issuer
    /// to the pinned organisation root, not be revoked, and agree with the keys pinned for the member.
    /// </summary>
    public async Task<(MemberCertificate Certificate, IssuerCertificate Issuer)> VerifiedMemberAsync(string memberId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        MemberCertificateResponse response = await _fetchCertificate(memberId, cancellationToken).ConfigureAwait(false);
        (MemberCertificate Certificate, IssuerCertificate Issuer) verified = new ServedCertificates(_account, response.Issuers).Member(response.Certificate, memberId);
        lock (_lock)
        {
            _verifiedSigners[memberId] = response;
        }
        return verified;
    }

    /// <summary>
    /// Opens a grant after checking it against the record this client expects (docs/adr/0005 rule 6): this vault and key
    /// serial, wrapped to its holder's certified key; the signer is the one fact taken from the server, and that signer's
    /// certificate must chain to the pinned root (its own, for a self-wrap: docs/adr/0011).
    /// </summary>
    private async Task<byte[]> UnwrapVerifiedAsync(SignedWrapDto dto, string vaultId, int serial, Holder holder, CancellationToken cancellationToken)
    {
        const string subject = "the vault key wrapped to you";
        WireWrap wire = WireMapper.ToWireWrap(dto, "vault.grant");
        if (wire.RecipientKind != holder.Kind || wire.RecipientId != holder.Id || wire.RecipientKeysetSerial != holder.Keyset.Serial)
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch, subject + " (it is not addressed to the current keys of its recipient)");
        }
        WrapTbs expected = new(WrapObjectKinds.Vault, vaultId, serial, holder.Id, holder.EncryptionFingerprint, Sha256Hash.Of(wire.Wrap), wire.SignerId);
        SignedWrap received = wire.ToSignedWrap(holder.EncryptionFingerprint);
        if (wire.SignerId == _account.MemberId)
        {
            // Signed by this member's own key, which the certificate verified at unlock names.
            using EcdsaP256PublicKey own = EcdsaP256.ImportPublicKey(_account.Certificate.SigningPublicKey);
            if (received.Record != expected || !received.Record.Verify(own, received.Signature))
            {
                throw new ProvenanceException(ProvenanceFailure.BadSignature, subject + " by you");
            }
        }
        else
        {
            MemberCertificate signer;
            IssuerCertificate issuer;
            try
            {
                (signer, issuer) = await VerifiedMemberAsync(wire.SignerId, cancellationToken).ConfigureAwait(false);
            }
            catch (CofferApiException e) when (e.Status == 404)
            {
                // A signer the server has no certificate for is nobody the organisation certified: a forgery, not a missing thing.
                throw new ProvenanceException(ProvenanceFailure.WrongSigner, subject + " by " + wire.SignerId + ", whom the organisation never certified");
            }
            ProvenanceFailure failure = _account.Trust.VerifyWrap(received, expected, signer, issuer);
            if (failure != ProvenanceFailure.None)
            {
                throw new ProvenanceException(failure, subject + " by member " + wire.SignerId);
            }
        }
        return KeyWrap.Unwrap(holder.Keyset.EncryptionKey, wire.Wrap) ?? throw new CofferProtocolException("could not decrypt");
    }

    /// <summary>Zeroes every vault key held.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (VaultKey key in _keys.Values)
            {
                key.Dispose();
            }
            _keys.Clear();
        }
    }
}
