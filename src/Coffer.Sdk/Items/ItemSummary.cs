namespace Coffer.Sdk.Items;

/// <summary>
/// What lists and search show of an item: its sealed overview, opened (PROTOCOL.md §9: lists use overviews; details are
/// opened on demand with <see cref="ItemLibrary.OpenItemAsync"/>). Immutable; <see cref="CloneOverview"/> gives an editable copy.
/// </summary>
public sealed class ItemSummary
{
    private readonly ItemOverview _overview;

    internal ItemSummary(string itemId, string vaultId, long version, ItemOverview overview)
    {
        ItemId = itemId;
        VaultId = vaultId;
        Version = version;
        _overview = overview;
        Urls = [.. overview.Urls.Select(u => u.Href)];
        Hosts = [.. overview.Urls.Select(u => u.Host()).OfType<string>().Distinct(StringComparer.Ordinal)];
        Tags = [.. overview.Tags];
    }

    /// <summary>The item id.</summary>
    public string ItemId { get; }

    /// <summary>Its vault.</summary>
    public string VaultId { get; }

    /// <summary>The item version this summary was opened from (the base of the next edit).</summary>
    public long Version { get; }

    /// <summary>One of <see cref="ItemCategories"/> (or a newer client's category).</summary>
    public string Category => _overview.Category;

    /// <summary>The title.</summary>
    public string Title => _overview.Title;

    /// <summary>The second line, or null.</summary>
    public string? Subtitle => _overview.Subtitle;

    /// <summary>The URLs, as written.</summary>
    public IReadOnlyList<string> Urls { get; }

    /// <summary>The hosts of the URLs, lower case, each once.</summary>
    public IReadOnlyList<string> Hosts { get; }

    /// <summary>The tags.</summary>
    public IReadOnlyList<string> Tags { get; }

    /// <summary>Marked as a favourite.</summary>
    public bool Favourite => _overview.Favourite;

    /// <summary>Archived (per the sealed overview, which the server's mirror was checked against).</summary>
    public bool Archived => _overview.Archived;

    /// <summary>In the trash (per the sealed overview).</summary>
    public bool Trashed => _overview.Trashed;

    /// <summary>When the writing client last changed it.</summary>
    public DateTimeOffset UpdatedAt => DateTimeOffset.FromUnixTimeMilliseconds(_overview.UpdatedAt);

    /// <summary>An editable copy of the whole overview, unknown keys included.</summary>
    public ItemOverview CloneOverview() => _overview.Clone();
}

/// <summary>An item opened in full: its summary, overview and details (the details hold secrets: drop them when done).</summary>
/// <param name="Summary">What lists show.</param>
/// <param name="Overview">An editable copy of the overview.</param>
/// <param name="Details">The details, opened now.</param>
public sealed record ItemContent(ItemSummary Summary, ItemOverview Overview, ItemDetails Details);

/// <summary>A vault as the library holds it.</summary>
/// <param name="VaultId">The vault id.</param>
/// <param name="Kind"><c>personal</c> or <c>shared</c>.</param>
/// <param name="Name">Its name, from the sealed attributes.</param>
/// <param name="KeySerial">The vault key serial its items are under.</param>
/// <param name="ContentVersion">The content version synced up to.</param>
/// <param name="ItemCount">Items cached (trashed and archived included).</param>
/// <param name="Permissions">What this member's grants allow (POLICY.md): clients enforce the view, copy and export ones.</param>
/// <param name="SafeForTravel">Whether the vault stays on devices in travel mode.</param>
public sealed record VaultSummary(string VaultId, string Kind, string Name, long KeySerial, long ContentVersion, int ItemCount,
    IReadOnlyList<string> Permissions, bool SafeForTravel);
