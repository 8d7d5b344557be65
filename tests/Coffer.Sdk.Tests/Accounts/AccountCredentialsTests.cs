using Coffer.Contracts.Accounts;
using Coffer.Contracts.Keys;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Srp;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Tests.Support;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Tests.Accounts;

/// <summary>The client half of a password or Secret Key change (PROTOCOL.md §2, docs/adr/0017), without a server.</summary>
public class AccountCredentialsTests(SetupFixture setup) : IClassFixture<SetupFixture>
{
    private const string NewPassword = "violet lantern quietly hums 58";
    private const string Organisation = "Example Ministry";
    private static readonly CredentialChangeOptions Options = new() { Policy = SetupFixture.Policy };
    private static readonly Uri Server = new("https://coffer.example.org");

    private KdfParameters CurrentKdf => WireMapper.ToKdfParameters(setup.Kdf);

    [Fact]
    public void PreparePasswordChange_NewPasswordOpensTheSameKeyset_OldOneNoLonger()
    {
        using UnlockedAccount account = setup.Unlock();
        using DerivedAccountKeys current = CurrentKeys();
        using CredentialChange change = AccountCredentials.PreparePasswordChange(account, current, CurrentKdf, setup.Result.SecretKey,
            SetupFixture.Password, NewPassword, Organisation, Options);

        ChangeCredentialsRequest r = change.Request;
        Assert.Equal(CredentialChangeKinds.Password, r.Kind);
        Assert.Equal((account.Keyset.KeysetId, account.Keyset.Serial), (r.KeysetId, r.KeysetSerial));
        Assert.NotEqual(setup.Kdf.Salt, r.Kdf.Salt);
        Assert.Equal(SetupFixture.Iterations, r.Kdf.Iterations);
        // The verifier is g^x of the new x, and the server gets nothing else derived from the password.
        Assert.Equal(SrpVerifier.Compute(SrpParameters.Coffer, change.AccountKeys.SrpX), Base64Url.Decode(r.Verifier));
        Assert.False(change.Submitted);
        Assert.Null(change.SecretKey);

        AccountKeysResponse served = WithSealedKey(r);
        using UnlockedAccount reopened = AccountUnlock.WithPassword(served, r.Kdf, NewPassword, setup.Result.SecretKey, setup.Account, new Pins(),
            SetupFixture.Clock, SetupFixture.Policy);
        Assert.Equal(account.Keyset.SigningPublicKey, reopened.Keyset.SigningPublicKey);
        Assert.Throws<UnlockFailedException>(() => AccountUnlock.WithPassword(served, r.Kdf, SetupFixture.Password, setup.Result.SecretKey,
            setup.Account, new Pins(), SetupFixture.Clock, SetupFixture.Policy));
    }

    [Fact]
    public void PrepareSecretKeyRegeneration_NewKeyOpensTheSameKeyset_OldKeyNoLonger_KitCarriesIt()
    {
        using UnlockedAccount account = setup.Unlock();
        using DerivedAccountKeys current = CurrentKeys();
        using CredentialChange change = AccountCredentials.PrepareSecretKeyRegeneration(account, current, CurrentKdf, setup.Result.SecretKey,
            SetupFixture.Password, Organisation, Server, Options);

        SecretKey fresh = change.SecretKey!;
        Assert.Equal(CredentialChangeKinds.SecretKey, change.Request.Kind);
        Assert.Equal(setup.Account.AccountId, fresh.AccountId);
        Assert.NotEqual(setup.Result.SecretKey.Format(), fresh.Format());
        Assert.Equal(fresh.Format(), change.EmergencyKit!.SecretKey);
        Assert.Equal((setup.Account.Email, setup.Account.OrganisationFingerprint, Server), (change.EmergencyKit.Email,
            change.EmergencyKit.OrganisationFingerprint, change.EmergencyKit.SignInAddress));
        Assert.DoesNotContain(fresh.Format(), change.EmergencyKit.ToString(), StringComparison.Ordinal);

        AccountKeysResponse served = WithSealedKey(change.Request);
        using UnlockedAccount reopened = AccountUnlock.WithPassword(served, change.Request.Kdf, SetupFixture.Password, fresh, setup.Account, new Pins(),
            SetupFixture.Clock, SetupFixture.Policy);
        Assert.Equal(account.Keyset.KeysetId, reopened.Keyset.KeysetId);
        Assert.Throws<UnlockFailedException>(() => AccountUnlock.WithPassword(served, change.Request.Kdf, SetupFixture.Password, setup.Result.SecretKey,
            setup.Account, new Pins(), SetupFixture.Clock, SetupFixture.Policy));
    }

    [Theory]
    [InlineData("wrong password, long enough 1", false)]
    [InlineData(SetupFixture.Password, true)]
    public void Prepare_CurrentSecretsDoNotDeriveTheCurrentKeys_IsUnlockFailed(string currentPassword, bool otherSecretKey)
    {
        using UnlockedAccount account = setup.Unlock();
        using DerivedAccountKeys current = CurrentKeys();
        using SecretKey other = SecretKey.Generate(setup.Account.AccountId);
        SecretKey secretKey = otherSecretKey ? other : setup.Result.SecretKey;
        Assert.Throws<UnlockFailedException>(() => AccountCredentials.PreparePasswordChange(account, current, CurrentKdf, secretKey, currentPassword,
            NewPassword, Organisation, Options));
        Assert.Throws<UnlockFailedException>(() => AccountCredentials.PrepareSecretKeyRegeneration(account, current, CurrentKdf, secretKey, currentPassword,
            Organisation, Server, Options));
    }

    [Theory]
    [InlineData("short one")]                            // fewer than 14 characters
    [InlineData("my owner@example.org password")]        // contains the email
    [InlineData("Example Ministry rules forever")]       // contains the organisation name
    [InlineData(SetupFixture.Password)]                  // the current password
    [InlineData("  " + SetupFixture.Password + "\t")]    // the same after PROTOCOL.md §1's trimming
    public void PreparePasswordChange_NewPasswordBreaksARule_IsRefusedWithoutRepeatingIt(string newPassword)
    {
        using UnlockedAccount account = setup.Unlock();
        using DerivedAccountKeys current = CurrentKeys();
        ArgumentException e = Assert.Throws<ArgumentException>(() => AccountCredentials.PreparePasswordChange(account, current, CurrentKdf,
            setup.Result.SecretKey, SetupFixture.Password, newPassword, Organisation, Options));
        Assert.DoesNotContain(newPassword.Trim(), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prepare_Iterations_NeverGoDown_AndMayGoUp()
    {
        using UnlockedAccount account = setup.Unlock();
        using DerivedAccountKeys current = CurrentKeys();
        Assert.Throws<ArgumentException>(() => AccountCredentials.PreparePasswordChange(account, current, CurrentKdf, setup.Result.SecretKey,
            SetupFixture.Password, NewPassword, Organisation, Options with { Iterations = SetupFixture.Iterations - 1 }));
        // The production floor applies unless a test policy lowers it.
        Assert.Throws<ArgumentException>(() => AccountCredentials.PreparePasswordChange(account, current, CurrentKdf, setup.Result.SecretKey,
            SetupFixture.Password, NewPassword, Organisation, new CredentialChangeOptions { Iterations = 2000 }));

        using CredentialChange raised = AccountCredentials.PreparePasswordChange(account, current, CurrentKdf, setup.Result.SecretKey,
            SetupFixture.Password, NewPassword, Organisation, Options with { Iterations = 2000 });
        Assert.Equal(2000, raised.Request.Kdf.Iterations);
        Assert.Equal(2000, raised.Kdf.Iterations);
        Assert.Equal(2000, raised.Account.LastIterations);
    }

    [Fact]
    public void Dispose_ZeroesTheNewKeysAndSecretKey()
    {
        using UnlockedAccount account = setup.Unlock();
        using DerivedAccountKeys current = CurrentKeys();
        CredentialChange change = AccountCredentials.PrepareSecretKeyRegeneration(account, current, CurrentKdf, setup.Result.SecretKey,
            SetupFixture.Password, Organisation, Server, Options);
        change.Dispose();
        Assert.Throws<ObjectDisposedException>(() => change.AccountKeys.SrpX.Length);
        Assert.Throws<ObjectDisposedException>(() => change.SecretKey!.Format());
    }

    [Theory]
    [InlineData("AAAA", "AAAA")]
    [InlineData("  AAAA\n", "AAAA")]
    [InlineData("https://coffer.example.org/account/email#token=AAAA", "AAAA")]
    [InlineData("https://coffer.example.org/account/email#token=AAAA&x=1", "AAAA")]
    public void TokenOf_CodeOrLink_GivesTheCode(string pasted, string token) => Assert.Equal(token, AccountCredentials.TokenOf(pasted));

    private DerivedAccountKeys CurrentKeys() =>
        TwoSecretKeyDerivation.Derive(SetupFixture.Password, setup.Result.SecretKey, setup.Account.MemberId, CurrentKdf, SetupFixture.Policy);

    /// <summary>What the server serves after taking the change: the same keyset with only its AUK seal replaced.</summary>
    private AccountKeysResponse WithSealedKey(ChangeCredentialsRequest r)
    {
        AccountKeysResponse keys = setup.Keys;
        return keys with { Keyset = keys.Keyset with { SealedSymmetricKey = r.SealedSymmetricKey } };
    }
}
