namespace Coffer.Contracts.Common;

/// <summary><c>GET /api/v1/meta</c>: what a client needs before it speaks.</summary>
/// <param name="ProtocolVersion">The protocol version (1).</param>
/// <param name="ServerVersion">The server's version.</param>
/// <param name="RestoreEpoch">
/// How many times the server's data was restored from a backup (0 = never). Clients pin the highest they have seen: a
/// higher one means versions may have gone back, which they accept only after telling the person; a lower one is
/// refused (docs/adr/0013-restore-epoch.md).
/// </param>
/// <param name="RestoredAt">When the newest restore happened (Unix ms), or null.</param>
/// <param name="BackupTakenAt">When the backup that restore came from was taken (Unix ms), or null when unknown.</param>
public sealed record MetaResponse(
    [property: JsonRequired] int ProtocolVersion,
    [property: JsonRequired] string ServerVersion,
    [property: JsonRequired] long RestoreEpoch,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? RestoredAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? BackupTakenAt);
