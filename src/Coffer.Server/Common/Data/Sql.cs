using System.Data.Common;
using Dapper;

namespace Coffer.Server.Common.Data;

/// <summary>Dapper calls with the transaction and cancellation passed every time, so no statement runs outside its unit of work.</summary>
internal static class Sql
{
    public static Task<int> ExecAsync(this DbConnection c, DbTransaction? tx, string sql, object? args, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(sql, args, tx, cancellationToken: ct));

    public static Task<T?> OneAsync<T>(this DbConnection c, DbTransaction? tx, string sql, object? args, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<T>(new CommandDefinition(sql, args, tx, cancellationToken: ct));

    public static async Task<List<T>> ListAsync<T>(this DbConnection c, DbTransaction? tx, string sql, object? args, CancellationToken ct) =>
        [.. await c.QueryAsync<T>(new CommandDefinition(sql, args, tx, cancellationToken: ct))];

    public static Task<T?> ScalarAsync<T>(this DbConnection c, DbTransaction? tx, string sql, object? args, CancellationToken ct) =>
        c.ExecuteScalarAsync<T>(new CommandDefinition(sql, args, tx, cancellationToken: ct));
}
