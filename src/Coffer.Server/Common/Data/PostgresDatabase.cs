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

    public async ValueTask<T?> QueryOneAsync<T>(HotQuery<T> query, object?[] values, CancellationToken cancellationToken) where T : class
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != query.Parameters.Length)
        {
            throw new ArgumentException("One value per parameter of the query.", nameof(values));
        }
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            NpgsqlCommand command = new(query.Sql, connection);
            await using (command.ConfigureAwait(false))
            {
                for (int i = 0; i < values.Length; i++)
                {
                    command.Parameters.AddWithValue(query.Parameters[i], values[i] ?? DBNull.Value);
                }
                // Npgsql keeps an explicitly prepared statement on the physical connection; preparing the same text again
                // on it finds the one already there, so only a connection's first run pays the parse and plan.
                await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
                DbDataReader reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? query.Read(reader) : null;
                }
            }
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
