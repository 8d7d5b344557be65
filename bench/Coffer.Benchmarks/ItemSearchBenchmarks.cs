using BenchmarkDotNet.Attributes;
using Coffer.Sdk.Items;

namespace Coffer.Benchmarks;

/// <summary>
/// Search over overviews already decrypted (PROTOCOL.md §9; issue 4's target: 100 000 overviews in at most 50 ms): the
/// in-memory index of the SDK's item library, over synthetic overviews with titles, subtitles, URL hosts and tags.
/// </summary>
[MemoryDiagnoser]
public class ItemSearchBenchmarks
{
    private static readonly string[] Words =
    [
        "payroll", "github", "supplier", "portal", "database", "replica", "press", "office", "social", "media", "wifi", "printer",
        "finance", "grants", "reporting", "deploy", "staging", "production", "backup", "vpn", "router", "firewall", "mail", "relay",
        "ministry", "archive", "license", "cloud", "storage", "bucket", "analytics", "helpdesk", "ticketing", "intranet", "wiki",
        "calendar", "phone", "badge", "door", "camera",
    ];

    private static readonly string[] Tags = ["ops", "finance", "press", "it", "shared", "legacy", "travel", "admin"];

    private ItemIndex _index = null!;

    [Params(100_000)]
    public int Items { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _index = new ItemIndex();
        _index.PutAll(Enumerable.Range(0, Items).Select(Synthetic));
        // Builds the title order once, as the first search after a sync would.
        _index.Search(new ItemQuery { Text = "warm" });
    }

    [Benchmark(Description = "one rare word (\"camera\")")]
    public int RareWord() => _index.Search(new ItemQuery { Text = "camera" }).Count;

    [Benchmark(Description = "two common words (\"portal prod\")")]
    public int TwoWords() => _index.Search(new ItemQuery { Text = "portal prod" }).Count;

    [Benchmark(Description = "a host fragment (\"example.net\")")]
    public int Host() => _index.Search(new ItemQuery { Text = "example.net" }).Count;

    [Benchmark(Description = "tag filter, no text")]
    public int Tag() => _index.Search(new ItemQuery { Tag = "finance" }).Count;

    [Benchmark(Description = "no match")]
    public int NoMatch() => _index.Search(new ItemQuery { Text = "zzzz" }).Count;

    /// <summary>Deterministic synthetic overviews (no randomness needed: spread by multiplying with primes).</summary>
    internal static ItemSummary Synthetic(int i)
    {
        string first = Words[i % Words.Length];
        string second = Words[(int)((long)i * 7919 % Words.Length)];
        string third = Words[(int)((long)i * 104_729 % Words.Length)];
        ItemOverview overview = new()
        {
            Category = ItemCategories.All[i % ItemCategories.All.Count],
            Title = $"{first} {second} {i}",
            Subtitle = $"{third}.user{i % 997}@example.org",
            Urls = [new ItemUrl { Href = $"https://{second}-{i % 503}.{(i % 2 == 0 ? "example.net" : "example.com")}/login" }],
            Tags = [Tags[i % Tags.Length], Tags[(i * 31) % Tags.Length]],
            Favourite = i % 50 == 0,
            Archived = i % 40 == 0,
            Trashed = i % 97 == 0,
            UpdatedAt = 1_767_225_600_000 + i,
        };
        if (overview.Tags[0] == overview.Tags[1])
        {
            overview.Tags.RemoveAt(1);
        }
        return new ItemSummary(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"0190a1b2-0000-7000-8000-{i:x12}"),
            "0190a1b2-0000-7000-8000-00000000000v", 1, overview);
    }
}
