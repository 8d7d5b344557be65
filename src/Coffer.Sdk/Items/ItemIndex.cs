using System.Text;

namespace Coffer.Sdk.Items;

/// <summary>
/// The in-memory index over decrypted overviews (PROTOCOL.md §9, ARCHITECTURE.md "Fast at any size"): per item a folded
/// (NFKC, lower-case) title and one folded text of title, subtitle, URL hosts, tags and category, kept in title order, so a
/// search is one linear scan of ordinal substring tests with no sorting. Thread-safe.
/// </summary>
internal sealed class ItemIndex
{
    private static readonly char[] Separators = [' ', '\t', '\r', '\n', '\u00a0'];

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private Entry[]? _ordered;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public void Put(ItemSummary summary)
    {
        Entry entry = new(summary);
        lock (_lock)
        {
            _entries[summary.ItemId] = entry;
            _ordered = null;
        }
    }

    public void PutAll(IEnumerable<ItemSummary> summaries)
    {
        List<Entry> entries = [.. summaries.Select(s => new Entry(s))];
        lock (_lock)
        {
            foreach (Entry entry in entries)
            {
                _entries[entry.Summary.ItemId] = entry;
            }
            _ordered = null;
        }
    }

    public void Remove(string itemId)
    {
        lock (_lock)
        {
            if (_entries.Remove(itemId))
            {
                _ordered = null;
            }
        }
    }

    public void RemoveVault(string vaultId)
    {
        lock (_lock)
        {
            foreach (string id in _entries.Values.Where(e => e.Summary.VaultId == vaultId).Select(e => e.Summary.ItemId).ToList())
            {
                _entries.Remove(id);
            }
            _ordered = null;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            _ordered = null;
        }
    }

    public ItemSummary? Find(string itemId)
    {
        lock (_lock)
        {
            return _entries.GetValueOrDefault(itemId)?.Summary;
        }
    }

    public List<ItemSummary> Search(ItemQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        string phrase = Fold((query.Text ?? "").Trim());
        string[] words = phrase.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
        string? tag = query.Tag is null ? null : Fold(query.Tag.Trim());
        List<ItemSummary> first = [];
        List<ItemSummary> second = [];
        List<ItemSummary> rest = [];
        lock (_lock)
        {
            _ordered ??= [.. _entries.Values.OrderBy(e => e.Title, StringComparer.Ordinal).ThenBy(e => e.Summary.ItemId, StringComparer.Ordinal)];
            foreach (Entry entry in _ordered)
            {
                ItemSummary s = entry.Summary;
                if ((query.VaultId is not null && !string.Equals(s.VaultId, query.VaultId, StringComparison.Ordinal))
                    || (query.Category is not null && !string.Equals(s.Category, query.Category, StringComparison.Ordinal))
                    || (query.Favourite is bool favourite && s.Favourite != favourite)
                    || (query.States & StateOf(s)) == 0
                    || (tag is not null && Array.IndexOf(entry.Tags, tag) < 0)
                    || !ContainsAll(entry.Text, words))
                {
                    continue;
                }
                if (words.Length == 0 || entry.Title.StartsWith(phrase, StringComparison.Ordinal))
                {
                    first.Add(s);
                }
                else if (ContainsAll(entry.Title, words))
                {
                    second.Add(s);
                }
                else
                {
                    rest.Add(s);
                }
            }
        }
        first.AddRange(second);
        first.AddRange(rest);
        if (query.Limit is int limit && first.Count > limit)
        {
            first.RemoveRange(Math.Max(limit, 0), first.Count - Math.Max(limit, 0));
        }
        return first;
    }

    private static ItemStates StateOf(ItemSummary s) => s.Trashed ? ItemStates.Trashed : s.Archived ? ItemStates.Archived : ItemStates.Active;

    private static bool ContainsAll(string text, string[] words)
    {
        foreach (string word in words)
        {
            if (!text.Contains(word, StringComparison.Ordinal))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Case and compatibility folding: "Ｆｉｌｅ" and "file", "É" written either way, match.</summary>
    internal static string Fold(string text)
    {
        try
        {
            return text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            // A lone surrogate cannot be normalised; it still compares by its code units.
            return text.ToLowerInvariant();
        }
    }

    private sealed class Entry
    {
        public Entry(ItemSummary summary)
        {
            Summary = summary;
            Title = Fold(summary.Title);
            Tags = [.. summary.Tags.Select(t => Fold(t.Trim()))];
            StringBuilder text = new(Title);
            text.Append('\n').Append(Fold(summary.Subtitle ?? ""));
            foreach (string host in summary.Hosts)
            {
                text.Append('\n').Append(host);
            }
            foreach (string t in Tags)
            {
                text.Append('\n').Append(t);
            }
            text.Append('\n').Append(Fold(summary.Category));
            Text = text.ToString();
        }

        public ItemSummary Summary { get; }

        public string Title { get; }

        public string[] Tags { get; }

        public string Text { get; }
    }
}
