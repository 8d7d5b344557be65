using Coffer.Crypto.Generators;

namespace Coffer.Crypto.Tests.Generators;

public class PassphraseGeneratorTests
{
    private static readonly HashSet<string> Words = new(WordList.Words, StringComparer.Ordinal);

    public static TheoryData<int, string, bool, bool> OptionSets() => new()
    {
        { 6, "-", false, false },
        { 3, " ", true, false },
        { 20, "", false, true },
        { 5, "", true, true },
        { 7, ".-_", false, true },
    };

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void Generate_ManyDraws_HonourEveryOption(int count, string separator, bool capitalize, bool digit)
    {
        PassphraseOptions options = new() { WordCount = count, Separator = separator, Capitalize = capitalize, IncludeDigit = digit };
        for (int n = 0; n < 500; n++)
        {
            string phrase = PassphraseGenerator.Generate(options);
            Assert.Equal(digit ? 1 : 0, phrase.Count(char.IsAsciiDigit));
            List<string> parsed = Split(phrase, separator, out int digitsSeen);
            Assert.Equal(count, parsed.Count);
            Assert.Equal(digit ? 1 : 0, digitsSeen);
            foreach (string word in parsed)
            {
                Assert.Contains(word.ToLowerInvariant(), Words);
                Assert.Equal(capitalize, char.IsAsciiLetterUpper(word[0]));
                Assert.True(word.Skip(1).All(char.IsAsciiLetterLower));
            }
        }
    }

    // Parses a passphrase back into words. With no separator this relies on the list being
    // prefix-free: at each point at most one word can start there.
    private static List<string> Split(string phrase, string separator, out int digits)
    {
        List<string> words = [];
        digits = 0;
        int i = 0;
        while (i < phrase.Length)
        {
            if (words.Count > 0 && separator.Length > 0)
            {
                Assert.Equal(separator, phrase.Substring(i, separator.Length));
                i += separator.Length;
            }
            string[] candidates = [.. Enumerable.Range(3, 7)
                .Where(len => i + len <= phrase.Length)
                .Select(len => phrase.Substring(i, len))
                .Where(w => Words.Contains(w.ToLowerInvariant()))];
            Assert.Single(candidates);
            words.Add(candidates[0]);
            i += candidates[0].Length;
            if (i < phrase.Length && char.IsAsciiDigit(phrase[i]))
            {
                digits++;
                i++;
            }
        }
        return words;
    }

    // Word choice is uniform: the list split into 16 blocks of 486 words, 120 000 draws, df = 15
    // (mean 15, sd 5.5); the bound 80 is exceeded by chance with probability below 1e-9.
    [Fact]
    public void Generate_Words_AreUniformOverTheList()
    {
        Dictionary<string, int> index = WordList.Words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
        long[] blocks = new long[16];
        PassphraseOptions options = new() { WordCount = 6, Separator = " " };
        for (int n = 0; n < 20_000; n++)
        {
            foreach (string word in PassphraseGenerator.Generate(options).Split(' '))
            {
                blocks[index[word] / 486]++;
            }
        }
        Assert.InRange(ChiSquare.Uniform(blocks), 0, 80);
    }

    [Fact]
    public void EntropyBits_KnownSettings_AreHonest()
    {
        Assert.Equal(6 * Math.Log2(7776), PassphraseGenerator.EntropyBits(new PassphraseOptions()), 9);
        Assert.Equal(77.55, PassphraseGenerator.EntropyBits(new PassphraseOptions()), 2);
        // Capitalising every word is not random: no extra bits.
        Assert.Equal(77.55, PassphraseGenerator.EntropyBits(new PassphraseOptions { Capitalize = true }), 2);
        // One digit (10 choices) after one of 6 words: + log2 60.
        Assert.Equal(6 * Math.Log2(7776) + Math.Log2(60), PassphraseGenerator.EntropyBits(new PassphraseOptions { IncludeDigit = true }), 9);
        Assert.Equal(3 * Math.Log2(7776), PassphraseGenerator.EntropyBits(new PassphraseOptions { WordCount = 3, Separator = "" }), 9);
    }

    [Theory]
    [InlineData(2, "-")]
    [InlineData(21, "-")]
    [InlineData(6, "a")]
    [InlineData(6, "1")]
    [InlineData(6, "------")]
    [InlineData(6, "\t")]
    [InlineData(6, null)]
    public void Generate_InvalidOptions_Throw(int count, string? separator)
    {
        PassphraseOptions options = new() { WordCount = count, Separator = separator! };
        Assert.ThrowsAny<ArgumentException>(() => PassphraseGenerator.Generate(options));
        Assert.ThrowsAny<ArgumentException>(() => PassphraseGenerator.EntropyBits(options));
    }
}
