using System.Data.Common;
using Coffer.Contracts.Accounts;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Vaults;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Account;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Setup;

namespace Coffer.Server.Features.Groups;

internal enum GroupOutcome
{
    Done,
    NotFound,
    Forbidden,
    Invalid,
    Stale,
    LastOwner,
    Replayed,
}

/// <summary>The outcome of a group change; <see cref="Detail"/> names the problem (<c>field: message</c> when <see cref="GroupOutcome.Invalid"/>).</summary>
internal sealed record GroupResult(GroupOutcome Outcome, string? Detail = null)
{
    public static readonly GroupResult Done = new(GroupOutcome.Done);

    public static GroupResult Invalid(string problem) => new(GroupOutcome.Invalid, problem);

    public static GroupResult Forbidden(string detail) => new(GroupOutcome.Forbidden, detail);
}

/// <summary>
/// Groups (ARCHITECTURE.md "Group", PROTOCOL.md §5, §5.1): membership is a signed wrap of the group key, so every change
/// here is something a client made and signed; the server checks what it can — certificates against an issuer key the
/// caller holds, wraps against the caller's certified signing key, every set complete — and stores it in one
/// transaction with its activity-log events. Clients check it all again.
/// </summary>
internal sealed class GroupStore(IDatabase database, AuditStore audit, AccountFeed feed)
{
    /// <summary>Built-in groups in the order POLICY.md lists them; custom groups follow in the order they were made.</summary>
    private static readonly string[] KindOrder =
        [GroupKinds.Owners, GroupKinds.Administrators, GroupKinds.TeamMembers, GroupKinds.Guests, GroupKinds.ProvisionManagers, GroupKinds.Recovery];

    /// <summary>Groups only Owners may change: they carry the organisation's highest rights or every vault key (docs/adr/0010).</summary>
    internal static readonly string[] OwnersOnly = [GroupKinds.Owners, GroupKinds.Administrators, GroupKinds.Recovery, GroupKinds.ProvisionManagers];

    /// <summary>PostgreSQL: every group-key change takes this transaction lock, so two never interleave (SQLite has one writer).</summary>
    internal const long GroupKeyLock = 0x436F_6666_6572_0001;

    private static readonly long ClockSkewMs = (long)TimeSpan.FromMinutes(5).TotalMilliseconds;

    public async Task<List<GroupSummaryDto>> ListAsync(bool withMembers, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        List<GroupRow> groups = await c.ListAsync<GroupRow>(null, GroupColumns, null, ct);
        List<(string GroupId, string MemberId)> members = await c.ListAsync<(string, string)>(null,
            "SELECT group_id, member_id FROM group_memberships ORDER BY member_id", null, ct);
        ILookup<string, string> byGroup = members.ToLookup(m => m.GroupId, m => m.MemberId, StringComparer.Ordinal);
        return [.. groups
            .OrderBy(g => Array.IndexOf(KindOrder, g.Kind) is int i && i >= 0 ? i : KindOrder.Length)
            .ThenBy(g => g.CreatedAt).ThenBy(g => g.Id, StringComparer.Ordinal)
            .Select(g => g.ToDto([.. byGroup[g.Id]], withMembers))];
    }

    public async Task<GroupDetailResponse?> DetailAsync(string groupId, bool withManagement, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        GroupRow? group = await c.OneAsync<GroupRow>(null, GroupColumns + " WHERE id = @groupId", new { groupId }, ct);
        CertificateReader.SubjectRow? certificate = group is null ? null : await CertificateReader.GroupAsync(c, null, groupId, ct);
        if (group is null || certificate is null)
        {
            return null;
        }
        List<string> memberIds = await c.ListAsync<string>(null, "SELECT member_id FROM group_memberships WHERE group_id = @groupId ORDER BY member_id",
            new { groupId }, ct);
        List<GroupSuccessionDto> history = await CertificateReader.HistoryAsync(c, null, groupId, ct);
        List<string> issuerIds = [certificate.IssuerId, .. history.Select(h => h.Certificate.IssuerId)];
        GroupManagementDto? management = null;
        if (withManagement)
        {
            List<SubjectCertificateDto> members = [];
            foreach (string memberId in memberIds)
            {
                if (await CertificateReader.MemberAsync(c, null, memberId, ct) is { } m)
                {
                    members.Add(m.ToDto());
                }
            }
            List<SubjectCertificateDto> managers = [];
            foreach (string managerId in await c.ListAsync<string>(null,
                "SELECT manager_group_id FROM group_manager_wraps WHERE group_id = @groupId ORDER BY manager_group_id", new { groupId }, ct))
            {
                managers.Add((await CertificateReader.GroupAsync(c, null, managerId, ct))!.ToDto());
            }
            List<KeyRefRow> managed = await c.ListAsync<KeyRefRow>(null, """
                SELECT g.id AS GroupId, g.kind AS Kind, (SELECT max(serial) FROM keysets k WHERE k.group_id = g.id) AS KeySerial
                FROM group_manager_wraps w JOIN groups g ON g.id = w.group_id
                WHERE w.manager_group_id = @groupId ORDER BY g.id
                """, new { groupId }, ct);
            List<VaultGrantRow> grants = await c.ListAsync<VaultGrantRow>(null, VaultGrantColumns + " ORDER BY vault_id", new { groupId }, ct);
            List<SubjectCertificateDto> signers = [];
            foreach (string signerId in grants.Select(g => g.SignerId).Distinct(StringComparer.Ordinal))
            {
                if (await CertificateReader.MemberAsync(c, null, signerId, ct) is { } s)
                {
                    signers.Add(s.ToDto());
                }
            }
            issuerIds.AddRange(members.Concat(managers).Concat(signers).Select(x => x.IssuerId));
            management = new GroupManagementDto(members, managers, [.. managed.Select(m => new GroupKeyRefDto(m.GroupId, m.Kind, m.KeySerial))],
                [.. grants.Select(g => g.ToDto(groupId))], signers);
        }
        List<IssuerCertificateDto> issuers = await CertificateReader.IssuersAsync(c, null, issuerIds, ct);
        return new GroupDetailResponse(group.ToDto(memberIds, withManagement), certificate.ToDto(), history, issuers, management);
    }

    /// <summary>A custom group with its keyset, certificate and the wraps of its key to the Owners and Administrators groups.</summary>
    public Task<GroupResult> CreateAsync(CofferCaller caller, CreateGroupRequest r, IReadOnlySet<string> permissions, long now, CancellationToken ct) =>
        InGroupWriteAsync(caller, now, async (c, tx, changed) =>
        {
            IReadOnlySet<string> held = await PermissionStore.OfAsync(c, tx, caller.MemberId, ct);
            if (!permissions.IsSubsetOf(held))
            {
                return GroupResult.Forbidden("A group may carry only permissions you hold yourself.");
            }
            if (await c.ScalarAsync<long>(tx, "SELECT count(*) FROM groups WHERE id = @GroupId", new { r.GroupId }, ct) > 0)
            {
                return GroupResult.Invalid("groupId: already names a group");
            }
            string orgId = (await c.ScalarAsync<string>(tx, "SELECT id FROM organisations", null, ct))!;
            string? problem = await CheckCertificateAsync(c, tx, caller, orgId, r.GroupId, GroupKinds.Custom, r.Keyset, r.Certificate, now, ct);
            if (problem is not null)
            {
                return GroupResult.Invalid(problem);
            }
            List<CertificateReader.SubjectRow> managers = [];
            foreach (string kind in new[] { GroupKinds.Owners, GroupKinds.Administrators })
            {
                string id = (await c.ScalarAsync<string>(tx, "SELECT id FROM groups WHERE kind = @kind", new { kind }, ct))!;
                managers.Add((await CertificateReader.GroupAsync(c, tx, id, ct))!);
            }
            using EcdsaP256PublicKey? signer = await CertificateReader.CertifiedSigningKeyAsync(c, tx, caller.MemberId, ct);
            if (signer is null)
            {
                return GroupResult.Invalid("managerWraps: you have no certified signing key");
            }
            bool wrapsOk = r.ManagerWraps.Count == managers.Count && managers.All(m => r.ManagerWraps.Count(w => w.RecipientId == m.SubjectId) == 1
                && CertificateReader.WrapVerifies(r.ManagerWraps.First(w => w.RecipientId == m.SubjectId), WrapObjectKinds.Group, r.GroupId,
                    r.Keyset.Serial, "group", m.SubjectId, m.KeysetSerial, m.EncryptionPublicKey, caller.MemberId, signer));
            if (!wrapsOk)
            {
                return GroupResult.Invalid("managerWraps: must wrap the group key to the Owners and the Administrators group's current keys, once each, signed by you");
            }

            string stored = Canonical(permissions);
            await c.ExecAsync(tx, "INSERT INTO groups (id, organisation_id, kind, name, created_at, permissions) VALUES (@GroupId, @orgId, 'custom', @Name, @now, @stored)",
                new { r.GroupId, orgId, r.Name, now, stored }, ct);
            await SetupStore.InsertKeysetAsync(c, tx, r.Keyset, memberId: null, groupId: r.GroupId, now, ct);
            await SetupStore.InsertSubjectCertificateAsync(c, tx, r.Certificate, now, ct);
            foreach (SignedWrapDto w in r.ManagerWraps)
            {
                await c.ExecAsync(tx, """
                    INSERT INTO group_manager_wraps (group_id, key_serial, manager_group_id, manager_key_serial, wrapped_key, signer_id, signature, created_at)
                    VALUES (@ObjectId, @KeySerial, @RecipientId, @RecipientKeysetSerial, @wrap, @SignerId, @signature, @now)
                    """, WrapArgs(w, now), ct);
            }
            changed.ToEveryone(AccountChangeKinds.GroupCertificate, r.GroupId, r.Keyset.Serial);
            // The managing groups' members hold the new key through them.
            changed.To(await AccountFeed.GroupHoldersAsync(c, tx, r.GroupId, ct), AccountChangeKinds.GroupKey, r.GroupId, r.Keyset.Serial);
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.GroupCreate, AuditTargets.Group, r.GroupId,
                details: AuditEntry.DetailsOf(("permissions", stored)))], ct);
            return GroupResult.Done;
        }, ct);

    /// <summary>A custom group's name and permissions; permissions the caller lacks may be kept or dropped, never added.</summary>
    public Task<GroupResult> UpdateAsync(CofferCaller caller, string groupId, UpdateGroupRequest r, IReadOnlySet<string> permissions, long now,
        CancellationToken ct) =>
        InGroupWriteAsync(caller, now, async (c, tx, changed) =>
        {
            GroupRow? group = await c.OneAsync<GroupRow>(tx, GroupColumns + " WHERE id = @groupId", new { groupId }, ct);
            if (group is null)
            {
                return new GroupResult(GroupOutcome.NotFound);
            }
            if (group.Kind != GroupKinds.Custom)
            {
                return GroupResult.Invalid("groupId: a built-in group's name and permissions are fixed");
            }
            IReadOnlySet<string> held = await PermissionStore.OfAsync(c, tx, caller.MemberId, ct);
            HashSet<string> current = [.. BuiltInPermissions.Of(group.Kind, group.Permissions)];
            if (!permissions.Where(p => !current.Contains(p)).All(held.Contains))
            {
                return GroupResult.Forbidden("A group may be given only permissions you hold yourself.");
            }
            string stored = Canonical(permissions);
            await c.ExecAsync(tx, "UPDATE groups SET name = @Name, permissions = @stored WHERE id = @groupId", new { r.Name, stored, groupId }, ct);
            changed.To(await AccountFeed.GroupMembersAsync(c, tx, groupId, ct), AccountChangeKinds.GroupChanged, groupId, group.KeySerial);
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.GroupUpdate, AuditTargets.Group, groupId,
                details: AuditEntry.DetailsOf(("permissions", stored)))], ct);
            return GroupResult.Done;
        }, ct);

    /// <summary>Adds an active member: the group's current key wrapped to their certified key, signed by the caller.</summary>
    public Task<GroupResult> AddMemberAsync(CofferCaller caller, string groupId, SignedWrapDto w, long now, CancellationToken ct) =>
        InGroupWriteAsync(caller, now, async (c, tx, changed) =>
        {
            (_, GroupResult? refused) = await AuthoriseAsync(c, tx, caller, groupId, ct);
            if (refused is not null)
            {
                return refused;
            }
            string memberId = w.RecipientId;
            string? state = Ids.IsValid(memberId)
                ? await c.ScalarAsync<string>(tx, "SELECT state FROM members WHERE id = @memberId", new { memberId }, ct)
                : null;
            CertificateReader.SubjectRow? member = state is null ? null : await CertificateReader.MemberAsync(c, tx, memberId, ct);
            if (member is null || state != "active")
            {
                return GroupResult.Invalid("wrap.recipientId: must name an active member");
            }
            if (await c.ScalarAsync<long>(tx, "SELECT count(*) FROM group_memberships WHERE group_id = @groupId AND member_id = @memberId",
                new { groupId, memberId }, ct) > 0)
            {
                return GroupResult.Invalid("wrap.recipientId: is a member already");
            }
            long serial = await CurrentSerialAsync(c, tx, groupId, ct);
            if (w.KeySerial != serial)
            {
                return new GroupResult(GroupOutcome.Stale, "The group key was rotated; wrap its current key.");
            }
            using EcdsaP256PublicKey? signer = await CertificateReader.CertifiedSigningKeyAsync(c, tx, caller.MemberId, ct);
            if (signer is null || !CertificateReader.WrapVerifies(w, WrapObjectKinds.Group, groupId, serial, "member", memberId, member.KeysetSerial,
                member.EncryptionPublicKey, caller.MemberId, signer))
            {
                return GroupResult.Invalid("wrap: must wrap the group's current key to the member's certified key, signed by you");
            }
            await InsertMembershipAsync(c, tx, w, now, ct);
            await AccountFeed.JoinedAsync(c, tx, changed, groupId, memberId, serial, ct);
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.GroupMemberAdd, AuditTargets.Group, groupId,
                details: AuditEntry.DetailsOf(("memberId", memberId), ("keySerial", serial)))], ct);
            return GroupResult.Done;
        }, ct);

    /// <summary>
    /// Removal with rotation, as one unit (PROTOCOL.md §5 "From a group"): the serial must not have moved; the new keyset
    /// (same id, serial + 1) is certified by an issuer the caller holds and succeeds the old key; and the new key reaches
    /// exactly the remaining members and the managing groups, while every key held through the group (managed groups'
    /// keys, vault grants) is re-wrapped to it. The last Owner is never removed.
    /// </summary>
    public async Task<GroupResult> RotateAsync(CofferCaller caller, string groupId, RotateGroupRequest r, long now, CancellationToken ct)
    {
        try
        {
            return await InGroupWriteAsync(caller, now, (c, tx, changed) => RotateInAsync(c, tx, changed, caller, groupId, r, now, ct), ct);
        }
        catch (RotationRaced)
        {
            return new GroupResult(GroupOutcome.Stale, "A vault or group key changed while the rotation was made; read the group again.");
        }
    }

    private async Task<GroupResult> RotateInAsync(DbConnection c, DbTransaction tx, ChangeSet changed, CofferCaller caller, string groupId, RotateGroupRequest r,
        long now,
        CancellationToken ct)
    {
        (GroupRow? group, GroupResult? refused) = await AuthoriseAsync(c, tx, caller, groupId, ct);
        if (refused is not null)
        {
            return refused;
        }
        CertificateReader.SubjectRow old = (await CertificateReader.GroupAsync(c, tx, groupId, ct))!;
        if (r.ExpectedKeySerial != old.KeysetSerial)
        {
            return new GroupResult(GroupOutcome.Stale, "The group key is no longer at the serial the rotation expected; read the group again.");
        }
        List<string> members = await c.ListAsync<string>(tx, "SELECT member_id FROM group_memberships WHERE group_id = @groupId", new { groupId }, ct);
        HashSet<string> removed = new(r.RemovedMemberIds, StringComparer.Ordinal);
        if (removed.Count == 0 || removed.Count != r.RemovedMemberIds.Count || !removed.IsSubsetOf(members))
        {
            return GroupResult.Invalid("removedMemberIds: must name one or more current members, each once");
        }
        List<string> remaining = [.. members.Where(m => !removed.Contains(m))];
        List<string> active = await c.ListAsync<string>(tx,
            "SELECT gm.member_id FROM group_memberships gm JOIN members m ON m.id = gm.member_id WHERE gm.group_id = @groupId AND m.state = 'active'",
            new { groupId }, ct);
        if (group!.Kind == GroupKinds.Owners && active.All(removed.Contains))
        {
            return new GroupResult(GroupOutcome.LastOwner, "The organisation's last active Owner cannot be removed from the Owners group.");
        }
        long serial = old.KeysetSerial + 1;
        if (r.Keyset.KeysetId != old.KeysetId || r.Keyset.Serial != serial)
        {
            return GroupResult.Invalid("keyset: must be the group keyset's next serial (same keyset id, serial + 1)");
        }
        string orgId = (await c.ScalarAsync<string>(tx, "SELECT id FROM organisations", null, ct))!;
        string? problem = await CheckCertificateAsync(c, tx, caller, orgId, groupId, group.Kind, r.Keyset, r.Certificate, now, ct);
        if (problem is not null)
        {
            return GroupResult.Invalid(problem);
        }
        // The old group key vouches for the new one, so a client that pinned it can follow (docs/adr/0010).
        byte[] newEncryption = Base64Url.Decode(r.Keyset.EncryptionPublicKey);
        GroupCertTbs record = new(orgId, groupId, group.Kind, Fingerprint.FromSpki(newEncryption),
            Fingerprint.FromSpki(Base64Url.Decode(r.Keyset.SigningPublicKey)), r.Keyset.KeysetId, serial, r.Certificate.IssuerId, r.Certificate.IssuedAt);
        bool succeeds = Base64Url.TryDecode(r.SuccessionSignature, out byte[]? succession) && succession.Length == EcdsaP256.SignatureSize
            && EcdsaP256.TryImportPublicKey(old.SigningPublicKey, out EcdsaP256PublicKey? oldSigning) && Verify(oldSigning, record, succession);
        if (!succeeds)
        {
            return GroupResult.Invalid("successionSignature: must be the current group signing key's signature over the new certificate");
        }
        using EcdsaP256PublicKey? signer = await CertificateReader.CertifiedSigningKeyAsync(c, tx, caller.MemberId, ct);
        if (signer is null)
        {
            return GroupResult.Invalid("memberWraps: you have no certified signing key");
        }

        // The new key to every remaining member's certified key.
        if (!SameSet(r.MemberWraps.Select(w => w.RecipientId), remaining))
        {
            return GroupResult.Invalid("memberWraps: must wrap the new key to exactly the remaining members, once each");
        }
        foreach (SignedWrapDto w in r.MemberWraps)
        {
            CertificateReader.SubjectRow? member = await CertificateReader.MemberAsync(c, tx, w.RecipientId, ct);
            if (member is null || !CertificateReader.WrapVerifies(w, WrapObjectKinds.Group, groupId, serial, "member", w.RecipientId, member.KeysetSerial,
                member.EncryptionPublicKey, caller.MemberId, signer))
            {
                return GroupResult.Invalid("memberWraps: each must wrap the new key to the member's certified key, signed by you");
            }
        }

        // The new key to every group that manages this one.
        List<string> managerIds = await c.ListAsync<string>(tx, "SELECT manager_group_id FROM group_manager_wraps WHERE group_id = @groupId",
            new { groupId }, ct);
        if (!SameSet(r.ManagerWraps.Select(w => w.RecipientId), managerIds))
        {
            return GroupResult.Invalid("managerWraps: must wrap the new key to exactly the groups that manage this one, once each");
        }
        foreach (SignedWrapDto w in r.ManagerWraps)
        {
            CertificateReader.SubjectRow manager = (await CertificateReader.GroupAsync(c, tx, w.RecipientId, ct))!;
            if (!CertificateReader.WrapVerifies(w, WrapObjectKinds.Group, groupId, serial, "group", w.RecipientId, manager.KeysetSerial,
                manager.EncryptionPublicKey, caller.MemberId, signer))
            {
                return GroupResult.Invalid("managerWraps: each must wrap the new key to the managing group's current key, signed by you");
            }
        }

        // Every key held through this group, re-wrapped to the new group key.
        List<KeyRefRow> managed = await c.ListAsync<KeyRefRow>(tx, """
            SELECT w.group_id AS GroupId, g.kind AS Kind, w.key_serial AS KeySerial
            FROM group_manager_wraps w JOIN groups g ON g.id = w.group_id WHERE w.manager_group_id = @groupId
            """, new { groupId }, ct);
        if (!SameSet(r.ManagedWraps.Select(w => w.ObjectId), managed.Select(m => m.GroupId)))
        {
            return GroupResult.Invalid("managedWraps: must re-wrap the key of exactly the groups this one manages, once each");
        }
        foreach (SignedWrapDto w in r.ManagedWraps)
        {
            KeyRefRow m = managed.Single(x => x.GroupId == w.ObjectId);
            if (w.KeySerial != m.KeySerial)
            {
                return new GroupResult(GroupOutcome.Stale, "A managed group's key was rotated meanwhile; read the group again.");
            }
            if (!CertificateReader.WrapVerifies(w, WrapObjectKinds.Group, m.GroupId, m.KeySerial, "group", groupId, serial, newEncryption, caller.MemberId,
                signer))
            {
                return GroupResult.Invalid("managedWraps: each must wrap a managed group's current key to the new group key, signed by you");
            }
        }
        List<VaultGrantRow> grants = await c.ListAsync<VaultGrantRow>(tx, VaultGrantColumns, new { groupId }, ct);
        if (!SameSet(r.VaultGrants.Select(w => w.ObjectId), grants.Select(g => g.VaultId)))
        {
            return GroupResult.Invalid("vaultGrants: must re-wrap exactly the vault keys granted to this group, once each");
        }
        foreach (SignedWrapDto w in r.VaultGrants)
        {
            VaultGrantRow g = grants.Single(x => x.VaultId == w.ObjectId);
            if (w.KeySerial != g.KeySerial)
            {
                return new GroupResult(GroupOutcome.Stale, "A vault key granted to the group was rotated meanwhile; read the group again.");
            }
            if (!CertificateReader.WrapVerifies(w, WrapObjectKinds.Vault, g.VaultId, g.KeySerial, "group", groupId, serial, newEncryption, caller.MemberId,
                signer))
            {
                return GroupResult.Invalid("vaultGrants: each must wrap a granted vault's current key to the new group key, signed by you");
            }
        }
        string newKid = $"keyset:{r.Keyset.KeysetId}:s{serial}";
        if (group.Kind == GroupKinds.Owners ? r.SealedRootKey?.Kid != newKid : r.SealedRootKey is not null)
        {
            return GroupResult.Invalid(group.Kind == GroupKinds.Owners
                ? "sealedRootKey: must be the root key sealed under the new Owners keyset"
                : "sealedRootKey: only the Owners group carries the root key");
        }

        await SetupStore.InsertKeysetAsync(c, tx, r.Keyset, memberId: null, groupId: groupId, now, ct);
        await SetupStore.InsertSubjectCertificateAsync(c, tx, r.Certificate, now, ct);
        await c.ExecAsync(tx, """
            UPDATE certificates SET succession_signature = @succession
            WHERE kind = 'group' AND subject_id = @groupId AND keyset_id = @KeysetId AND keyset_serial = @serial AND issued_at = @IssuedAt
            """, new { succession, groupId, r.Keyset.KeysetId, serial, r.Certificate.IssuedAt }, ct);
        foreach (string memberId in removed.Order(StringComparer.Ordinal))
        {
            await AccountFeed.LeftAsync(c, tx, changed, groupId, memberId, serial, ct);
        }
        foreach (string memberId in removed)
        {
            await c.ExecAsync(tx, "DELETE FROM group_memberships WHERE group_id = @groupId AND member_id = @memberId", new { groupId, memberId }, ct);
        }
        foreach (SignedWrapDto w in r.MemberWraps)
        {
            await c.ExecAsync(tx, """
                UPDATE group_memberships SET key_serial = @KeySerial, member_keyset_serial = @RecipientKeysetSerial, wrapped_key = @wrap, signer_id = @SignerId,
                       signature = @signature, created_at = @now
                WHERE group_id = @ObjectId AND member_id = @RecipientId
                """, WrapArgs(w, now), ct);
        }
        foreach (SignedWrapDto w in r.ManagerWraps)
        {
            await c.ExecAsync(tx, """
                UPDATE group_manager_wraps SET key_serial = @KeySerial, manager_key_serial = @RecipientKeysetSerial, wrapped_key = @wrap, signer_id = @SignerId,
                       signature = @signature, created_at = @now
                WHERE group_id = @ObjectId AND manager_group_id = @RecipientId
                """, WrapArgs(w, now), ct);
        }
        foreach (SignedWrapDto w in r.ManagedWraps)
        {
            await RequireOneAsync(c.ExecAsync(tx, """
                UPDATE group_manager_wraps SET manager_key_serial = @RecipientKeysetSerial, wrapped_key = @wrap, signer_id = @SignerId, signature = @signature,
                       created_at = @now
                WHERE group_id = @ObjectId AND manager_group_id = @RecipientId AND key_serial = @KeySerial
                """, WrapArgs(w, now), ct));
        }
        foreach (SignedWrapDto w in r.VaultGrants)
        {
            // A vault rotation commits its re-wrapped grants under the vault's row lock; one that won the race leaves no row
            // at the old serial, and this whole rotation is undone (RotationRaced) rather than write a stale key.
            await RequireOneAsync(c.ExecAsync(tx, """
                UPDATE vault_grants SET recipient_keyset_serial = @RecipientKeysetSerial, wrapped_key = @wrap, signer_id = @SignerId, signature = @signature
                WHERE vault_id = @ObjectId AND principal_kind = 'group' AND principal_id = @RecipientId AND key_serial = @KeySerial
                """, WrapArgs(w, now), ct));
        }
        if (group.Kind == GroupKinds.Owners)
        {
            await c.ExecAsync(tx, "UPDATE organisations SET sealed_root_private_key = @sealedRoot",
                new { sealedRoot = SetupStore.EnvelopeJson(r.SealedRootKey!) }, ct);
        }
        changed.ToEveryone(AccountChangeKinds.GroupCertificate, groupId, serial);
        changed.To(await AccountFeed.GroupHoldersAsync(c, tx, groupId, ct), AccountChangeKinds.GroupKey, groupId, serial);
        List<AuditEntry> events = [AuditEntry.By(caller, now, AuditActions.GroupRotate, AuditTargets.Group, groupId,
            details: AuditEntry.DetailsOf(("keySerial", serial), ("removed", removed.Count), ("vaultGrants", r.VaultGrants.Count)))];
        events.AddRange(removed.Order(StringComparer.Ordinal).Select(m => AuditEntry.By(caller, now, AuditActions.GroupMemberRemove, AuditTargets.Member, m,
            details: AuditEntry.DetailsOf(("groupId", groupId), ("keySerial", serial)))));
        await audit.AppendAsync(c, tx, events, ct);
        return GroupResult.Done;
    }

    /// <summary>
    /// Who may change a group's membership: never the base groups (a member is in exactly one, from invitation to removal);
    /// Owners, Administrators, Recovery and Provision Managers only by Owners; any other only by someone who holds every
    /// permission it grants, so nobody hands themselves or others more than they have.
    /// </summary>
    private static async Task<(GroupRow? Group, GroupResult? Refused)> AuthoriseAsync(DbConnection c, DbTransaction tx, CofferCaller caller,
        string groupId, CancellationToken ct)
    {
        GroupRow? group = await c.OneAsync<GroupRow>(tx, GroupColumns + " WHERE id = @groupId", new { groupId }, ct);
        if (group is null)
        {
            return (null, new GroupResult(GroupOutcome.NotFound));
        }
        if (group.Kind is GroupKinds.TeamMembers or GroupKinds.Guests)
        {
            return (group, GroupResult.Invalid("groupId: a member's base group changes only with invitation and removal, not here"));
        }
        if (OwnersOnly.Contains(group.Kind) && await c.ScalarAsync<long>(tx, """
            SELECT count(*) FROM group_memberships gm JOIN groups g ON g.id = gm.group_id WHERE g.kind = 'owners' AND gm.member_id = @MemberId
            """, new { caller.MemberId }, ct) == 0)
        {
            return (group, GroupResult.Forbidden("Only Owners change the Owners, Administrators, Recovery and Provision Managers groups."));
        }
        IReadOnlySet<string> held = await PermissionStore.OfAsync(c, tx, caller.MemberId, ct);
        if (!BuiltInPermissions.Of(group.Kind, group.Permissions).All(held.Contains))
        {
            return (group, GroupResult.Forbidden("You may change only groups whose permissions you hold yourself."));
        }
        return (group, null);
    }

    /// <summary>A group certificate naming exactly the keyset presented, signed by an issuer the caller holds, issued about now.</summary>
    private static async Task<string?> CheckCertificateAsync(DbConnection c, DbTransaction tx, CofferCaller caller, string orgId, string groupId,
        string kind, KeysetDto keyset, SubjectCertificateDto cert, long now, CancellationToken ct)
    {
        using EcdsaP256PublicKey? issuerKey = Ids.IsValid(cert.IssuerId)
            ? await CertificateReader.HeldIssuerKeyAsync(c, tx, cert.IssuerId, caller.MemberId, now, ct)
            : null;
        if (issuerKey is null)
        {
            return "certificate.issuerId: must name a current issuer certificate you hold";
        }
        bool ok = cert.SubjectId == groupId && cert.Kind == "group" && cert.Role == kind && cert.KeysetId == keyset.KeysetId
            && cert.KeysetSerial == keyset.Serial && cert.EncryptionPublicKey == keyset.EncryptionPublicKey
            && cert.SigningPublicKey == keyset.SigningPublicKey && Math.Abs(cert.IssuedAt - now) <= ClockSkewMs
            && Base64Url.TryDecode(cert.Signature, out byte[]? signature) && signature.Length == EcdsaP256.SignatureSize
            && SetupValidator.TryRecord(() => new GroupCertTbs(orgId, groupId, kind, Fingerprint.FromSpki(Base64Url.Decode(keyset.EncryptionPublicKey)),
                Fingerprint.FromSpki(Base64Url.Decode(keyset.SigningPublicKey)), cert.KeysetId, cert.KeysetSerial, cert.IssuerId, cert.IssuedAt),
                out GroupCertTbs? record)
            && record!.Verify(issuerKey, signature);
        return ok ? null : "certificate: must certify the group's keyset and kind, issued now, signed by your issuer key";
    }

    private static bool Verify(EcdsaP256PublicKey key, GroupCertTbs record, byte[] signature)
    {
        using (key)
        {
            return record.Verify(key, signature);
        }
    }

    private static bool SameSet(IEnumerable<string> presented, IEnumerable<string> expected)
    {
        List<string> list = [.. presented];
        HashSet<string> set = new(list, StringComparer.Ordinal);
        return set.Count == list.Count && set.SetEquals(expected);
    }

    private static async Task RequireOneAsync(Task<int> update)
    {
        if (await update != 1)
        {
            throw new RotationRaced();
        }
    }

    internal static string Canonical(IReadOnlySet<string> permissions) =>
        string.Join(' ', OrgPermissions.All.Where(permissions.Contains));

    private Task<GroupResult> InGroupWriteAsync(CofferCaller caller, long now, Func<DbConnection, DbTransaction, ChangeSet, Task<GroupResult>> work,
        CancellationToken ct) =>
        feed.InTransactionAsync(async (c, tx, changed) =>
        {
            // The (session, seq) pair is used once on whichever node, so a write replayed to another node writes nothing.
            if (await c.ExecAsync(tx, "INSERT INTO session_writes (session_id, seq, created_at) VALUES (@SessionId, @seq, @now) ON CONFLICT DO NOTHING",
                new { caller.SessionId, seq = checked((long)caller.Seq), now }, ct) != 1)
            {
                return new GroupResult(GroupOutcome.Replayed);
            }
            if (database.Engine == DatabaseEngine.Postgres)
            {
                await c.ExecAsync(tx, "SELECT pg_advisory_xact_lock(@key)", new { key = GroupKeyLock }, ct);
            }
            // Every check comes before the first write, so a refusal leaves only the used (session, seq) behind.
            return await work(c, tx, changed);
        }, ct);

    private static async Task InsertMembershipAsync(DbConnection c, DbTransaction tx, SignedWrapDto w, long now, CancellationToken ct) =>
        await c.ExecAsync(tx, """
            INSERT INTO group_memberships (group_id, member_id, key_serial, member_keyset_serial, wrapped_key, signer_id, signature, created_at)
            VALUES (@ObjectId, @RecipientId, @KeySerial, @RecipientKeysetSerial, @wrap, @SignerId, @signature, @now)
            """, WrapArgs(w, now), ct);

    private static object WrapArgs(SignedWrapDto w, long now) => new
    {
        w.ObjectId,
        w.KeySerial,
        w.RecipientId,
        w.RecipientKeysetSerial,
        wrap = Base64Url.Decode(w.Wrap),
        w.SignerId,
        signature = Base64Url.Decode(w.Signature),
        now,
    };

    private const string GroupColumns = """
        SELECT id AS Id, kind AS Kind, name AS Name, permissions AS Permissions, created_at AS CreatedAt,
               (SELECT count(*) FROM group_memberships gm WHERE gm.group_id = groups.id) AS MemberCount,
               (SELECT max(serial) FROM keysets k WHERE k.group_id = groups.id) AS KeySerial
        FROM groups
        """;

    private const string VaultGrantColumns = """
        SELECT vault_id AS VaultId, key_serial AS KeySerial, recipient_keyset_serial AS RecipientKeysetSerial, wrapped_key AS Wrap,
               signer_id AS SignerId, signature AS Signature, permissions AS Permissions
        FROM vault_grants WHERE principal_kind = 'group' AND principal_id = @groupId
        """;

    private static async Task<long> CurrentSerialAsync(DbConnection c, DbTransaction tx, string groupId, CancellationToken ct) =>
        await c.ScalarAsync<long>(tx, "SELECT max(serial) FROM keysets WHERE group_id = @groupId", new { groupId }, ct);

    private sealed class GroupRow
    {
        public string Id { get; set; } = "";
        public string Kind { get; set; } = "";
        public string Name { get; set; } = "";
        public string Permissions { get; set; } = "";
        public long CreatedAt { get; set; }
        public long MemberCount { get; set; }
        public long KeySerial { get; set; }

        public GroupSummaryDto ToDto(IReadOnlyList<string> memberIds, bool withMembers) =>
            new(Id, Kind, Name, [.. BuiltInPermissions.Of(Kind, Permissions)], MemberCount, KeySerial, withMembers ? memberIds : null);
    }

    private sealed class KeyRefRow
    {
        public string GroupId { get; set; } = "";
        public string Kind { get; set; } = "";
        public long KeySerial { get; set; }
    }

    private sealed class VaultGrantRow
    {
        public string VaultId { get; set; } = "";
        public long KeySerial { get; set; }
        public long RecipientKeysetSerial { get; set; }
        public byte[] Wrap { get; set; } = [];
        public string SignerId { get; set; } = "";
        public byte[] Signature { get; set; } = [];
        public string Permissions { get; set; } = "";

        public VaultGrantDto ToDto(string groupId) => new(new SignedWrapDto(WrapObjectKinds.Vault, VaultId, KeySerial, groupId, "group",
            RecipientKeysetSerial, Base64Url.Encode(Wrap), SignerId, Base64Url.Encode(Signature)),
            Permissions.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>A concurrent vault or group rotation won; the whole group rotation is undone.</summary>
    private sealed class RotationRaced : Exception;
}
