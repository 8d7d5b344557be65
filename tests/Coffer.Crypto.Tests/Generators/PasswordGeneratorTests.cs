using System.Numerics;
using Coffer.Crypto.Generators;

namespace Coffer.Crypto.Tests.Generators;

public class PasswordGeneratorTests
{
    public static TheoryData<int, CharacterClasses, bool, bool> OptionSets() => new()
    {
        { 8, CharacterClasses.All, false, true },
        { 8, CharacterClasses.All, true, true },
        { 20, CharacterClasses.Lowercase | CharacterClasses.Digits, false, true },
        { 12, CharacterClasses.Symbols, true, true },
        { 128, CharacterClasses.Uppercase | CharacterClasses.Symbols, false, false },
        { 9, CharacterClasses.Digits, true, false },
    };

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void Generate_ManyDraws_HonourEveryOption(int length, CharacterClasses classes, bool excludeAmbiguous, bool requireEach)
    {
        PasswordOptions options = new() { Length = length, Classes = classes, ExcludeAmbiguous = excludeAmbiguous, RequireEachClass = requireEach };
        string allowed = string.Concat(PasswordGenerator.ClassAlphabets(options));
        for (int i = 0; i < 2000; i++)
        {
            string password = PasswordGenerator.Generate(options);
            Assert.Equal(length, password.Length);
            Assert.All(password, c => Assert.Contains(c, allowed));
            if (excludeAmbiguous)
            {
                Assert.DoesNotContain(password, c => PasswordGenerator.Ambiguous.Contains(c, StringComparison.Ordinal));
            }
            if (requireEach)
            {
                Assert.Equal(classes.HasFlag(CharacterClasses.Lowercase), password.Any(char.IsAsciiLetterLower));
                Assert.Equal(classes.HasFlag(CharacterClasses.Uppercase), password.Any(char.IsAsciiLetterUpper));
                Assert.Equal(classes.HasFlag(CharacterClasses.Digits), password.Any(char.IsAsciiDigit));
                Assert.Equal(classes.HasFlag(CharacterClasses.Symbols), password.Any(c => PasswordGenerator.Symbols.Contains(c, StringComparison.Ordinal)));
            }
        }
    }

    [Fact]
    public void ClassAlphabets_Constants_AreTheDocumentedSets()
    {
        Assert.Equal(28, PasswordGenerator.Symbols.Length);
        Assert.Equal(28, PasswordGenerator.Symbols.Distinct().Count());
        Assert.DoesNotContain(' ', PasswordGenerator.Symbols);
        Assert.DoesNotContain('"', PasswordGenerator.Symbols);
        Assert.DoesNotContain('\'', PasswordGenerator.Symbols);
        Assert.DoesNotContain('`', PasswordGenerator.Symbols);
        Assert.DoesNotContain('\\', PasswordGenerator.Symbols);
        string[] reduced = PasswordGenerator.ClassAlphabets(new PasswordOptions { ExcludeAmbiguous = true });
        Assert.Equal([24, 24, 8, 27], reduced.Select(c => c.Length));
    }

    // Uniformity without the class rule: every position, and all positions pooled, against a flat
    // distribution over 62 symbols. df = 61 (mean 61, sd 11); the bound 200 is exceeded by chance
    // with probability about 1e-16, while a "random byte mod 62" generator scores above 1000 pooled.
    [Fact]
    public void Generate_WithoutClassRule_CharactersAreUniformAtEveryPosition()
    {
        PasswordOptions options = new() { Length = 20, Classes = CharacterClasses.Lowercase | CharacterClasses.Uppercase | CharacterClasses.Digits, RequireEachClass = false };
        string alphabet = string.Concat(PasswordGenerator.ClassAlphabets(options));
        Assert.Equal(62, alphabet.Length);
        long[][] perPosition = [.. Enumerable.Range(0, 20).Select(_ => new long[62])];
        long[] pooled = new long[62];
        for (int n = 0; n < 10_000; n++)
        {
            string password = PasswordGenerator.Generate(options);
            for (int i = 0; i < password.Length; i++)
            {
                int index = alphabet.IndexOf(password[i], StringComparison.Ordinal);
                perPosition[i][index]++;
                pooled[index]++;
            }
        }
        Assert.All(perPosition, counts => Assert.InRange(ChiSquare.Uniform(counts), 0, 200));
        Assert.InRange(ChiSquare.Uniform(pooled), 0, 200);
    }

    // With the class rule the output is uniform over passwords that contain every class, so a
    // character c of class K appears at a given position with probability
    // P(c) = #{length-7 strings containing every class except possibly K} / #{accepted length-8 strings},
    // computed here independently by inclusion–exclusion. 90 cells, df = 89; bound 250 (≈ 8 sd).
    [Fact]
    public void Generate_WithClassRule_CharacterFrequenciesMatchTheExactUniformDistribution()
    {
        PasswordOptions options = new() { Length = 8 };
        string[] classes = PasswordGenerator.ClassAlphabets(options);
        string alphabet = string.Concat(classes);
        int total = alphabet.Length;

        BigInteger accepted = 0;
        for (int s = 0; s < 16; s++)
        {
            accepted += Term(s, 8);
        }
        double[] expectedPerChar = new double[total];
        int offset = 0;
        for (int k = 0; k < classes.Length; k++)
        {
            BigInteger rest = 0;
            for (int s = 0; s < 16; s++)
            {
                if ((s & (1 << k)) == 0)
                {
                    rest += Term(s, 7); // subsets of the other classes only: class k is already present
                }
            }
            double p = (double)rest / (double)accepted;
            for (int i = 0; i < classes[k].Length; i++)
            {
                expectedPerChar[offset + i] = p;
            }
            offset += classes[k].Length;
        }
        Assert.Equal(1.0, expectedPerChar.Sum(), 9);

        const int Passwords = 20_000;
        long[] counts = new long[total];
        for (int n = 0; n < Passwords; n++)
        {
            foreach (char c in PasswordGenerator.Generate(options))
            {
                counts[alphabet.IndexOf(c, StringComparison.Ordinal)]++;
            }
        }
        double[] expected = [.. expectedPerChar.Select(p => p * Passwords * 8)];
        Assert.InRange(ChiSquare.Statistic(counts, expected), 0, 250);

        BigInteger Term(int excludedMask, int length)
        {
            int remaining = total;
            for (int k = 0; k < classes.Length; k++)
            {
                if ((excludedMask & (1 << k)) != 0)
                {
                    remaining -= classes[k].Length;
                }
            }
            BigInteger t = BigInteger.Pow(remaining, length);
            return BitOperations.PopCount((uint)excludedMask) % 2 == 0 ? t : -t;
        }
    }

    [Fact]
    public void EntropyBits_TwentyOfSixtyTwoWithoutClassRule_Is119Point08()
    {
        PasswordOptions options = new() { Length = 20, Classes = CharacterClasses.Lowercase | CharacterClasses.Uppercase | CharacterClasses.Digits, RequireEachClass = false };
        Assert.Equal(20 * Math.Log2(62), PasswordGenerator.EntropyBits(options), 9);
        Assert.Equal(119.08, PasswordGenerator.EntropyBits(options), 2);
    }

    // Values from an independent Python computation of the same inclusion–exclusion sums.
    [Fact]
    public void EntropyBits_WithClassRule_IsLog2OfAcceptedCount()
    {
        Assert.Equal(50.866597811261016, PasswordGenerator.EntropyBits(new PasswordOptions { Length = 8 }), 9);
        Assert.Equal(49.80630886799494, PasswordGenerator.EntropyBits(new PasswordOptions { Length = 8, ExcludeAmbiguous = true }), 9);
        Assert.Equal(129.68905033853216, PasswordGenerator.EntropyBits(new PasswordOptions { Length = 20 }), 9);
        // 8 characters, lower case and digits, both required: 36^8 − 26^8 − 10^8.
        Assert.Equal(new BigInteger(2_612_182_842_880), PasswordGenerator.CountPasswords([26, 10], 8, requireEachClass: true));
        Assert.Equal(Math.Log2(2_612_182_842_880), PasswordGenerator.EntropyBits(new PasswordOptions { Length = 8, Classes = CharacterClasses.Lowercase | CharacterClasses.Digits }), 9);
    }

    [Theory]
    [InlineData(new[] { 2, 1, 1 }, 1)]
    [InlineData(new[] { 2, 1, 1 }, 3)]
    [InlineData(new[] { 2, 1, 1 }, 6)]
    [InlineData(new[] { 3, 2 }, 5)]
    [InlineData(new[] { 1, 1, 1, 1 }, 5)]
    public void CountPasswords_SmallAlphabets_MatchesBruteForceEnumeration(int[] sizes, int length)
    {
        int total = sizes.Sum();
        int[] classOf = [.. sizes.SelectMany((size, k) => Enumerable.Repeat(k, size))];
        long expected = 0;
        long all = (long)Math.Pow(total, length);
        for (long code = 0; code < all; code++)
        {
            int seen = 0;
            long x = code;
            for (int i = 0; i < length; i++)
            {
                seen |= 1 << classOf[x % total];
                x /= total;
            }
            if (seen == (1 << sizes.Length) - 1)
            {
                expected++;
            }
        }
        Assert.Equal(new BigInteger(expected), PasswordGenerator.CountPasswords(sizes, length, requireEachClass: true));
        Assert.Equal(new BigInteger(all), PasswordGenerator.CountPasswords(sizes, length, requireEachClass: false));
    }

    [Theory]
    [InlineData(7, CharacterClasses.All)]
    [InlineData(129, CharacterClasses.All)]
    [InlineData(20, CharacterClasses.None)]
    [InlineData(20, (CharacterClasses)16)]
    public void Generate_InvalidOptions_Throw(int length, CharacterClasses classes)
    {
        PasswordOptions options = new() { Length = length, Classes = classes };
        Assert.ThrowsAny<ArgumentException>(() => PasswordGenerator.Generate(options));
        Assert.ThrowsAny<ArgumentException>(() => PasswordGenerator.EntropyBits(options));
    }

    [Fact]
    public void Generate_Null_Throws() => Assert.Throws<ArgumentNullException>(() => PasswordGenerator.Generate(null!));
}
