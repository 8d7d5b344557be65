namespace Coffer.Cli.Agent;

/// <summary>The unlocked accounts, by member id. Only the agent holds this; it never touches disk.</summary>
internal sealed class AgentState : IDisposable
{
    private readonly Dictionary<string, UnlockedSession> _sessions = new(StringComparer.Ordinal);

    public IReadOnlyList<string> UnlockedAccounts
    {
        get
        {
            lock (_sessions)
            {
                return [.. _sessions.Keys];
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_sessions)
            {
                return _sessions.Count;
            }
        }
    }

    /// <exception cref="CliException">The account is not unlocked in this agent.</exception>
    public UnlockedSession Get(string memberId)
    {
        lock (_sessions)
        {
            return _sessions.GetValueOrDefault(memberId) ?? throw new CliException(ExitCodes.Locked, Failures.LockedMessage);
        }
    }

    /// <summary>Holds a newly unlocked account; one unlocked before under the same id is locked (its keys zeroed).</summary>
    public void Add(UnlockedSession session)
    {
        UnlockedSession? replaced;
        lock (_sessions)
        {
            replaced = _sessions.GetValueOrDefault(session.Account.MemberId);
            _sessions[session.Account.MemberId] = session;
        }
        replaced?.Dispose();
    }

    public UnlockedSession? Remove(string memberId)
    {
        lock (_sessions)
        {
            return _sessions.Remove(memberId, out UnlockedSession? session) ? session : null;
        }
    }

    /// <summary>
    /// Locks every account: ends each session on the server (best effort, briefly: a session whose keys are gone is of
    /// no use to anyone but a thief of them), then zeroes every key. Returns the member ids that were unlocked.
    /// </summary>
    public async Task<IReadOnlyList<string>> LockAllAsync()
    {
        List<UnlockedSession> all;
        lock (_sessions)
        {
            all = [.. _sessions.Values];
            _sessions.Clear();
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
        return [.. all.Select(s => s.Account.MemberId)];
    }

    /// <summary>Zeroes every key without telling the server.</summary>
    public void Dispose()
    {
        List<UnlockedSession> all;
        lock (_sessions)
        {
            all = [.. _sessions.Values];
            _sessions.Clear();
        }
        foreach (UnlockedSession session in all)
        {
            session.Dispose();
        }
    }
}
