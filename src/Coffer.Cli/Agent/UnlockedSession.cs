using System.Reflection;
using Coffer.Cli.State;
using Coffer.Contracts.Auth;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Sdk.Sessions;
using Coffer.Sdk.Vaults;

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
    private readonly SemaphoreSlim _exclusive = new(1, 1);
    private readonly List<SignInResult> _retired = [];
    private readonly List<UnlockedAccount> _retiredKeys = [];
    private SignInResult _signIn;
    private UnlockedAccount _keys;
    private bool _disposed;

    private readonly OwnedConnection _connection;

    public UnlockedSession(StoredAccount account, OwnedConnection connection, SignInResult signIn, UnlockedAccount keys)
    {
        Account = account;
        _connection = connection;
        _signIn = signIn;
        _keys = keys;
        AgentStepUp.Attach(signIn);
        Usage = new ItemUsageReporter((uses, ct) => RunAsync(s => ItemUsage.ReportAsync(s, uses, ct), ct));
    }

    /// <summary>Reveals, copies and one-time passwords this agent served, reported for the activity log in the background.</summary>
    public ItemUsageReporter Usage { get; }

    /// <summary>What the device remembers of the account (replaced as the unlock's findings are stored).</summary>
    public StoredAccount Account { get; set; }

    public CofferConnection Connection => _connection.Connection;

    /// <summary>The account's keys and pins (replaced when they are read again after a change; the old ones are zeroed at lock).</summary>
    public UnlockedAccount Keys => Volatile.Read(ref _keys);

    public CofferSession Session => Volatile.Read(ref _signIn).Session;

    /// <summary>The current sign-in: its session, and the 2SKD output and KDF parameters it came from.</summary>
    public SignInResult CurrentSignIn => Volatile.Read(ref _signIn);

    /// <summary>What the server's pins record held when last read or stored (null: none), so pins are stored only when they changed.</summary>
    public Coffer.Crypto.Provenance.Pins? StoredPins { get; set; }

    /// <summary>The sealed record those pins came from (this device keeps a copy of it).</summary>
    public Coffer.Contracts.Keys.PinsDto? StoredRecord { get; set; }

    /// <summary>Warnings of the upkeep run at unlock, for the command that unlocked.</summary>
    public IReadOnlyList<string> Warnings { get; set; } = [];

    /// <summary>
    /// Runs work that reads and changes the keys or pins (Pins is not thread-safe; a credential change swaps the sign-in) one
    /// at a time per account. Plain reads do not wait for it.
    /// </summary>
    public async Task<T> ExclusiveAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        await _exclusive.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await work().ConfigureAwait(false);
        }
        finally
        {
            _exclusive.Release();
        }
    }

    /// <summary>Holds newly read keys in place of the current ones.</summary>
    public void ReplaceKeys(UnlockedAccount keys)
    {
        UnlockedAccount old = Interlocked.Exchange(ref _keys, keys);
        lock (_retired)
        {
            // Calls in flight may still use the old keys; they are zeroed with the rest at lock.
            _retiredKeys.Add(old);
        }
    }

    /// <summary>Holds a new sign-in (after a credential change) in place of the current one.</summary>
    public void ReplaceSignIn(SignInResult next)
    {
        AgentStepUp.Attach(next);
        SignInResult old = Interlocked.Exchange(ref _signIn, next);
        lock (_retired)
        {
            _retired.Add(old);
        }
    }

    /// <summary>
    /// Signs in again now with the keys held (no password, no 2SKD run): for changes the server takes only from a session
    /// that completed SRP within the last five minutes.
    /// </summary>
    public Task<SignInResult> SignInAgainAsync(CancellationToken cancellationToken) => RenewAsync(CurrentSignIn, cancellationToken, force: true);

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
            _ = await RenewAsync(used, cancellationToken).ConfigureAwait(false);
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
            await Usage.FlushAsync(cancellationToken).ConfigureAwait(false);
            await new SessionClient(Session).SignOutAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CofferException or HttpRequestException or OperationCanceledException or ObjectDisposedException)
        {
            // Best effort.
        }
    }

    /// <summary>Ends a session this agent no longer uses (at most 3 s; failures ignored: the server ends it at its idle timeout).</summary>
    public static async Task EndQuietlyAsync(CofferSession session)
    {
        try
        {
            using CancellationTokenSource timeout = new(TimeSpan.FromSeconds(3));
            await new SessionClient(session).SignOutAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CofferException or HttpRequestException or OperationCanceledException or ObjectDisposedException)
        {
            // Best effort.
        }
    }

    private async Task<SignInResult> RenewAsync(SignInResult expired, CancellationToken cancellationToken, bool force = false)
    {
        await _renewal.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!force && !ReferenceEquals(Volatile.Read(ref _signIn), expired))
            {
                return Volatile.Read(ref _signIn);
            }
            expired = Volatile.Read(ref _signIn);
            ObjectDisposedException.ThrowIf(_disposed, this);
            SignInResult next = await SignIn.SignInAgainAsync(Connection, Account.Email, Account.AccountId, Account.DeviceId, DeviceInfo,
                expired.AccountKeys, expired.Kdf, cancellationToken).ConfigureAwait(false);
            if (next.Mfa.Required)
            {
                next.Session.Dispose();
                next.Dispose();
                throw new CliException(ExitCodes.AuthFailed, Failures.SecondFactorMessage);
            }
            AgentStepUp.Attach(next);
            // Calls still in flight hold the old session; it is zeroed with the rest at lock.
            lock (_retired)
            {
                _retired.Add(expired);
            }
            Volatile.Write(ref _signIn, next);
            return next;
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
        lock (_retired)
        {
            foreach (UnlockedAccount old in _retiredKeys.Append(_keys))
            {
                old.Dispose();
            }
            _retiredKeys.Clear();
            foreach (SignInResult old in _retired.Append(_signIn))
            {
                old.Session.Dispose();
                old.Dispose();
            }
            _retired.Clear();
        }
        _connection.Dispose();
        _renewal.Dispose();
        _exclusive.Dispose();
    }
}
