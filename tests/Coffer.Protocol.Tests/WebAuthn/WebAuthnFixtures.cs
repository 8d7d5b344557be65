using System.Text.Json;
using Coffer.Protocol.Encoding;

namespace Coffer.Protocol.Tests.WebAuthn;

// testdata/webauthn/fixtures.json, made by tests/node/webauthn/make-fixtures.mjs (see its README).
internal static class WebAuthnFixtures
{
    private static readonly Lazy<JsonDocument> Document = new(() => TestData.Json("webauthn", "fixtures.json"));

    public static string RpId => Root.GetProperty("rpId").GetString()!;

    public static string Origin => Root.GetProperty("origin").GetString()!;

    private static JsonElement Root => Document.Value.RootElement;

    public static string[] NameList(string list) =>
        [.. Root.GetProperty(list).EnumerateArray().Select(f => f.GetProperty("name").GetString()!)];

    public static TheoryData<string> Names(string list) => new(NameList(list));

    public static JsonElement Get(string list, string name) =>
        Root.GetProperty(list).EnumerateArray().Single(f => f.GetProperty("name").GetString() == name);

    public static byte[] Bytes(JsonElement fixture, string field) => Base64Url.Decode(fixture.GetProperty(field).GetString()!);
}
