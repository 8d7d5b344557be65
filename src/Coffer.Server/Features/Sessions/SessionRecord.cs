using Coffer.Server.Features.Audit;

namespace Coffer.Server.Features.Sessions;

/// <summary>A session as the server keeps it: the SRP key K (the server half) and its lifetimes.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="MemberId">Its member.</param>
/// <param name="DeviceId">Its device.</param>
/// <param name="SessionKey">SRP's K, the server half.</param>
/// <param name="CreatedAt">Unix ms.</param>
/// <param name="LastUsedAt">Unix ms; the idle timeout counts from here.</param>
/// <param name="ExpiresAt">Unix ms: the absolute lifetime's end.</param>
/// <param name="IdleTimeoutMs">The organisation's idle timeout.</param>
/// <param name="MfaSatisfied">False while a factor is owed.</param>
/// <param name="Revoked">Ended, its device deauthorised, or its member no longer allowed in.</param>
/// <param name="Confirmed">False for a member awaiting confirmation.</param>
/// <param name="WipeDue">The session's device was deauthorised while the session was open (or it signed in again while
/// revoked) and the sealed wipe answer has not gone out yet (ADR 0012).</param>
/// <param name="DeviceRevokedAt">Unix ms of the device's deauthorisation, if any.</param>
/// <param name="MfaLevel"><c>not_required</c>, <c>pending</c> or <c>satisfied</c> (a factor presented, or a device remembered for it).</param>
internal sealed record SessionRecord(
    string SessionId,
    string MemberId,
    string DeviceId,
    byte[] SessionKey,
    long CreatedAt,
    long LastUsedAt,
    long ExpiresAt,
    long IdleTimeoutMs,
    bool MfaSatisfied,
    bool Revoked,
    bool Confirmed = true,
    bool WipeDue = false,
    long? DeviceRevokedAt = null,
    string MfaLevel = "not_required")
{
    public bool IsUsableAt(long now) => !Revoked && now < ExpiresAt && now - LastUsedAt < IdleTimeoutMs;

    /// <summary>
    /// Whether the next authentic request gets the sealed wipe answer. The idle timeout does not apply: a stolen laptop
    /// opened an hour later must still hear it. The absolute lifetime does, because the key is kept only until then.
    /// </summary>
    public bool IsWipeDueAt(long now) => WipeDue && now < ExpiresAt;
}

/// <summary>Where sessions live (the database, shared by every node).</summary>
internal interface ISessionStore
{
    Task<SessionRecord?> FindAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>Records use (the idle timer); implementations may skip writes closer together than a few seconds.</summary>
    Task TouchAsync(SessionRecord session, long now, CancellationToken cancellationToken);

    /// <summary>
    /// Records that the session's wipe answer goes out, with its activity-log event, in one transaction. False when
    /// it already went out (another request or node was first): that request gets a plain 401 instead.
    /// </summary>
    Task<bool> MarkWipeSentAsync(SessionRecord session, AuditEntry delivered, long now, CancellationToken cancellationToken);
}
