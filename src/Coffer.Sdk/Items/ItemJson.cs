using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Coffer.Sdk.Items;

/// <summary>
/// The JSON of item plaintext (PROTOCOL.md §4.1): camelCase, nulls left out, strings escaped only where JSON requires it
/// (so a non-ASCII title costs its UTF-8 bytes against the 64 KiB cap, not six per character).
/// </summary>
internal static class ItemJson
{
    public static ItemJsonContext Context { get; } = new(new JsonSerializerOptions(ItemJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static T Parse<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> type, string what)
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(json, type);
        }
        catch (JsonException e)
        {
            // The path says where; the message never repeats a value.
            throw new ItemValidationException([new ItemProblem(what + (e.Path is { Length: > 1 } p ? p[1..] : ""), "is not valid item JSON")]);
        }
        return value ?? throw new ItemValidationException([new ItemProblem(what, "must be a JSON object")]);
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    AllowTrailingCommas = false,
    NumberHandling = JsonNumberHandling.Strict,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(ItemOverview))]
[JsonSerializable(typeof(ItemDetails))]
internal sealed partial class ItemJsonContext : JsonSerializerContext;
