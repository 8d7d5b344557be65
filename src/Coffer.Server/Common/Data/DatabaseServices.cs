using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Data.Migrations;
using Microsoft.Data.Sqlite;

namespace Coffer.Server.Common.Data;

/// <summary>Chooses the engine from configuration and wires the database into the host.</summary>
internal static class DatabaseServices
{
    public const string SqliteProvider = "sqlite";
    public const string PostgresProvider = "postgres";

    /// <summary>
    /// Registers <see cref="IDatabase"/>, the readiness check (<c>SELECT 1</c>, tagged "ready") and the migrations
    /// that run before the server listens. Settings are checked here, so a wrong one stops <c>Build</c>.
    /// </summary>
    public static IServiceCollection AddCofferDatabase(this IServiceCollection services, CofferOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Func<IDatabase> create = Factory(options);
        services.AddSingleton(_ => create());
        services.AddHostedService<MigrateOnStart>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return services;
    }

    /// <summary>Opens the configured database without a web host (for <c>coffer-server migrate</c> and other commands).</summary>
    public static IDatabase Create(CofferOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Factory(options)();
    }

    /// <summary>
    /// The SQLite file the settings name (full path), or null when they name PostgreSQL. Unlike <see cref="Create"/> it
    /// creates nothing, so a command can tell a missing database from an empty one.
    /// </summary>
    public static string? SqliteFilePath(CofferOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ = Factory(options);
        string provider = options.Database.Provider?.Trim().ToLowerInvariant() ?? SqliteProvider;
        return provider == SqliteProvider ? Path.GetFullPath(SqlitePath(options.Database.ConnectionString, options.DataDirectory)) : null;
    }

    private static Func<IDatabase> Factory(CofferOptions options)
    {
        string provider = options.Database.Provider?.Trim().ToLowerInvariant() ?? SqliteProvider;
        string? connectionString = options.Database.ConnectionString;
        switch (provider)
        {
            case SqliteProvider:
                string path = SqlitePath(connectionString, options.DataDirectory);
                return () => new SqliteDatabase(path);
            case PostgresProvider:
                if (string.IsNullOrWhiteSpace(connectionString))
                {
                    throw new ConfigurationException(
                        "Coffer:Database:Provider is 'postgres' but Coffer:Database:ConnectionString is empty: give an Npgsql connection string (Host=…;Database=…;Username=…).");
                }
                try
                {
                    _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
                }
                catch (ArgumentException)
                {
                    // The connection string may hold a password: never repeat it.
                    throw new ConfigurationException("Coffer:Database:ConnectionString is not a valid Npgsql connection string.");
                }
                return () => new PostgresDatabase(connectionString);
            default:
                throw new ConfigurationException(
                    $"Coffer:Database:Provider is '{options.Database.Provider}'; it must be '{SqliteProvider}' (the default) or '{PostgresProvider}'.");
        }
    }

    /// <summary>A file path, or a Microsoft.Data.Sqlite connection string naming one; by default <c>&lt;DataDirectory&gt;/coffer.db</c>.</summary>
    private static string SqlitePath(string? connectionString, string dataDirectory)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return Path.Combine(dataDirectory, SqliteDatabase.DefaultFileName);
        }
        if (connectionString.Contains('=', StringComparison.Ordinal) && connectionString.Contains("source", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                string source = new SqliteConnectionStringBuilder(connectionString).DataSource;
                if (!string.IsNullOrWhiteSpace(source) && source != ":memory:")
                {
                    return source;
                }
            }
            catch (ArgumentException)
            {
                // Not a connection string after all: a path with '=' in it.
                return connectionString;
            }
            throw new ConfigurationException("Coffer:Database:ConnectionString must name a database file for SQLite (an in-memory database would lose everything).");
        }
        return connectionString;
    }
}
