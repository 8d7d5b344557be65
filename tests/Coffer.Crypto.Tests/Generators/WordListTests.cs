using System.Security.Cryptography;
using Coffer.Crypto.Generators;

namespace Coffer.Crypto.Tests.Generators;

public class WordListTests
{
    private static string ListPath => Path.Combine(TestData.RepoRoot, "src", "Coffer.Crypto", "Generators", "wordlist.txt");

    [Fact]
    public void Words_Embedded_AreAtLeast7776UniqueLowercaseAsciiWordsOfThreeToNineLetters()
    {
        IReadOnlyList<string> words = WordList.Words;
        Assert.Equal(7776, words.Count);
        Assert.Equal(words.Count, words.Distinct(StringComparer.Ordinal).Count());
        Assert.All(words, w => Assert.Matches("^[a-z]{3,9}$", w));
    }

    [Fact]
    public void Words_Embedded_EqualTheCommittedFileInOrder()
    {
        string[] lines = File.ReadAllText(ListPath).Split('\n');
        Assert.Equal(string.Empty, lines[^1]); // trailing newline, no header
        Assert.Equal(lines[..^1], WordList.Words.ToArray());
    }

    [Fact]
    public void Words_NoWordIsAPrefixOfAnother()
    {
        // Sorted order puts any word directly before the words it prefixes.
        IReadOnlyList<string> words = WordList.Words;
        for (int i = 1; i < words.Count; i++)
        {
            Assert.True(string.CompareOrdinal(words[i - 1], words[i]) < 0, $"not sorted at {i}");
            Assert.False(words[i].StartsWith(words[i - 1], StringComparison.Ordinal), $"'{words[i - 1]}' is a prefix of '{words[i]}'");
        }
    }

    // docs/adr/0002-short-authentication-string.md: the SAS depends on this exact file.
    [Fact]
    public void File_Sha256_IsTheOneAdr0002Freezes()
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(ListPath)));
        Assert.Equal("ec5243478d03091d3786269a90438a150ead98d39d732834ace28ab84f9dfa59", hash);
        Assert.Contains(hash, File.ReadAllText(Path.Combine(TestData.RepoRoot, "docs", "adr", "0002-short-authentication-string.md")), StringComparison.Ordinal);
    }

    // The committed list is reproducible: the build script (needs `npm ci` in tests/node) builds the same bytes.
    [Fact]
    public void BuildScript_Check_ReproducesCommittedList()
    {
        NodeScript.RunAndAssertSuccess(Path.Combine("wordlist", "build-wordlist.mjs"), "--check");
    }
}
