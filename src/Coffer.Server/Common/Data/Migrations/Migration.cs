using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Coffer.Server.Common.Data.Migrations;

/// <summary>
/// One hand-written schema change, <c>migrations/&lt;engine&gt;/NNNN_name.sql</c> at the repository root,
/// embedded in the server. Once applied anywhere it is never edited: its checksum is recorded and compared.
/// </summary>
internal sealed partial record Migration
{
    public Migration(int version, string name, string sql)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(sql);
        Version = version;
        Name = name;
        Sql = sql;
        Checksum = ChecksumOf(sql);
    }

    public int Version { get; }

    public string Name { get; }

    public string Sql { get; }

    /// <summary>SHA-256 of the SQL with line endings made LF (a Windows checkout must not look like an edit), lowercase hex.</summary>
    public string Checksum { get; }

    /// <summary>How people see it: <c>0001_initial</c>.</summary>
    public string Id => string.Create(CultureInfo.InvariantCulture, $"{Version:D4}_{Name}");

    public override string ToString() => Id;

    /// <summary>The migrations of one engine embedded in this server, in order, checked to run 1, 2, 3… without gaps.</summary>
    public static IReadOnlyList<Migration> For(DatabaseEngine engine)
    {
        string folder = engine switch
        {
            DatabaseEngine.Sqlite => "sqlite",
            DatabaseEngine.Postgres => "postgres",
            _ => throw new ArgumentOutOfRangeException(nameof(engine)),
        };
        string prefix = "migrations/" + folder + "/";
        Assembly assembly = typeof(Migration).Assembly;
        List<Migration> migrations = [];
        foreach (string resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }
            Match match = FileName().Match(resource[prefix.Length..]);
            if (!match.Success)
            {
                throw new InvalidOperationException($"Embedded migration '{resource}' is not named NNNN_name.sql (lowercase letters, digits, underscores).");
            }
            using Stream stream = assembly.GetManifestResourceStream(resource)!;
            using StreamReader reader = new(stream, Encoding.UTF8);
            migrations.Add(new Migration(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value, reader.ReadToEnd()));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        CheckSequence(migrations);
        return migrations;
    }

    /// <summary>Versions must be 1, 2, 3… so a missing or duplicated file is caught before anything runs.</summary>
    public static void CheckSequence(IReadOnlyList<Migration> migrations)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        for (int i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException(
                    $"Migrations must be numbered 1, 2, 3… without gaps or repeats; found {migrations[i].Id} at position {i + 1}.");
            }
        }
    }

    private static string ChecksumOf(string sql)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(sql.Replace("\r\n", "\n", StringComparison.Ordinal));
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    [GeneratedRegex(@"^(\d{4})_([a-z0-9_]+)\.sql$", RegexOptions.CultureInvariant)]
    private static partial Regex FileName();
}
