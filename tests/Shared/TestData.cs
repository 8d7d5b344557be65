using System.Text.Json;

namespace Coffer.Testing;

/// <summary>Finds files under the repository's <c>testdata/</c> folder from any test's working directory.</summary>
internal static class TestData
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string RepoRoot => Root.Value;

    public static string PathOf(params string[] parts) => Path.Combine([Root.Value, "testdata", .. parts]);

    public static JsonDocument Json(params string[] parts) => JsonDocument.Parse(File.ReadAllBytes(PathOf(parts)));

    public static byte[] Hex(string hex) => Convert.FromHexString(hex);

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir, "Coffer.slnx")))
            {
                return dir;
            }
            dir = Path.GetDirectoryName(dir);
        }
        throw new InvalidOperationException("Could not find the repository root (Coffer.slnx) above " + AppContext.BaseDirectory);
    }
}
