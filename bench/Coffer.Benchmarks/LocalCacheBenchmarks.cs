using BenchmarkDotNet.Attributes;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Items;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Cache;
using Coffer.Sdk.Items;
using Coffer.Sdk.Setup;
using Coffer.Sdk.Vaults;
using Coffer.Sdk.Wire;

namespace Coffer.Benchmarks;

/// <summary>
/// A cold start of the SDK's item library (docs/adr/0019-local-cache.md): open the encrypted local cache of 100 000 items
/// (one vault) and decrypt every overview into the search index — per item, the cache record under the cache key, the
/// item key under the vault key and the overview under the item key. The setup makes a real organisation (production KDF
/// floor, so it takes a few seconds) and fills the cache once.
/// </summary>
[MemoryDiagnoser]
public class LocalCacheBenchmarks : IDisposable
{
    private const string Password = "correct horse battery staple 42";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "coffer-bench-" + Guid.NewGuid().ToString("n"));
    private OrganisationSetupResult _setup = null!;
    private UnlockedAccount _account = null!;
    private AccountKeysResponse _keys = null!;
    private KdfParameters _kdf = null!;

    [Params(100_000)]
    public int Items { get; set; }

    private string CachePath => Path.Combine(_directory, "cache", "items.db");

    [GlobalSetup]
    public void Setup()
    {
        _setup = OrganisationSetup.Create(new SetupDetails("Bench Ministry", "owner@example.org", "Olive Owner", new Uri("https://coffer.example.org")),
            Password, "c2V0dXAtdG9rZW4", TimeProvider.System, KdfPolicy.Default, KdfPolicy.MinimumIterations);
        Contracts.Setup.SetupRequest r = _setup.Request;
        _keys = new AccountKeysResponse(new MemberSummaryDto(r.Owner.MemberId, r.Owner.Email, r.Owner.Name, "active"), r.Owner.Keyset, r.Owner.Certificate,
            r.Organisation.Root, [r.Owner.Issuer], r.Organisation.RevocationList, r.Groups, r.Wraps, [r.Owner.Certificate], r.Owner.SealedIssuerKey,
            r.Organisation.SealedRootKey, []);
        _kdf = WireMapper.ToKdfParameters(r.Owner.Kdf);
        _account = AccountUnlock.WithPassword(_keys, r.Owner.Kdf, Password, _setup.SecretKey, _setup.Account, new Pins(), TimeProvider.System);

        string vaultId = Sdk.Ids.UuidV7.New(TimeProvider.System);
        using VaultKey key = VaultKey.Generate(vaultId);
        CreateVaultRequest created = VaultClient.NewVaultRequest(key, "shared", "Everything", false, _account.Keyset, _account.MemberId);
        VaultDto vault = new(vaultId, "shared", 1, 1, created.SealedAttributes, Items, false, [new VaultGrantDto(created.Grant, VaultPermissions.All)], []);
        using LocalCache cache = LocalCache.Open(CachePath, _account, _keys, _kdf);
        cache.File.InTransaction(() =>
        {
            for (int i = 0; i < Items; i++)
            {
                ItemSummary summary = ItemSearchBenchmarks.Synthetic(i);
                ItemOverview overview = summary.CloneOverview();
                overview.Archived = false;
                overview.Trashed = false;
                ItemDetails details = new()
                {
                    Fields = [new ItemField { Id = "p", Label = "password", Type = ItemFieldTypes.Concealed, Value = "pw-" + summary.ItemId, Purpose = "password" }],
                };
                SealedItem sealedItem = ItemCrypto.Seal(key, summary.ItemId, 1, overview.ToJson(), details.ToJson());
                cache.PutItem(new ItemDto(summary.ItemId, vaultId, 1, 1, WireMapper.ToDto(sealedItem.SealedItemKey), WireMapper.ToDto(sealedItem.SealedOverview),
                    WireMapper.ToDto(sealedItem.SealedDetails), false, false, overview.UpdatedAt, i + 1));
            }
            cache.PutVault(new VaultRecord(vault, Items, Items));
        });
    }

    [Benchmark(Description = "open the cache, decrypt every overview into the index")]
    public int OpenAndIndex()
    {
        using LocalCache cache = LocalCache.Open(CachePath, _account, _keys, _kdf);
        using ItemLibrary library = ItemLibrary.LoadAsync(cache, _account).GetAwaiter().GetResult();
        return library.Count;
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    public void Dispose()
    {
        _account?.Dispose();
        _setup?.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
        GC.SuppressFinalize(this);
    }
}
