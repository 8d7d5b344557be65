using System.Data;
using System.Data.Common;
using Npgsql;

namespace Coffer.Server.Common.Data;

/// <summary>
/// PostgreSQL, for several server nodes sharing one database: an Npgsql data source (pooled) built from the
/// configured connection string. Transactions run at READ COMMITTED.
/// </summary>
internal sealed class PostgresDatabase : IDatabase
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgresDatabase(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder = new(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "coffer-server";
        }
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public DatabaseEngine Engine => DatabaseEngine.Postgres;

    /// <summary>The pool itself, for what needs a dedicated connection of its own (the change listener's <c>LISTEN</c>).</summary>
    public NpgsqlDataSource DataSource => _dataSource;

    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    public async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            DbTransaction transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                T result = await work(connection, transaction).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
