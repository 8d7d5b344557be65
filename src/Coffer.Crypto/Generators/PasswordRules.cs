using System.Buffers;
using System.Globalization;
using System.Text;

namespace Coffer.Crypto.Generators;

/// <summary>Which account-password rules a password breaks.</summary>
[Flags]
public enum PasswordRuleViolations
{
    /// <summary>None: the password is acceptable.</summary>
    None = 0,

    /// <summary>Fewer characters (Unicode scalar values, after trimming) than the organisation's minimum.</summary>
    TooShort = 1,

    /// <summary>Equal to or containing the email address or its local part.</summary>
    ContainsEmail = 2,

    /// <summary>Equal to or containing the organisation's name.</summary>
    ContainsOrganisationName = 4,

    /// <summary>Contains an unpaired surrogate, which PROTOCOL.md §1 rejects.</summary>
    InvalidCharacter = 8,
}

/// <summary>The outcome of <see cref="PasswordRules.Check"/>; it never contains the password.</summary>
/// <param name="Violations">The rules broken.</param>
/// <param name="Length">Characters (Unicode scalar values) after trimming.</param>
/// <param name="MinimumLength">The minimum that applied.</param>
public sealed record PasswordRuleResult(PasswordRuleViolations Violations, int Length, int MinimumLength)
{
    /// <summary>True when no rule is broken.</summary>
    public bool IsAcceptable => Violations == PasswordRuleViolations.None;

    /// <summary>One English sentence per broken rule, for display.</summary>
    public IReadOnlyList<string> Messages
    {
        get
        {
            List<string> messages = [];
            if (Violations.HasFlag(PasswordRuleViolations.InvalidCharacter))
            {
                messages.Add("The password contains an invalid character.");
            }
            if (Violations.HasFlag(PasswordRuleViolations.TooShort))
            {
                messages.Add(string.Create(CultureInfo.InvariantCulture, $"Use at least {MinimumLength} characters (this password has {Length})."));
            }
            if (Violations.HasFlag(PasswordRuleViolations.ContainsEmail))
            {
                messages.Add("The password must not contain your email address or the part before the @.");
            }
            if (Violations.HasFlag(PasswordRuleViolations.ContainsOrganisationName))
            {
                messages.Add("The password must not contain the organisation's name.");
            }
            return messages;
        }
    }
}

/// <summary>
/// The account-password rules official clients enforce at sign-up, password change and recovery
/// (POLICY.md, Authentication; the server never sees the password): at least the organisation's
/// minimum length (default 14), and not equal to or containing the email address, its local part
/// or the organisation name.
/// </summary>
/// <remarks>
/// Length counts Unicode scalar values (runes) after removing the leading and trailing characters
/// PROTOCOL.md §1 trims (U+0009–U+000D, U+0020, U+00A0, U+FEFF), before NFKD. Comparisons are
/// ordinal and case-insensitive. The organisation name is also tried with its white space
/// removed. A needle shorter than 3 characters (a one-letter local part, say) is only checked for
/// equality: "containing" it would forbid that letter in every password.
/// </remarks>
public static class PasswordRules
{
    /// <summary>POLICY.md's default minimum length.</summary>
    public const int DefaultMinimumLength = 14;

    private const int MinimumNeedleLength = 3;

    private static readonly SearchValues<char> TrimmedCharacters =
        SearchValues.Create("\u0009\u000A\u000B\u000C\u000D\u0020\u00A0\uFEFF");

    /// <summary>Checks a new account password.</summary>
    /// <param name="password">The password as typed.</param>
    /// <param name="minimumLength">The organisation's minimum, at least 1.</param>
    /// <param name="email">The person's email address, or null.</param>
    /// <param name="organisationName">The organisation's name, or null.</param>
    /// <exception cref="ArgumentNullException">The password is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The minimum is below 1.</exception>
    public static PasswordRuleResult Check(string password, int minimumLength = DefaultMinimumLength, string? email = null, string? organisationName = null)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumLength, 1);
        ReadOnlySpan<char> trimmed = Trim(password);
        PasswordRuleViolations violations = PasswordRuleViolations.None;

        int length = 0;
        ReadOnlySpan<char> rest = trimmed;
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out _, out int used) != OperationStatus.Done)
            {
                violations |= PasswordRuleViolations.InvalidCharacter;
            }
            length++;
            rest = rest[used..];
        }
        if (length < minimumLength)
        {
            violations |= PasswordRuleViolations.TooShort;
        }

        if (!string.IsNullOrWhiteSpace(email))
        {
            string address = email.Trim();
            int at = address.LastIndexOf('@');
            if (Matches(trimmed, address) || (at > 0 && Matches(trimmed, address[..at])))
            {
                violations |= PasswordRuleViolations.ContainsEmail;
            }
        }
        if (!string.IsNullOrWhiteSpace(organisationName))
        {
            string name = organisationName.Trim();
            string squeezed = string.Concat(name.Where(c => !char.IsWhiteSpace(c)));
            if (Matches(trimmed, name) || Matches(trimmed, squeezed))
            {
                violations |= PasswordRuleViolations.ContainsOrganisationName;
            }
        }
        return new PasswordRuleResult(violations, length, minimumLength);
    }

    /// <summary>Removes PROTOCOL.md §1's leading and trailing characters (and no others).</summary>
    internal static ReadOnlySpan<char> Trim(ReadOnlySpan<char> text)
    {
        int start = text.IndexOfAnyExcept(TrimmedCharacters);
        if (start < 0)
        {
            return [];
        }
        int end = text.LastIndexOfAnyExcept(TrimmedCharacters);
        return text[start..(end + 1)];
    }

    private static bool Matches(ReadOnlySpan<char> password, string needle)
    {
        if (needle.Length == 0)
        {
            return false;
        }
        return needle.Length >= MinimumNeedleLength
            ? password.Contains(needle, StringComparison.OrdinalIgnoreCase)
            : password.Equals(needle, StringComparison.OrdinalIgnoreCase);
    }
}
