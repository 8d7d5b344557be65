using System.Runtime.Versioning;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Provenance;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Cache;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Items;
using Coffer.Sdk.Tests.Support;
using Coffer.Sdk.Wire;
using Microsoft.Data.Sqlite;

namespace Coffer.Sdk.Tests.Cache;

/// <summary>
/// The encrypted local cache's file, its offline unlock and its refusals (docs/adr/0019-local-cache.md, PROTOCOL.md §7
/// "Offline access"), with the first Owner of an organisation made by the SDK and no server.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class LocalCacheTests(SetupFixture setup) : IClassFixture<SetupFixture>, IDisposable
{
    private static readonly LocalCacheOptions Day = new() { OfflineWindow = TimeSpan.FromHours(24) };

    private readonly string _root = Path.Combine(Path.GetTempPath(), "coffer-cache-tests", Guid.NewGuid().ToString("n"));

    private string CachePath => Path.Combine(_root, "private", "cache.db");

    private KdfParameters Kdf => WireMapper.ToKdfParameters(setup.Kdf);

    [Fact]
    public void Open_MakesAFileOnlyItsOwnerCanReadAndWrite_InADirectoryOnlyItsOwnerCanEnter()
    {
        using (OpenOnline())
        {
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(CachePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(CachePath)!));
        Assert.False(File.Exists(CachePath + "-journal"));
    }

    [Fact]
    public void Open_OfAFileOthersCouldRead_MakesItPrivateAgain()
    {
        using (OpenOnline())
        {
        }
        File.SetUnixFileMode(CachePath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        using LocalCache cache = OpenOnline();

        Assert.False(cache.WasRebuilt);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(CachePath));
    }

    [Fact]
    public void Open_InADirectoryOthersCanEnter_IsRefused()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CachePath)!);
        File.SetUnixFileMode(Path.GetDirectoryName(CachePath)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        LocalCacheException e = Assert.Throws<LocalCacheException>(() => OpenOnline());

        Assert.Equal(LocalCacheFailure.Insecure, e.Failure);
        Assert.False(File.Exists(CachePath));
    }

    [Fact]
    public void OpenOffline_WithThePasswordAndSecretKey_UnlocksTheAccountFromTheCacheAlone()
    {
        using (OpenOnline())
        {
        }

        using OfflineUnlock offline = OpenOffline(TimeSpan.FromHours(23));

        Assert.True(offline.Cache.IsOffline);
        Assert.Equal(setup.Account.MemberId, offline.Account.MemberId);
        Assert.Equal(5, offline.Account.Groups.Count);
        Assert.NotNull(offline.Account.RootKey);
        Assert.Equal(SetupFixture.Now, offline.Cache.LastOnlineAt);
        Assert.Equal(TimeSpan.FromHours(24), offline.Cache.OfflineWindow);
    }

    [Fact]
    public void OpenOffline_WithAWrongPassword_IsAnUnlockFailure()
    {
        using (OpenOnline())
        {
        }

        Assert.Throws<UnlockFailedException>(() => LocalCache.OpenOffline(CachePath, "not the password at all", setup.Result.SecretKey, setup.Account,
            SetupFixture.Policy, new FixedClock(SetupFixture.Now)));
    }

    [Fact]
    public void OpenOffline_AfterTheOrganisationsWindow_IsRefused()
    {
        using (OpenOnline())
        {
        }

        LocalCacheException e = Assert.Throws<LocalCacheException>(() => OpenOffline(TimeSpan.FromHours(25)));

        Assert.Equal(LocalCacheFailure.OfflineWindowExpired, e.Failure);
        Assert.Contains("24 hours", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenOffline_WhenTheOrganisationAllowsNoOfflineAccess_IsRefused()
    {
        using (LocalCache.Open(CachePath, Unlock(), setup.Keys, Kdf, options: null, new FixedClock(SetupFixture.Now)))
        {
        }

        LocalCacheException e = Assert.Throws<LocalCacheException>(() => OpenOffline(TimeSpan.FromMinutes(1)));

        Assert.Equal(LocalCacheFailure.OfflineNotAllowed, e.Failure);
    }

    [Fact]
    public void OpenOffline_WithNoCache_SaysThereIsNone()
    {
        LocalCacheException e = Assert.Throws<LocalCacheException>(() => OpenOffline(TimeSpan.Zero));

        Assert.Equal(LocalCacheFailure.Missing, e.Failure);
    }

    [Fact]
    public void OpenOffline_OfAnotherMembersCache_IsRefused()
    {
        using (OpenOnline())
        {
        }

        LocalCacheException e = Assert.Throws<LocalCacheException>(() => LocalCache.OpenOffline(CachePath, SetupFixture.Password, setup.Result.SecretKey,
            setup.Account with { MemberId = "0190a1b2-0000-7000-8000-0000000000ff" }, SetupFixture.Policy, new FixedClock(SetupFixture.Now)));

        Assert.Equal(LocalCacheFailure.OtherAccount, e.Failure);
    }

    [Fact]
    public void Open_OfAFileThatIsNotACache_StartsAnew_WhileOfflineItIsRefused()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CachePath)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllBytes(CachePath, [.. Enumerable.Repeat((byte)0x5a, 8192)]);

        LocalCacheException offline = Assert.Throws<LocalCacheException>(() => OpenOffline(TimeSpan.Zero));
        using LocalCache cache = OpenOnline();

        Assert.Equal(LocalCacheFailure.Corrupted, offline.Failure);
        Assert.True(cache.WasRebuilt);
    }

    [Fact]
    public void Open_AfterARecordWasChangedInTheFile_StartsAnew_WhileOfflineItIsRefused()
    {
        using (OpenOnline())
        {
        }
        using (SqliteConnection file = new("Data Source=" + CachePath + ";Pooling=False"))
        {
            file.Open();
            byte[] value;
            using (SqliteCommand read = new("SELECT value FROM records WHERE name = 'state'", file))
            {
                value = (byte[])read.ExecuteScalar()!;
            }
            value[20] ^= 0x01;
            using SqliteCommand write = new("UPDATE records SET value = $v WHERE name = 'state'", file);
            write.Parameters.AddWithValue("$v", value);
            Assert.Equal(1, write.ExecuteNonQuery());
        }

        LocalCacheException offline = Assert.Throws<LocalCacheException>(() => OpenOffline(TimeSpan.Zero));
        using LocalCache cache = OpenOnline();

        Assert.Equal(LocalCacheFailure.Corrupted, offline.Failure);
        Assert.True(cache.WasRebuilt);
    }

    [Fact]
    public void Open_WithAccountPinsThatForgotAVersion_BringsBackTheHighestThisDeviceSaw()
    {
        using (UnlockedAccount first = Unlock())
        {
            Assert.Equal(PinCheck.New, first.Pins.ObserveItemVersion("0190a1b2-0000-7000-8000-0000000000a1", 7));
            using LocalCache cache = LocalCache.Open(CachePath, first, setup.Keys, Kdf, Day, new FixedClock(SetupFixture.Now));
        }
        using UnlockedAccount second = Unlock();
        Assert.Equal(0, second.Pins.ItemVersion("0190a1b2-0000-7000-8000-0000000000a1"));

        using LocalCache reopened = LocalCache.Open(CachePath, second, setup.Keys, Kdf, Day, new FixedClock(SetupFixture.Now));

        Assert.Equal(7, second.Pins.ItemVersion("0190a1b2-0000-7000-8000-0000000000a1"));
        Assert.Equal(PinCheck.Conflict, second.Pins.ObserveItemVersion("0190a1b2-0000-7000-8000-0000000000a1", 6));
    }

    [Fact]
    public async Task LoadAsync_OfAnEmptyCacheOffline_IsAnEmptyReadOnlyLibrary()
    {
        using (OpenOnline())
        {
        }
        using OfflineUnlock offline = OpenOffline(TimeSpan.FromHours(1));

        using ItemLibrary library = await ItemLibrary.LoadAsync(offline.Cache, offline.Account);

        Assert.True(library.IsReadOnly);
        Assert.Empty(library.Vaults);
        Assert.Empty(library.Search(new ItemQuery { States = ItemStates.All }));
        Assert.Null(await library.OpenItemAsync("0190a1b2-0000-7000-8000-0000000000a1"));
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private UnlockedAccount Unlock() => setup.Unlock();

    private LocalCache OpenOnline()
    {
        using UnlockedAccount account = Unlock();
        return LocalCache.Open(CachePath, account, setup.Keys, Kdf, Day, new FixedClock(SetupFixture.Now));
    }

    private OfflineUnlock OpenOffline(TimeSpan after) =>
        LocalCache.OpenOffline(CachePath, SetupFixture.Password, setup.Result.SecretKey, setup.Account, SetupFixture.Policy,
            new FixedClock(SetupFixture.Now + after));
}
