namespace Coffer.Server.Features.Sessions;

/// <summary>A session as the server keeps it: the SRP key K (the server half) and its lifetimes.</summary>
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
    bool Confirmed = true)
{
    public bool IsUsableAt(long now) => !Revoked && now < ExpiresAt && now - LastUsedAt < IdleTimeoutMs;
}

/// <summary>Where sessions live (the database, shared by every node).</summary>
internal interface ISessionStore
{
    Task<SessionRecord?> FindAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>Records use (the idle timer); implementations may skip writes closer together than a few seconds.</summary>
    Task TouchAsync(SessionRecord session, long now, CancellationToken cancellationToken);
}
