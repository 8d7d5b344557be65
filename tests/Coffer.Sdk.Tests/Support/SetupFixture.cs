using Coffer.Contracts.Auth;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Setup;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Provenance;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Setup;

namespace Coffer.Sdk.Tests.Support;

/// <summary>
/// One organisation made by <see cref="OrganisationSetup"/> (RSA key generation is slow, so tests share it),
/// with the test KDF floor of 1 000 iterations (Debug only, docs/adr/0001).
/// </summary>
public sealed class SetupFixture : IDisposable
{
    public const string Password = "correct horse battery staple 42";
    public const string Token = "c2V0dXAtdG9rZW4tZnJvbS10aGUtZnJhZ21lbnQ";
    public const int Iterations = 1000;
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);
    public static readonly KdfPolicy Policy = KdfPolicy.ForTesting(Iterations);
    public static readonly SetupDetails Details = new("Example Ministry", "owner@example.org", "Olive Owner", new Uri("https://coffer.example.org"));

    public SetupFixture() => Result = OrganisationSetup.Create(Details, Password, Token, Clock, Policy, Iterations);

    public static TimeProvider Clock { get; } = new FixedClock(Now);

    public OrganisationSetupResult Result { get; }

    public SetupRequest Request => Result.Request;

    public RememberedAccount Account => Result.Account;

    public KdfDto Kdf => Request.Owner.Kdf;

    /// <summary>A fresh copy of what the server would serve (records are immutable; tests replace parts with <c>with</c>).</summary>
    public AccountKeysResponse Keys => ServedKeys.For(Request);

    public UnlockedAccount Unlock(AccountKeysResponse? keys = null, Pins? pins = null, RememberedAccount? account = null, KdfDto? kdf = null,
        string? password = null) =>
        AccountUnlock.WithPassword(keys ?? Keys, kdf ?? Kdf, password ?? Password, Result.SecretKey, account ?? Account, pins ?? new Pins(),
            Clock, Policy);

    public void Dispose() => Result.Dispose();
}
