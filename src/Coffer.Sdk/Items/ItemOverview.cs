using System.Text.Json;
using System.Text.Json.Serialization;

namespace Coffer.Sdk.Items;

/// <summary>
/// An item's overview (PROTOCOL.md §4.1), sealed apart from the details so that lists and search never open secrets:
/// <c>{v:1, category, title, subtitle, urls:[{href, label}], tags:[], favourite, archived, trashed, updatedAt}</c>.
/// Keys this client does not know are kept in <see cref="ExtensionData"/> and written back unchanged, so an edit by this
/// client never drops what a newer one added. Parse with <see cref="Parse"/>, write with <see cref="ToJson"/>, check with
/// <see cref="ItemValidation"/> before sealing.
/// </summary>
public sealed class ItemOverview
{
    /// <summary>The plaintext format version this client reads and writes.</summary>
    public const int CurrentFormat = 1;

    /// <summary>The format version (<c>v</c>); always <see cref="CurrentFormat"/> for what this client writes.</summary>
    [JsonPropertyName("v")]
    public int Format { get; set; } = CurrentFormat;

    /// <summary>One of <see cref="ItemCategories"/>.</summary>
    public string Category { get; set; } = ItemCategories.Login;

    /// <summary>What the item is called in lists.</summary>
    public string Title { get; set; } = "";

    /// <summary>A second line in lists (often the username or host), or null.</summary>
    public string? Subtitle { get; set; }

    /// <summary>Where the item is used; hosts are searchable.</summary>
    public List<ItemUrl> Urls { get; set; } = [];

    /// <summary>Free tags (compared case-insensitively, each once).</summary>
    public List<string> Tags { get; set; } = [];

    /// <summary>Shown first in lists.</summary>
    public bool Favourite { get; set; }

    /// <summary>Archived: kept, out of the way. The server's plaintext mirror must agree.</summary>
    public bool Archived { get; set; }

    /// <summary>In the trash, purged after the retention. The server's plaintext mirror must agree.</summary>
    public bool Trashed { get; set; }

    /// <summary>When the writing client last changed the item (Unix ms).</summary>
    public long UpdatedAt { get; set; }

    /// <summary>Keys this client does not know, kept as they were so an edit preserves them (PROTOCOL.md §4.1).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>Reads an overview's JSON.</summary>
    /// <exception cref="ItemValidationException">It is not an overview: not JSON, a known key of the wrong type.</exception>
    public static ItemOverview Parse(ReadOnlySpan<byte> json) => ItemJson.Parse(json, ItemJson.Context.ItemOverview, "overview");

    /// <summary>The overview as UTF-8 JSON (the plaintext that gets sealed).</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ItemJson.Context.ItemOverview);

    /// <summary>A deep copy (for editing without touching this one).</summary>
    public ItemOverview Clone() => Parse(ToJson());
}

/// <summary>One of an item's URLs: <c>{href, label}</c>.</summary>
public sealed class ItemUrl
{
    /// <summary>The URL (or a bare host).</summary>
    public string Href { get; set; } = "";

    /// <summary>What it is (<c>website</c>, <c>admin console</c>…), or null.</summary>
    public string? Label { get; set; }

    /// <summary>Keys this client does not know, preserved on edit.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>
    /// The host of <see cref="Href"/>, lower case, or null when it names none. A bare host (<c>example.org/login</c>) counts
    /// as an https URL.
    /// </summary>
    public string? Host()
    {
        string href = Href.Trim();
        if (href.Length == 0)
        {
            return null;
        }
        if ((Uri.TryCreate(href, UriKind.Absolute, out Uri? uri) && uri.Host.Length > 0)
            || (!href.Contains("://", StringComparison.Ordinal) && Uri.TryCreate("https://" + href, UriKind.Absolute, out uri) && uri.Host.Length > 0))
        {
            return uri.IdnHost.ToLowerInvariant();
        }
        return null;
    }
}
