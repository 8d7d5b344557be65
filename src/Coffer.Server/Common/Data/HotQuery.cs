using System.Data.Common;

namespace Coffer.Server.Common.Data;

/// <summary>
/// A single-row read that runs on nearly every request (the session lookup, the item read). Stores declare one as a
/// static field, and each engine keeps it prepared per connection (<see cref="IDatabase.QueryOneAsync{T}"/>): parsing
/// and planning a statement, and Dapper's mapping on top, cost several times the read itself, and the session layer
/// pays them on every call (docs/performance.md "Server load").
/// </summary>
/// <typeparam name="T">The row, built from the reader by <see cref="Read"/>.</typeparam>
/// <param name="Sql">The statement, with <c>@name</c> parameters (the same text runs on both engines).</param>
/// <param name="Parameters">The parameter names, in the order the values are given.</param>
/// <param name="Read">Builds the row from the reader positioned on it; columns by ordinal, in the order of the SELECT.</param>
internal sealed record HotQuery<T>(string Sql, string[] Parameters, Func<DbDataReader, T> Read) where T : class;

/// <summary>Portable column readers for <see cref="HotQuery{T}"/> rows: SQLite's and PostgreSQL's providers agree on these.</summary>
internal static class HotColumns
{
    public static long? NullableInt64(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static byte[] Bytes(this DbDataReader reader, int ordinal) => reader.GetFieldValue<byte[]>(ordinal);
}
