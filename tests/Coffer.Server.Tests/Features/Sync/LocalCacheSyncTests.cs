using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coffer.Contracts;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Envelopes;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Cache;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Items;
using Coffer.Sdk.Sync;
using Coffer.Sdk.Tests.Items;
using Coffer.Sdk.Vaults;
using Coffer.Server.Features.Vaults;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Microsoft.Data.Sqlite;

namespace Coffer.Server.Tests.Features.Sync;

/// <summary>
/// The SDK's item library over its encrypted local cache against the real server (PROTOCOL.md §4.1, §5, §9;
/// docs/adr/0019): delta sync, offline reading with password and Secret Key alone, and every refusal of a lying server —
/// played by <see cref="LyingServer"/>, which holds the session keys the server holds.
/// </summary>
public class LocalCacheSyncTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Theory, BothEngines]
    public async Task EverySampleItem_WrittenAndSynced_OpensFromTheReloadedCache_UnchangedWithItsUnknownKeys(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using CacheDirectory dir = new();
        Dictionary<string, string> ids = new(StringComparer.Ordinal);
        using (CachedClient owner = await CachedClient.OwnerAsync(org, dir.CachePath))
        {
            VaultDto vault = await owner.Library.RunAsync(v => v.CreateVaultAsync("shared", "Samples"));
            Assert.Equal("Samples", Assert.Single(owner.Library.Vaults).Name);
            foreach (string file in SampleItems.Files)
            {
                (ItemOverview overview, ItemDetails details) = SampleItems.Load(file);
                ids[file] = (await owner.Library.CreateAsync(vault.Id, overview, details)).ItemId;
            }
        }

        using CachedClient again = await CachedClient.OwnerAsync(org, dir.CachePath);

        Assert.False(again.Cache.WasRebuilt);
        Assert.Equal(SampleItems.Files.Count, again.Library.Count);
        foreach (string file in SampleItems.Files)
        {
            (JsonObject overviewJson, JsonObject detailsJson) = SampleItems.Json(file);
            ItemContent content = (await again.Library.OpenItemAsync(ids[file]))!;
            JsonObject overview = JsonNode.Parse(content.Overview.ToJson())!.AsObject();
            Assert.True(overview["updatedAt"]!.GetValue<long>() > 0);
            overview.Remove("updatedAt");
            overviewJson.Remove("updatedAt");
            Assert.True(JsonNode.DeepEquals(overviewJson, overview), file + " overview");
            Assert.True(JsonNode.DeepEquals(detailsJson, JsonNode.Parse(content.Details.ToJson())), file + " details");
        }
    }

    [Theory, BothEngines]
    public async Task Offline_AfterSync_UnlocksWithPasswordAndSecretKeyAlone_AndReadsEveryVault_OneSharedByAnotherMember(Engine engine)
    {
        using CacheDirectory dir = new();
        string ownItem, sharedItem;
        await using (TestOrganisation org = await TestOrganisation.StartAsync(engine))
        {
            using CachedClient owner = await CachedClient.OwnerAsync(org, dir.CachePath);
            VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Press office");
            (ItemOverview o, ItemDetails d) = SampleItems.Load("login.json");
            ownItem = (await owner.Library.CreateAsync(vault.Id, o, d)).ItemId;
            // A vault whose grant to the Owner another member signed: offline, that member's certificate comes from the cache.
            using TestMember member = await org.AddMemberAsync(owner.SignIn, owner.Account, "sharer@example.org");
            (SignInResult memberSignIn, UnlockedAccount memberKeys) = await member.SignInAndUnlockAsync();
            using (memberSignIn)
            using (memberKeys)
            using (VaultClient memberVaults = new(memberSignIn.Session, memberKeys))
            {
                VaultDto theirs = await memberVaults.CreateVaultAsync("shared", "Procurement");
                (JsonObject overview, JsonObject details) = SampleItems.Json("api_credential.json");
                sharedItem = (await memberVaults.CreateItemAsync(theirs.Id, Encoding.UTF8.GetBytes(overview.ToJsonString()),
                    Encoding.UTF8.GetBytes(details.ToJsonString()))).Id;
                await memberVaults.ShareAsync(theirs.Id, owner.Account.MemberId, [VaultPermissions.ViewItems]);
            }
            SyncReport report = await owner.Library.SyncAsync();
            Assert.Equal(2, report.VaultsSynced);
        }

        // The server is gone: only the cache, the password and the Secret Key.
        using OfflineUnlock offline = LocalCache.OpenOffline(dir.CachePath, TestOrganisation.Password, TestOrganisation.Setup.SecretKey,
            TestOrganisation.Setup.Account, TestOrganisation.Policy);
        using ItemLibrary library = await ItemLibrary.LoadAsync(offline.Cache, offline.Account);

        Assert.True(offline.Cache.IsOffline);
        Assert.True(library.IsReadOnly);
        Assert.Equal(["Press office", "Procurement"], library.Vaults.Select(v => v.Name));
        Assert.Equal(sharedItem, Assert.Single(library.Search(new ItemQuery { Text = "supplier" })).ItemId);
        Assert.Equal("AKIA-EXAMPLE-0001", (await library.OpenItemAsync(sharedItem))!.Details.Username);
        Assert.Equal(SampleItems.Load("login.json").Details.Password, (await library.OpenItemAsync(ownItem))!.Details.Password);
        await Assert.ThrowsAsync<InvalidOperationException>(() => library.SyncAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => library.CreateAsync("x", new ItemOverview { Title = "x" }, new ItemDetails()));
    }

    [Theory, BothEngines]
    public async Task Sync_WhenTheServerServesAnOlderVersionOfAnItem_IsRefused_AndTheCacheKeepsTheNewer(Engine engine)
    {
        LyingServer server = new();
        await using TestOrganisation org = await StartAsync(engine, server);
        using CacheDirectory dir = new();
        using CachedClient owner = await CachedClient.OwnerAsync(org, dir.CachePath);
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Rollback");
        (ItemOverview overview, ItemDetails details) = SampleItems.Load("login.json");
        string id = (await owner.Library.CreateAsync(vault.Id, overview, details)).ItemId;
        JsonNode versionOne = JsonSerializer.SerializeToNode(Assert.Single((await owner.Vaults.ListChangesAsync(vault.Id, 0)).Items), Json.ItemDto)!;
        details.SetPassword("rotated-after-a-leak", DateTimeOffset.UtcNow);
        Assert.Equal(2, (await owner.Library.UpdateAsync(id, overview, details)).Version);

        await NewChangeAsync(owner, vault);

        // The server answers the next delta with version 1, the password from before the leak, among the real changes.
        server.Rewrite = (path, body) => path.Contains("/items?since=", StringComparison.Ordinal) ? With(body, "items", versionOne) : null;
        CofferProtocolException refused = await Assert.ThrowsAsync<CofferProtocolException>(() => owner.Library.SyncAsync());
        server.Rewrite = null;

        Assert.Contains("older than version 2", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, owner.Library.Find(id)!.Version);
        Assert.Equal("rotated-after-a-leak", (await owner.Library.OpenItemAsync(id))!.Details.Password);
        using ItemLibrary reloaded = await ItemLibrary.LoadAsync(owner.Cache, owner.Account);
        Assert.Equal(2, reloaded.Find(id)!.Version);
    }

    [Theory, BothEngines]
    public async Task Sync_WhenTheServerServesAVaultAtAnOlderContentVersion_IsRefused(Engine engine)
    {
        LyingServer server = new();
        await using TestOrganisation org = await StartAsync(engine, server);
        using CacheDirectory dir = new();
        using CachedClient owner = await CachedClient.OwnerAsync(org, dir.CachePath);
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Versions");
        await owner.Library.CreateAsync(vault.Id, SampleItems.Load("password.json").Overview, SampleItems.Load("password.json").Details);

        server.Rewrite = (path, body) =>
        {
            if (path != "/api/v1/vaults")
            {
                return null;
            }
            foreach (JsonNode? v in body["vaults"]!.AsArray())
            {
                v!["contentVersion"] = 1;
            }
            return body;
        };
        CofferProtocolException refused = await Assert.ThrowsAsync<CofferProtocolException>(() => owner.Library.SyncAsync());

        Assert.Contains("lower content version", refused.Message, StringComparison.Ordinal);
    }

    [Theory, BothEngines]
    public async Task Sync_OfAnItemCarryingAnotherItemsEnvelope_IsRefused_WhicheverEnvelopeWasSwapped(Engine engine)
    {
        LyingServer server = new();
        await using TestOrganisation org = await StartAsync(engine, server);
        using CacheDirectory dir = new();
        using CachedClient owner = await CachedClient.OwnerAsync(org, dir.CachePath);
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Swaps");
        string a = (await owner.Library.CreateAsync(vault.Id, SampleItems.Load("login.json").Overview, SampleItems.Load("login.json").Details)).ItemId;
        await owner.Library.CreateAsync(vault.Id, SampleItems.Load("server.json").Overview, SampleItems.Load("server.json").Details);
        List<JsonNode> listed = [.. (await owner.Vaults.ListChangesAsync(vault.Id, 0)).Items.Select(i => JsonSerializer.SerializeToNode(i, Json.ItemDto)!)];
        JsonNode first = listed.Single(i => i["id"]!.GetValue<string>() == a);
        JsonNode second = listed.Single(i => i["id"]!.GetValue<string>() != a);
        await NewChangeAsync(owner, vault);

        foreach (string part in (string[])["sealedItemKey", "sealedOverview", "sealedDetails"])
        {
            JsonNode forged = first.DeepClone();
            forged[part] = second[part]!.DeepClone();
            server.Rewrite = (path, body) => path.Contains("/items?since=", StringComparison.Ordinal) ? With(body, "items", forged) : null;

            CofferProtocolException refused = await Assert.ThrowsAsync<CofferProtocolException>(() => owner.Library.SyncAsync());

            Assert.Contains("could not be decrypted", refused.Message, StringComparison.Ordinal);
            Assert.Contains(a, refused.Message, StringComparison.Ordinal);
        }
        server.Rewrite = null;
        Assert.Equal(SampleItems.Load("login.json").Details.Password, (await owner.Library.OpenItemAsync(a))!.Details.Password);
    }

    [Theory, BothEngines]
    public async Task Sync_WhenTheServersArchivedFlagContradictsTheSealedOverview_IsRefused(Engine engine)
    {
        LyingServer server = new();
        await using TestOrganisation org = await StartAsync(engine, server);
        using CacheDirectory dir = new();
        using CachedClient owner = await CachedClient.OwnerAsync(org, dir.CachePath);
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Flags");
        string id = (await owner.Library.CreateAsync(vault.Id, SampleItems.Load("login.json").Overview, SampleItems.Load("login.json").Details)).ItemId;
        JsonNode item = JsonSerializer.SerializeToNode(Assert.Single((await owner.Vaults.ListChangesAsync(vault.Id, 0)).Items), Json.ItemDto)!;
        item["trashed"] = true;
        await NewChangeAsync(owner, vault);

        server.Rewrite = (path, body) => path.Contains("/items?since=", StringComparison.Ordinal) ? With(body, "items", item) : null;
        CofferProtocolException refused = await Assert.ThrowsAsync<CofferProtocolException>(() => owner.Library.SyncAsync());
        server.Rewrite = null;

        Assert.Contains("archived or trashed", refused.Message, StringComparison.Ordinal);
        Assert.False(owner.Library.Find(id)!.Trashed);
    }

    [Theory, BothEngines]
    public async Task Sync_AfterTheCursorExpired_ResyncsTheVaultFromTheStart_AndDropsWhatWasDeletedMeanwhile(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using CacheDirectory dir = new();
        using CachedClient owner = await CachedClient.OwnerAsync(org, dir.CachePath);
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Old cursor");
        string kept = (await owner.Library.CreateAsync(vault.Id, SampleItems.Load("login.json").Overview, SampleItems.Load("login.json").Details)).ItemId;
        ItemSummary gone = await owner.Library.CreateAsync(vault.Id, SampleItems.Load("database.json").Overview, SampleItems.Load("database.json").Details);
        // Another device deletes an item, and the server drops that tombstone before this device syncs again.
        using (VaultClient otherDevice = new(owner.SignIn.Session, owner.Account))
        {
            await otherDevice.DeleteItemAsync(vault.Id, gone.ItemId, gone.Version);
        }
        await org.Server.Services.GetRequiredService<VaultStore>().PurgeTombstonesAsync(DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds(),
            CancellationToken.None);

        SyncReport report = await owner.Library.SyncAsync();

        Assert.Equal([vault.Id], report.VaultsResynced);
        Assert.Null(owner.Library.Find(gone.ItemId));
        Assert.NotNull(owner.Library.Find(kept));
        using ItemLibrary reloaded = await ItemLibrary.LoadAsync(owner.Cache, owner.Account);
        Assert.Equal([kept], reloaded.Search(new ItemQuery { States = ItemStates.All }).Select(s => s.ItemId));
    }

    [Theory, BothEngines]
    public async Task Sync_AfterAnotherDeviceRotatedTheVaultKey_FollowsTheSuccession_AndOpensEveryItem(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using CacheDirectory dir = new();
        using CachedClient owner = await CachedClient.OwnerAsync(org, dir.CachePath);
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Rotated");
        List<string> ids = [];
        foreach (string file in SampleItems.Files.Take(3))
        {
            ids.Add((await owner.Library.CreateAsync(vault.Id, SampleItems.Load(file).Overview, SampleItems.Load(file).Details)).ItemId);
        }
        Assert.NotNull(await owner.Library.OpenItemAsync(ids[0]));
        using (VaultClient otherDevice = new(owner.SignIn.Session, owner.Account))
        {
            Assert.Equal(2, (await otherDevice.RotateAsync(vault.Id)).KeySerial);
        }

        SyncReport report = await owner.Library.SyncAsync();

        Assert.Equal(3, report.ItemsChanged);
        Assert.Equal(2, Assert.Single(owner.Library.Vaults).KeySerial);
        foreach (string id in ids)
        {
            Assert.NotNull((await owner.Library.OpenItemAsync(id))!.Details);
        }
        using ItemLibrary reloaded = await ItemLibrary.LoadAsync(owner.Cache, owner.Account);
        Assert.NotNull((await reloaded.OpenItemAsync(ids[2]))!.Details);
    }

    [Theory, BothEngines]
    public async Task Sync_AfterTheGrantWasTakenAway_PurgesTheVaultFromTheCache(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using CacheDirectory ownerDir = new();
        using CacheDirectory memberDir = new();
        using CachedClient owner = await CachedClient.OwnerAsync(org, ownerDir.CachePath);
        using TestMember member = await org.AddMemberAsync(owner.SignIn, owner.Account, "leaver@example.org");
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Team passwords");
        string id = (await owner.Library.CreateAsync(vault.Id, SampleItems.Load("login.json").Overview, SampleItems.Load("login.json").Details)).ItemId;
        await owner.Vaults.ShareAsync(vault.Id, member.MemberId, [VaultPermissions.ViewItems]);
        using CachedClient leaver = await CachedClient.StartAsync(() => member.SignInAsync(), member.Account, memberDir.CachePath);
        await leaver.Library.SyncAsync();
        Assert.NotNull(leaver.Library.Find(id));

        await owner.Vaults.UnshareAsync(vault.Id, "member", member.MemberId);
        SyncReport report = await leaver.Library.SyncAsync();

        Assert.Contains(vault.Id, report.VaultsRemoved);
        Assert.Null(leaver.Library.Find(id));
        Assert.DoesNotContain(vault.Id, leaver.Library.Vaults.Select(v => v.VaultId));
        using ItemLibrary reloaded = await ItemLibrary.LoadAsync(leaver.Cache, leaver.Account);
        Assert.Empty(reloaded.Search(new ItemQuery { States = ItemStates.All }));
        Assert.DoesNotContain(vault.Id, reloaded.Vaults.Select(v => v.VaultId));
    }

    [Theory, BothEngines]
    public async Task Search_FindsByTitleHostAndTag_WithoutEverOpeningDetails(Engine engine)
    {
        LyingServer server = new();
        await using TestOrganisation org = await StartAsync(engine, server);
        using CacheDirectory dir = new();
        using CachedClient owner = await CachedClient.OwnerAsync(org, dir.CachePath);
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Search");
        Dictionary<string, string> ids = new(StringComparer.Ordinal);
        foreach (string file in SampleItems.Files)
        {
            (JsonObject overview, JsonObject details) = SampleItems.Json(file);
            ids[file] = (await owner.Vaults.CreateItemAsync(vault.Id, Encoding.UTF8.GetBytes(overview.ToJsonString()),
                Encoding.UTF8.GetBytes(details.ToJsonString()))).Id;
        }
        // Every details envelope arrives broken: anything that opened one would fail.
        server.Rewrite = (path, body) =>
        {
            if (!path.Contains("/items?since=", StringComparison.Ordinal))
            {
                return null;
            }
            foreach (JsonNode? item in body["items"]!.AsArray())
            {
                string data = item!["sealedDetails"]!["data"]!.GetValue<string>();
                item["sealedDetails"]!["data"] = (data[0] == 'A' ? "B" : "A") + data[1..];
            }
            return body;
        };

        await owner.Library.SyncAsync();

        Assert.Equal(ids["login.json"], Assert.Single(owner.Library.Search(new ItemQuery { Text = "social MEDIA" })).ItemId);
        Assert.Equal(ids["database.json"], Assert.Single(owner.Library.Search(new ItemQuery { Text = "db.example.org" })).ItemId);
        Assert.Equal(ids["api_credential.json"], Assert.Single(owner.Library.Search(new ItemQuery { Tag = "Procurement" })).ItemId);
        Assert.Equal(ids["server.json"], Assert.Single(owner.Library.Search(new ItemQuery { Text = "payroll", States = ItemStates.Trashed })).ItemId);
        Assert.Equal(ids["secure_note.json"], Assert.Single(owner.Library.Search(new ItemQuery { Text = "DÉPLOIEMENT", States = ItemStates.All })).ItemId);
        Assert.Equal(5, owner.Library.Search(new ItemQuery()).Count);
        await Assert.ThrowsAsync<CofferProtocolException>(() => owner.Library.OpenItemAsync(ids["login.json"]));
    }

    [Theory, BothEngines]
    public async Task Update_OfAChangedPassword_KeepsTheOldOneInTheHistory_AndAStaleBaseIsAConflict(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using CacheDirectory dir = new();
        using CachedClient owner = await CachedClient.OwnerAsync(org, dir.CachePath);
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Edits");
        (ItemOverview overview, ItemDetails details) = SampleItems.Load("database.json");
        string id = (await owner.Library.CreateAsync(vault.Id, overview, details)).ItemId;
        ItemContent current = (await owner.Library.OpenItemAsync(id))!;
        current.Details.FieldWithPurpose(ItemFieldPurposes.Password)!.Value = "new-db-password-7";

        ItemSummary updated = await owner.Library.UpdateAsync(id, current.Overview, current.Details);

        ItemDetails stored = (await owner.Library.OpenItemAsync(id))!.Details;
        Assert.Equal(2, updated.Version);
        Assert.Equal("new-db-password-7", stored.Password);
        Assert.Equal(details.Password, stored.PasswordHistory[0].Value);
        Assert.True(stored.ExtensionData!.ContainsKey("x-ssl"));

        // Another device writes version 3; this library still holds 2 until it syncs.
        using (VaultClient otherDevice = new(owner.SignIn.Session, owner.Account))
        {
            await otherDevice.UpdateItemAsync(vault.Id, id, 2, current.Overview.ToJson(), stored.ToJson());
        }
        CofferApiException conflict = await Assert.ThrowsAsync<CofferApiException>(() => owner.Library.UpdateAsync(id, current.Overview, stored));
        Assert.Equal(ErrorTypes.ItemVersionConflict, conflict.Type);
        await owner.Library.SyncAsync();
        Assert.Equal(4, (await owner.Library.UpdateAsync(id, current.Overview, stored)).Version);
    }

    [Theory, BothEngines]
    public async Task Cache_WithTwoItemRecordsSwappedInTheFile_IsRefusedOffline_AndRebuiltOnline(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using CacheDirectory dir = new();
        using (CachedClient owner = await CachedClient.OwnerAsync(org, dir.CachePath))
        {
            VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Swapped on disk");
            await owner.Library.CreateAsync(vault.Id, SampleItems.Load("login.json").Overview, SampleItems.Load("login.json").Details);
            await owner.Library.CreateAsync(vault.Id, SampleItems.Load("server.json").Overview, SampleItems.Load("server.json").Details);
        }
        using (SqliteConnection file = new("Data Source=" + dir.CachePath + ";Pooling=False"))
        {
            file.Open();
            List<(string Id, byte[] Value)> rows = [];
            using (SqliteCommand read = new("SELECT item_id, value FROM items", file))
            using (SqliteDataReader reader = read.ExecuteReader())
            {
                while (reader.Read())
                {
                    rows.Add((reader.GetString(0), (byte[])reader.GetValue(1)));
                }
            }
            foreach ((string id, byte[] value) in new[] { (rows[0].Id, rows[1].Value), (rows[1].Id, rows[0].Value) })
            {
                using SqliteCommand write = new("UPDATE items SET value = $v WHERE item_id = $id", file);
                write.Parameters.AddWithValue("$v", value);
                write.Parameters.AddWithValue("$id", id);
                write.ExecuteNonQuery();
            }
        }

        using (OfflineUnlock offline = LocalCache.OpenOffline(dir.CachePath, TestOrganisation.Password, TestOrganisation.Setup.SecretKey,
            TestOrganisation.Setup.Account, TestOrganisation.Policy))
        {
            LocalCacheException refused = await Assert.ThrowsAsync<LocalCacheException>(() => ItemLibrary.LoadAsync(offline.Cache, offline.Account));
            Assert.Equal(LocalCacheFailure.Corrupted, refused.Failure);
        }
        using CachedClient online = await CachedClient.OwnerAsync(org, dir.CachePath);
        Assert.True(online.Cache.WasRebuilt);
        Assert.Equal(0, online.Library.Count);
        await online.Library.SyncAsync();
        Assert.Equal(2, online.Library.Search(new ItemQuery { States = ItemStates.All }).Count);
    }

    /// <summary>A real change to the vault, made by another device, so the next sync asks for a page of changes.</summary>
    private static async Task NewChangeAsync(CachedClient client, VaultDto vault)
    {
        (JsonObject overview, JsonObject details) = SampleItems.Json("password.json");
        using VaultClient otherDevice = new(client.SignIn.Session, client.Account);
        await otherDevice.CreateItemAsync(vault.Id, Encoding.UTF8.GetBytes(overview.ToJsonString()), Encoding.UTF8.GetBytes(details.ToJsonString()));
    }

    private static async Task<TestOrganisation> StartAsync(Engine engine, LyingServer server)
    {
        TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: server);
        server.Server = org.Server.Services;
        return org;
    }

    /// <summary>The answer with <paramref name="extra"/> added to its list <paramref name="list"/>.</summary>
    private static JsonNode With(JsonNode body, string list, JsonNode extra)
    {
        body[list]!.AsArray().Add(extra.DeepClone());
        return body;
    }
}

/// <summary>A signed-in, unlocked client with its cache and item library, as the CLI's agent holds them.</summary>
internal sealed class CachedClient : IDisposable
{
    private CachedClient(SignInResult signIn, UnlockedAccount account, VaultClient vaults, LocalCache cache, ItemLibrary library)
    {
        SignIn = signIn;
        Account = account;
        Vaults = vaults;
        Cache = cache;
        Library = library;
    }

    public SignInResult SignIn { get; }

    public UnlockedAccount Account { get; }

    public VaultClient Vaults { get; }

    public LocalCache Cache { get; }

    public ItemLibrary Library { get; }

    public static Task<CachedClient> OwnerAsync(TestOrganisation org, string cachePath) =>
        StartAsync(() => org.SignInOwnerAsync(), TestOrganisation.Setup.Account, cachePath);

    /// <summary>Signs in, fetches and verifies the account keys, opens the cache (24-hour offline window) and loads the library.</summary>
    public static async Task<CachedClient> StartAsync(Func<Task<SignInResult>> signIn, RememberedAccount remembered, string cachePath)
    {
        SignInResult result = await signIn();
        AccountKeysResponse keys = await result.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", CofferJsonContext.Default.AccountKeysResponse);
        using EnvelopeKey auk = result.AccountKeys.CreateAukKey();
        UnlockedAccount account = AccountUnlock.WithAuk(keys, auk, result.Kdf.Iterations, remembered, new Pins(), TimeProvider.System);
        VaultClient vaults = new(result.Session, account);
        LocalCache cache = LocalCache.Open(cachePath, account, keys, result.Kdf, new LocalCacheOptions { OfflineWindow = TimeSpan.FromHours(24) });
        ItemLibrary library = await ItemLibrary.LoadAsync(cache, account, vaults);
        return new CachedClient(result, account, vaults, cache, library);
    }

    public void Dispose()
    {
        Library.Dispose();
        Cache.Dispose();
        Vaults.Dispose();
        Account.Dispose();
        SignIn.Dispose();
    }
}

/// <summary>A fresh directory for one test's cache (the cache makes its own 0700 directory inside it); removed afterwards.</summary>
internal sealed class CacheDirectory : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "coffer-cache-tests", Guid.NewGuid().ToString("n"));

    public string CachePath => Path.Combine(_root, "cache", "items.db");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
