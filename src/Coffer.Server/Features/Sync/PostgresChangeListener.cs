using System.Globalization;
using Coffer.Server.Common.Data;
using Npgsql;

namespace Coffer.Server.Features.Sync;

/// <summary>
/// On PostgreSQL, one dedicated connection per node that <c>LISTEN</c>s on <c>coffer_vaults</c>: every vault write sends
/// <c>NOTIFY coffer_vaults, '&lt;vaultId&gt;:&lt;version&gt;'</c> inside its transaction (delivered only if it commits), and this
/// publishes each to the node's event streams (account-feed appends send <c>account:&lt;memberId or *&gt;:&lt;seq&gt;</c> the same way) — so a client connected to node A hears a write made on node B
/// (ARCHITECTURE.md "Deployment"). A lost connection is reopened after a pause; what was sent meanwhile is missed,
/// which clients cover by syncing from their cursor when their stream reconnects.
/// </summary>
internal sealed partial class PostgresChangeListener(IDatabase database, VaultChanges changes, ILogger<PostgresChangeListener> log) : BackgroundService
{
    public const string Channel = "coffer_vaults";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (database is not PostgresDatabase postgres)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using NpgsqlConnection connection = await postgres.DataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => OnNotification(e.Payload);
                await using (NpgsqlCommand listen = new("LISTEN " + Channel, connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or System.IO.IOException)
            {
                LogLost(log, e);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private const string AccountPrefix = "account:";

    private const string Everyone = "*";

    /// <summary>The payload announcing an account-feed change: <c>account:&lt;memberId or *&gt;:&lt;seq&gt;</c>.</summary>
    public static string AccountPayload(AccountChange change) =>
        string.Create(CultureInfo.InvariantCulture, $"{AccountPrefix}{change.Audience ?? Everyone}:{change.Seq}");

    private void OnNotification(string payload)
    {
        if (payload.StartsWith(AccountPrefix, StringComparison.Ordinal))
        {
            string rest = payload[AccountPrefix.Length..];
            int split = rest.LastIndexOf(':');
            if (split > 0 && long.TryParse(rest.AsSpan(split + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long seq))
            {
                string audience = rest[..split];
                changes.Publish(new AccountChange(audience == Everyone ? null : audience, seq));
            }
            return;
        }
        int colon = payload.LastIndexOf(':');
        if (colon > 0 && long.TryParse(payload.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long version))
        {
            changes.Publish(new VaultChange(payload[..colon], version));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The change listener lost its PostgreSQL connection; reconnecting")]
    private static partial void LogLost(ILogger logger, Exception exception);
}
