using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace Coffer.Testing.Databases;

/// <summary>
/// A real PostgreSQL for the tests, one per test process. With <c>COFFER_TEST_POSTGRES</c> set (a base
/// connection string whose user may create databases) that server is used; otherwise a throwaway cluster is
/// made from Debian's <c>postgresql</c> package (<c>/usr/lib/postgresql/&lt;version&gt;/bin</c>, which
/// <c>scripts/test</c> installs): a data directory under /tmp, trust authentication, listening on 127.0.0.1
/// only on a free port, stopped and deleted when the process exits or is killed (a watcher process outlives
/// it). PostgreSQL refuses to run as root, so as root its tools run as the <c>postgres</c> user. Never skipped: without PostgreSQL the tests fail, saying why.
/// Each test gets its own database (<see cref="CreateDatabaseAsync"/>), so tests are isolated and run in parallel.
/// </summary>
internal static class PostgresCluster
{
    public const string EnvironmentVariable = "COFFER_TEST_POSTGRES";

    private const string DirectoryPrefix = "coffer-pg-";
    private const string OwnerFile = "owner.pid";

    private static readonly Lazy<Task<string>> BaseConnection = new(StartAsync);

    /// <summary>Connection string of the maintenance database (<c>postgres</c>) of the test server.</summary>
    public static Task<string> BaseConnectionStringAsync() => BaseConnection.Value;

    /// <summary>Creates an empty database <c>coffer_t_&lt;random&gt;</c>; dispose the result to drop it.</summary>
    public static async Task<PostgresTestDatabase> CreateDatabaseAsync()
    {
        string baseConnectionString = await BaseConnectionStringAsync().ConfigureAwait(false);
        string name = "coffer_t_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        await ExecuteAsync(baseConnectionString, "CREATE DATABASE " + name).ConfigureAwait(false);
        string connectionString = new NpgsqlConnectionStringBuilder(baseConnectionString) { Database = name }.ConnectionString;
        return new PostgresTestDatabase(name, connectionString, baseConnectionString);
    }

    internal static async Task ExecuteAsync(string connectionString, string sql)
    {
        NpgsqlConnection connection = new(connectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync().ConfigureAwait(false);
            NpgsqlCommand command = new(sql, connection);
            await using (command.ConfigureAwait(false))
            {
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<string> StartAsync()
    {
        string? external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return external;
        }
        string bin = FindBinDirectory();
        bool asRoot = string.Equals(Environment.UserName, "root", StringComparison.Ordinal);
        StopAbandonedClusters(bin, asRoot);

        string root = asRoot
            ? Run(asRoot, bin, Path.GetTempPath(), "mktemp", "-d", Path.Combine(Path.GetTempPath(), DirectoryPrefix + "XXXXXXXX")).Trim()
            : Directory.CreateTempSubdirectory(DirectoryPrefix).FullName;
        await File.WriteAllTextAsync(Path.Combine(root, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        StartReaper(bin, asRoot, root);
        string data = Path.Combine(root, "data");
        Run(asRoot, bin, root, Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync");

        // A free port can be taken between our probe and the server's bind: try a few.
        for (int attempt = 1; ; attempt++)
        {
            int port = FreePort();
            // Durability is pointless for a throwaway cluster: fsync off keeps CREATE DATABASE fast.
            string options = string.Create(CultureInfo.InvariantCulture,
                $"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300");
            try
            {
                Run(asRoot, bin, root, Path.Combine(bin, "pg_ctl"), "-D", data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "-o", options, "start");
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                continue;
            }
            AppDomain.CurrentDomain.ProcessExit += (_, _) => StopServer(bin, asRoot, root);
            return new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1",
                Port = port,
                Username = "postgres",
                Database = "postgres",
                // Many small databases, each with its own pool: keep idle connections few.
                MaxPoolSize = 20,
            }.ConnectionString;
        }
    }

    private static string FindBinDirectory()
    {
        const string parent = "/usr/lib/postgresql";
        string? bin = Directory.Exists(parent)
            ? Directory.GetDirectories(parent)
                .Where(d => File.Exists(Path.Combine(d, "bin", "initdb")) && File.Exists(Path.Combine(d, "bin", "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : 0)
                .Select(d => Path.Combine(d, "bin"))
                .FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb). Run scripts/test, which installs Debian's " +
            $"postgresql package, or set {EnvironmentVariable} to a connection string of a server where the user may create databases.");
    }

    private static int FreePort()
    {
        using TcpListener listener = new(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static void StopServer(string bin, bool asRoot, string root)
    {
        try
        {
            Run(asRoot, bin, root, Path.Combine(bin, "pg_ctl"), "-D", Path.Combine(root, "data"), "-m", "immediate", "-w", "stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
    }

    /// <summary>
    /// A small shell process that outlives us: when this test process is gone — exited, or killed before its exit
    /// handler could run — it stops the server and deletes the cluster's directory.
    /// </summary>
    private static void StartReaper(string bin, bool asRoot, string root)
    {
        string script = string.Create(CultureInfo.InvariantCulture, $"""
            exec </dev/null >/dev/null 2>&1
            while [ -d /proc/{Environment.ProcessId} ]; do sleep 1; done
            '{Path.Combine(bin, "pg_ctl")}' -D '{Path.Combine(root, "data")}' -m immediate -w stop
            rm -rf '{root}'
            """);
        ProcessStartInfo start = new(asRoot ? "runuser" : "/bin/sh") { WorkingDirectory = root };
        foreach (string a in asRoot ? (string[])["-u", "postgres", "--", "/bin/sh", "-c", script] : ["-c", script])
        {
            start.ArgumentList.Add(a);
        }
        using Process reaper = Process.Start(start) ?? throw new InvalidOperationException("could not start the cluster's reaper");
    }

    /// <summary>Stops clusters left behind by test processes that were killed before their exit handler ran.</summary>
    private static void StopAbandonedClusters(string bin, bool asRoot)
    {
        foreach (string root in Directory.GetDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            string ownerFile = Path.Combine(root, OwnerFile);
            if (!File.Exists(ownerFile) || !int.TryParse(File.ReadAllText(ownerFile), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || IsAlive(pid))
            {
                continue;
            }
            try
            {
                // The dead process's own reaper may be removing the same cluster right now: whoever is second finds nothing.
                StopServer(bin, asRoot, root);
                Directory.Delete(root, recursive: true);
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using Process process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Runs a PostgreSQL tool (as the postgres user when we are root); throws with its output when it fails.</summary>
    private static string Run(bool asRoot, string bin, string workingDirectory, string program, params string[] args)
    {
        ProcessStartInfo start = new(asRoot ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        if (asRoot)
        {
            foreach (string a in (string[])["-u", "postgres", "--", program])
            {
                start.ArgumentList.Add(a);
            }
        }
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + program);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException(program + " did not finish in 2 minutes");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        }
        return stdout.Result;
    }
}

/// <summary>A database of its own for one test on the test PostgreSQL; dropped on dispose.</summary>
internal sealed class PostgresTestDatabase(string name, string connectionString, string baseConnectionString) : IAsyncDisposable
{
    public string Name { get; } = name;

    public string ConnectionString { get; } = connectionString;

    public async ValueTask DisposeAsync() =>
        await PostgresCluster.ExecuteAsync(baseConnectionString, $"DROP DATABASE IF EXISTS {Name} WITH (FORCE)").ConfigureAwait(false);
}
