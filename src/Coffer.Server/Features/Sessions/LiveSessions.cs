using System.Collections.Concurrent;
using Coffer.Protocol.Sessions;

namespace Coffer.Server.Features.Sessions;

/// <summary>
/// This node's cache of session keys and replay windows. Keys are derived once per session and
/// zeroed when the session is forgotten (sign-out, end, expiry, its member suspended or removed) and no
/// request still uses them. The cache never decides whether a session is valid: every request asks the
/// database first (<see cref="ISessionStore.FindAsync"/>), so a session ended on another node stops here too.
/// Forgetting a session also stops the event streams open in it on this node (<see cref="LiveSession.Ended"/>).
/// Windows are per node: a read replayed to another node yields only a sealed answer the replayer
/// cannot open, and writes record their sequence numbers in the database (PROTOCOL.md §6).
/// Nothing here decides whether a session may be used: the session layer reads the session row (ended, device
/// revoked, member state) on every request before it takes the keys from this cache, so an ending or a
/// deauthorisation on any node takes effect on every node at the next request. Deauthorising a device does not
/// forget its sessions here at once, on purpose: their windows must keep refusing replays until the one sealed
/// wipe answer has gone out (ADR 0012).
/// </summary>
internal sealed class LiveSessions
{
    private readonly ConcurrentDictionary<string, LiveSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Takes the session for one request; release it with <see cref="LiveSession.Release"/>.</summary>
    public LiveSession Acquire(SessionRecord record)
    {
        while (true)
        {
            LiveSession live = _sessions.GetOrAdd(record.SessionId, static (id, r) => new LiveSession(SessionKeys.Derive(r.SessionKey, id)), record);
            if (live.TryEnter())
            {
                return live;
            }
            _sessions.TryRemove(new KeyValuePair<string, LiveSession>(record.SessionId, live));
        }
    }

    /// <summary>Forgets a session on this node; its keys are zeroed once no request holds them.</summary>
    public void Forget(string sessionId)
    {
        if (_sessions.TryRemove(sessionId, out LiveSession? live))
        {
            live.MarkForgotten();
        }
    }
}

/// <summary>One session's keys and replay window on this node, shared by the requests in it and disposed by the last of them to leave
/// once the session is forgotten (<see cref="Dispose"/> is for that path only).</summary>
internal sealed class LiveSession(SessionKeys keys) : IDisposable
{
    private readonly SequenceWindow _window = new();
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _ended = new();
    private int _users;
    private bool _forgotten;

    public SessionKeys Keys { get; } = keys;

    /// <summary>Cancelled when this node forgets the session; valid while the caller holds the session (between enter and release).</summary>
    public CancellationToken Ended => _ended.Token;

    public bool TryAccept(ulong seq)
    {
        lock (_lock)
        {
            return _window.TryAccept(seq);
        }
    }

    internal bool TryEnter()
    {
        lock (_lock)
        {
            if (_forgotten)
            {
                return false;
            }
            _users++;
            return true;
        }
    }

    public void Release()
    {
        bool dispose;
        lock (_lock)
        {
            _users--;
            dispose = _forgotten && _users == 0;
        }
        if (dispose)
        {
            Dispose();
        }
    }

    /// <summary>Zeroes the keys. Called by <see cref="Release"/> when the session is forgotten and no request holds it.</summary>
    public void Dispose()
    {
        Keys.Dispose();
        _ended.Dispose();
    }

    internal void MarkForgotten()
    {
        lock (_lock)
        {
            if (_forgotten)
            {
                return;
            }
            _forgotten = true;
            // Held while cancelling, so nothing disposes the token source under the callbacks; they run outside the lock
            // because a stream they stop may release its own hold on the way out.
            _users++;
        }
        try
        {
            _ended.Cancel();
        }
        finally
        {
            Release();
        }
    }
}
