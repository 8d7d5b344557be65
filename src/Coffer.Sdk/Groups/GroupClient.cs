using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Coffer.Contracts;
using Coffer.Contracts.Common;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Revocations;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Sdk.Ids;
using Coffer.Sdk.Issuers;
using Coffer.Sdk.Keys;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Groups;

/// <summary>
/// Groups and the revocation list for one unlocked member over their session (PROTOCOL.md §5, §5.1; docs/adr/0006,
/// docs/adr/0010). Every key it wraps goes to a certificate it verified to the pinned root first, every wrap and
/// certificate is signed here, and nothing is wrapped while the newest revocation list is more than 24 hours old.
/// Group keys come from the unlocked account, or from this client when it made them (a new group, a rotation); dispose
/// it to zero those.
/// </summary>
public sealed class GroupClient : IDisposable
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private readonly CofferSession _session;
    private readonly UnlockedAccount _account;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, Keyset> _made = new(StringComparer.Ordinal);

    /// <summary>A client for <paramref name="account"/>, signed in as <paramref name="session"/>.</summary>
    public GroupClient(CofferSession session, UnlockedAccount account, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(account);
        _session = session;
        _account = account;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Every group of the organisation (member ids only for callers with <c>manage_groups</c>).</summary>
    public async Task<IReadOnlyList<GroupSummaryDto>> ListAsync(CancellationToken cancellationToken = default) =>
        (await _session.SendAsync(HttpMethod.Get, "/api/v1/groups", Json.GroupListResponse, cancellationToken).ConfigureAwait(false)).Groups;

    /// <summary>A group with its current certificate, verified to the pinned root and against the pins.</summary>
    /// <exception cref="ProvenanceException">The certificate does not verify, or contradicts a pin without a succession.</exception>
    public Task<VerifiedGroup> GetAsync(string groupId, CancellationToken cancellationToken = default) =>
        GetVerifiedAsync(_session, _account, groupId, cancellationToken);

    /// <summary>Fetches a group and verifies its current certificate to the pinned root and against the pins (any client may ask).</summary>
    internal static async Task<VerifiedGroup> GetVerifiedAsync(CofferSession session, UnlockedAccount account, string groupId,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        GroupDetailResponse detail = await session.SendAsync(HttpMethod.Get, "/api/v1/groups/" + Uri.EscapeDataString(groupId),
            Json.GroupDetailResponse, cancellationToken).ConfigureAwait(false);
        ServedCertificates served = new(account, detail.Issuers);
        GroupCertificate certificate = served.Group(detail.Certificate, groupId, detail.Successions);
        if (detail.Group is null || !string.Equals(detail.Group.Id, groupId, StringComparison.Ordinal)
            || !string.Equals(detail.Group.Kind, certificate.Record.GroupKind, StringComparison.Ordinal)
            || detail.Group.KeySerial != certificate.Record.KeysetSerial)
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch, "the group " + groupId + " (its kind or key serial is not the certified one)");
        }
        return new VerifiedGroup(detail.Group, certificate, detail);
    }

    /// <summary>A confirmed member's current certificate, verified to the pinned root and against the pins.</summary>
    /// <exception cref="ProvenanceException">The certificate does not verify, is revoked, or contradicts a pin.</exception>
    public async Task<MemberCertificate> GetMemberCertificateAsync(string memberId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        MemberCertificateResponse found = await _session.SendAsync(HttpMethod.Get, $"/api/v1/members/{Uri.EscapeDataString(memberId)}/certificate",
            Json.MemberCertificateResponse, cancellationToken).ConfigureAwait(false);
        return new ServedCertificates(_account, found.Issuers).Member(found.Certificate, memberId).Certificate;
    }

    /// <summary>Creates a custom group (prepare and commit); returns its id.</summary>
    public async Task<string> CreateAsync(string name, IReadOnlyList<string> permissions, CancellationToken cancellationToken = default)
    {
        using GroupCreation creation = await PrepareCreateAsync(name, permissions, cancellationToken).ConfigureAwait(false);
        await CommitCreateAsync(creation, cancellationToken).ConfigureAwait(false);
        return creation.Request.GroupId;
    }

    /// <summary>
    /// Prepares a custom group: a new keyset certified with this administrator's issuer key, its key wrapped to the
    /// Owners and Administrators groups (docs/adr/0006) and signed with this member's key. Nothing is sent.
    /// </summary>
    /// <exception cref="InvalidOperationException">This account holds no current issuer key.</exception>
    public async Task<GroupCreation> PrepareCreateAsync(string name, IReadOnlyList<string> permissions, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(permissions);
        await RequireFreshRevocationListAsync(cancellationToken).ConfigureAwait(false);
        (EcdsaP256PrivateKey issuerKey, string issuerId) = Issuer();
        IReadOnlyList<GroupSummaryDto> groups = await ListAsync(cancellationToken).ConfigureAwait(false);
        List<GroupCertificate> managers = [];
        foreach (string kind in new[] { GroupKinds.Owners, GroupKinds.Administrators })
        {
            GroupSummaryDto manager = groups.SingleOrDefault(g => string.Equals(g.Kind, kind, StringComparison.Ordinal))
                ?? throw new CofferProtocolException("The server lists no " + kind + " group.");
            managers.Add((await GetAsync(manager.Id, cancellationToken).ConfigureAwait(false)).Certificate);
        }
        long now = Now();
        string groupId = UuidV7.New(_clock);
        Keyset keyset = Keyset.Generate(UuidV7.New(_clock));
        try
        {
            SealedKeyPrivateParts parts = keyset.SealPrivateParts();
            GroupCertificate certificate = Signing.CertifyGroup(issuerKey, _account.Trust.OrgId, issuerId, groupId, GroupKinds.Custom, keyset.KeysetId,
                keyset.Serial, keyset.EncryptionPublicKey, keyset.SigningPublicKey, now);
            CreateGroupRequest request = new(groupId, name, [.. permissions], WireMapper.ToGroupKeysetDto(keyset, parts), WireMapper.ToDto(certificate),
                [.. managers.Select(m => WrapGroupKey(keyset, groupId, m))]);
            return new GroupCreation(request, keyset);
        }
        catch
        {
            keyset.Dispose();
            throw;
        }
    }

    /// <summary>Sends a prepared group; on success this client holds its key.</summary>
    public async Task<GroupDetailResponse> CommitCreateAsync(GroupCreation creation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(creation);
        GroupDetailResponse created = await _session.SendAsync(HttpMethod.Post, "/api/v1/groups", creation.Request, Json.CreateGroupRequest,
            Json.GroupDetailResponse, cancellationToken).ConfigureAwait(false);
        Hold(creation.Request.GroupId, creation.TakeKeyset());
        return created;
    }

    /// <summary>Renames a custom group and sets its permissions.</summary>
    public Task UpdateAsync(string groupId, string name, IReadOnlyList<string> permissions, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        ArgumentNullException.ThrowIfNull(permissions);
        return SendAsync(HttpMethod.Put, "/api/v1/groups/" + Uri.EscapeDataString(groupId), new UpdateGroupRequest(name, [.. permissions]),
            Json.UpdateGroupRequest, cancellationToken);
    }

    /// <summary>
    /// Adds a member to a group: verifies the member's certificate chain to the pinned root, wraps the group's current
    /// key to the certified encryption key and signs the wrap.
    /// </summary>
    /// <exception cref="InvalidOperationException">This account does not hold the group's current key (unlock again after a rotation).</exception>
    /// <exception cref="ProvenanceException">The member's certificate or the group's does not verify, or the revocation list is stale.</exception>
    public async Task AddMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        await RequireFreshRevocationListAsync(cancellationToken).ConfigureAwait(false);
        VerifiedGroup group = await GetAsync(groupId, cancellationToken).ConfigureAwait(false);
        Keyset keyset = HeldKeyset(groupId, group.Certificate);
        MemberCertificate member = await GetMemberCertificateAsync(memberId, cancellationToken).ConfigureAwait(false);
        AddGroupMemberRequest request = new(WrapGroupKey(keyset, groupId, member));
        await SendAsync(HttpMethod.Post, $"/api/v1/groups/{Uri.EscapeDataString(groupId)}/members", request, Json.AddGroupMemberRequest, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Removes members from a group by rotating its key (prepare and commit). Removing an administrator from the Owners or
    /// Administrators group also retires their issuers (see <see cref="CommitRotationAsync"/>).
    /// </summary>
    /// <returns>The issuer retirements the removal caused (empty for other groups and for members who held no issuer).</returns>
    public async Task<IReadOnlyList<IssuerRetirement>> RemoveMembersAsync(string groupId, IReadOnlyCollection<string> memberIds,
        CancellationToken cancellationToken = default)
    {
        using GroupRotation rotation = await PrepareRemovalAsync(groupId, memberIds, cancellationToken).ConfigureAwait(false);
        return await CommitRotationAsync(rotation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Prepares a removal with rotation (PROTOCOL.md §5 "From a group"): the next group keyset, certified with this
    /// administrator's issuer key and signed by the old group key (its succession); the new key wrapped to every
    /// remaining member and managing group, each certificate verified first; every managed group's key and every vault
    /// key granted to the group (each grant verified) re-wrapped to it; for the Owners group, the root key re-sealed.
    /// Nothing is sent; <see cref="CommitRotationAsync"/> sends it.
    /// </summary>
    /// <exception cref="InvalidOperationException">No issuer key, no <c>manage_groups</c>, or a key this account does not hold.</exception>
    /// <exception cref="ArgumentException">A member to remove is not in the group.</exception>
    public async Task<GroupRotation> PrepareRemovalAsync(string groupId, IReadOnlyCollection<string> memberIds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        ArgumentNullException.ThrowIfNull(memberIds);
        await RequireFreshRevocationListAsync(cancellationToken).ConfigureAwait(false);
        (EcdsaP256PrivateKey issuerKey, string issuerId) = Issuer();
        VerifiedGroup group = await GetAsync(groupId, cancellationToken).ConfigureAwait(false);
        GroupManagementDto management = group.Response.Management
            ?? throw new InvalidOperationException("Rotating a group's key needs the manage_groups permission.");
        Keyset old = HeldKeyset(groupId, group.Certificate);
        ServedCertificates served = new(_account, group.Response.Issuers);
        HashSet<string> members = new(group.Group.MemberIds ?? [], StringComparer.Ordinal);
        HashSet<string> removed = new(memberIds, StringComparer.Ordinal);
        if (removed.Count == 0 || !removed.IsSubsetOf(members))
        {
            throw new ArgumentException("Name one or more members of the group.", nameof(memberIds));
        }
        Dictionary<string, MemberCertificate> remaining = new(StringComparer.Ordinal);
        foreach (SubjectCertificateDto dto in management.Members ?? [])
        {
            if (dto is not null && members.Contains(dto.SubjectId) && !removed.Contains(dto.SubjectId))
            {
                remaining[dto.SubjectId] = served.Member(dto, dto.SubjectId).Certificate;
            }
        }
        if (remaining.Count != members.Count - removed.Count)
        {
            throw new CofferProtocolException("The server did not present the certificate of every remaining member.");
        }
        List<GroupCertificate> managers = [];
        foreach (SubjectCertificateDto dto in management.ManagerGroups ?? [])
        {
            managers.Add((await GetAsync(dto.SubjectId, cancellationToken).ConfigureAwait(false)).Certificate);
        }

        long now = Now();
        int serial = old.Serial + 1;
        Keyset next = Keyset.Generate(old.KeysetId, serial);
        try
        {
            SealedKeyPrivateParts parts = next.SealPrivateParts();
            GroupCertificate certificate = Signing.CertifyGroup(issuerKey, _account.Trust.OrgId, issuerId, groupId, group.Certificate.Record.GroupKind,
                next.KeysetId, serial, next.EncryptionPublicKey, next.SigningPublicKey, now);
            byte[] succession = GroupKeySuccession.Sign(old.SigningKey, certificate.Record);
            List<SignedWrapDto> memberWraps = [.. remaining.Values.Select(m => WrapGroupKey(next, groupId, m))];
            List<SignedWrapDto> managerWraps = [.. managers.Select(m => WrapGroupKey(next, groupId, m))];
            List<SignedWrapDto> managedWraps = [];
            foreach (GroupKeyRefDto managed in management.ManagedGroups ?? [])
            {
                Keyset managedKeyset = HeldKeysetAt(managed.GroupId, managed.KeySerial);
                byte[] wrapped = managedKeyset.WrapSymmetricKeyTo(next.EncryptionPublicKey);
                SignedWrap signed = Signing.SignWrap(_account.Keyset.SigningKey, _account.MemberId, WrapObjectKinds.Group, managed.GroupId,
                    managedKeyset.Serial, groupId, next.EncryptionPublicKey, wrapped);
                managedWraps.Add(WireMapper.ToDto(signed, CertKinds.Group, serial));
            }
            List<SignedWrapDto> vaultGrants = [.. (management.VaultGrants ?? []).Select((g, i) => RewrapVaultGrant(g, i, groupId, old, next, served,
                management.Signers))];
            EnvelopeDto? sealedRoot = null;
            if (string.Equals(group.Certificate.Record.GroupKind, GroupKinds.Owners, StringComparison.Ordinal))
            {
                EcdsaP256PrivateKey root = _account.RootKey
                    ?? throw new InvalidOperationException("Rotating the Owners group re-seals the organisation's root key, which this account does not hold.");
                sealedRoot = WireMapper.ToDto(SigningKeySeal.Seal(next, SigningKeySeal.RootContext(next.KeysetId, serial), root));
            }
            RotateGroupRequest request = new(group.Group.KeySerial, [.. removed], WireMapper.ToGroupKeysetDto(next, parts), WireMapper.ToDto(certificate),
                Base64Url.Encode(succession), memberWraps, managerWraps, managedWraps, vaultGrants, sealedRoot);
            return new GroupRotation(groupId, group.Certificate.Record.GroupKind, request, next);
        }
        catch
        {
            next.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends a prepared rotation; on success this client holds the new group key. A rotation of the Owners or Administrators
    /// group is a demotion: every removed member who is now in neither group has their issuers retired
    /// (<see cref="IssuerAdministration.RetireAsync"/>, docs/adr/0027) — what they certified is re-certified with this
    /// account's issuer, then their issuers are revoked.
    /// </summary>
    /// <returns>The retirements done (empty for other groups and for members who held no issuer).</returns>
    public async Task<IReadOnlyList<IssuerRetirement>> CommitRotationAsync(GroupRotation rotation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rotation);
        await SendAsync(HttpMethod.Post, $"/api/v1/groups/{Uri.EscapeDataString(rotation.GroupId)}/rotate", rotation.Request, Json.RotateGroupRequest,
            cancellationToken).ConfigureAwait(false);
        Hold(rotation.GroupId, rotation.TakeKeyset());
        if (rotation.GroupKind is not (GroupKinds.Owners or GroupKinds.Administrators))
        {
            return [];
        }
        IssuerAdministration issuers = new(_session, _account, _clock);
        List<IssuerRetirement> retired = [];
        foreach (string memberId in rotation.Request.RemovedMemberIds.Order(StringComparer.Ordinal))
        {
            if (!await issuers.HoldsAdministrativeGroupAsync(memberId, cancellationToken).ConfigureAwait(false)
                && await issuers.HoldsIssuerAsync(memberId, cancellationToken).ConfigureAwait(false))
            {
                retired.Add(await issuers.RetireAsync(memberId, cancellationToken).ConfigureAwait(false));
            }
        }
        return retired;
    }

    /// <summary>
    /// Fetches the newest revocation list and, if it is newer than the one held, verifies it (root or a valid issuer)
    /// and makes it the account's: every later check honours it, and the pins record its version.
    /// </summary>
    /// <exception cref="ProvenanceException">The list does not verify, or is older than one this account has seen.</exception>
    public async Task<RevocationList> RefreshRevocationListAsync(CancellationToken cancellationToken = default)
    {
        RevocationListResponse latest = await _session.SendAsync(HttpMethod.Get, "/api/v1/revocations", Json.RevocationListResponse, cancellationToken)
            .ConfigureAwait(false);
        RevocationList list = WireMapper.ToRevocationList(latest.List, _account.Trust.OrgId);
        Accept(list, latest.Issuers ?? []);
        return _account.Trust.Revocations!;
    }

    /// <summary>
    /// Publishes the next revocation list: the newest list's entries plus <paramref name="revoke"/>, issued now and
    /// signed with this administrator's issuer key, or with the organisation root when <paramref name="signWithRoot"/>
    /// (Owners). With nothing to add it simply renews the list, which clients need at least daily to keep wrapping keys.
    /// </summary>
    /// <exception cref="InvalidOperationException">This account holds no current issuer key (or no root key).</exception>
    public async Task<RevocationList> PublishRevocationAsync(IEnumerable<RevocationEntry> revoke, bool signWithRoot = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(revoke);
        RevocationList current = await RefreshRevocationListAsync(cancellationToken).ConfigureAwait(false);
        List<RevocationEntry> entries = [.. current.Record.Entries];
        foreach (RevocationEntry entry in revoke)
        {
            if (!entries.Contains(entry))
            {
                entries.Add(entry);
            }
        }
        RevocationList next;
        IssuerCertificate? signer = null;
        if (signWithRoot)
        {
            EcdsaP256PrivateKey root = _account.RootKey ?? throw new InvalidOperationException("This account does not hold the organisation's root key.");
            next = Signing.SignRevocationList(root, null, _account.Trust.OrgId, current.Record.ListVersion + 1, Now(), entries);
        }
        else
        {
            (EcdsaP256PrivateKey issuerKey, string issuerId) = Issuer();
            signer = _account.IssuerCertificate;
            next = Signing.SignRevocationList(issuerKey, issuerId, _account.Trust.OrgId, current.Record.ListVersion + 1, Now(), entries);
        }
        await SendAsync(HttpMethod.Post, "/api/v1/revocations", WireMapper.ToDto(next), Json.RevocationListDto, cancellationToken).ConfigureAwait(false);
        Accept(next, signer);
        return next;
    }

    /// <summary>Zeroes every group key this client made.</summary>
    public void Dispose()
    {
        foreach (Keyset keyset in _made.Values)
        {
            keyset.Dispose();
        }
        _made.Clear();
    }

    /// <summary>PROTOCOL.md §5.1: nothing is wrapped while the newest revocation list held is more than 24 hours old.</summary>
    private async Task RequireFreshRevocationListAsync(CancellationToken cancellationToken)
    {
        if (_account.Trust.MayWrap(Now()))
        {
            return;
        }
        _ = await RefreshRevocationListAsync(cancellationToken).ConfigureAwait(false);
        if (!_account.Trust.MayWrap(Now()))
        {
            throw new ProvenanceException(
                "The newest revocation list is more than 24 hours old, so no key may be wrapped: an administrator must publish a fresh one.");
        }
    }

    private void Accept(RevocationList list, IReadOnlyList<IssuerCertificateDto> issuers)
    {
        if (list.IssuerId is null)
        {
            Accept(list, (IssuerCertificate?)null);
            return;
        }
        ProvenanceException? failure = null;
        for (int i = 0; i < issuers.Count; i++)
        {
            IssuerCertificate candidate = WireMapper.ToIssuerCertificate(issuers[i], _account.Trust.OrgId,
                string.Create(CultureInfo.InvariantCulture, $"issuer certificate #{i + 1}"));
            if (!string.Equals(candidate.Record.IssuerId, list.IssuerId, StringComparison.Ordinal))
            {
                continue;
            }
            try
            {
                Accept(list, candidate);
                return;
            }
            catch (ProvenanceException e)
            {
                failure = e;
            }
        }
        throw failure ?? new ProvenanceException(ProvenanceFailure.WrongSigner, "the revocation list (its signer's certificate was not presented)");
    }

    private void Accept(RevocationList list, IssuerCertificate? signer)
    {
        if (list.Record.ListVersion < _account.Pins.RevocationListVersion)
        {
            throw new ProvenanceException(ProvenanceFailure.StaleRevocationList, "the revocation list");
        }
        ProvenanceFailure failure = _account.Trust.AcceptRevocationList(list, signer, Now());
        if (failure != ProvenanceFailure.None)
        {
            throw new ProvenanceException(failure, "the revocation list");
        }
        if (_account.Pins.ObserveRevocationList(list.Record.ListVersion, list.Record.IssuedAt) == PinCheck.Conflict)
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch, "the revocation list (another list with the same version was seen before)");
        }
    }

    private SignedWrapDto RewrapVaultGrant(VaultGrantDto grant, int index, string groupId, Keyset old, Keyset next, ServedCertificates served,
        IReadOnlyList<SubjectCertificateDto>? signers)
    {
        string subject = string.Create(CultureInfo.InvariantCulture, $"the vault grant #{index + 1} held by group {groupId}");
        WireWrap wire = WireMapper.ToWireWrap(grant?.Wrap, subject);
        if (!string.Equals(wire.ObjectKind, WrapObjectKinds.Vault, StringComparison.Ordinal)
            || !string.Equals(wire.RecipientKind, CertKinds.Group, StringComparison.Ordinal)
            || !string.Equals(wire.RecipientId, groupId, StringComparison.Ordinal) || wire.RecipientKeysetSerial != old.Serial)
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch, subject + " (it is not addressed to this group's current key)");
        }
        // The record this client expects: a vault key wrapped to the group key it holds; only the vault, serial and signer come from the server.
        Fingerprint oldEncryption = Fingerprint.FromSpki(old.EncryptionPublicKey);
        WrapTbs expected = new(WrapObjectKinds.Vault, wire.ObjectId, wire.KeySerial, groupId, oldEncryption, Sha256Hash.Of(wire.Wrap), wire.SignerId);
        SubjectCertificateDto signerDto = (signers ?? []).FirstOrDefault(s => string.Equals(s?.SubjectId, wire.SignerId, StringComparison.Ordinal))
            ?? throw new ProvenanceException(ProvenanceFailure.WrongSigner, subject + " (the server did not present the signer's certificate)");
        (MemberCertificate signer, IssuerCertificate signerIssuer) = served.Member(signerDto, wire.SignerId);
        ProvenanceFailure verified = _account.Trust.VerifyWrap(wire.ToSignedWrap(oldEncryption), expected, signer, signerIssuer);
        if (verified != ProvenanceFailure.None)
        {
            throw new ProvenanceException(verified, subject);
        }
        byte[] key = KeyWrap.Unwrap(old.EncryptionKey, wire.Wrap) ?? throw new CofferProtocolException("Could not decrypt " + subject + ".");
        try
        {
            byte[] wrapped = KeyWrap.Wrap(next.EncryptionPublicKey, key);
            SignedWrap signed = Signing.SignWrap(_account.Keyset.SigningKey, _account.MemberId, WrapObjectKinds.Vault, wire.ObjectId, wire.KeySerial, groupId,
                next.EncryptionPublicKey, wrapped);
            return WireMapper.ToDto(signed, CertKinds.Group, next.Serial);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private SignedWrapDto WrapGroupKey(Keyset groupKeyset, string groupId, MemberCertificate member)
    {
        byte[] wrapped = groupKeyset.WrapSymmetricKeyTo(member.EncryptionPublicKey);
        SignedWrap signed = Signing.SignWrap(_account.Keyset.SigningKey, _account.MemberId, WrapObjectKinds.Group, groupId, groupKeyset.Serial,
            member.Record.MemberId, member.EncryptionPublicKey, wrapped);
        return WireMapper.ToDto(signed, CertKinds.Member, checked((int)member.Record.KeysetSerial));
    }

    private SignedWrapDto WrapGroupKey(Keyset groupKeyset, string groupId, GroupCertificate recipient)
    {
        byte[] wrapped = groupKeyset.WrapSymmetricKeyTo(recipient.EncryptionPublicKey);
        SignedWrap signed = Signing.SignWrap(_account.Keyset.SigningKey, _account.MemberId, WrapObjectKinds.Group, groupId, groupKeyset.Serial,
            recipient.Record.GroupId, recipient.EncryptionPublicKey, wrapped);
        return WireMapper.ToDto(signed, CertKinds.Group, checked((int)recipient.Record.KeysetSerial));
    }

    /// <summary>The group's key this account holds, which must be the certified current one.</summary>
    private Keyset HeldKeyset(string groupId, GroupCertificate certificate)
    {
        Keyset keyset = HeldKeysetAt(groupId, certificate.Record.KeysetSerial);
        if (!keyset.EncryptionPublicKey.AsSpan().SequenceEqual(certificate.EncryptionPublicKey)
            || !keyset.SigningPublicKey.AsSpan().SequenceEqual(certificate.SigningPublicKey))
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch, "the keys of group " + groupId + " (they are not the keys this account holds)");
        }
        return keyset;
    }

    private Keyset HeldKeysetAt(string groupId, long serial)
    {
        Keyset keyset = _made.GetValueOrDefault(groupId) ?? _account.Groups.GetValueOrDefault(groupId)?.Keyset
            ?? throw new InvalidOperationException("This account holds no key of group " + groupId + ".");
        if (keyset.Serial != serial)
        {
            throw new InvalidOperationException("The key of group " + groupId + " changed since this account was unlocked; unlock again.");
        }
        return keyset;
    }

    private void Hold(string groupId, Keyset keyset)
    {
        if (_made.Remove(groupId, out Keyset? previous))
        {
            previous.Dispose();
        }
        _made[groupId] = keyset;
    }

    private (EcdsaP256PrivateKey Key, string IssuerId) Issuer()
    {
        if (_account.IssuerKey is not { } key || _account.IssuerCertificate is not { } certificate || _account.IssuerStatus != ProvenanceFailure.None)
        {
            throw new InvalidOperationException("This account holds no current issuer key: only an administrator's client certifies group keys.");
        }
        return (key, certificate.Record.IssuerId);
    }

    private long Now() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task SendAsync<T>(HttpMethod method, string path, T request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        byte[] answer = await _session.ExchangeAsync(method, path, JsonSerializer.SerializeToUtf8Bytes(request, type), cancellationToken).ConfigureAwait(false);
        CryptographicOperations.ZeroMemory(answer);
    }
}

/// <summary>A group whose current certificate this client verified.</summary>
/// <param name="Group">The group as listed.</param>
/// <param name="Certificate">Its verified current certificate.</param>
/// <param name="Response">The server's whole answer (with the rotation data for <c>manage_groups</c>).</param>
public sealed record VerifiedGroup(GroupSummaryDto Group, GroupCertificate Certificate, GroupDetailResponse Response);

/// <summary>A prepared custom group: the request to send and its new keyset, held until committed. Dispose to zero the keyset.</summary>
public sealed class GroupCreation : IDisposable
{
    private Keyset? _keyset;

    internal GroupCreation(CreateGroupRequest request, Keyset keyset)
    {
        Request = request;
        _keyset = keyset;
    }

    /// <summary>The request (settable, so a test can send a tampered one).</summary>
    public CreateGroupRequest Request { get; set; }

    internal Keyset TakeKeyset()
    {
        Keyset keyset = _keyset ?? throw new InvalidOperationException("The keyset was taken already.");
        _keyset = null;
        return keyset;
    }

    /// <summary>Zeroes the keyset unless it was committed.</summary>
    public void Dispose() => _keyset?.Dispose();
}

/// <summary>A prepared group-key rotation: the request to send and the next keyset, held until committed. Dispose to zero the keyset.</summary>
public sealed class GroupRotation : IDisposable
{
    private Keyset? _keyset;

    internal GroupRotation(string groupId, string groupKind, RotateGroupRequest request, Keyset keyset)
    {
        GroupId = groupId;
        GroupKind = groupKind;
        Request = request;
        _keyset = keyset;
    }

    /// <summary>The group.</summary>
    public string GroupId { get; }

    /// <summary>The group's kind, as its verified certificate names it.</summary>
    public string GroupKind { get; }

    /// <summary>The request (settable, so a test can send a tampered one).</summary>
    public RotateGroupRequest Request { get; set; }

    internal Keyset TakeKeyset()
    {
        Keyset keyset = _keyset ?? throw new InvalidOperationException("The keyset was taken already.");
        _keyset = null;
        return keyset;
    }

    /// <summary>Zeroes the keyset unless it was committed.</summary>
    public void Dispose() => _keyset?.Dispose();
}
