using System.Data.Common;

namespace Coffer.Server.Common.Data;

/// <summary>
/// The one way to the database, whichever engine: pooled connections, and units of work that commit or
/// roll back as a whole. Stores use Dapper on what this hands out.
/// </summary>
internal interface IDatabase : IAsyncDisposable
{
    DatabaseEngine Engine { get; }

    /// <summary>An open connection from the pool, ready to use (per-connection settings applied); dispose it to return it.</summary>
    ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction and commits it; if the work throws, nothing it wrote stays.
    /// SQLite: <c>BEGIN IMMEDIATE</c>, so writers queue on the busy timeout instead of failing when a read
    /// transaction tries to become a write one. PostgreSQL: READ COMMITTED; stores that need an order take
    /// row locks themselves (<c>SELECT … FOR UPDATE</c>). Every command in the work must be given the transaction,
    /// and the work must not start another unit of work (on SQLite it would wait for its own lock, then fail).
    /// </summary>
    Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="InTransactionAsync{T}"/> for a write that nothing this node caches depends on (activity-log appends, a
    /// session's last-use time): on SQLite it does not advance <see cref="SqliteDatabase.WriteGeneration"/>, so it does not
    /// empty the session cache (docs/adr/0023).
    /// </summary>
    Task<T> InQuietTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        InTransactionAsync(work, cancellationToken);

    /// <summary>
    /// Runs a hot single-row read outside any transaction (it sees the latest commit) on a connection that keeps the
    /// statement prepared, and returns the first row or null. <paramref name="values"/> go to the query's parameters in order.
    /// </summary>
    ValueTask<T?> QueryOneAsync<T>(HotQuery<T> query, object?[] values, CancellationToken cancellationToken) where T : class;
}

internal static class DatabaseExtensions
{
    /// <summary><see cref="IDatabase.InTransactionAsync{T}"/> for work that returns nothing.</summary>
    public static Task InTransactionAsync(this IDatabase database, Func<DbConnection, DbTransaction, Task> work, CancellationToken cancellationToken) =>
        database.InTransactionAsync<bool>(async (connection, transaction) =>
        {
            await work(connection, transaction).ConfigureAwait(false);
            return true;
        }, cancellationToken);
}
