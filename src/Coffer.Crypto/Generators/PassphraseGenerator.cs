using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Coffer.Crypto.Generators;

/// <summary>What <see cref="PassphraseGenerator"/> makes.</summary>
public sealed record PassphraseOptions
{
    /// <summary>Number of words, <see cref="PassphraseGenerator.MinWords"/> to <see cref="PassphraseGenerator.MaxWords"/> (default 6).</summary>
    public int WordCount { get; init; } = 6;

    /// <summary>
    /// Put between words (default "-"): at most <see cref="PassphraseGenerator.MaxSeparatorLength"/>
    /// characters, with no letters, digits, control characters or surrogates; may be empty (the word
    /// list is prefix-free, so the words still split one way only).
    /// </summary>
    public string Separator { get; init; } = "-";

    /// <summary>Upper-case the first letter of every word (default false). Adds no entropy: it is not random.</summary>
    public bool Capitalize { get; init; }

    /// <summary>Append one random digit to one randomly chosen word (default false).</summary>
    public bool IncludeDigit { get; init; }
}

/// <summary>
/// Diceware-style passphrases: words drawn uniformly and independently, with
/// <see cref="RandomNumberGenerator.GetInt32(int)"/>, from the embedded 7 776-word list (see
/// <c>tests/node/wordlist/README.md</c> for its sources and licences).
/// </summary>
/// <remarks>
/// Entropy: each word adds log2 7776 ≈ 12.925 bits; capitalising every word adds nothing; the
/// optional digit adds log2(10 · wordCount) (which digit, after which word). That count is exact
/// because different choices always give different text: words are lower-case letters, the
/// separator has no letters or digits, and the list is prefix-free.
/// </remarks>
public static class PassphraseGenerator
{
    /// <summary>Fewest words.</summary>
    public const int MinWords = 3;

    /// <summary>Most words.</summary>
    public const int MaxWords = 20;

    /// <summary>Longest separator.</summary>
    public const int MaxSeparatorLength = 5;

    private const int MaxWordLength = 9;

    /// <summary>A new random passphrase.</summary>
    /// <exception cref="ArgumentException">Word count or separator out of range.</exception>
    public static string Generate(PassphraseOptions options)
    {
        Validate(options);
        ImmutableArray<string> words = WordList.Words;
        int digitWord = options.IncludeDigit ? RandomNumberGenerator.GetInt32(options.WordCount) : -1;

        Span<char> buffer = stackalloc char[MaxWords * (MaxWordLength + 1 + MaxSeparatorLength)];
        int n = 0;
        try
        {
            for (int w = 0; w < options.WordCount; w++)
            {
                if (w > 0)
                {
                    options.Separator.CopyTo(buffer[n..]);
                    n += options.Separator.Length;
                }
                string word = words[RandomNumberGenerator.GetInt32(WordList.Size)];
                word.CopyTo(buffer[n..]);
                if (options.Capitalize)
                {
                    buffer[n] = char.ToUpperInvariant(buffer[n]);
                }
                n += word.Length;
                if (w == digitWord)
                {
                    buffer[n++] = (char)('0' + RandomNumberGenerator.GetInt32(10));
                }
            }
            return new string(buffer[..n]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(buffer));
        }
    }

    /// <summary>Entropy in bits of <see cref="Generate"/> with these options (6 words: 77.55).</summary>
    /// <exception cref="ArgumentException">Word count or separator out of range.</exception>
    public static double EntropyBits(PassphraseOptions options)
    {
        Validate(options);
        double bits = options.WordCount * Math.Log2(WordList.Size);
        if (options.IncludeDigit)
        {
            bits += Math.Log2(10.0 * options.WordCount);
        }
        return bits;
    }

    private static void Validate(PassphraseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.WordCount, MinWords, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.WordCount, MaxWords, nameof(options));
        string separator = options.Separator ?? throw new ArgumentException("The separator must not be null.", nameof(options));
        if (separator.Length > MaxSeparatorLength || separator.Any(c => char.IsLetterOrDigit(c) || char.IsControl(c) || char.IsSurrogate(c)))
        {
            throw new ArgumentException("The separator is at most 5 characters with no letters, digits, control characters or surrogates.", nameof(options));
        }
    }
}
