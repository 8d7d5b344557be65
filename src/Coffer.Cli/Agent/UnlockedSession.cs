using System.Reflection;
using Coffer.Cli.State;
using Coffer.Contracts.Auth;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Sdk.Sessions;

namespace Coffer.Cli.Agent;

/// <summary>
/// One unlocked account in the agent's memory: the connection, the session (its keys and sequence numbers live in the
/// SDK's <see cref="CofferSession"/>, which allocates them atomically, so concurrent commands share it safely), the
/// account's keys, and the 2SKD output that lets the agent sign in again when the server ends the session for
/// idleness — without asking for the password and without another 2SKD run. Disposing zeroes all of it.
/// </summary>
internal sealed class UnlockedSession : IDisposable
{
    private readonly SemaphoreSlim _renewal = new(1, 1);
    private readonly List<SignInResult> _retired = [];
    private SignInResult _signIn;
    private bool _disposed;

    private readonly OwnedConnection _connection;

    public UnlockedSession(StoredAccount account, OwnedConnection connection, SignInResult signIn, UnlockedAccount keys)
    {
        Account = account;
        _connection = connection;
        _signIn = signIn;
        Keys = keys;
    }

    /// <summary>What the device remembers of the account (replaced as the unlock's findings are stored).</summary>
    public StoredAccount Account { get; set; }

    public CofferConnection Connection => _connection.Connection;

    public UnlockedAccount Keys { get; }

    public CofferSession Session => Volatile.Read(ref _signIn).Session;

    /// <summary>The <c>account/keys</c> answer the unlock verified, as served (the local cache keeps it for offline use).</summary>
    public Contracts.Keys.AccountKeysResponse? ServedKeys { get; init; }

    /// <summary>The KDF parameters of the sign-in.</summary>
    public Crypto.Kdf.KdfParameters Kdf => Volatile.Read(ref _signIn).Kdf;

    /// <summary>The account's items (local cache, index, sync), once attached at unlock; disposed first, before the keys.</summary>
    public HostedLibrary? Items { get; set; }

    public static DeviceInfoDto DeviceInfo { get; } = new(
        string.IsNullOrWhiteSpace(Environment.MachineName) ? "coffer" : Environment.MachineName,
        "linux-cli",
        typeof(UnlockedSession).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.1.0");

    /// <summary>Runs a call on the session; if the server ended it (a plain 401), signs in again once and retries.</summary>
    public async Task<T> RunAsync<T>(Func<CofferSession, Task<T>> call, CancellationToken cancellationToken)
    {
        SignInResult used = Volatile.Read(ref _signIn);
        try
        {
            return await call(used.Session).ConfigureAwait(false);
        }
        catch (CofferSessionExpiredException)
        {
            await RenewAsync(used, cancellationToken).ConfigureAwait(false);
            return await call(Session).ConfigureAwait(false);
        }
    }

    public async Task RunAsync(Func<CofferSession, Task> call, CancellationToken cancellationToken) =>
        _ = await RunAsync<bool>(async s =>
        {
            await call(s).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>Ends the session on the server; failures are ignored (the server ends it at its idle timeout anyway).</summary>
    public async Task SignOutQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await new SessionClient(Session).SignOutAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CofferException or HttpRequestException or OperationCanceledException or ObjectDisposedException)
        {
            // Best effort.
        }
    }

    private async Task RenewAsync(SignInResult expired, CancellationToken cancellationToken)
    {
        await _renewal.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!ReferenceEquals(Volatile.Read(ref _signIn), expired))
            {
                return;
            }
            ObjectDisposedException.ThrowIf(_disposed, this);
            SignInResult next = await SignIn.SignInAgainAsync(Connection, Account.Email, Account.AccountId, Account.DeviceId, DeviceInfo,
                expired.AccountKeys, expired.Kdf, cancellationToken).ConfigureAwait(false);
            if (next.Mfa.Required)
            {
                next.Session.Dispose();
                next.Dispose();
                throw new CliException(ExitCodes.AuthFailed, "The organisation asks for a second factor, which this version of coffer cannot present yet.");
            }
            // Calls still in flight hold the old session; it is zeroed with the rest at lock.
            lock (_retired)
            {
                _retired.Add(expired);
            }
            Volatile.Write(ref _signIn, next);
        }
        finally
        {
            _renewal.Release();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Items?.Dispose();
        Keys.Dispose();
        lock (_retired)
        {
            foreach (SignInResult old in _retired.Append(_signIn))
            {
                old.Session.Dispose();
                old.Dispose();
            }
            _retired.Clear();
        }
        _connection.Dispose();
        _renewal.Dispose();
    }
}
