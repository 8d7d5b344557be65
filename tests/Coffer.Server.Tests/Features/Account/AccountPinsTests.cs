using Coffer.Contracts.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Features.Account;

/// <summary>
/// The sealed pins record shared by a member's devices (PROTOCOL.md §5.1): stored as the next version, opened and merged by
/// another device, merged again when two devices store at once; a record the client cannot open is never trusted.
/// </summary>
public class AccountPinsTests
{
    [Theory, BothEngines]
    public async Task StoreAsync_AnotherDeviceFetchesAndOpensTheSamePins(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult first, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
        using SignInResult second = await org.SignInOwnerAsync(deviceId: "0190a1b2-0000-7000-8000-00000000d002");
        using UnlockedAccount secondKeys = await TestOrganisation.UnlockAsync(second, TestOrganisation.Setup.Account);
        using (first)
        using (keys)
        {
            Assert.Null(await AccountPins.FetchAsync(first.Session));

            PinsDto stored = await AccountPins.StoreAsync(first.Session, keys);
            PinsDto? fetched = await AccountPins.FetchAsync(second.Session);
            Pins? opened = AccountPins.Open(secondKeys.Keyset, fetched);

            Assert.Equal(1, stored.Version);
            Assert.Equal(stored.Version, fetched!.Version);
            Assert.NotNull(opened);
            Assert.True(opened.SameContentAs(keys.Pins));
            Assert.NotNull(opened.SubjectKeys(TestOrganisation.OwnerId));
            (Pins merged, bool conflict) = AccountPins.Merge(secondKeys.Keyset, fetched, null);
            Assert.False(conflict);
            Assert.True(merged.SameContentAs(keys.Pins));
        }
    }

    [Theory, BothEngines]
    public async Task StoreAsync_AfterAnotherDeviceStoredANewerVersion_MergesItAndStoresTheNext(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult first, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
        using SignInResult second = await org.SignInOwnerAsync(deviceId: "0190a1b2-0000-7000-8000-00000000d002");
        using UnlockedAccount secondKeys = await TestOrganisation.UnlockAsync(second, TestOrganisation.Setup.Account);
        using (first)
        using (keys)
        {
            Assert.Equal(PinCheck.New, keys.Pins.ObserveItemVersion("0190a1b2-0000-7000-8000-0000000000aa", 7));
            await AccountPins.StoreAsync(first.Session, keys);

            // The second device never saw version 1: its store is refused as stale, merged with version 1, and stored as version 2.
            PinsDto stored = await AccountPins.StoreAsync(second.Session, secondKeys);

            Assert.Equal(2, stored.Version);
            Assert.Equal(7, secondKeys.Pins.ItemVersion("0190a1b2-0000-7000-8000-0000000000aa"));
            Assert.Equal(2, (await AccountPins.FetchAsync(first.Session))!.Version);
        }
    }

    [Fact]
    public async Task Open_ARecordRelabelledOrSealedByAnotherKeyset_IsNotTrusted()
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(Engine.Sqlite);
        (SignInResult signIn, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
        using (signIn)
        using (keys)
        {
            PinsDto stored = await AccountPins.StoreAsync(signIn.Session, keys);
            using Coffer.Crypto.Keys.Keyset other = Coffer.Crypto.Keys.Keyset.Generate(keys.Keyset.KeysetId);

            Assert.NotNull(AccountPins.Open(keys.Keyset, stored));
            Assert.Null(AccountPins.Open(keys.Keyset, stored with { Version = stored.Version + 1 }));
            Assert.Null(AccountPins.Open(other, stored));
            Assert.Null(AccountPins.Open(keys.Keyset, stored with { KeysetSerial = stored.KeysetSerial + 1 }));
            Assert.Null(AccountPins.Open(keys.Keyset, null));
        }
    }
}
