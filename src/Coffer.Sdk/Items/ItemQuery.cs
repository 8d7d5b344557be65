namespace Coffer.Sdk.Items;

/// <summary>Which items a search wants, by state (an item in the trash is <see cref="Trashed"/> whether archived or not).</summary>
[Flags]
public enum ItemStates
{
    /// <summary>Neither archived nor trashed.</summary>
    Active = 1,

    /// <summary>Archived, not trashed.</summary>
    Archived = 2,

    /// <summary>In the trash.</summary>
    Trashed = 4,

    /// <summary>Every item.</summary>
    All = Active | Archived | Trashed,
}

/// <summary>
/// A search over the decrypted overviews (never the details): free text plus filters, all of which must hold.
/// Text is split at white space; every word must occur, case-insensitively (after Unicode compatibility normalisation),
/// somewhere in the title, subtitle, URL hosts, tags or category. Results come best first — the title starts with the
/// text, then the title holds every word, then the rest — and by title within each.
/// </summary>
public sealed record ItemQuery
{
    /// <summary>The words to look for; null or blank: every item the filters allow, by title.</summary>
    public string? Text { get; init; }

    /// <summary>Only this vault.</summary>
    public string? VaultId { get; init; }

    /// <summary>Only this category (<see cref="ItemCategories"/>).</summary>
    public string? Category { get; init; }

    /// <summary>Only items with this tag (case-insensitive).</summary>
    public string? Tag { get; init; }

    /// <summary>Only favourites (true) or only the others (false).</summary>
    public bool? Favourite { get; init; }

    /// <summary>Which states; default: active items only.</summary>
    public ItemStates States { get; init; } = ItemStates.Active;

    /// <summary>At most this many results; null: all.</summary>
    public int? Limit { get; init; }
}
