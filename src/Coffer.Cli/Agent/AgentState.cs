namespace Coffer.Cli.Agent;

/// <summary>The unlocked accounts, by member id. Only the agent holds this; it never touches disk.</summary>
internal sealed class AgentState : IDisposable
{
    private readonly Dictionary<string, UnlockedSession> _sessions = new(StringComparer.Ordinal);

    // Accounts unlocked from their local cache with no server (docs/adr/0020-cli-items.md): read-only, no session.
    private readonly Dictionary<string, OfflineAccount> _offline = new(StringComparer.Ordinal);

    public IReadOnlyList<string> UnlockedAccounts
    {
        get
        {
            lock (_sessions)
            {
                return [.. _sessions.Keys, .. _offline.Keys];
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_sessions)
            {
                return _sessions.Count + _offline.Count;
            }
        }
    }

    /// <exception cref="CliException">The account is not unlocked in this agent.</exception>
    public UnlockedSession Get(string memberId)
    {
        lock (_sessions)
        {
            return _sessions.GetValueOrDefault(memberId) ?? throw (_offline.ContainsKey(memberId)
                ? new CliException(ExitCodes.Unreachable, OfflineAccount.NeedsServerMessage)
                : new CliException(ExitCodes.Locked, Failures.LockedMessage));
        }
    }

    /// <summary>The account's items: online (its session's library) or offline (read-only).</summary>
    /// <exception cref="CliException">The account is not unlocked in this agent, or its items are not attached.</exception>
    public HostedLibrary Items(string memberId)
    {
        lock (_sessions)
        {
            if (_offline.GetValueOrDefault(memberId) is OfflineAccount offline)
            {
                return offline.Items;
            }
            UnlockedSession session = _sessions.GetValueOrDefault(memberId) ?? throw new CliException(ExitCodes.Locked, Failures.LockedMessage);
            return session.Items ?? throw new CliException(ExitCodes.Locked, "This account's items are not open in the agent: run `coffer unlock`.");
        }
    }

    /// <summary>Holds an account unlocked offline; one unlocked before under the same id (online or offline) is locked.</summary>
    public void AddOffline(OfflineAccount account)
    {
        UnlockedSession? replaced;
        OfflineAccount? replacedOffline;
        lock (_sessions)
        {
            _sessions.Remove(account.MemberId, out replaced);
            _offline.Remove(account.MemberId, out replacedOffline);
            _offline[account.MemberId] = account;
        }
        replaced?.Dispose();
        replacedOffline?.Dispose();
    }

    /// <summary>Drops an offline unlock of the account (before it unlocks online and opens its cache again).</summary>
    public void RemoveOffline(string memberId)
    {
        OfflineAccount? offline;
        lock (_sessions)
        {
            _offline.Remove(memberId, out offline);
        }
        offline?.Dispose();
    }

    /// <summary>Holds a newly unlocked account; one unlocked before under the same id is locked (its keys zeroed).</summary>
    public void Add(UnlockedSession session)
    {
        UnlockedSession? replaced;
        OfflineAccount? offline;
        lock (_sessions)
        {
            replaced = _sessions.GetValueOrDefault(session.Account.MemberId);
            _sessions[session.Account.MemberId] = session;
            _offline.Remove(session.Account.MemberId, out offline);
        }
        replaced?.Dispose();
        offline?.Dispose();
    }

    public UnlockedSession? Remove(string memberId)
    {
        UnlockedSession? session;
        OfflineAccount? offline;
        lock (_sessions)
        {
            _sessions.Remove(memberId, out session);
            _offline.Remove(memberId, out offline);
        }
        offline?.Dispose();
        // Its items close now (the cache file may be about to be deleted); the caller ends and disposes the session.
        session?.Items?.Dispose();
        return session;
    }

    /// <summary>
    /// Locks every account: ends each session on the server (best effort, briefly: a session whose keys are gone is of
    /// no use to anyone but a thief of them), then zeroes every key. Returns the member ids that were unlocked.
    /// </summary>
    public async Task<IReadOnlyList<string>> LockAllAsync()
    {
        List<UnlockedSession> all;
        List<OfflineAccount> offline;
        lock (_sessions)
        {
            all = [.. _sessions.Values];
            _sessions.Clear();
            offline = [.. _offline.Values];
            _offline.Clear();
        }
        foreach (OfflineAccount account in offline)
        {
            account.Dispose();
        }
        if (all.Count > 0)
        {
            using CancellationTokenSource timeout = new(TimeSpan.FromSeconds(3));
            await Task.WhenAll(all.Select(s => s.SignOutQuietlyAsync(timeout.Token))).ConfigureAwait(false);
        }
        foreach (UnlockedSession session in all)
        {
            session.Dispose();
        }
        return [.. all.Select(s => s.Account.MemberId), .. offline.Select(o => o.MemberId)];
    }

    /// <summary>Zeroes every key without telling the server.</summary>
    public void Dispose()
    {
        List<UnlockedSession> all;
        List<OfflineAccount> offline;
        lock (_sessions)
        {
            all = [.. _sessions.Values];
            _sessions.Clear();
            offline = [.. _offline.Values];
            _offline.Clear();
        }
        foreach (UnlockedSession session in all)
        {
            session.Dispose();
        }
        foreach (OfflineAccount account in offline)
        {
            account.Dispose();
        }
    }
}
