using System.Text;

namespace Coffer.Sdk.Items;

/// <summary>
/// The in-memory index over decrypted overviews (PROTOCOL.md §9, ARCHITECTURE.md "Fast at any size"). Per item it keeps a
/// folded (NFKC, lower-case) text of title, subtitle, URL hosts, tags and category. A search works on a snapshot, rebuilt
/// after any change on the next search: every item in title order, all their texts in one buffer (so finding the items
/// that hold the longest word is one vectorised scan, not one call per item) and the filters as arrays of small numbers
/// (so filtering never chases a pointer). Results come out already in order: no sorting per search. Thread-safe.
/// </summary>
internal sealed class ItemIndex
{
    private static readonly char[] Separators = [' ', '\t', '\r', '\n', '\u00a0'];

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private Snapshot? _snapshot;

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

    public void Put(ItemSummary summary) => PutAll([summary]);

    public void PutAll(IEnumerable<ItemSummary> summaries)
    {
        List<Entry> entries = [.. summaries.Select(s => new Entry(s))];
        lock (_lock)
        {
            foreach (Entry entry in entries)
            {
                _entries[entry.Summary.ItemId] = entry;
            }
            _snapshot = null;
        }
    }

    public void Remove(string itemId)
    {
        lock (_lock)
        {
            if (_entries.Remove(itemId))
            {
                _snapshot = null;
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
            _snapshot = null;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            _snapshot = null;
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
        Snapshot snapshot;
        lock (_lock)
        {
            snapshot = _snapshot ??= Snapshot.Of(_entries.Values);
        }
        // A snapshot never changes once built, so the scan runs outside the lock.
        return snapshot.Search(query, phrase, words);
    }

    /// <summary>The items whose title is <paramref name="title"/> once both are folded, in any state and vault.</summary>
    public List<ItemSummary> WithTitle(string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        string folded = Fold(title.Trim());
        Snapshot snapshot;
        lock (_lock)
        {
            snapshot = _snapshot ??= Snapshot.Of(_entries.Values);
        }
        return snapshot.WithTitle(folded);
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

    private static ItemStates StateOf(ItemSummary s) => s.Trashed ? ItemStates.Trashed : s.Archived ? ItemStates.Archived : ItemStates.Active;

    private static bool ContainsAll(ReadOnlySpan<char> text, string[] words)
    {
        foreach (string word in words)
        {
            if (text.IndexOf(word, StringComparison.Ordinal) < 0)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>One item's folded texts, made once when it is put.</summary>
    private sealed class Entry
    {
        public Entry(ItemSummary summary)
        {
            Summary = summary;
            Title = Fold(summary.Title);
            Tags = [.. summary.Tags.Select(t => Fold(t.Trim())).Distinct(StringComparer.Ordinal)];
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

        /// <summary>Title first, then the rest, separated by line breaks (which no search word holds).</summary>
        public string Text { get; }
    }

    /// <summary>Every item at one moment, laid out for scanning; immutable.</summary>
    private sealed class Snapshot
    {
        private const byte Favourite = 8;

        private readonly ItemSummary[] _summaries;
        private readonly string[] _titles;
        private readonly char[] _buffer;
        private readonly int[] _starts;
        private readonly int[] _titleLengths;
        private readonly byte[] _flags;
        private readonly int[] _vaults;
        private readonly int[] _categories;
        private readonly int[] _tagStarts;
        private readonly int[] _tags;
        private readonly Dictionary<string, int> _vaultIds = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _categoryIds = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _tagIds = new(StringComparer.Ordinal);

        private Snapshot(Entry[] entries)
        {
            int n = entries.Length;
            _summaries = new ItemSummary[n];
            _titles = new string[n];
            _starts = new int[n + 1];
            _titleLengths = new int[n];
            _flags = new byte[n];
            _vaults = new int[n];
            _categories = new int[n];
            _tagStarts = new int[n + 1];
            List<int> tags = [];
            int length = 0;
            for (int i = 0; i < n; i++)
            {
                Entry e = entries[i];
                _summaries[i] = e.Summary;
                _titles[i] = e.Title;
                _starts[i] = length;
                length += e.Text.Length + 1;
                _titleLengths[i] = e.Title.Length;
                _flags[i] = (byte)((int)StateOf(e.Summary) | (e.Summary.Favourite ? Favourite : 0));
                _vaults[i] = Id(_vaultIds, e.Summary.VaultId);
                _categories[i] = Id(_categoryIds, e.Summary.Category);
                _tagStarts[i] = tags.Count;
                tags.AddRange(e.Tags.Select(t => Id(_tagIds, t)));
            }
            _starts[n] = length;
            _tagStarts[n] = tags.Count;
            _tags = [.. tags];
            _buffer = new char[length];
            for (int i = 0; i < n; i++)
            {
                entries[i].Text.CopyTo(_buffer.AsSpan(_starts[i]));
                _buffer[_starts[i + 1] - 1] = '\n';
            }
        }

        public static Snapshot Of(IEnumerable<Entry> all) =>
            new([.. all.OrderBy(e => e.Title, StringComparer.Ordinal).ThenBy(e => e.Summary.ItemId, StringComparer.Ordinal)]);

        /// <summary>The entries titled exactly so (folded): a binary search of the titles, which the snapshot keeps in order.</summary>
        public List<ItemSummary> WithTitle(string folded)
        {
            int low = 0;
            int high = _titles.Length;
            while (low < high)
            {
                int middle = low + ((high - low) / 2);
                if (string.CompareOrdinal(_titles[middle], folded) < 0)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }
            List<ItemSummary> found = [];
            for (int i = low; i < _titles.Length && string.Equals(_titles[i], folded, StringComparison.Ordinal); i++)
            {
                found.Add(_summaries[i]);
            }
            return found;
        }

        public List<ItemSummary> Search(ItemQuery query, string phrase, string[] words)
        {
            List<ItemSummary> first = [];
            List<ItemSummary> second = [];
            List<ItemSummary> rest = [];
            int vault = query.VaultId is null ? -1 : _vaultIds.GetValueOrDefault(query.VaultId, int.MinValue);
            int category = query.Category is null ? -1 : _categoryIds.GetValueOrDefault(query.Category, int.MinValue);
            int tag = query.Tag is null ? -1 : _tagIds.GetValueOrDefault(Fold(query.Tag.Trim()), int.MinValue);
            if (vault == int.MinValue || category == int.MinValue || tag == int.MinValue)
            {
                return first;
            }
            int states = (int)query.States;
            string? longest = words.Length == 0 ? null : words.MaxBy(w => w.Length);
            int next = 0;
            while (next < _summaries.Length)
            {
                int i = next;
                if (longest is not null)
                {
                    // The next item holding the longest word, found by one scan of the buffer from here.
                    int found = _buffer.AsSpan(_starts[i]).IndexOf(longest, StringComparison.Ordinal);
                    if (found < 0)
                    {
                        break;
                    }
                    i = EntryAt(_starts[i] + found);
                }
                next = i + 1;
                if ((_flags[i] & states) == 0
                    || (vault >= 0 && _vaults[i] != vault)
                    || (category >= 0 && _categories[i] != category)
                    || (query.Favourite is bool favourite && ((_flags[i] & Favourite) != 0) != favourite)
                    || (tag >= 0 && Array.IndexOf(_tags, tag, _tagStarts[i], _tagStarts[i + 1] - _tagStarts[i]) < 0))
                {
                    continue;
                }
                ReadOnlySpan<char> text = _buffer.AsSpan(_starts[i], _starts[i + 1] - _starts[i] - 1);
                if (words.Length > 1 && !ContainsAll(text, words))
                {
                    continue;
                }
                ReadOnlySpan<char> title = text[.._titleLengths[i]];
                if (words.Length == 0 || title.StartsWith(phrase, StringComparison.Ordinal))
                {
                    first.Add(_summaries[i]);
                }
                else if (ContainsAll(title, words))
                {
                    second.Add(_summaries[i]);
                }
                else
                {
                    rest.Add(_summaries[i]);
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

        private int EntryAt(int position)
        {
            int found = Array.BinarySearch(_starts, position);
            return found >= 0 ? found : ~found - 1;
        }

        private static int Id(Dictionary<string, int> ids, string value)
        {
            if (!ids.TryGetValue(value, out int id))
            {
                ids[value] = id = ids.Count;
            }
            return id;
        }
    }
}
