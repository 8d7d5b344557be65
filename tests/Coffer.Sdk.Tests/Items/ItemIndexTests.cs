using Coffer.Sdk.Items;

namespace Coffer.Sdk.Tests.Items;

/// <summary>Search over decrypted overviews (PROTOCOL.md §9): words, folding, filters, states and order.</summary>
public class ItemIndexTests
{
    private static readonly ItemIndex Index = Build();

    [Theory]
    [InlineData("github", new[] { "a", "b" })]
    [InlineData("GITHUB deploy", new[] { "b" })]
    [InlineData("ｇｉｔｈｕｂ", new[] { "a", "b" })]
    [InlineData("café", new[] { "c" })]
    [InlineData("CAFÉ", new[] { "c" })]
    [InlineData("ops.example", new[] { "d" })]
    [InlineData("nowhere", new string[0])]
    public void Search_ByWords_FindsEveryItemHoldingAllOfThem_CaseAndWidthFolded(string text, string[] ids) =>
        Assert.Equal(ids.Order(StringComparer.Ordinal), Index.Search(new ItemQuery { Text = text }).Select(s => s.ItemId).Order(StringComparer.Ordinal));

    [Fact]
    public void Search_PutsTitlesStartingWithTheTextFirst_ThenTitlesHoldingEveryWord_ThenTheRest()
    {
        Assert.Equal(["a", "b", "e"], Index.Search(new ItemQuery { Text = "git" }).Select(s => s.ItemId));
    }

    [Fact]
    public void Search_WithFilters_AppliesEveryOne()
    {
        Assert.Equal(["b"], Index.Search(new ItemQuery { Tag = "DEPLOY" }).Select(s => s.ItemId));
        Assert.Equal(["d"], Index.Search(new ItemQuery { Category = ItemCategories.Server }).Select(s => s.ItemId));
        Assert.Equal(["c"], Index.Search(new ItemQuery { VaultId = "v2" }).Select(s => s.ItemId));
        Assert.Equal(["a"], Index.Search(new ItemQuery { Favourite = true }).Select(s => s.ItemId));
        Assert.Equal(["f"], Index.Search(new ItemQuery { States = ItemStates.Archived }).Select(s => s.ItemId));
        Assert.Equal(["g"], Index.Search(new ItemQuery { States = ItemStates.Trashed }).Select(s => s.ItemId));
        Assert.Equal(7, Index.Search(new ItemQuery { States = ItemStates.All }).Count);
        Assert.Equal(2, Index.Search(new ItemQuery { Limit = 2 }).Count);
    }

    [Fact]
    public void Search_WithNoText_ListsActiveItemsByTitle()
    {
        Assert.Equal(["c", "a", "b", "e", "d"], Index.Search(new ItemQuery()).Select(s => s.ItemId));
    }

    [Theory]
    [InlineData("GitHub", new[] { "a" })]
    [InlineData("  github ", new[] { "a" })]
    [InlineData("ＣＡＦÉ ＷＩ-ＦＩ", new[] { "c" })]
    [InlineData("Archived thing", new[] { "f" })]
    [InlineData("Git", new string[0])]
    [InlineData("GitHub deploy", new string[0])]
    public void WithTitle_FindsWholeTitlesOnly_FoldedAsSearchIs_InEveryState(string title, string[] ids) =>
        Assert.Equal(ids, Index.WithTitle(title).Select(s => s.ItemId));

    [Fact]
    public void WithTitle_SeveralItemsOfOneTitle_AllOfThem_AndChangesShowAtOnce()
    {
        ItemIndex index = Build();
        index.Put(Summary("h", "v2", "github", []));
        Assert.Equal(["a", "h"], index.WithTitle("GITHUB").Select(s => s.ItemId));
        index.Put(Summary("a", "v1", "Renamed", []));
        Assert.Equal(["h"], index.WithTitle("GitHub").Select(s => s.ItemId));
    }

    [Fact]
    public void Put_ThenRemove_ChangesWhatSearchFinds()
    {
        ItemIndex index = Build();
        index.Put(Summary("a", "v1", "Renamed", []));
        index.RemoveVault("v2");

        Assert.Empty(index.Search(new ItemQuery { Text = "github dot com" }));
        Assert.Equal("Renamed", index.Find("a")!.Title);
        Assert.Null(index.Find("c"));
        index.Remove("a");
        Assert.Null(index.Find("a"));
    }

    private static ItemIndex Build()
    {
        ItemIndex index = new();
        index.PutAll(
        [
            Summary("a", "v1", "GitHub", ["https://github.com/login"], favourite: true),
            Summary("b", "v1", "GitHub deploy key", ["github.com"], tags: ["deploy"], category: ItemCategories.SshKey),
            Summary("c", "v2", "Café Wi-Fi", []),
            Summary("d", "v1", "Mail relay", ["ssh://relay.ops.example:22"], category: ItemCategories.Server),
            Summary("e", "v1", "Legacy forge", [], subtitle: "old git server"),
            Summary("f", "v1", "Archived thing", [], archived: true),
            Summary("g", "v1", "Binned thing", [], trashed: true, archived: true),
        ]);
        return index;
    }

    private static ItemSummary Summary(string id, string vaultId, string title, string[] urls, bool favourite = false, string[]? tags = null,
        string category = ItemCategories.Login, string? subtitle = null, bool archived = false, bool trashed = false) =>
        new(id, vaultId, 1, new ItemOverview
        {
            Title = title,
            Subtitle = subtitle,
            Category = category,
            Urls = [.. urls.Select(u => new ItemUrl { Href = u })],
            Tags = [.. tags ?? []],
            Favourite = favourite,
            Archived = archived,
            Trashed = trashed,
        });
}
