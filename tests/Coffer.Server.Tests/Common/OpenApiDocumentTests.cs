using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Coffer.Server.Tests.Common;

/// <summary>
/// The OpenAPI document is committed (docs/openapi/v1.json) so API changes show in diffs. This test
/// fails when the served document differs; `scripts/openapi` (COFFER_UPDATE_OPENAPI=1) rewrites it.
/// </summary>
public class OpenApiDocumentTests
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public async Task ServedDocument_MatchesCommittedDocument()
    {
        await using ServerHost server = await ServerHost.StartAsync();
        string served = await server.Client.GetStringAsync("/openapi/v1.json");
        JsonNode document = JsonNode.Parse(served)!;
        document.AsObject().Remove("servers");
        string normalized = document.ToJsonString(Indented).ReplaceLineEndings("\n") + "\n";
        string path = Path.Combine(TestData.RepoRoot, "docs", "openapi", "v1.json");

        if (Environment.GetEnvironmentVariable("COFFER_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(path, normalized);
        }
        Assert.True(File.Exists(path), "docs/openapi/v1.json is missing: run scripts/openapi");
        string committed = await File.ReadAllTextAsync(path);
        Assert.True(committed == normalized, "The API changed: run scripts/openapi and commit docs/openapi/v1.json.");
    }
}
