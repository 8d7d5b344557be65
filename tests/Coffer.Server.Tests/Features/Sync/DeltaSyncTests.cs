using System.Text;
using Coffer.Contracts;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Envelopes;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Vaults;
using Coffer.Server.Features.Vaults;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Features.Sync;

/// <summary>Delta sync of a vault's items and sealed tombstones (PROTOCOL.md §9), on both engines.</summary>
public class DeltaSyncTests
{
    private static readonly byte[] Overview = Encoding.UTF8.GetBytes("""{"v":1,"category":"login","title":"Item","archived":false,"trashed":false}""");
    private static readonly byte[] Details = Encoding.UTF8.GetBytes("""{"v":1,"fields":[]}""");
    private static readonly byte[] DetailsV2 = Encoding.UTF8.GetBytes("""{"v":1,"fields":[{"id":"n","label":"note","type":"text","value":"x","purpose":"notes"}]}""");

    [Theory, BothEngines]
    public async Task ListChanges_OfA1200ItemVault_ComesInPagesOfTheLimit_InVersionOrder(Engine engine)
    {
        await using SyncOwner owner = await SyncOwner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Big");
        HashSet<string> written = new(StringComparer.Ordinal);
        for (int i = 0; i < 1200; i++)
        {
            written.Add((await vaults.CreateItemAsync(vault.Id, Overview, Details)).Id);
        }

        List<int> pageSizes = [];
        List<long> versions = [];
        long since = 0;
        ItemListResponse page;
        do
        {
            page = await vaults.ListChangesAsync(vault.Id, since);
            pageSizes.Add(page.Items.Count);
            versions.AddRange(page.Items.Select(i => i.ContentVersion));
            since = page.NextSince;
        }
        while (page.HasMore);

        Assert.Equal([500, 500, 200], pageSizes);
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(1200, versions.Distinct().Count());
        Assert.Equal(page.ContentVersion, since);
        Assert.True(written.SetEquals((await vaults.ListItemsAsync(vault.Id)).Items.Select(i => i.Id)));
    }

    // A rotation re-wraps every item key at one content version: a page never splits a version, so it holds them all.
    [Theory, BothEngines]
    public async Task ListChanges_WhenOneVersionHoldsMoreThanTheLimit_ThePageHoldsTheWholeVersion(Engine engine)
    {
        await using SyncOwner owner = await SyncOwner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Rotated");
        ItemDto before = await vaults.CreateItemAsync(vault.Id, Overview, Details);
        for (int i = 0; i < 4; i++)
        {
            await vaults.CreateItemAsync(vault.Id, Overview, Details);
        }
        long cursor = (await vaults.ListChangesAsync(vault.Id, 0)).NextSince;
        await vaults.RotateAsync(vault.Id);
        ItemDto after = await vaults.CreateItemAsync(vault.Id, Overview, Details);

        ItemListResponse first = await vaults.ListChangesAsync(vault.Id, cursor, 2);
        ItemListResponse second = await vaults.ListChangesAsync(vault.Id, first.NextSince, 2);

        Assert.Equal(5, first.Items.Count);
        Assert.Single(first.Items.Select(i => i.ContentVersion).Distinct());
        Assert.Contains(before.Id, first.Items.Select(i => i.Id));
        Assert.True(first.HasMore);
        Assert.Equal(after.Id, Assert.Single(second.Items).Id);
        Assert.False(second.HasMore);
    }

    [Theory, BothEngines]
    public async Task ListChanges_AfterTheLastCursor_WithNothingChanged_ReturnsNothing(Engine engine)
    {
        await using SyncOwner owner = await SyncOwner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Quiet");
        await vaults.CreateItemAsync(vault.Id, Overview, Details);
        ItemListResponse all = await vaults.ListChangesAsync(vault.Id, 0);

        ItemListResponse delta = await vaults.ListChangesAsync(vault.Id, all.NextSince);

        Assert.Empty(delta.Items);
        Assert.Empty(delta.Tombstones);
        Assert.False(delta.HasMore);
        Assert.Equal(all.NextSince, delta.NextSince);
    }

    [Theory, BothEngines]
    public async Task ListChanges_AfterAnEditAndADelete_ReturnsExactlyThose_WithTheTombstoneSealed(Engine engine)
    {
        await using SyncOwner owner = await SyncOwner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Changing");
        ItemDto kept = await vaults.CreateItemAsync(vault.Id, Overview, Details);
        ItemDto edited = await vaults.CreateItemAsync(vault.Id, Overview, Details);
        ItemDto deleted = await vaults.CreateItemAsync(vault.Id, Overview, Details);
        long cursor = (await vaults.ListChangesAsync(vault.Id, 0)).NextSince;

        await vaults.UpdateItemAsync(vault.Id, edited.Id, 1, Overview, DetailsV2);
        await vaults.DeleteItemAsync(vault.Id, deleted.Id, 1);
        ItemListResponse delta = await vaults.ListChangesAsync(vault.Id, cursor);

        ItemDto changed = Assert.Single(delta.Items);
        Assert.Equal(edited.Id, changed.Id);
        Assert.Equal(2, changed.Version);
        Assert.Equal(DetailsV2, (await vaults.OpenAsync(changed)).Details);
        TombstoneDto tombstone = Assert.Single(delta.Tombstones);
        Assert.Equal(deleted.Id, tombstone.Id);
        Assert.Equal(2, tombstone.Version);
        Assert.Equal($"item:{deleted.Id}:v2", tombstone.SealedTombstone.Kid);
        Assert.DoesNotContain(kept.Id, delta.Items.Select(i => i.Id));
        Assert.Equal(delta.ContentVersion, delta.NextSince);
    }

    [Theory, BothEngines]
    public async Task ListChanges_WithACursorOlderThanPurgedTombstones_Is410CursorExpired(Engine engine)
    {
        await using SyncOwner owner = await SyncOwner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Old");
        ItemDto item = await vaults.CreateItemAsync(vault.Id, Overview, Details);
        long oldCursor = (await vaults.ListChangesAsync(vault.Id, 0)).NextSince;
        await vaults.DeleteItemAsync(vault.Id, item.Id, 1);
        long fresh = (await vaults.ListChangesAsync(vault.Id, 0)).NextSince;

        long purged = await owner.Organisation.Server.Services.GetRequiredService<VaultStore>()
            .PurgeTombstonesAsync(DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds(), CancellationToken.None);

        Assert.Equal(1, purged);
        CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => vaults.ListChangesAsync(vault.Id, oldCursor));
        Assert.Equal(410, e.Status);
        Assert.Equal(ErrorTypes.CursorExpired, e.Type);
        Assert.Empty((await vaults.ListChangesAsync(vault.Id, fresh)).Tombstones);
        Assert.Empty((await vaults.ListChangesAsync(vault.Id, 0)).Items);
    }

    [Theory, BothEngines]
    public async Task ListChanges_WithALimitAbove1000_IsAValidationError(Engine engine)
    {
        await using SyncOwner owner = await SyncOwner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Limits");

        CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => vaults.ListChangesAsync(vault.Id, 0, 1001));

        Assert.Equal(400, e.Status);
        Assert.Equal(ErrorTypes.ValidationFailed, e.Type);
    }
}

/// <summary>The organisation's owner, signed in and unlocked, for sync tests.</summary>
internal sealed class SyncOwner : IAsyncDisposable
{
    private readonly SignInResult _signIn;
    private readonly UnlockedAccount _account;

    private SyncOwner(TestOrganisation org, SignInResult signIn, UnlockedAccount account)
    {
        Organisation = org;
        _signIn = signIn;
        _account = account;
    }

    public TestOrganisation Organisation { get; }

    public Sdk.Http.CofferSession Session => _signIn.Session;

    public static async Task<SyncOwner> StartAsync(Engine engine, HttpMessageHandler? proxy = null)
    {
        TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: proxy);
        SignInResult signIn = await org.SignInOwnerAsync();
        AccountKeysResponse keys = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", CofferJsonContext.Default.AccountKeysResponse);
        using EnvelopeKey auk = signIn.AccountKeys.CreateAukKey();
        UnlockedAccount account = AccountUnlock.WithAuk(keys, auk, signIn.Kdf.Iterations, TestOrganisation.Setup.Account, new Pins(), TimeProvider.System);
        return new SyncOwner(org, signIn, account);
    }

    public VaultClient Vaults() => new(_signIn.Session, _account);

    public async ValueTask DisposeAsync()
    {
        _account.Dispose();
        _signIn.Dispose();
        await Organisation.DisposeAsync();
    }
}
