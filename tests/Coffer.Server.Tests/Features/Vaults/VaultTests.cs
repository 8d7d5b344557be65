using System.Net;
using System.Text;
using Coffer.Contracts;
using Coffer.Contracts.Common;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Vaults;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Features.Vaults;

/// <summary>Vaults and items through the real server and the SDK (PROTOCOL.md §4-5, §9; POLICY.md item cap), on both engines.</summary>
public class VaultTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;
    private static readonly byte[] Overview = Encoding.UTF8.GetBytes("""{"v":1,"category":"login","title":"Supplier portal","archived":false,"trashed":false}""");
    private static readonly byte[] Details = Encoding.UTF8.GetBytes("""{"v":1,"fields":[{"id":"p","label":"password","type":"concealed","value":"hunter2","purpose":"password"}]}""");
    private static readonly byte[] DetailsV2 = Encoding.UTF8.GetBytes("""{"v":1,"fields":[{"id":"p","label":"password","type":"concealed","value":"hunter3","purpose":"password"}]}""");

    [Theory, BothEngines]
    public async Task CreateVaultAndItems_ReadBack_OpenToWhatWasWritten(Engine engine)
    {
        await using Owner owner = await Owner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();

        VaultDto vault = await vaults.CreateVaultAsync("shared", "Social media");
        ItemDto first = await vaults.CreateItemAsync(vault.Id, Overview, Details);
        ItemDto second = await vaults.CreateItemAsync(vault.Id, Overview, DetailsV2);

        Assert.Equal(1, first.Version);
        Assert.Equal("""{"v":1,"name":"Social media"}""", Encoding.UTF8.GetString(await vaults.OpenAttributesAsync(vault.Id)));
        OpenedItem opened = await vaults.GetItemAsync(vault.Id, first.Id);
        Assert.Equal(Overview, opened.Overview);
        Assert.Equal(Details, opened.Details);
        ItemListResponse list = await vaults.ListItemsAsync(vault.Id);
        Assert.Equal([first.Id, second.Id], list.Items.Select(i => i.Id));
        Assert.Equal(3, list.ContentVersion);
        Assert.Equal([vault.Id], (await vaults.ListVaultsAsync()).Select(v => v.Id));
        Assert.Equal(VaultPermissions.All, Assert.Single(vault.Grants).Permissions);

        // A fresh client (another device's view) opens the vault key from the signed grant alone.
        using VaultClient other = owner.Vaults();
        Assert.Equal(DetailsV2, (await other.GetItemAsync(vault.Id, second.Id)).Details);
    }

    [Theory, BothEngines]
    public async Task ConcurrentWrites_OnOneSession_AllLand(Engine engine)
    {
        await using Owner owner = await Owner.StartAsync(engine);
        using VaultClient setup = owner.Vaults();
        VaultDto vault = await setup.CreateVaultAsync("shared", "Busy");
        VaultClient[] writers = [.. Enumerable.Range(0, 4).Select(_ => owner.Vaults())];
        try
        {
            ItemDto[][] made = await Task.WhenAll(writers.Select(async w =>
            {
                List<ItemDto> mine = [];
                for (int i = 0; i < 10; i++)
                {
                    mine.Add(await w.CreateItemAsync(vault.Id, Encoding.UTF8.GetBytes("{\"v\":1,\"title\":\"x\"}"), Encoding.UTF8.GetBytes("{\"v\":1}")));
                }
                return mine.ToArray();
            }));
            ItemListResponse all = await setup.ListItemsAsync(vault.Id);
            Assert.Equal(40, all.Items.Count);
            Assert.Equal(made.SelectMany(m => m).Select(i => i.Id).Order(), all.Items.Select(i => i.Id).Order());
        }
        finally
        {
            foreach (VaultClient w in writers)
            {
                w.Dispose();
            }
        }
    }

    [Theory, BothEngines]
    public async Task EveryVaultAndItemCall_IsInTheActivityLog_WithItsTargetAndOutcome(Engine engine)
    {
        await using Owner owner = await Owner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Accounted");
        ItemDto item = await vaults.CreateItemAsync(vault.Id, Overview, Details);
        await vaults.GetItemAsync(vault.Id, item.Id);
        await Assert.ThrowsAsync<CofferApiException>(() => vaults.UpdateItemAsync(vault.Id, item.Id, 7, Overview, Details));

        List<Contracts.Audit.AuditEventDto> events = [];
        for (int i = 0; i < 50 && !events.Any(e => e.Action == "item.read"); i++)
        {
            await Task.Delay(100);   // reads are group-committed: wait for the batch, not for a speed
            events = [.. (await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/events?after=0&limit=1000", Json.AuditEventsResponse)).Events];
        }
        Assert.Contains(events, e => e.Action == "vault.create" && e.TargetKind == "vault" && e.TargetId == vault.Id && e.Outcome == "success");
        Assert.Contains(events, e => e.Action == "item.write" && e.TargetId == item.Id && e.Outcome == "success" && e.Details!.Contains(vault.Id, StringComparison.Ordinal));
        Assert.Contains(events, e => e.Action == "item.read" && e.TargetId == item.Id && e.SessionId == owner.Session.SessionId);
        Assert.Contains(events, e => e.Action == "item.write" && e.TargetId == item.Id && e.Outcome == "refused");
        Assert.DoesNotContain(events, e => (e.Details ?? "").Contains("Supplier", StringComparison.Ordinal));
    }

    [Theory, BothEngines]
    public async Task Update_WithStaleBaseVersion_Is409_AndNothingIsLost(Engine engine)
    {
        await using Owner owner = await Owner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Team");
        ItemDto item = await vaults.CreateItemAsync(vault.Id, Overview, Details);
        ItemDto updated = await vaults.UpdateItemAsync(vault.Id, item.Id, 1, Overview, DetailsV2);
        Assert.Equal(2, updated.Version);

        CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => vaults.UpdateItemAsync(vault.Id, item.Id, 1, Overview, Details));

        Assert.Equal(409, e.Status);
        Assert.Equal(ErrorTypes.ItemVersionConflict, e.Type);
        OpenedItem stored = await vaults.GetItemAsync(vault.Id, item.Id);
        Assert.Equal(2, stored.Item.Version);
        Assert.Equal(DetailsV2, stored.Details);
        ItemHistoryResponse history = await owner.Session.SendAsync(HttpMethod.Get, $"/api/v1/vaults/{vault.Id}/items/{item.Id}/history", Json.ItemHistoryResponse);
        Assert.Equal(1, Assert.Single(history.Versions).Version);
    }

    [Theory, BothEngines]
    public async Task Write_UnderTheOldKeySerial_AfterRotation_Is409StaleVaultKey(Engine engine)
    {
        await using Owner owner = await Owner.StartAsync(engine);
        using VaultClient stale = owner.Vaults();
        VaultDto vault = await stale.CreateVaultAsync("shared", "Rotated");
        ItemDto item = await stale.CreateItemAsync(vault.Id, Overview, Details);

        using VaultClient rotating = owner.Vaults();
        VaultDto rotated = await rotating.RotateAsync(vault.Id);
        Assert.Equal(2, rotated.KeySerial);
        Assert.Equal(2, Assert.Single(rotated.Successions).Serial);

        CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => stale.UpdateItemAsync(vault.Id, item.Id, 1, Overview, DetailsV2));
        Assert.Equal(409, e.Status);
        Assert.Equal(ErrorTypes.StaleVaultKey, e.Type);

        // The content survived the rotation and opens under the new key; new writes go under it.
        Assert.Equal(Details, (await rotating.GetItemAsync(vault.Id, item.Id)).Details);
        ItemDto next = await rotating.UpdateItemAsync(vault.Id, item.Id, 1, Overview, DetailsV2);
        Assert.Equal(2, next.VaultKeySerial);
        using VaultClient fresh = owner.Vaults();
        Assert.Equal(DetailsV2, (await fresh.GetItemAsync(vault.Id, item.Id)).Details);
    }

    [Theory, BothEngines]
    public async Task Rotation_WithAnItemLeftOut_IsRefused_AndNothingChanges(Engine engine)
    {
        await using Owner owner = await Owner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Partial");
        await vaults.CreateItemAsync(vault.Id, Overview, Details);
        ItemDto kept = await vaults.CreateItemAsync(vault.Id, Overview, DetailsV2);

        using VaultRotation rotation = await vaults.PrepareRotationAsync(vault.Id);
        RotateVaultRequest complete = rotation.Request;
        rotation.Request = complete with { ItemKeys = [.. complete.ItemKeys.Skip(1)] };
        CofferApiException partial = await Assert.ThrowsAsync<CofferApiException>(() => vaults.CommitRotationAsync(rotation));
        rotation.Request = complete with { ItemKeys = [.. complete.ItemKeys, complete.ItemKeys[0]] };
        CofferApiException duplicated = await Assert.ThrowsAsync<CofferApiException>(() => vaults.CommitRotationAsync(rotation));
        rotation.Request = complete with { ExpectedVaultVersion = complete.ExpectedVaultVersion - 1 };
        CofferApiException moved = await Assert.ThrowsAsync<CofferApiException>(() => vaults.CommitRotationAsync(rotation));

        Assert.Equal((400, ErrorTypes.ValidationFailed), (partial.Status, partial.Type));
        Assert.Equal((400, ErrorTypes.ValidationFailed), (duplicated.Status, duplicated.Type));
        Assert.Equal((409, ErrorTypes.VaultChanged), (moved.Status, moved.Type));
        VaultDto after = await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults/" + vault.Id, Json.VaultDto);
        Assert.Equal((1L, vault.ContentVersion + 2, 0), (after.KeySerial, after.ContentVersion, after.Successions.Count));
        Assert.All((await vaults.ListItemsAsync(vault.Id)).Items, i => Assert.Equal(1, i.VaultKeySerial));
        Assert.Equal(DetailsV2, (await vaults.GetItemAsync(vault.Id, kept.Id)).Details);

        rotation.Request = complete;
        Assert.Equal(2, (await vaults.CommitRotationAsync(rotation)).KeySerial);
    }

    [Theory, BothEngines]
    public async Task ArchiveTrashRestoreAndDelete_MirrorTheSealedFlags_AndDeletionLeavesATombstone(Engine engine)
    {
        await using Owner owner = await Owner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Lifecycle");
        ItemDto item = await vaults.CreateItemAsync(vault.Id, Overview, Details);

        ItemDto archived = await vaults.ArchiveItemAsync(vault.Id, item.Id);
        Assert.Equal((2L, true, false), (archived.Version, archived.Archived, archived.Trashed));
        Assert.Contains("\"archived\":true", Encoding.UTF8.GetString((await vaults.GetItemAsync(vault.Id, item.Id)).Overview), StringComparison.Ordinal);
        ItemDto trashed = await vaults.TrashItemAsync(vault.Id, item.Id);
        Assert.Equal((3L, true, true), (trashed.Version, trashed.Archived, trashed.Trashed));
        ItemDto restored = await vaults.RestoreItemAsync(vault.Id, item.Id);
        Assert.Equal((4L, false, false), (restored.Version, restored.Archived, restored.Trashed));
        Assert.Equal(Details, (await vaults.GetItemAsync(vault.Id, item.Id)).Details);
        // An edit that would flip a flag through the plain update is refused: flags change only through their own calls.
        byte[] sneaky = Encoding.UTF8.GetBytes("""{"v":1,"category":"login","title":"Supplier portal","archived":true,"trashed":false}""");
        CofferApiException flip = await Assert.ThrowsAsync<CofferApiException>(() => vaults.UpdateItemAsync(vault.Id, item.Id, 4, sneaky, Details));
        Assert.Equal(400, flip.Status);

        CofferApiException stale = await Assert.ThrowsAsync<CofferApiException>(() => vaults.DeleteItemAsync(vault.Id, item.Id, 3));
        Assert.Equal(ErrorTypes.ItemVersionConflict, stale.Type);
        await vaults.DeleteItemAsync(vault.Id, item.Id, 4);

        ItemListResponse list = await vaults.ListItemsAsync(vault.Id);
        Assert.Empty(list.Items);
        TombstoneDto tombstone = Assert.Single(list.Tombstones);
        Assert.Equal((item.Id, 5L, list.ContentVersion), (tombstone.Id, tombstone.Version, tombstone.ContentVersion));
        CofferApiException gone = await Assert.ThrowsAsync<CofferApiException>(() => vaults.GetItemAsync(vault.Id, item.Id));
        Assert.Equal(404, gone.Status);
        CofferApiException reused = await Assert.ThrowsAsync<CofferApiException>(() => vaults.UpdateItemAsync(vault.Id, item.Id, 0, Overview, Details));
        Assert.NotEqual(200, reused.Status);
    }

    // Only the Owner exists until the members slice lands, so "another member's vault" is a random id here: the server
    // answers a vault without a grant to the caller and a vault that does not exist the same way.
    [Theory, BothEngines]
    public async Task UnknownVaultOrItem_Is404(Engine engine)
    {
        await using Owner owner = await Owner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("personal", "Mine");
        ItemDto item = await vaults.CreateItemAsync(vault.Id, Overview, Details);
        string randomVault = Sdk.Ids.UuidV7.New(TimeProvider.System);
        string randomItem = Sdk.Ids.UuidV7.New(TimeProvider.System);

        foreach (string path in (string[])[$"/api/v1/vaults/{randomVault}", $"/api/v1/vaults/{randomVault}/items", $"/api/v1/vaults/{randomVault}/items/{item.Id}",
                     $"/api/v1/vaults/{vault.Id}/items/{randomItem}", $"/api/v1/vaults/{vault.Id}/items/{randomItem}/history", "/api/v1/vaults/not-an-id"])
        {
            CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => owner.Session.SendAsync(HttpMethod.Get, path, Json.ItemDto));
            Assert.Equal((404, ErrorTypes.NotFound), (e.Status, e.Type));
        }
        CofferApiException update = await Assert.ThrowsAsync<CofferApiException>(() => vaults.UpdateItemAsync(vault.Id, randomItem, 1, Overview, Details));
        Assert.Equal(404, update.Status);
        CofferApiException grant = await Assert.ThrowsAsync<CofferApiException>(() =>
            owner.Session.SendAsync(HttpMethod.Delete, $"/api/v1/vaults/{randomVault}/grants/member/{TestOrganisation.OwnerId}"));
        Assert.Equal(404, grant.Status);
        CofferApiException second = await Assert.ThrowsAsync<CofferApiException>(() => vaults.CreateVaultAsync("personal", "Another"));
        Assert.Equal(400, second.Status);
    }

    [Theory, BothEngines]
    public async Task RemovingTheGrant_StopsServingTheVault_AtOnce(Engine engine)
    {
        await using Owner owner = await Owner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Leaving");
        ItemDto item = await vaults.CreateItemAsync(vault.Id, Overview, Details);

        await owner.Session.SendAsync(HttpMethod.Delete, $"/api/v1/vaults/{vault.Id}/grants/member/{TestOrganisation.OwnerId}");

        Assert.Empty(await vaults.ListVaultsAsync());
        CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => vaults.GetItemAsync(vault.Id, item.Id));
        Assert.Equal(404, e.Status);
    }

    [Theory, BothEngines]
    public async Task ReplayedWrite_ByteForByte_IsRefused_AndWritesOnce(Engine engine)
    {
        TamperingHandler proxy = new();
        await using Owner owner = await Owner.StartAsync(engine, proxy);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Replay");
        ItemDto item = await vaults.CreateItemAsync(vault.Id, Overview, Details);
        TamperedRequest write = proxy.Sent[^1];
        Assert.Equal(HttpMethod.Put, write.Method);

        using HttpResponseMessage replayed = await proxy.ReplayAsync(write);

        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        ItemListResponse list = await vaults.ListItemsAsync(vault.Id);
        Assert.Equal(item.Id, Assert.Single(list.Items).Id);
        Assert.Equal(2, list.ContentVersion);
    }

    // PROTOCOL.md §6: each node's replay window is its own; the (session, seq) row every write records in its own
    // transaction is what stops a write replayed to a second node of the same database.
    [Theory, BothEngines]
    public async Task ReplayedWrite_ToAnotherNode_IsRefused_AndWritesNothing(Engine engine)
    {
        TamperingHandler proxy = new();
        await using Owner owner = await Owner.StartAsync(engine, proxy);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Two nodes");
        ItemDto item = await vaults.CreateItemAsync(vault.Id, Overview, Details);
        await vaults.UpdateItemAsync(vault.Id, item.Id, 1, Overview, DetailsV2);
        TamperedRequest update = proxy.Sent[^1];
        Dictionary<string, string?> settings = owner.Organisation.Database.ServerSettings;
        settings["Coffer:MinimumKdfIterations"] = TestOrganisation.Iterations.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using ServerHost second = await ServerHost.StartAsync(settings);

        using HttpResponseMessage replayed = await proxy.ReplayAsync(update with { Uri = new Uri(second.Address, update.Uri.PathAndQuery) });

        // 401, not 409: the refusal is the replay itself, before the stale base version is even looked at.
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        OpenedItem stored = await vaults.GetItemAsync(vault.Id, item.Id);
        Assert.Equal((2L, 3L), (stored.Item.Version, (await vaults.ListItemsAsync(vault.Id)).ContentVersion));
        Assert.Single((await owner.Session.SendAsync(HttpMethod.Get, $"/api/v1/vaults/{vault.Id}/items/{item.Id}/history", Json.ItemHistoryResponse)).Versions);
    }

    [Theory, BothEngines]
    public async Task OversizedItem_Is413_AndNothingIsWritten(Engine engine)
    {
        await using Owner owner = await Owner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Big");
        string itemId = Sdk.Ids.UuidV7.New(TimeProvider.System);
        // A forged write (the SDK refuses to seal this much): bytes of the right shape, 64 KiB + 1 of ciphertext.
        ItemWriteRequest request = new(0, 1, Forged($"vault:{vault.Id}:k1", 32), Forged($"item:{itemId}:v1", 1000),
            Forged($"item:{itemId}:v1", (64 * 1024) - 1000 + 1), false, false);

        CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() =>
            owner.Session.SendAsync(HttpMethod.Put, $"/api/v1/vaults/{vault.Id}/items/{itemId}", request, Json.ItemWriteRequest, Json.ItemDto));

        Assert.Equal((413, ErrorTypes.PayloadTooLarge), (e.Status, e.Type));
        Assert.Empty((await vaults.ListItemsAsync(vault.Id)).Items);
        // Exactly at the cap is accepted.
        ItemWriteRequest atCap = request with { SealedDetails = Forged($"item:{itemId}:v1", (64 * 1024) - 1000) };
        Assert.Equal(1, (await owner.Session.SendAsync(HttpMethod.Put, $"/api/v1/vaults/{vault.Id}/items/{itemId}", atCap, Json.ItemWriteRequest, Json.ItemDto)).Version);
    }

    [Theory, BothEngines]
    public async Task MalformedBodies_AreProblem4xx_AndNothingIsWritten(Engine engine)
    {
        await using Owner owner = await Owner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Bad input");
        string itemId = Sdk.Ids.UuidV7.New(TimeProvider.System);
        string good = System.Text.Json.JsonSerializer.Serialize(new ItemWriteRequest(0, 1, Forged($"vault:{vault.Id}:k1", 32),
            Forged($"item:{itemId}:v1", 10), Forged($"item:{itemId}:v1", 10), false, false), Json.ItemWriteRequest);
        string[] bodies =
        [
            "{",
            "[]",
            "null",
            good.Replace("\"baseVersion\":0", "\"baseVersion\":\"0\"", StringComparison.Ordinal),
            good.Replace("\"baseVersion\":0", "\"baseVersion\":-1", StringComparison.Ordinal),
            good.Replace("\"baseVersion\":0,", "", StringComparison.Ordinal),
            good.Replace("{\"baseVersion\"", "{\"extra\":1,\"baseVersion\"", StringComparison.Ordinal),
            good.Replace($"item:{itemId}:v1", $"item:{itemId}:v2", StringComparison.Ordinal),
            good.Replace($"vault:{vault.Id}:k1", "vault:'; DROP TABLE items; --:k1", StringComparison.Ordinal),
            good.Replace("\"enc\":\"A256GCM\"", "\"enc\":\"none\"", StringComparison.Ordinal),
        ];
        foreach (string body in bodies)
        {
            CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() =>
                owner.Session.ExchangeAsync(HttpMethod.Put, $"/api/v1/vaults/{vault.Id}/items/{itemId}", Encoding.UTF8.GetBytes(body), default));
            Assert.InRange(e.Status, 400, 499);
            Assert.NotNull(e.Type);
        }
        CofferApiException badCreate = await Assert.ThrowsAsync<CofferApiException>(() =>
            owner.Session.ExchangeAsync(HttpMethod.Post, "/api/v1/vaults", Encoding.UTF8.GetBytes("{\"id\":\"x\"}"), default));
        Assert.Equal(400, badCreate.Status);

        Assert.Empty((await vaults.ListItemsAsync(vault.Id)).Items);
        Assert.Single(await vaults.ListVaultsAsync());
        Assert.Equal(1, (await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults/" + vault.Id, Json.VaultDto)).ContentVersion);
    }

    private static EnvelopeDto Forged(string kid, int dataLength) =>
        new(kid, Envelope.A256Gcm, Base64Url.Encode(new byte[Envelope.IvLength]), Base64Url.Encode(new byte[dataLength + Envelope.TagLength]));

    /// <summary>A set-up server and the Owner signed in and unlocked on it.</summary>
    private sealed class Owner : IAsyncDisposable
    {
        private readonly TestOrganisation _org;
        private readonly SignInResult _signIn;
        private readonly UnlockedAccount _account;

        private Owner(TestOrganisation org, SignInResult signIn, UnlockedAccount account)
        {
            _org = org;
            _signIn = signIn;
            _account = account;
        }

        public Sdk.Http.CofferSession Session => _signIn.Session;

        public TestOrganisation Organisation => _org;

        public static async Task<Owner> StartAsync(Engine engine, TamperingHandler? proxy = null)
        {
            TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: proxy);
            SignInResult signIn = await org.SignInOwnerAsync();
            AccountKeysResponse keys = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse);
            using EnvelopeKey auk = signIn.AccountKeys.CreateAukKey();
            UnlockedAccount account = AccountUnlock.WithAuk(keys, auk, signIn.Kdf.Iterations, TestOrganisation.Setup.Account, new Pins(), TimeProvider.System);
            return new Owner(org, signIn, account);
        }

        public VaultClient Vaults() => new(_signIn.Session, _account);

        public async ValueTask DisposeAsync()
        {
            _account.Dispose();
            _signIn.Dispose();
            await _org.DisposeAsync();
        }
    }
}
