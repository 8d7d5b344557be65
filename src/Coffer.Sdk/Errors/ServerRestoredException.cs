using System.Globalization;

namespace Coffer.Sdk.Errors;

/// <summary>
/// The server says it was restored from a backup since this account last looked (a higher restore epoch than
/// pinned; docs/adr/0013-restore-epoch.md): changes made after the backup are gone from the server and items may be
/// back at older versions. Show <see cref="Exception.Message"/> to the person; continue only once they have seen it,
/// by passing this to <see cref="Restores.RestoreEpochCheck.Acknowledge"/>. The epoch is the server's word, not
/// anyone's signature, so the message says who to check with.
/// </summary>
public sealed class ServerRestoredException : CofferException
{
    /// <summary>Creates the exception with a default message (no restore details).</summary>
    public ServerRestoredException()
        : base("The server was restored from a backup.")
    {
    }

    /// <summary>Creates the exception with a message for a person.</summary>
    public ServerRestoredException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    public ServerRestoredException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a restore seen in the server's answer.</summary>
    /// <param name="pinnedEpoch">The restore epoch this account had accepted.</param>
    /// <param name="serverEpoch">The server's restore epoch.</param>
    /// <param name="restoredAt">When the newest restore happened, if the server says.</param>
    /// <param name="backupTakenAt">When its backup was taken, if known.</param>
    public ServerRestoredException(long pinnedEpoch, long serverEpoch, DateTimeOffset? restoredAt, DateTimeOffset? backupTakenAt)
        : base(Compose(restoredAt, backupTakenAt))
    {
        PinnedEpoch = pinnedEpoch;
        ServerEpoch = serverEpoch;
        RestoredAt = restoredAt;
        BackupTakenAt = backupTakenAt;
    }

    /// <summary>The restore epoch this account had accepted.</summary>
    public long PinnedEpoch { get; }

    /// <summary>The server's restore epoch (what <see cref="Restores.RestoreEpochCheck.Acknowledge"/> pins).</summary>
    public long ServerEpoch { get; }

    /// <summary>When the newest restore happened, if the server says.</summary>
    public DateTimeOffset? RestoredAt { get; }

    /// <summary>When the backup it came from was taken, if known.</summary>
    public DateTimeOffset? BackupTakenAt { get; }

    private static string Compose(DateTimeOffset? restoredAt, DateTimeOffset? backupTakenAt)
    {
        string on = restoredAt is { } r ? " on " + r.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "";
        string taken = backupTakenAt is { } t
            ? " taken " + t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)
            : "";
        return $"The server was restored from a backup{taken}{on}. Changes made after that backup are no longer on the server, "
            + "and items may be back at older versions. Continue only if your administrator told you about this restore.";
    }
}
