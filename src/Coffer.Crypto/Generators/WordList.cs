using System.Collections.Immutable;

namespace Coffer.Crypto.Generators;

/// <summary>
/// The 7 776-word list (6^5, about 12.92 bits a word) shared by <see cref="PassphraseGenerator"/> and
/// <see cref="ShortAuthenticationString"/>: lower-case ASCII words of 3–9 letters, sorted, unique
/// and prefix-free. Built by <c>tests/node/wordlist/build-wordlist.mjs</c> (sources and licences in
/// the README beside it) and embedded in this assembly. The SAS indexes into this exact order, so
/// the file is frozen: its SHA-256 is in docs/adr/0002-short-authentication-string.md.
/// </summary>
internal static class WordList
{
    public const int Size = 7776;

    private const string ResourceName = "Coffer.Crypto.Generators.wordlist.txt";

    private static readonly Lazy<ImmutableArray<string>> LazyWords = new(Load);

    public static ImmutableArray<string> Words => LazyWords.Value;

    private static ImmutableArray<string> Load()
    {
        using Stream stream = typeof(WordList).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException("The embedded word list is missing.");
        using StreamReader reader = new(stream, System.Text.Encoding.ASCII);
        ImmutableArray<string>.Builder words = ImmutableArray.CreateBuilder<string>(Size);
        string? previous = null;
        while (reader.ReadLine() is { } line)
        {
            // A damaged resource must fail loudly rather than weaken passphrases or change SAS words.
            if (line.Length is < 3 or > 9 || !line.All(char.IsAsciiLetterLower)
                || (previous is not null && string.CompareOrdinal(previous, line) >= 0))
            {
                throw new InvalidOperationException("The embedded word list is malformed.");
            }
            words.Add(line);
            previous = line;
        }
        if (words.Count != Size)
        {
            throw new InvalidOperationException("The embedded word list does not have 7776 words.");
        }
        return words.MoveToImmutable();
    }
}
