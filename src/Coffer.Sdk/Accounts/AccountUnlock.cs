using System.Globalization;
using System.Security.Cryptography;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Keys;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Keys;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Accounts;

/// <summary>
/// What a client does with <c>GET /api/v1/account/keys</c> after signing in (PROTOCOL.md §5.1,
/// docs/adr/0005), trusting nothing the server says until it is verified from the organisation
/// fingerprint this device pinned from outside the server:
/// <list type="number">
/// <item>the root must hash to the pinned fingerprint and sign itself; its account id must be this account's;</item>
/// <item>the revocation list must verify and be no older than the newest this device has seen;</item>
/// <item>the certificate naming this member must name exactly its own keyset's keys and chain to the root;</item>
/// <item>the keyset must open with the AUK (its private keys matching those public keys);</item>
/// <item>every group certificate must chain to the root and name the keyset served beside it;</item>
/// <item>every signed wrap addressed to this member — and, recursively, to each group it opens — is checked
/// against a record built from this client's own knowledge, its signer's certificate chain verified, then unwrapped
/// and the group keyset opened against its certified keys;</item>
/// <item>the member's issuer key and (Owners) the root key are opened and must match their certified public keys.</item>
/// </list>
/// Subject keys are checked against the pins (a changed key is refused; a group key may move to a higher serial along
/// its succession signatures, docs/adr/0010). Every refusal is a
/// <see cref="CofferProtocolException"/>, a <see cref="ProvenanceException"/> with its reason,
/// or — when the secrets do not open the keyset — an <see cref="UnlockFailedException"/>.
/// </summary>
public static class AccountUnlock
{
    /// <summary>Unlocks with the password and Secret Key (one 2SKD run with the server's KDF parameters).</summary>
    /// <param name="keys">The server's answer to <c>account/keys</c>.</param>
    /// <param name="kdf">The KDF parameters from <c>auth/start</c>.</param>
    /// <param name="password">The account password.</param>
    /// <param name="secretKey">The Secret Key.</param>
    /// <param name="account">What this device remembers (member id, organisation fingerprint, last iterations).</param>
    /// <param name="pins">The pins record (may be empty); not modified — the result carries an updated copy.</param>
    /// <param name="clock">The clock.</param>
    /// <param name="policy">The KDF policy; null is <see cref="KdfPolicy.Default"/>.</param>
    /// <exception cref="UnlockFailedException">The password or Secret Key is wrong.</exception>
    /// <exception cref="ProvenanceException">A key or certificate could not be verified.</exception>
    /// <exception cref="CofferProtocolException">The answer is malformed or the KDF parameters are refused.</exception>
    public static UnlockedAccount WithPassword(AccountKeysResponse keys, KdfDto kdf, string password, SecretKey secretKey,
        RememberedAccount account, Pins pins, TimeProvider clock, KdfPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(kdf);
        ArgumentNullException.ThrowIfNull(secretKey);
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(pins);
        ArgumentNullException.ThrowIfNull(clock);
        if (!string.Equals(secretKey.AccountId, account.AccountId, StringComparison.Ordinal))
        {
            throw new UnlockFailedException(string.Create(CultureInfo.InvariantCulture,
                $"This Secret Key belongs to account id {secretKey.AccountId}, not to {account.AccountId}: use the Secret Key on this account's Emergency Kit."));
        }
        int last = Math.Max(account.LastIterations, pins.LastIterations);
        using DerivedAccountKeys derived = AccountKeyDerivation.Derive(password, secretKey, account.MemberId, kdf, policy,
            last > 0 ? last : null);
        using EnvelopeKey auk = derived.CreateAukKey();
        return WithAuk(keys, auk, kdf.Iterations, account, pins, clock);
    }

    /// <summary>Unlocks with an AUK derived already (the sign-in derived it for SRP) or taken from an SSO credential bundle.</summary>
    /// <param name="keys">The server's answer to <c>account/keys</c>.</param>
    /// <param name="auk">The Account Unlock Key (kid <c>auk</c>).</param>
    /// <param name="iterations">The 2SKD iteration count used, to remember; null when the AUK came from a credential bundle.</param>
    /// <param name="account">What this device remembers.</param>
    /// <param name="pins">The pins record (may be empty); not modified — the result carries an updated copy.</param>
    /// <param name="clock">The clock.</param>
    /// <exception cref="UnlockFailedException">The AUK does not open the keyset.</exception>
    /// <exception cref="ProvenanceException">A key or certificate could not be verified.</exception>
    /// <exception cref="CofferProtocolException">The answer is malformed.</exception>
    public static UnlockedAccount WithAuk(AccountKeysResponse keys, EnvelopeKey auk, int? iterations, RememberedAccount account, Pins pins,
        TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(auk);
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(pins);
        ArgumentNullException.ThrowIfNull(clock);
        if (account.OrganisationFingerprint.IsDefault)
        {
            throw new ArgumentException("The account has no pinned organisation fingerprint.", nameof(account));
        }
        Pins working = new();
        working.MergeFrom(pins);
        using Unlocker unlocker = new(keys, account, working, clock.GetUtcNow().ToUnixTimeMilliseconds());
        return unlocker.Run(auk, iterations);
    }

    /// <summary>One unlock: the state it builds up, disposed unless handed to the result.</summary>
    private sealed class Unlocker(AccountKeysResponse keys, RememberedAccount account, Pins pins, long now) : IDisposable
    {
        private readonly Dictionary<string, List<IssuerCertificate>> _issuers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, MemberCertificate> _signers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (WireGroup Group, GroupCertificate Certificate)> _groups = new(StringComparer.Ordinal);
        private readonly Dictionary<string, UnlockedGroup> _opened = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Holder> _holders = new(StringComparer.Ordinal);
        private OrganisationTrust _trust = null!;
        private MemberCertificate _certificate = null!;
        private Keyset? _keyset;
        private EcdsaP256PrivateKey? _issuerKey;
        private EcdsaP256PrivateKey? _rootKey;
        private bool _handedOver;

        private string MemberId => account.MemberId;

        public UnlockedAccount Run(EnvelopeKey auk, int? iterations)
        {
            if (keys.Member is null || !string.Equals(keys.Member.MemberId, MemberId, StringComparison.Ordinal))
            {
                throw new CofferProtocolException("The server answered with another member's keys.");
            }
            EstablishTrust();
            ReadIssuersAndSigners();
            AcceptRevocationList();
            VerifyPresentedIssuers();
            SealedKeyset sealedKeyset = VerifyOwnCertificate();
            _keyset = Keyset.OpenWithAuk(sealedKeyset, auk) ?? throw new UnlockFailedException();
            _holders[MemberId] = new Holder(MemberId, CertKinds.Member, _keyset, _certificate.Record.EncFpr);
            VerifyGroups();
            OpenWrappedGroups();
            (IssuerCertificate? issuer, ProvenanceFailure issuerStatus) = OpenIssuerKey();
            OpenRootKey();
            if (iterations is int n && (n < account.LastIterations || pins.ObserveIterations(n) == PinCheck.Conflict))
            {
                throw new CofferProtocolException("The key-derivation iterations are fewer than this device used before; refusing to unlock.");
            }
            RememberedAccount updated = account with { LastIterations = Math.Max(account.LastIterations, pins.LastIterations) };
            Dictionary<string, GroupCertificate> certificates = _groups.ToDictionary(p => p.Key, p => p.Value.Certificate, StringComparer.Ordinal);
            UnlockedAccount result = new(updated, _keyset, _certificate, _trust, pins, new Dictionary<string, UnlockedGroup>(_opened, StringComparer.Ordinal),
                certificates, _issuerKey, issuer, issuerStatus, _rootKey);
            _handedOver = true;
            return result;
        }

        private void EstablishTrust()
        {
            if (pins.PinOrganisation(account.OrganisationFingerprint.AsSpan()) == PinCheck.Conflict)
            {
                throw new ProvenanceException(ProvenanceFailure.Mismatch, "the organisation fingerprint (this device's pins hold another one)");
            }
            OrganisationRoot root = WireMapper.ToOrganisationRoot(keys.Root);
            _trust = OrganisationTrust.Establish(account.OrganisationFingerprint, root)
                ?? throw new ProvenanceException(ProvenanceFailure.FingerprintMismatch,
                    "the organisation's signing key (it is not the one whose fingerprint is on your Emergency Kit or in your invitation)");
            if (!string.Equals(root.Record.AccountId, account.AccountId, StringComparison.Ordinal)
                || !string.Equals(root.Record.OrgId, account.OrgId, StringComparison.Ordinal))
            {
                throw new ProvenanceException(ProvenanceFailure.Mismatch, "the organisation's signing key (it names another organisation or account id)");
            }
        }

        private void ReadIssuersAndSigners()
        {
            IReadOnlyList<IssuerCertificateDto> issuers = keys.Issuers ?? throw new CofferProtocolException("The server's answer lacks the issuer certificates.");
            for (int i = 0; i < issuers.Count; i++)
            {
                IssuerCertificate certificate = WireMapper.ToIssuerCertificate(issuers[i], _trust.OrgId, Indexed("issuer certificate", i));
                if (!_issuers.TryGetValue(certificate.Record.IssuerId, out List<IssuerCertificate>? list))
                {
                    _issuers[certificate.Record.IssuerId] = list = [];
                }
                list.Add(certificate);
            }
            IReadOnlyList<SubjectCertificateDto> signers = keys.Signers ?? throw new CofferProtocolException("The server's answer lacks the signers' certificates.");
            for (int i = 0; i < signers.Count; i++)
            {
                MemberCertificate signer = WireMapper.ToMemberCertificate(signers[i], _trust.OrgId, Indexed("signer certificate", i));
                if (!_signers.TryAdd(signer.Record.MemberId, signer))
                {
                    throw new CofferProtocolException("The server sent two certificates for one signer.");
                }
            }
        }

        private void AcceptRevocationList()
        {
            RevocationList list = WireMapper.ToRevocationList(keys.RevocationList, _trust.OrgId);
            if (list.Record.ListVersion < pins.RevocationListVersion)
            {
                throw new ProvenanceException(ProvenanceFailure.StaleRevocationList, "the revocation list");
            }
            ProvenanceFailure failure;
            if (list.IssuerId is null)
            {
                failure = _trust.AcceptRevocationList(list, null, now);
            }
            else
            {
                failure = ProvenanceFailure.WrongSigner;
                foreach (IssuerCertificate candidate in IssuerCertificates(list.IssuerId))
                {
                    ProvenanceFailure result = _trust.AcceptRevocationList(list, candidate, now);
                    if (result == ProvenanceFailure.None)
                    {
                        failure = result;
                        break;
                    }
                    failure = Prefer(failure, result);
                }
            }
            Refuse(failure, "the revocation list");
            if (pins.ObserveRevocationList(list.Record.ListVersion, list.Record.IssuedAt) == PinCheck.Conflict)
            {
                throw new ProvenanceException(ProvenanceFailure.Mismatch, "the revocation list (another list with the same version was seen before)");
            }
        }

        /// <summary>
        /// Every issuer certificate the server presents must be the root's, judged at its own issue time (whether it
        /// may sign today is a question for each use). A revoked one is only unusable: whatever it signed fails as revoked.
        /// </summary>
        private void VerifyPresentedIssuers()
        {
            foreach (IssuerCertificate certificate in _issuers.Values.SelectMany(c => c))
            {
                ProvenanceFailure failure = _trust.VerifyIssuer(certificate, certificate.Record.IssuedAt);
                if (failure != ProvenanceFailure.Revoked)
                {
                    Refuse(failure, "the issuer certificate " + certificate.Record.IssuerId);
                }
            }
        }

        private SealedKeyset VerifyOwnCertificate()
        {
            const string subject = "the certificate naming you";
            _certificate = WireMapper.ToMemberCertificate(keys.Certificate, _trust.OrgId, "member certificate");
            SealedKeyset sealedKeyset = WireMapper.ToMemberKeyset(keys.Keyset, "keyset");
            MemberCertTbs r = _certificate.Record;
            // PROTOCOL.md §5.1: at every sign-in, the certificate naming this member must name its own keys.
            bool own = string.Equals(r.MemberId, MemberId, StringComparison.Ordinal)
                && string.Equals(r.KeysetId, sealedKeyset.KeysetId, StringComparison.Ordinal)
                && r.KeysetSerial == sealedKeyset.Serial
                && _certificate.EncryptionPublicKey.AsSpan().SequenceEqual(sealedKeyset.EncryptionPublicKey)
                && _certificate.SigningPublicKey.AsSpan().SequenceEqual(sealedKeyset.SigningPublicKey);
            if (!own)
            {
                throw new ProvenanceException(ProvenanceFailure.Mismatch, subject + " (it does not name your own keys)");
            }
            Refuse(VerifyMember(_certificate, out _), subject);
            CheckPin(MemberId, r.EncFpr, r.SigFpr, r.KeysetSerial, "your own keys");
            return sealedKeyset;
        }

        private void VerifyGroups()
        {
            IReadOnlyList<GroupKeysDto> groups = keys.Groups ?? throw new CofferProtocolException("The server's answer lacks the groups.");
            for (int i = 0; i < groups.Count; i++)
            {
                WireGroup group = WireMapper.ToGroup(groups[i], _trust.OrgId, Indexed("group", i));
                GroupCertTbs r = group.Certificate.Record;
                string subject = string.Create(CultureInfo.InvariantCulture, $"the certificate of group {r.GroupKind} ({r.GroupId})");
                bool consistent = string.Equals(r.GroupId, group.GroupId, StringComparison.Ordinal)
                    && string.Equals(r.GroupKind, group.Kind, StringComparison.Ordinal)
                    && string.Equals(r.KeysetId, group.Keyset.KeysetId, StringComparison.Ordinal)
                    && r.KeysetSerial == group.Keyset.Serial
                    && group.Certificate.EncryptionPublicKey.AsSpan().SequenceEqual(group.Keyset.EncryptionPublicKey)
                    && group.Certificate.SigningPublicKey.AsSpan().SequenceEqual(group.Keyset.SigningPublicKey);
                if (!consistent)
                {
                    throw new ProvenanceException(ProvenanceFailure.Mismatch, subject + " (it does not name the group and keys served with it)");
                }
                Refuse(VerifyIssued(r.IssuerId, issuer => _trust.VerifyGroup(group.Certificate, issuer), out _), subject);
                if (!_groups.TryAdd(group.GroupId, (group, group.Certificate)))
                {
                    throw new CofferProtocolException("The server sent one group twice.");
                }
                GroupPins.Check(pins, group.Certificate, Successions(group.GroupId), "the keys of group " + r.GroupKind);
            }
        }

        /// <summary>The served certificate history of a group, read only when a pin needs it (docs/adr/0010).</summary>
        private List<GroupSuccession> Successions(string groupId)
        {
            IReadOnlyList<GroupSuccessionDto> served = keys.GroupSuccessions ?? [];
            List<GroupSuccession> history = [];
            for (int i = 0; i < served.Count; i++)
            {
                if (string.Equals(served[i]?.Certificate?.SubjectId, groupId, StringComparison.Ordinal))
                {
                    history.Add(WireMapper.ToGroupSuccession(served[i], _trust.OrgId, Indexed("group succession", i)));
                }
            }
            return history;
        }

        /// <summary>
        /// Opens group keys through signed wraps, starting from this member and continuing through each
        /// group opened, until nothing new opens. Every wrap addressed to a principal this client holds is
        /// verified, also when its group is open already (a redundant wrap must not be a forged one).
        /// Wraps to principals it never holds are not its business and are left alone.
        /// </summary>
        private void OpenWrappedGroups()
        {
            IReadOnlyList<SignedWrapDto> dtos = keys.Wraps ?? throw new CofferProtocolException("The server's answer lacks the wraps.");
            List<WireWrap> pending = [];
            for (int i = 0; i < dtos.Count; i++)
            {
                pending.Add(WireMapper.ToWireWrap(dtos[i], Indexed("signed wrap", i)));
            }
            bool progress = true;
            while (progress)
            {
                progress = false;
                for (int i = pending.Count - 1; i >= 0; i--)
                {
                    if (_holders.TryGetValue(pending[i].RecipientId, out Holder? holder))
                    {
                        OpenWrap(pending[i], holder);
                        pending.RemoveAt(i);
                        progress = true;
                    }
                }
            }
        }

        private void OpenWrap(WireWrap wire, Holder recipient)
        {
            if (!string.Equals(wire.ObjectKind, WrapObjectKinds.Group, StringComparison.Ordinal))
            {
                throw new CofferProtocolException("The server sent, with the account keys, a wrap of something other than a group key.");
            }
            if (!_groups.TryGetValue(wire.ObjectId, out (WireGroup Group, GroupCertificate Certificate) group))
            {
                throw new CofferProtocolException("The server sent a wrapped key for a group it did not present.");
            }
            GroupCertTbs groupRecord = group.Certificate.Record;
            string subject = string.Create(CultureInfo.InvariantCulture,
                $"the key of group {groupRecord.GroupKind} wrapped to {(recipient.Kind == CertKinds.Member ? "you" : "group " + recipient.Id)} by {wire.SignerId}");
            if (!string.Equals(wire.RecipientKind, recipient.Kind, StringComparison.Ordinal) || wire.RecipientKeysetSerial != recipient.Keyset.Serial)
            {
                throw new ProvenanceException(ProvenanceFailure.Mismatch, subject + " (it is not addressed to the current keys of its recipient)");
            }
            MemberCertificate signer = string.Equals(wire.SignerId, MemberId, StringComparison.Ordinal)
                ? _certificate
                : _signers.GetValueOrDefault(wire.SignerId)
                    ?? throw new ProvenanceException(ProvenanceFailure.WrongSigner, subject + " (the server did not present the signer's certificate)");
            // The record this client expects, from its own knowledge (docs/adr/0005 rule 6): the group key it asked
            // for at the serial the verified group certificate names, wrapped to its own (or its group's) certified
            // key; only the signer's identity comes from the server, and that signer's certified key must have signed.
            WrapTbs expected = new(WrapObjectKinds.Group, groupRecord.GroupId, groupRecord.KeysetSerial, recipient.Id, recipient.EncryptionFingerprint,
                Sha256Hash.Of(wire.Wrap), wire.SignerId);
            SignedWrap received = wire.ToSignedWrap(recipient.EncryptionFingerprint);
            ProvenanceFailure chain = VerifyMember(signer, out IssuerCertificate? signerIssuer);
            Refuse(chain, subject + ", whose signer's certificate");
            Refuse(_trust.VerifyWrap(received, expected, signer, signerIssuer!), subject);
            if (!ReferenceEquals(signer, _certificate))
            {
                CheckPin(signer.Record.MemberId, signer.Record.EncFpr, signer.Record.SigFpr, signer.Record.KeysetSerial, "the keys of member " + signer.Record.MemberId);
            }
            byte[] key = KeyWrap.Unwrap(recipient.Keyset.EncryptionKey, wire.Wrap)
                ?? throw new CofferProtocolException("Could not decrypt " + subject + ".");
            try
            {
                if (_opened.TryGetValue(groupRecord.GroupId, out UnlockedGroup? open))
                {
                    Span<byte> held = stackalloc byte[EnvelopeKey.KeyLength];
                    open.Keyset.SymmetricKey.CopyKeyTo(held);
                    bool same = CryptographicOperations.FixedTimeEquals(held, key);
                    CryptographicOperations.ZeroMemory(held);
                    if (!same)
                    {
                        throw new CofferProtocolException("Two wraps of one group key hold different keys: " + subject + ".");
                    }
                    return;
                }
                Keyset keyset = Keyset.OpenWithSymmetricKey(group.Group.Keyset.KeysetId, group.Group.Keyset.Serial, key, group.Group.Keyset.PrivateParts,
                    group.Certificate.EncryptionPublicKey, group.Certificate.SigningPublicKey)
                    ?? throw new CofferProtocolException("The keyset of group " + groupRecord.GroupKind + " did not open with its wrapped key.");
                _opened[groupRecord.GroupId] = new UnlockedGroup(group.Group.Name, group.Certificate, keyset);
                _holders[groupRecord.GroupId] = new Holder(groupRecord.GroupId, CertKinds.Group, keyset, groupRecord.EncFpr);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }

        private (IssuerCertificate? Certificate, ProvenanceFailure Status) OpenIssuerKey()
        {
            if (keys.SealedIssuerKey is null)
            {
                return (null, ProvenanceFailure.None);
            }
            Envelope sealedKey = WireMapper.ToEnvelope(keys.SealedIssuerKey, "sealed issuer key");
            Keyset keyset = _keyset!;
            IEnumerable<IssuerCertificate> mine = _issuers.Values.SelectMany(c => c)
                .Where(c => string.Equals(c.Record.HolderId, MemberId, StringComparison.Ordinal))
                .OrderByDescending(c => c.Record.IssuedAt);
            foreach (IssuerCertificate certificate in mine)
            {
                string context = SigningKeySeal.IssuerContext(keyset.KeysetId, keyset.Serial, certificate.Record.IssuerId);
                EcdsaP256PrivateKey? key = SigningKeySeal.Open(keyset, context, sealedKey, certificate.IssuerPublicKey);
                if (key is null)
                {
                    continue;
                }
                // A revoked issuer (its holder stopped being an administrator, docs/adr/0015) is reported, and its key is not held.
                ProvenanceFailure chain = _trust.VerifyIssuer(certificate, certificate.Record.IssuedAt);
                if (chain == ProvenanceFailure.Revoked)
                {
                    key.Dispose();
                    return (certificate, chain);
                }
                _issuerKey = key;
                // Its chain must hold at the time it was issued; whether it may still sign today is reported, not refused.
                Refuse(chain, "your issuer certificate");
                return (certificate, _trust.VerifyIssuer(certificate, now));
            }
            throw new CofferProtocolException("Your sealed issuer key did not open, or matches none of your issuer certificates.");
        }

        private void OpenRootKey()
        {
            if (keys.SealedRootKey is null)
            {
                return;
            }
            Envelope sealedKey = WireMapper.ToEnvelope(keys.SealedRootKey, "sealed root key");
            UnlockedGroup[] owners = [.. _opened.Values.Where(g => string.Equals(g.Kind, GroupKinds.Owners, StringComparison.Ordinal))];
            if (owners.Length != 1)
            {
                throw new CofferProtocolException("The server sent the organisation's root key, but you hold no Owners group key to open it.");
            }
            Keyset keyset = owners[0].Keyset;
            _rootKey = SigningKeySeal.Open(keyset, SigningKeySeal.RootContext(keyset.KeysetId, keyset.Serial), sealedKey, _trust.Root.RootPublicKey)
                ?? throw new CofferProtocolException("The organisation's root key did not open, or is not the pinned root.");
        }

        private ProvenanceFailure VerifyMember(MemberCertificate certificate, out IssuerCertificate? issuer) =>
            VerifyIssued(certificate.Record.IssuerId, c => _trust.VerifyMember(certificate, c), out issuer);

        /// <summary>
        /// Verifies a certificate against each certificate the server presented for its issuer id (a renewed
        /// issuer has several); the first that validates it wins. Otherwise the most telling failure is reported.
        /// </summary>
        private ProvenanceFailure VerifyIssued(string issuerId, Func<IssuerCertificate, ProvenanceFailure> verify, out IssuerCertificate? issuer)
        {
            issuer = null;
            ProvenanceFailure failure = ProvenanceFailure.WrongSigner;
            foreach (IssuerCertificate candidate in IssuerCertificates(issuerId))
            {
                ProvenanceFailure result = verify(candidate);
                if (result == ProvenanceFailure.None)
                {
                    issuer = candidate;
                    return result;
                }
                failure = Prefer(failure, result);
            }
            return failure;
        }

        private List<IssuerCertificate> IssuerCertificates(string issuerId) => _issuers.GetValueOrDefault(issuerId) ?? [];

        /// <summary>A failure found on a presented certificate says more than "no such issuer"; "expired" says least.</summary>
        private static ProvenanceFailure Prefer(ProvenanceFailure current, ProvenanceFailure next) =>
            current == ProvenanceFailure.WrongSigner || (current == ProvenanceFailure.Expired && next != ProvenanceFailure.WrongSigner) ? next : current;

        private void CheckPin(string subjectId, Fingerprint enc, Fingerprint sig, long serial, string what)
        {
            PinnedKeys pinned = new(enc.ToArray(), sig.ToArray(), checked((int)serial));
            if (pins.CheckSubjectKeys(subjectId, pinned) == PinCheck.Conflict)
            {
                throw new ProvenanceException(ProvenanceFailure.Mismatch,
                    what + " (they differ from the keys this device verified before, and no verified key change explains it)");
            }
        }

        private static void Refuse(ProvenanceFailure failure, string subject)
        {
            if (failure != ProvenanceFailure.None)
            {
                throw new ProvenanceException(failure, subject);
            }
        }

        private static string Indexed(string what, int index) => string.Create(CultureInfo.InvariantCulture, $"{what} #{index + 1}");

        public void Dispose()
        {
            if (_handedOver)
            {
                return;
            }
            _keyset?.Dispose();
            foreach (UnlockedGroup group in _opened.Values)
            {
                group.Dispose();
            }
            _issuerKey?.Dispose();
            _rootKey?.Dispose();
        }
    }

    /// <summary>A principal whose private key this client holds: itself or a group it opened.</summary>
    private sealed record Holder(string Id, string Kind, Keyset Keyset, Fingerprint EncryptionFingerprint);
}
