using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Coffer.Crypto.Generators;

/// <summary>Character classes a generated password may draw from.</summary>
[Flags]
public enum CharacterClasses
{
    /// <summary>No class (invalid for generation).</summary>
    None = 0,

    /// <summary>a–z.</summary>
    Lowercase = 1,

    /// <summary>A–Z.</summary>
    Uppercase = 2,

    /// <summary>0–9.</summary>
    Digits = 4,

    /// <summary><see cref="PasswordGenerator.Symbols"/>.</summary>
    Symbols = 8,

    /// <summary>All four classes.</summary>
    All = Lowercase | Uppercase | Digits | Symbols,
}

/// <summary>What <see cref="PasswordGenerator"/> makes.</summary>
public sealed record PasswordOptions
{
    /// <summary>Number of characters, <see cref="PasswordGenerator.MinLength"/> to <see cref="PasswordGenerator.MaxLength"/> (default 20).</summary>
    public int Length { get; init; } = 20;

    /// <summary>Classes to draw from (default all four).</summary>
    public CharacterClasses Classes { get; init; } = CharacterClasses.All;

    /// <summary>Leave out <see cref="PasswordGenerator.Ambiguous"/> (default false).</summary>
    public bool ExcludeAmbiguous { get; init; }

    /// <summary>Every chosen class appears at least once (default true).</summary>
    public bool RequireEachClass { get; init; } = true;
}

/// <summary>
/// Random passwords over ASCII character classes, with <see cref="RandomNumberGenerator.GetInt32(int)"/>
/// for every character.
/// </summary>
/// <remarks>
/// Method, chosen to stay exactly uniform: each character is drawn uniformly from the union of the
/// chosen classes; when <see cref="PasswordOptions.RequireEachClass"/> is set, a password missing a
/// class is thrown away whole and drawn again. The result is uniform over the set of strings that
/// contain every class, so <see cref="EntropyBits"/> is log2 of that set's size, counted exactly by
/// inclusion–exclusion. (Forcing one character per class into random positions instead would make
/// some passwords likelier than others.) With 8 characters and all four classes a little under half
/// of the draws are kept; at 20 characters about nine in ten.
/// </remarks>
public static class PasswordGenerator
{
    /// <summary>Shortest password generated.</summary>
    public const int MinLength = 8;

    /// <summary>Longest password generated.</summary>
    public const int MaxLength = 128;

    /// <summary>The lower-case class.</summary>
    public const string Lowercase = "abcdefghijklmnopqrstuvwxyz";

    /// <summary>The upper-case class.</summary>
    public const string Uppercase = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    /// <summary>The digit class.</summary>
    public const string Digits = "0123456789";

    /// <summary>
    /// The symbol class: 28 ASCII punctuation characters. Space, quotes (<c>" '</c>), backtick and
    /// backslash are left out because forms, shells and config files mangle them.
    /// </summary>
    public const string Symbols = "!#$%&()*+,-./:;<=>?@[]^_{|}~";

    /// <summary>
    /// Characters dropped by <see cref="PasswordOptions.ExcludeAmbiguous"/>: zero and the letter O in
    /// both cases (<c>0 O o</c>), and the vertical strokes one, lower-case L, upper-case i and the bar
    /// (<c>1 l I |</c>).
    /// </summary>
    public const string Ambiguous = "0Oo1lI|";

    /// <summary>A new random password.</summary>
    /// <exception cref="ArgumentException">Length out of range or no class chosen.</exception>
    public static string Generate(PasswordOptions options)
    {
        string[] classes = ClassAlphabets(options);
        string alphabet = string.Concat(classes);
        Span<char> buffer = stackalloc char[MaxLength];
        Span<char> password = buffer[..options.Length];
        try
        {
            do
            {
                for (int i = 0; i < password.Length; i++)
                {
                    password[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
                }
            }
            while (options.RequireEachClass && !ContainsEveryClass(password, classes));
            return new string(password);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(buffer));
        }
    }

    /// <summary>
    /// Entropy in bits of <see cref="Generate"/> with these options: log2 of the number of equally
    /// likely passwords it can return (e.g. 20 characters from 62 without the class rule: 119.08).
    /// </summary>
    /// <exception cref="ArgumentException">Length out of range or no class chosen.</exception>
    public static double EntropyBits(PasswordOptions options)
    {
        string[] classes = ClassAlphabets(options);
        int[] sizes = [.. classes.Select(c => c.Length)];
        return BigInteger.Log(CountPasswords(sizes, options.Length, options.RequireEachClass), 2);
    }

    /// <summary>
    /// Number of strings of <paramref name="length"/> over disjoint classes of the given sizes, all of
    /// them or (if <paramref name="requireEachClass"/>) only those with every class present:
    /// Σ over subsets S of classes left out of (−1)^|S| · (N − |S's characters|)^length.
    /// </summary>
    internal static BigInteger CountPasswords(ReadOnlySpan<int> classSizes, int length, bool requireEachClass)
    {
        int total = 0;
        foreach (int size in classSizes)
        {
            total += size;
        }
        if (!requireEachClass)
        {
            return BigInteger.Pow(total, length);
        }
        BigInteger count = BigInteger.Zero;
        for (int excluded = 0; excluded < 1 << classSizes.Length; excluded++)
        {
            int remaining = total;
            for (int c = 0; c < classSizes.Length; c++)
            {
                if ((excluded & (1 << c)) != 0)
                {
                    remaining -= classSizes[c];
                }
            }
            BigInteger term = BigInteger.Pow(remaining, length);
            count += BitOperations.PopCount((uint)excluded) % 2 == 0 ? term : -term;
        }
        return count;
    }

    /// <summary>The chosen classes' characters, in the order lower, upper, digits, symbols, after exclusions.</summary>
    internal static string[] ClassAlphabets(PasswordOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Length, MinLength, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Length, MaxLength, nameof(options));
        if (options.Classes == CharacterClasses.None || (options.Classes & ~CharacterClasses.All) != 0)
        {
            throw new ArgumentException("Choose at least one known character class.", nameof(options));
        }
        List<string> classes = new(4);
        AddClass(classes, options, CharacterClasses.Lowercase, Lowercase);
        AddClass(classes, options, CharacterClasses.Uppercase, Uppercase);
        AddClass(classes, options, CharacterClasses.Digits, Digits);
        AddClass(classes, options, CharacterClasses.Symbols, Symbols);
        return [.. classes];
    }

    private static void AddClass(List<string> classes, PasswordOptions options, CharacterClasses flag, string characters)
    {
        if ((options.Classes & flag) != 0)
        {
            classes.Add(options.ExcludeAmbiguous ? string.Concat(characters.Where(c => !Ambiguous.Contains(c, StringComparison.Ordinal))) : characters);
        }
    }

    private static bool ContainsEveryClass(ReadOnlySpan<char> password, string[] classes)
    {
        foreach (string characters in classes)
        {
            if (password.IndexOfAny(characters) < 0)
            {
                return false;
            }
        }
        return true;
    }
}
