namespace Coffer.Testing.Databases;

/// <summary>A fresh SQLite file path in a directory of its own under the temp folder; the directory is deleted on dispose.</summary>
internal sealed class SqliteTestFile : IDisposable
{
    public SqliteTestFile()
    {
        // Neither exists yet: whoever opens the database creates them, as coffer-server would.
        DirectoryPath = Path.Combine(Path.GetTempPath(), "coffer-sqlite-" + Guid.NewGuid().ToString("N"));
        FilePath = Path.Combine(DirectoryPath, "coffer.db");
    }

    public string DirectoryPath { get; }

    public string FilePath { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(DirectoryPath, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
