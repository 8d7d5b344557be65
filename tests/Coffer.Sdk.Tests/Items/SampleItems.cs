using System.Text.Json.Nodes;
using Coffer.Sdk.Items;

namespace Coffer.Sdk.Tests.Items;

/// <summary>The sample items of testdata/items (PROTOCOL.md §4.1), one per category.</summary>
internal static class SampleItems
{
    public static IReadOnlyList<string> Files { get; } =
        ["login.json", "password.json", "secure_note.json", "api_credential.json", "server.json", "database.json", "ssh_key.json"];

    public static (JsonObject Overview, JsonObject Details) Json(string file)
    {
        JsonObject root = JsonNode.Parse(File.ReadAllBytes(TestData.PathOf("items", file)))!.AsObject();
        return (root["overview"]!.AsObject(), root["details"]!.AsObject());
    }

    public static (ItemOverview Overview, ItemDetails Details) Load(string file)
    {
        (JsonObject overview, JsonObject details) = Json(file);
        return (ItemOverview.Parse(System.Text.Encoding.UTF8.GetBytes(overview.ToJsonString())),
            ItemDetails.Parse(System.Text.Encoding.UTF8.GetBytes(details.ToJsonString())));
    }
}
