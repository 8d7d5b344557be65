using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Common;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Sync;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Items;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Groups;
using Coffer.Sdk.Members;
using Coffer.Sdk.Vaults;
using Coffer.Server.Features.Members;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Dapper;

namespace Coffer.Server.Tests.Features.Vaults;

/// <summary>
/// Sharing vaults (PROTOCOL.md §5, §5.1 signed wraps and provenance, §8 personal vaults; POLICY.md vault permissions; ADR 0011)
/// through the real server and the SDK, on both engines.
/// </summary>
public class SharingTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;
    private static readonly byte[] Overview = Encoding.UTF8.GetBytes("""{"v":1,"category":"login","title":"Supplier portal","archived":false,"trashed":false}""");
    private static readonly byte[] Details = Encoding.UTF8.GetBytes("""{"v":1,"fields":[{"id":"p","label":"password","type":"concealed","value":"hunter2","purpose":"password"}]}""");
    private static readonly byte[] DetailsV2 = Encoding.UTF8.GetBytes("""{"v":1,"fields":[{"id":"p","label":"password","type":"concealed","value":"hunter3","purpose":"password"}]}""");
    private static readonly byte[] DetailsV3 = Encoding.UTF8.GetBytes("""{"v":1,"fields":[{"id":"p","label":"password","type":"concealed","value":"hunter4","purpose":"password"}]}""");

    private static readonly string[] Editor = [VaultPermissions.ViewItems, VaultPermissions.ViewAndCopyPasswords, VaultPermissions.CreateItems, VaultPermissions.EditItems];
    private static readonly string[] Viewer = [VaultPermissions.ViewItems];

    // Only a guard against a hung test, not a timing assertion: the event is expected long before.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Theory, BothEngines]
    public async Task Share_WithAnEditorAndAViewer_BothOpenTheOwnersItem_OnlyTheEditorWrites(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using Party owner = await Party.OwnerAsync(org);
        using TestMember editorMember = await org.AddMemberAsync(owner.SignIn, owner.Keys, "editor@example.org");
        using TestMember viewerMember = await org.AddMemberAsync(owner.SignIn, owner.Keys, "viewer@example.org");
        using Party editor = await Party.OfAsync(editorMember);
        using Party viewer = await Party.OfAsync(viewerMember);
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Supplier portals");
        ItemDto item = await owner.Vaults.CreateItemAsync(vault.Id, Overview, Details);
        Assert.DoesNotContain(vault.Id, (await viewer.Vaults.ListVaultsAsync()).Select(v => v.Id));
        using VaultEvents viewerEvents = await viewer.Vaults.SubscribeAsync();

        VaultGrantSummaryDto editorGrant = await owner.Vaults.ShareAsync(vault.Id, editorMember.MemberId, Editor);
        VaultGrantSummaryDto viewerGrant = await owner.Vaults.ShareAsync(vault.Id, viewerMember.MemberId, Viewer);

        Assert.Equal(Editor, editorGrant.Permissions);
        Assert.Equal(Viewer, viewerGrant.Permissions);
        Assert.Equal((owner.MemberId, 1L), (viewerGrant.SignerId, viewerGrant.KeySerial));
        // The vault appears in the viewer's event stream and list.
        VaultEventDto? heard = await viewerEvents.NextAsync().WaitAsync(Guard);
        Assert.Equal((VaultEventKinds.Vault, vault.Id), (heard?.Kind, heard?.VaultId));
        Assert.Contains(vault.Id, (await viewer.Vaults.ListVaultsAsync()).Select(v => v.Id));
        Assert.Equal(Details, (await editor.Vaults.GetItemAsync(vault.Id, item.Id)).Details);
        Assert.Equal(Details, (await viewer.Vaults.GetItemAsync(vault.Id, item.Id)).Details);
        Assert.Equal("""{"v":1,"name":"Supplier portals"}""", Encoding.UTF8.GetString(await viewer.Vaults.OpenAttributesAsync(vault.Id)));

        // The viewer may not write: 403, and nothing is written.
        CofferApiException edit = await Assert.ThrowsAsync<CofferApiException>(() => viewer.Vaults.UpdateItemAsync(vault.Id, item.Id, 1, Overview, DetailsV2));
        CofferApiException create = await Assert.ThrowsAsync<CofferApiException>(() => viewer.Vaults.CreateItemAsync(vault.Id, Overview, DetailsV2));
        Assert.Equal((403, ErrorTypes.Forbidden), (edit.Status, edit.Type));
        Assert.Equal(403, create.Status);
        OpenedItem unchanged = await owner.Vaults.GetItemAsync(vault.Id, item.Id);
        Assert.Equal(1, unchanged.Item.Version);
        Assert.Equal(Details, unchanged.Details);
        Assert.Single((await owner.Vaults.ListItemsAsync(vault.Id)).Items);

        // The editor may, and everyone reads the new version.
        ItemDto edited = await editor.Vaults.UpdateItemAsync(vault.Id, item.Id, 1, Overview, DetailsV2);
        Assert.Equal(2, edited.Version);
        Assert.Equal(DetailsV2, (await owner.Vaults.GetItemAsync(vault.Id, item.Id)).Details);
        Assert.Equal(DetailsV2, (await viewer.Vaults.GetItemAsync(vault.Id, item.Id)).Details);

        // Grants are manage_vault's: neither may list or change them.
        Assert.Equal(403, (await Assert.ThrowsAsync<CofferApiException>(() => viewer.Vaults.ListGrantsAsync(vault.Id))).Status);
        Assert.Equal(403, (await Assert.ThrowsAsync<CofferApiException>(() => editor.Vaults.ShareAsync(vault.Id, viewerMember.MemberId, Editor))).Status);
        VaultGrantListResponse grants = await owner.Vaults.ListGrantsAsync(vault.Id);
        Assert.Equal(3, grants.Grants.Count);
        Assert.Equal(VaultPermissions.All, grants.Grants.Single(g => g.PrincipalId == owner.MemberId).Permissions);
        Assert.Equal(Editor, grants.Grants.Single(g => g.PrincipalId == editorMember.MemberId).Permissions);
        Assert.Equal(Viewer, grants.Grants.Single(g => g.PrincipalId == viewerMember.MemberId).Permissions);

        // Changing only the permissions keeps the wrap the viewer holds, and now lets them edit.
        SignedWrapDto wrapBefore = Assert.Single((await viewer.GetVaultAsync(vault.Id)).Grants).Wrap;
        VaultGrantSummaryDto upgraded = await owner.Vaults.ChangePermissionsAsync(vault.Id, "member", viewerMember.MemberId,
            [VaultPermissions.EditItems, VaultPermissions.ViewItems]);
        Assert.Equal([VaultPermissions.ViewItems, VaultPermissions.EditItems], upgraded.Permissions);
        Assert.Equal(wrapBefore, Assert.Single((await viewer.GetVaultAsync(vault.Id)).Grants).Wrap);
        Assert.Equal(3, (await viewer.Vaults.UpdateItemAsync(vault.Id, item.Id, 2, Overview, DetailsV3)).Version);

        // Each change is in the activity log, naming whom it concerns.
        IReadOnlyList<AuditEventDto> events = (await owner.SignIn.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/events?after=0&limit=1000",
            Json.AuditEventsResponse)).Events;
        Assert.Contains(events, e => e.Action == "vault.grant.put" && e.TargetId == vault.Id && e.Outcome == "success"
            && e.Details!.Contains(viewerMember.MemberId, StringComparison.Ordinal) && e.Details.Contains("\"permissions\":\"view_items\"", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Action == "vault.grant.put" && e.Outcome == "refused" && e.ActorMemberId == editorMember.MemberId);
        Assert.Contains(events, e => e.Action == "vault.grant.change" && e.TargetId == vault.Id
            && e.Details!.Contains("\"permissions\":\"view_items edit_items\"", StringComparison.Ordinal));
    }

    [Theory, BothEngines]
    public async Task Unshare_TheEditorLosesTheVault_RotationKeepsTheViewer_AndTheOldKeyOpensNothingWrittenAfter(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using Party owner = await Party.OwnerAsync(org);
        using TestMember editorMember = await org.AddMemberAsync(owner.SignIn, owner.Keys, "editor@example.org");
        using TestMember viewerMember = await org.AddMemberAsync(owner.SignIn, owner.Keys, "viewer@example.org");
        using Party editor = await Party.OfAsync(editorMember);
        using Party viewer = await Party.OfAsync(viewerMember);
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Team accounts");
        ItemDto first = await owner.Vaults.CreateItemAsync(vault.Id, Overview, Details);
        ItemDto second = await owner.Vaults.CreateItemAsync(vault.Id, Overview, DetailsV2);
        await owner.Vaults.ShareAsync(vault.Id, editorMember.MemberId, Editor);
        await owner.Vaults.ShareAsync(vault.Id, viewerMember.MemberId, Viewer);
        Assert.Equal(Details, (await editor.Vaults.GetItemAsync(vault.Id, first.Id)).Details);
        Assert.Equal(Details, (await viewer.Vaults.GetItemAsync(vault.Id, first.Id)).Details);
        // What a departing editor can keep: the vault key it unwrapped.
        byte[] kept = KeyWrap.Unwrap(editor.Keys.Keyset.EncryptionKey, Base64Url.Decode(Assert.Single((await editor.GetVaultAsync(vault.Id)).Grants).Wrap.Wrap))!;
        using (VaultKey keptKey = VaultKey.FromUnwrapped(vault.Id, 1, kept))
        using (EnvelopeKey? before = ItemCrypto.OpenItemKey(keptKey, first.Id, first.Version, 1, ToEnvelope(first.SealedItemKey)))
        {
            Assert.NotNull(before);   // it did open what was written before the rotation
        }

        VaultDto? rotated = await owner.Vaults.UnshareAsync(vault.Id, "member", editorMember.MemberId);

        Assert.Equal(2, rotated!.KeySerial);
        CofferApiException gone = await Assert.ThrowsAsync<CofferApiException>(() => editor.Vaults.GetItemAsync(vault.Id, first.Id));
        Assert.Equal((404, ErrorTypes.NotFound), (gone.Status, gone.Type));
        Assert.Equal(404, (await Assert.ThrowsAsync<CofferApiException>(() => editor.Vaults.ListChangesAsync(vault.Id, 0))).Status);
        Assert.DoesNotContain(vault.Id, (await editor.Vaults.ListVaultsAsync()).Select(v => v.Id));
        VaultGrantListResponse grants = await owner.Vaults.ListGrantsAsync(vault.Id);
        Assert.Equal(new[] { owner.MemberId, viewerMember.MemberId }.Order(StringComparer.Ordinal), grants.Grants.Select(g => g.PrincipalId).Order(StringComparer.Ordinal));
        Assert.All(grants.Grants, g => Assert.Equal((2L, owner.MemberId), (g.KeySerial, g.SignerId)));
        // The viewer, holding key 1, follows the succession to key 2; a fresh client of theirs opens key 2 from its grant.
        Assert.Equal(DetailsV2, (await viewer.Vaults.GetItemAsync(vault.Id, second.Id)).Details);
        using (VaultClient fresh = new(viewer.SignIn.Session, viewer.Keys))
        {
            Assert.Equal(Details, (await fresh.GetItemAsync(vault.Id, first.Id)).Details);
        }

        // Written after the rotation: a new version of an existing item, and a new item.
        ItemDto edited = await owner.Vaults.UpdateItemAsync(vault.Id, first.Id, 1, Overview, DetailsV3);
        ItemDto created = await owner.Vaults.CreateItemAsync(vault.Id, Overview, DetailsV3);
        Assert.Equal(DetailsV3, (await viewer.Vaults.GetItemAsync(vault.Id, first.Id)).Details);
        Assert.Equal(DetailsV3, (await viewer.Vaults.GetItemAsync(vault.Id, created.Id)).Details);
        foreach (ItemDto written in (ItemDto[])[edited, created])
        {
            Assert.Equal(2, written.VaultKeySerial);
            Envelope sealedKey = ToEnvelope(written.SealedItemKey);
            using VaultKey keptKey = VaultKey.FromUnwrapped(vault.Id, 1, kept);
            Assert.Null(ItemCrypto.OpenItemKey(keptKey, written.Id, written.Version, 1, sealedKey));
            // Even labelled as key 2, the kept bytes do not open the item key under its true context.
            using EnvelopeKey relabelled = new(VaultKey.KidFor(vault.Id, 2), kept);
            Assert.Null(relabelled.Open(ItemCrypto.ItemKeyContext(vault.Id, 2, written.Id, written.Version), sealedKey));
        }
        CryptographicOperations.ZeroMemory(kept);
    }

    [Theory, BothEngines]
    public async Task PutGrant_ForgedOrMisaddressedWrap_OrBadPermissions_Is400_AndNothingChanges(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using Party owner = await Party.OwnerAsync(org);
        using TestMember member = await org.AddMemberAsync(owner.SignIn, owner.Keys, "member@example.org");
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Guarded");
        MemberCertificate certified = await owner.Vaults.VerifyMemberAsync(member.MemberId);
        byte[] wrap = RandomNumberGenerator.GetBytes(KeyWrap.WrappedLength);
        using EcdsaP256PrivateKey stranger = EcdsaP256.GenerateKey();
        EcdsaP256PrivateKey ownKey = owner.Keys.Keyset.SigningKey;

        SignedWrap[] refused =
        [
            // Signed by a key no certificate names, in the owner's name.
            Signing.SignWrap(stranger, owner.MemberId, WrapObjectKinds.Vault, vault.Id, 1, member.MemberId, certified.EncryptionPublicKey, wrap),
            // Honestly signed, but wrapped to a key other than the member's certified one.
            Signing.SignWrap(ownKey, owner.MemberId, WrapObjectKinds.Vault, vault.Id, 1, member.MemberId, owner.Keys.Keyset.EncryptionPublicKey, wrap),
            // Honestly signed and addressed, but of a key serial the vault does not have.
            Signing.SignWrap(ownKey, owner.MemberId, WrapObjectKinds.Vault, vault.Id, 2, member.MemberId, certified.EncryptionPublicKey, wrap),
        ];
        foreach (SignedWrap bad in refused)
        {
            CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => PutGrantAsync(owner, vault.Id, member.MemberId,
                new PutVaultGrantRequest(ToDto(bad, certified), Viewer)));
            Assert.Equal((400, ErrorTypes.ValidationFailed), (e.Status, e.Type));
        }
        SignedWrap honest = Signing.SignWrap(ownKey, owner.MemberId, WrapObjectKinds.Vault, vault.Id, 1, member.MemberId, certified.EncryptionPublicKey, wrap);
        string[][] badPermissions = [[], [VaultPermissions.ViewItems, "admin"], [VaultPermissions.ViewItems, VaultPermissions.ViewItems], [VaultPermissions.EditItems]];
        foreach (string[] permissions in badPermissions)
        {
            CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => PutGrantAsync(owner, vault.Id, member.MemberId,
                new PutVaultGrantRequest(ToDto(honest, certified), permissions)));
            Assert.Equal(400, e.Status);
        }
        // To nobody: the same 404 as for no vault.
        string nobody = Sdk.Ids.UuidV7.New(TimeProvider.System);
        CofferApiException unknown = await Assert.ThrowsAsync<CofferApiException>(() => PutGrantAsync(owner, vault.Id, nobody,
            new PutVaultGrantRequest(ToDto(honest, certified) with { RecipientId = nobody }, Viewer)));
        Assert.Equal(404, unknown.Status);

        Assert.Single((await owner.Vaults.ListGrantsAsync(vault.Id)).Grants);
        Assert.Equal(1, (await owner.GetVaultAsync(vault.Id)).ContentVersion);
        // The honest wrap passes the same checks (the server cannot see inside a wrap; the member's client would refuse this one).
        Assert.Equal(Viewer, (await PutGrantAsync(owner, vault.Id, member.MemberId, new PutVaultGrantRequest(ToDto(honest, certified), Viewer))).Permissions);
    }

    [Theory, BothEngines]
    public async Task Share_ToAMemberWhoseKeyTheServerSwapped_IsProvenanceException_AndNothingIsSent(Engine engine)
    {
        TamperingHandler proxy = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: proxy);
        using Party owner = await Party.OwnerAsync(org);
        using TestMember member = await org.AddMemberAsync(owner.SignIn, owner.Keys, "member@example.org");
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Watched");
        // Whoever holds the server's database puts a key of its own where the member's certified one was.
        using RSA server = RSA.Create(2048);
        await using (DbConnection c = await org.Database.Database.OpenAsync(default))
        {
            Assert.Equal(1, await c.ExecuteAsync("UPDATE keysets SET encryption_public_key = @key WHERE member_id = @id",
                new { key = server.ExportSubjectPublicKeyInfo(), id = member.MemberId }));
        }
        int sent = proxy.Sent.Count;

        ProvenanceException e = await Assert.ThrowsAsync<ProvenanceException>(() => owner.Vaults.ShareAsync(vault.Id, member.MemberId, Viewer));

        Assert.Equal(ProvenanceFailure.BadSignature, e.Failure);
        Assert.DoesNotContain(proxy.Sent.Skip(sent), r => r.Method == HttpMethod.Put || r.Method == HttpMethod.Patch);
        Assert.Single((await owner.Vaults.ListGrantsAsync(vault.Id)).Grants);
    }

    [Theory, BothEngines]
    public async Task Open_AGrantSignedUnderAnIdNobodyCertified_IsProvenanceException_NotNotFound(Engine engine)
    {
        // Found by the end-to-end tampering tests (docs/adr/0021): the signer's certificate fetch answered 404 and the CLI
        // said "Not found" (exit 5) for what is a forged grant.
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using Party owner = await Party.OwnerAsync(org);
        using TestMember member = await org.AddMemberAsync(owner.SignIn, owner.Keys, "member@example.org");
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Forged");
        ItemDto item = await owner.Vaults.CreateItemAsync(vault.Id, Overview, Details);
        await owner.Vaults.ShareAsync(vault.Id, member.MemberId, Viewer);
        await using (DbConnection c = await org.Database.Database.OpenAsync(default))
        {
            Assert.Equal(1, await c.ExecuteAsync("UPDATE vault_grants SET signer_id = @signer WHERE vault_id = @vault AND principal_id = @id",
                new { signer = Coffer.Sdk.Ids.UuidV7.New(TimeProvider.System), vault = vault.Id, id = member.MemberId }));
        }
        using Party reader = await Party.OfAsync(member);

        ProvenanceException e = await Assert.ThrowsAsync<ProvenanceException>(() => reader.Vaults.GetItemAsync(vault.Id, item.Id));

        Assert.Equal(ProvenanceFailure.WrongSigner, e.Failure);
        Assert.Contains("never certified", e.Message, StringComparison.Ordinal);
    }

    [Theory, BothEngines]
    public async Task NewTeamMember_HasAPersonalVaultFromAcceptance_UsableOnceConfirmed_AndNobodyElses(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using Party owner = await Party.OwnerAsync(org);
        using TestMember member = await org.AddMemberAsync(owner.SignIn, owner.Keys, "tm@example.org", "team_members", confirm: false);

        string vaultId;
        await using (DbConnection c = await org.Database.Database.OpenAsync(default))
        {
            (string Id, string Kind) stored = await c.QuerySingleAsync<(string, string)>("SELECT id, kind FROM vaults WHERE created_by = @id",
                new { id = member.MemberId });
            Assert.Equal("personal", stored.Kind);
            vaultId = stored.Id;
            (string Principal, string Signer) grant = await c.QuerySingleAsync<(string, string)>(
                "SELECT principal_id, signer_id FROM vault_grants WHERE vault_id = @vaultId", new { vaultId });
            Assert.Equal((member.MemberId, member.MemberId), grant);
        }
        using (SignInResult pending = await member.SignInAsync())
        {
            CofferApiException notYet = await Assert.ThrowsAsync<CofferApiException>(() => pending.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults", Json.VaultListResponse));
            Assert.Equal(403, notYet.Status);
        }
        PendingMember toConfirm = await MemberConfirmation.FetchAsync(owner.SignIn.Session, owner.Keys, member.MemberId);
        await MemberConfirmation.ConfirmAsync(owner.SignIn.Session, owner.Keys, toConfirm, TimeProvider.System);
        using Party confirmed = await Party.OfAsync(member);

        VaultDto personal = Assert.Single(await confirmed.Vaults.ListVaultsAsync());
        Assert.Equal((vaultId, "personal"), (personal.Id, personal.Kind));
        Assert.Equal("""{"v":1,"name":"Personal"}""", Encoding.UTF8.GetString(await confirmed.Vaults.OpenAttributesAsync(vaultId)));
        ItemDto item = await confirmed.Vaults.CreateItemAsync(vaultId, Overview, Details);
        Assert.Equal(Details, (await confirmed.Vaults.GetItemAsync(vaultId, item.Id)).Details);
        Assert.Equal(400, (await Assert.ThrowsAsync<CofferApiException>(() => confirmed.Vaults.CreateVaultAsync("personal", "Another"))).Status);
        // A personal vault is its member's alone: not shared, and another member's id gets the 404 of no vault.
        Assert.Equal(403, (await Assert.ThrowsAsync<CofferApiException>(() => confirmed.Vaults.ShareAsync(vaultId, owner.MemberId, Viewer))).Status);
        foreach (string path in (string[])[$"/api/v1/vaults/{vaultId}", $"/api/v1/vaults/{vaultId}/items", $"/api/v1/vaults/{vaultId}/grants",
                     $"/api/v1/vaults/{vaultId}/items/{item.Id}"])
        {
            CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => owner.SignIn.Session.SendAsync(HttpMethod.Get, path, Json.VaultDto));
            Assert.Equal((404, ErrorTypes.NotFound), (e.Status, e.Type));
        }
        VaultDto ownersVault = await owner.Vaults.CreateVaultAsync("shared", "Owners only");
        Assert.Equal(404, (await Assert.ThrowsAsync<CofferApiException>(() => confirmed.GetVaultAsync(ownersVault.Id))).Status);
        Assert.Equal(404, (await Assert.ThrowsAsync<CofferApiException>(() => confirmed.Vaults.ListGrantsAsync(ownersVault.Id))).Status);
        Assert.Equal(404, (await Assert.ThrowsAsync<CofferApiException>(() =>
            confirmed.SignIn.Session.SendAsync(HttpMethod.Patch, $"/api/v1/vaults/{ownersVault.Id}/grants/member/{member.MemberId}",
                new ChangeVaultGrantRequest(VaultPermissions.All), Json.ChangeVaultGrantRequest, Json.VaultGrantSummaryDto))).Status);

        // The vault's creation is in the activity log, attributed to the member at acceptance.
        IReadOnlyList<AuditEventDto> events = (await owner.SignIn.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/events?after=0&limit=1000",
            Json.AuditEventsResponse)).Events;
        Assert.Contains(events, e => e.Action == "vault.create" && e.TargetId == vaultId && e.ActorMemberId == member.MemberId && e.Outcome == "success");
    }

    [Theory, BothEngines]
    public async Task Guest_HasNoPersonalVault_CannotCreateVaults_ButCanBeGivenASharedOne(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using Party owner = await Party.OwnerAsync(org);
        using TestMember guestMember = await org.AddMemberAsync(owner.SignIn, owner.Keys, "guest@example.org", "guests");
        using Party guest = await Party.OfAsync(guestMember);

        Assert.Empty(await guest.Vaults.ListVaultsAsync());
        CofferApiException personal = await Assert.ThrowsAsync<CofferApiException>(() => guest.Vaults.CreateVaultAsync("personal", "Mine"));
        CofferApiException shared = await Assert.ThrowsAsync<CofferApiException>(() => guest.Vaults.CreateVaultAsync("shared", "Ours"));
        Assert.Equal((403, ErrorTypes.Forbidden), (personal.Status, personal.Type));
        Assert.Equal((403, ErrorTypes.Forbidden), (shared.Status, shared.Type));
        await using (DbConnection c = await org.Database.Database.OpenAsync(default))
        {
            Assert.Equal(0, await c.QuerySingleAsync<long>("SELECT count(*) FROM vaults WHERE created_by = @id", new { id = guestMember.MemberId }));
        }

        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Supplier portal for the contractor");
        ItemDto item = await owner.Vaults.CreateItemAsync(vault.Id, Overview, Details);
        await owner.Vaults.ShareAsync(vault.Id, guestMember.MemberId, Viewer);
        Assert.Equal(Details, (await guest.Vaults.GetItemAsync(vault.Id, item.Id)).Details);
    }

    [Theory, BothEngines]
    public async Task Accept_WithAPersonalVaultForAGuest_OrWithoutOneForATeamMember_Is400_AndWritesNothing(Engine engine)
    {
        TamperingHandler proxy = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: proxy);
        using Party owner = await Party.OwnerAsync(org);
        InvitationResponse guest = await InviteAsync(owner, "guest@example.org", "guests");
        InvitationResponse teamMember = await InviteAsync(owner, "tm@example.org", "team_members");

        // A client that adds a (well-formed) personal vault to a guest's acceptance, and one that leaves it out of a team member's.
        proxy.Tamper = r => r.Uri.AbsolutePath.EndsWith("/invitations/accept", StringComparison.Ordinal)
            ? r with { Body = WithPersonalVault(r.Body, FakePersonalVault(guest.MemberId)) }
            : r;
        CofferApiException guestRefused = await Assert.ThrowsAsync<CofferApiException>(() => AcceptAsync(org, "guest@example.org"));
        proxy.Tamper = r => r.Uri.AbsolutePath.EndsWith("/invitations/accept", StringComparison.Ordinal) ? r with { Body = WithPersonalVault(r.Body, null) } : r;
        CofferApiException memberRefused = await Assert.ThrowsAsync<CofferApiException>(() => AcceptAsync(org, "tm@example.org"));

        Assert.Equal((400, ErrorTypes.ValidationFailed), (guestRefused.Status, guestRefused.Type));
        Assert.Equal((400, ErrorTypes.ValidationFailed), (memberRefused.Status, memberRefused.Type));
        await using (DbConnection c = await org.Database.Database.OpenAsync(default))
        {
            Assert.Equal(new[] { "invited", "invited" }, await c.QueryAsync<string>("SELECT state FROM members WHERE id IN (@a, @b)",
                new { a = guest.MemberId, b = teamMember.MemberId }));
            Assert.Equal(0, await c.QuerySingleAsync<long>("SELECT count(*) FROM vaults WHERE created_by IN (@a, @b)", new { a = guest.MemberId, b = teamMember.MemberId }));
            Assert.Equal(0, await c.QuerySingleAsync<long>("SELECT count(*) FROM keysets WHERE member_id IN (@a, @b)", new { a = guest.MemberId, b = teamMember.MemberId }));
        }

        // Untouched, both go through: the guest without a vault, the team member with one.
        proxy.Tamper = null;
        using InvitationAcceptanceResult acceptedGuest = await AcceptAsync(org, "guest@example.org");
        using InvitationAcceptanceResult acceptedMember = await AcceptAsync(org, "tm@example.org");
        Assert.Null(acceptedGuest.PersonalVaultId);
        await using (DbConnection c = await org.Database.Database.OpenAsync(default))
        {
            Assert.Equal(acceptedMember.PersonalVaultId, await c.QuerySingleAsync<string>("SELECT id FROM vaults WHERE created_by = @id", new { id = teamMember.MemberId }));
        }
    }

    [Theory, BothEngines]
    public async Task GroupGrant_ItsMembersReadThroughTheGroupKey_AndRotationRewrapsToTheGroup(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using Party owner = await Party.OwnerAsync(org);
        using TestMember teamMember = await org.AddMemberAsync(owner.SignIn, owner.Keys, "tm@example.org");
        using Party member = await Party.OfAsync(teamMember);
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Everyone's");
        ItemDto item = await owner.Vaults.CreateItemAsync(vault.Id, Overview, Details);
        string teamMembers = owner.Keys.GroupOfKind(GroupKinds.TeamMembers)!.GroupId;

        VaultGrantSummaryDto grant = await owner.Vaults.ShareWithGroupAsync(vault.Id, teamMembers, Viewer);

        Assert.Equal(("group", teamMembers), (grant.PrincipalKind, grant.PrincipalId));
        Assert.Equal(Details, (await member.Vaults.GetItemAsync(vault.Id, item.Id)).Details);
        VaultDto rotated = await owner.Vaults.RotateAsync(vault.Id);
        Assert.Equal(2, rotated.KeySerial);
        Assert.All((await owner.Vaults.ListGrantsAsync(vault.Id)).Grants, g => Assert.Equal(2, g.KeySerial));
        ItemDto edited = await owner.Vaults.UpdateItemAsync(vault.Id, item.Id, 1, Overview, DetailsV2);
        Assert.Equal(DetailsV2, (await member.Vaults.GetItemAsync(vault.Id, edited.Id)).Details);
        using (VaultClient fresh = new(member.SignIn.Session, member.Keys))
        {
            Assert.Equal(DetailsV2, (await fresh.GetItemAsync(vault.Id, item.Id)).Details);
        }
        // A group the server does not know has no certificate to verify: nothing is sent.
        CofferApiException unknown = await Assert.ThrowsAsync<CofferApiException>(() =>
            owner.Vaults.ShareWithGroupAsync(vault.Id, Sdk.Ids.UuidV7.New(TimeProvider.System), Viewer));
        Assert.Equal(404, unknown.Status);
        Assert.Equal(2, (await owner.Vaults.ListGrantsAsync(vault.Id)).Grants.Count);
    }

    [Theory, BothEngines]
    public async Task ShareWithGroup_ACustomGroupTheOwnerIsNotIn_GoesToItsVerifiedCertificate_AForgedOneGetsNothing(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using Party owner = await Party.OwnerAsync(org);
        using TestMember financeMember = await org.AddMemberAsync(owner.SignIn, owner.Keys, "finance@example.org");
        using GroupClient groups = new(owner.SignIn.Session, owner.Keys);
        string finance = await groups.CreateAsync("Finance", []);
        string forged = await groups.CreateAsync("Forged", []);
        await groups.AddMemberAsync(finance, financeMember.MemberId);
        Assert.False(owner.Keys.GroupCertificates.ContainsKey(finance));
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Finance logins");
        ItemDto item = await owner.Vaults.CreateItemAsync(vault.Id, Overview, Details);

        VaultGrantSummaryDto grant = await owner.Vaults.ShareWithGroupAsync(vault.Id, finance, Viewer);

        Assert.Equal(("group", finance, 1L), (grant.PrincipalKind, grant.PrincipalId, grant.RecipientKeysetSerial));
        using (Party member = await Party.OfAsync(financeMember))
        {
            Assert.Equal(Details, (await member.Vaults.GetItemAsync(vault.Id, item.Id)).Details);
        }
        // A group certificate the issuer did not sign is refused before anything is wrapped or sent.
        await using (DbConnection c = await org.Database.Database.OpenAsync(default))
        {
            Assert.Equal(1, await c.ExecuteAsync("UPDATE certificates SET signature = @bad WHERE kind = 'group' AND subject_id = @forged",
                new { bad = RandomNumberGenerator.GetBytes(64), forged }));
        }
        await Assert.ThrowsAsync<ProvenanceException>(() => owner.Vaults.ShareWithGroupAsync(vault.Id, forged, Viewer));
        Assert.DoesNotContain((await owner.Vaults.ListGrantsAsync(vault.Id)).Grants, g => g.PrincipalId == forged);
    }

    [Theory, BothEngines]
    public async Task MemberCertificate_IsServedForActiveMembersOnly_ToConfirmedMembers(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using Party owner = await Party.OwnerAsync(org);
        using TestMember active = await org.AddMemberAsync(owner.SignIn, owner.Keys, "active@example.org");
        using TestMember pending = await org.AddMemberAsync(owner.SignIn, owner.Keys, "pending@example.org", confirm: false);
        using Party reader = await Party.OfAsync(active);

        MemberCertificateResponse ownerCertificate = await reader.SignIn.Session.SendAsync(HttpMethod.Get,
            $"/api/v1/members/{owner.MemberId}/certificate", Json.MemberCertificateResponse);
        Assert.Equal((owner.MemberId, "member", "active"), (ownerCertificate.Certificate.SubjectId, ownerCertificate.Certificate.Kind, ownerCertificate.State));
        Assert.Contains(ownerCertificate.Issuers, i => i.IssuerId == ownerCertificate.Certificate.IssuerId);
        Assert.Equal(Base64Url.Encode(owner.Keys.Keyset.EncryptionPublicKey), ownerCertificate.Certificate.EncryptionPublicKey);
        MemberCertificate verified = await reader.Vaults.VerifyMemberAsync(owner.MemberId);
        Assert.Equal(owner.Keys.Certificate.Record, verified.Record);

        foreach (string id in (string[])[pending.MemberId, Sdk.Ids.UuidV7.New(TimeProvider.System), "not-an-id"])
        {
            CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() =>
                reader.SignIn.Session.SendAsync(HttpMethod.Get, $"/api/v1/members/{id}/certificate", Json.MemberCertificateResponse));
            Assert.Equal((404, ErrorTypes.NotFound), (e.Status, e.Type));
        }
        using SignInResult unconfirmed = await pending.SignInAsync();
        CofferApiException notYet = await Assert.ThrowsAsync<CofferApiException>(() =>
            unconfirmed.Session.SendAsync(HttpMethod.Get, $"/api/v1/members/{owner.MemberId}/certificate", Json.MemberCertificateResponse));
        Assert.Equal(403, notYet.Status);
    }

    private static Task<VaultGrantSummaryDto> PutGrantAsync(Party caller, string vaultId, string memberId, PutVaultGrantRequest request) =>
        caller.SignIn.Session.SendAsync(HttpMethod.Put, $"/api/v1/vaults/{vaultId}/grants/member/{memberId}", request, Json.PutVaultGrantRequest,
            Json.VaultGrantSummaryDto);

    private static SignedWrapDto ToDto(SignedWrap wrap, MemberCertificate recipient) =>
        new(wrap.Record.ObjectKind, wrap.Record.ObjectId, wrap.Record.KeySerial, wrap.Record.RecipientId, "member", recipient.Record.KeysetSerial,
            Base64Url.Encode(wrap.Wrap), wrap.Record.SignerId, Base64Url.Encode(wrap.Signature));

    private static Envelope ToEnvelope(EnvelopeDto dto) =>
        Envelope.TryParse(JsonSerializer.SerializeToUtf8Bytes(dto, Json.EnvelopeDto), out Envelope? envelope) ? envelope! : throw new FormatException("not an envelope");

    private static Task<InvitationResponse> InviteAsync(Party admin, string email, string baseGroup) =>
        admin.SignIn.Session.SendAsync(HttpMethod.Post, "/api/v1/members/invitations", new InviteMemberRequest(email, email.Split('@')[0], baseGroup),
            Json.InviteMemberRequest, Json.InvitationResponse);

    private static Task<InvitationAcceptanceResult> AcceptAsync(TestOrganisation org, string email)
    {
        string outbox = org.Server.Services.GetRequiredService<Mailer>().OutboxDirectory;
        string eml = Directory.GetFiles(outbox, "*.eml").Select(File.ReadAllText).Single(m => m.Contains(email, StringComparison.OrdinalIgnoreCase));
        InvitationLink link = InvitationLink.Parse(eml[eml.IndexOf("http", StringComparison.Ordinal)..].Split('\r', '\n')[0]);
        return InvitationAcceptance.AcceptAsync(org.Connection, link, TestMember.Password, TimeProvider.System, TestOrganisation.Policy, TestOrganisation.Iterations);
    }

    // Well-formed in every way the server can check before it knows the invitation; its bytes are random.
    private static CreateVaultRequest FakePersonalVault(string memberId)
    {
        string id = Sdk.Ids.UuidV7.New(TimeProvider.System);
        EnvelopeDto attributes = new($"vault:{id}:k1", Envelope.A256Gcm, Base64Url.Encode(new byte[Envelope.IvLength]),
            Base64Url.Encode(RandomNumberGenerator.GetBytes(40)));
        SignedWrapDto grant = new(WrapObjectKinds.Vault, id, 1, memberId, "member", 1, Base64Url.Encode(RandomNumberGenerator.GetBytes(256)), memberId,
            Base64Url.Encode(RandomNumberGenerator.GetBytes(64)));
        return new CreateVaultRequest(id, "personal", 1, 1, attributes, false, grant);
    }

    private static byte[] WithPersonalVault(byte[] body, CreateVaultRequest? vault)
    {
        JsonObject request = JsonNode.Parse(body)!.AsObject();
        request["personalVault"] = vault is null ? null : JsonNode.Parse(JsonSerializer.Serialize(vault, Json.CreateVaultRequest));
        return Encoding.UTF8.GetBytes(request.ToJsonString());
    }

    /// <summary>A member signed in and unlocked, with a vault client.</summary>
    private sealed class Party(SignInResult signIn, UnlockedAccount keys) : IDisposable
    {
        public SignInResult SignIn { get; } = signIn;

        public UnlockedAccount Keys { get; } = keys;

        public VaultClient Vaults { get; } = new(signIn.Session, keys);

        public string MemberId => Keys.MemberId;

        public static async Task<Party> OwnerAsync(TestOrganisation org)
        {
            (SignInResult signIn, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
            return new Party(signIn, keys);
        }

        public static async Task<Party> OfAsync(TestMember member)
        {
            (SignInResult signIn, UnlockedAccount keys) = await member.SignInAndUnlockAsync();
            return new Party(signIn, keys);
        }

        /// <summary>The vault as the server serves it to this member (their grants, still sealed).</summary>
        public Task<VaultDto> GetVaultAsync(string vaultId) => SignIn.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults/" + vaultId, Json.VaultDto);

        public void Dispose()
        {
            Vaults.Dispose();
            Keys.Dispose();
            SignIn.Dispose();
        }
    }
}
