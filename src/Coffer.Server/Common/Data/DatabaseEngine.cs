namespace Coffer.Server.Common.Data;

/// <summary>The two database engines Coffer runs on; stores pick their SQL by it where the dialects differ.</summary>
internal enum DatabaseEngine
{
    /// <summary>One machine: a file in WAL mode (the default).</summary>
    Sqlite,

    /// <summary>Many machines: one shared PostgreSQL.</summary>
    Postgres,
}
