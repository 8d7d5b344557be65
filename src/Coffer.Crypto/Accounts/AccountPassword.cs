using System.Text;

namespace Coffer.Crypto.Accounts;

/// <summary>
/// Account-password preprocessing of PROTOCOL.md §1, identical in every client:
/// reject a lone surrogate; trim leading and trailing U+0009–U+000D, U+0020,
/// U+00A0 and U+FEFF (and no others); Unicode NFKD; UTF-8.
/// </summary>
public static class AccountPassword
{
    /// <summary>
    /// Preprocesses a password into the bytes 2SKD uses. The caller zeroes the result.
    /// </summary>
    /// <exception cref="ArgumentException">The password holds a lone surrogate, or is empty after trimming.</exception>
    public static byte[] Preprocess(string password)
    {
        ReadOnlySpan<char> trimmed = TrimAndValidate(password);
        // Strings cannot be zeroed; the normalised copy lives only as long as this call.
        string normalized = trimmed.ToString().Normalize(NormalizationForm.FormKD);
        return Encoding.UTF8.GetBytes(normalized);
    }

    /// <summary>
    /// The password's length in Unicode scalar values after trimming (before NFKD):
    /// the measure of the minimum-length policy.
    /// </summary>
    /// <exception cref="ArgumentException">As for <see cref="Preprocess"/>.</exception>
    public static int Length(string password)
    {
        ReadOnlySpan<char> trimmed = TrimAndValidate(password);
        int count = 0;
        foreach (Rune _ in trimmed.EnumerateRunes())
        {
            count++;
        }
        return count;
    }

    private static ReadOnlySpan<char> TrimAndValidate(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        ReadOnlySpan<char> s = password.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            bool paired = char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]);
            if (paired)
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                throw new ArgumentException("The password contains an unpaired surrogate character.", nameof(password));
            }
        }
        int start = 0, end = s.Length;
        while (start < end && IsTrimmed(s[start]))
        {
            start++;
        }
        while (end > start && IsTrimmed(s[end - 1]))
        {
            end--;
        }
        if (start == end)
        {
            throw new ArgumentException("The password is empty.", nameof(password));
        }
        return s[start..end];
    }

    private static bool IsTrimmed(char c) => c is (>= '\u0009' and <= '\u000D') or '\u0020' or '\u00A0' or '\uFEFF';
}
