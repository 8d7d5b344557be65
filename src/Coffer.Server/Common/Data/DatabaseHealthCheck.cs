using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Coffer.Server.Common.Data;

/// <summary>Ready means the database answers: a pooled connection runs <c>SELECT 1</c>.</summary>
internal sealed class DatabaseHealthCheck(IDatabase database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            DbConnection connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                int one = await connection.ExecuteScalarAsync<int>(
                    new CommandDefinition("SELECT 1", cancellationToken: cancellationToken)).ConfigureAwait(false);
                return one == 1 ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The database answered oddly.");
            }
        }
        catch (Exception e) when (e is DbException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("The database did not answer.", e);
        }
    }
}
