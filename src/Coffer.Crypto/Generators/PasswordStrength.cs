using Zxcvbn.Matcher;

namespace Coffer.Crypto.Generators;

/// <summary>A strength estimate; it never contains the password.</summary>
/// <param name="Score">0 (too guessable) to 4 (very unguessable).</param>
/// <param name="GuessesLog10">log10 of the estimated guesses an attacker needs.</param>
/// <param name="CrackTimeDisplay">The estimated time to guess at 10 000 guesses a second, in English ("instant", "3 hours", "centuries").</param>
/// <param name="Warning">What makes the password weak, or null.</param>
/// <param name="Suggestions">How to make it stronger (empty when the score is 3 or 4).</param>
public sealed record PasswordStrengthResult(int Score, double GuessesLog10, string CrackTimeDisplay, string? Warning, IReadOnlyList<string> Suggestions);

/// <summary>
/// The strength meter of POLICY.md (Authentication): zxcvbn through the <c>zxcvbn-core</c> 1.1.17
/// package, a port of zxcvbn 1.x (Dan Wheeler, Dropbox; MIT). The email address, its parts and the
/// organisation name are added as a dictionary, so passwords built from them score low.
/// </summary>
/// <remarks>
/// zxcvbn 1.x scores by entropy of the cheapest pattern decomposition: guesses = 2^entropy, crack
/// time = guesses / 2 at 10 000 guesses a second, score 0–4 for a crack time below 10^2, 10^4, 10^6,
/// 10^8 seconds or above. That package reports no feedback, so the warning and suggestions here are
/// Coffer's own, derived from the longest matched pattern in the same way later zxcvbn versions do.
/// A meter is advice; the enforced rules are <see cref="PasswordRules"/>.
/// </remarks>
public static class PasswordStrength
{
    private const string AddWords = "Add another word or two. Uncommon words are better.";

    /// <summary>Estimates how guessable <paramref name="password"/> is.</summary>
    /// <param name="password">The password as typed.</param>
    /// <param name="email">The person's email address, or null.</param>
    /// <param name="organisationName">The organisation's name, or null.</param>
    /// <exception cref="ArgumentNullException">The password is null.</exception>
    public static PasswordStrengthResult Estimate(string password, string? email = null, string? organisationName = null)
    {
        ArgumentNullException.ThrowIfNull(password);
        Zxcvbn.Result result = Zxcvbn.Zxcvbn.MatchPassword(password, UserInputs(email, organisationName));
        (string? warning, IReadOnlyList<string> suggestions) = Feedback(password, result);
        return new PasswordStrengthResult(
            result.Score,
            result.Entropy * Math.Log10(2),
            result.CrackTimeDisplay,
            warning,
            suggestions);
    }

    /// <summary>The dictionary of personal words: email, its local part and pieces, domain, organisation name and its words.</summary>
    internal static IReadOnlyList<string> UserInputs(string? email, string? organisationName)
    {
        HashSet<string> inputs = new(StringComparer.Ordinal);
        char[] pieceSeparators = ['.', '_', '-', '+', ' '];
        if (!string.IsNullOrWhiteSpace(email))
        {
            string e = email.Trim().ToLowerInvariant();
            inputs.Add(e);
            int at = e.LastIndexOf('@');
            string local = at >= 0 ? e[..at] : e;
            inputs.Add(local);
            AddPieces(inputs, local, pieceSeparators);
            if (at >= 0)
            {
                string domain = e[(at + 1)..];
                inputs.Add(domain);
                AddPieces(inputs, domain, ['.']);
            }
        }
        if (!string.IsNullOrWhiteSpace(organisationName))
        {
            string o = organisationName.Trim().ToLowerInvariant();
            inputs.Add(o);
            inputs.Add(string.Concat(o.Where(c => !char.IsWhiteSpace(c))));
            AddPieces(inputs, o, pieceSeparators);
        }
        inputs.Remove(string.Empty);
        return [.. inputs.Order(StringComparer.Ordinal)];
    }

    private static void AddPieces(HashSet<string> inputs, string text, char[] separators)
    {
        foreach (string piece in text.Split(separators, StringSplitOptions.RemoveEmptyEntries))
        {
            if (piece.Length >= 3)
            {
                inputs.Add(piece);
            }
        }
    }

    private static (string? Warning, IReadOnlyList<string> Suggestions) Feedback(string password, Zxcvbn.Result result)
    {
        if (password.Length == 0)
        {
            return (null, ["Use a few words; avoid common phrases.", "Symbols, digits and capitals are not needed."]);
        }
        if (result.Score > 2)
        {
            return (null, []);
        }
        IList<Zxcvbn.Match> sequence = result.MatchSequence;
        Zxcvbn.Match? longest = sequence.Count == 0 ? null : sequence.MaxBy(m => m.Token?.Length ?? 0);
        List<string> suggestions = [AddWords];
        string? warning = null;
        bool sole = sequence.Count == 1;
        switch (longest?.Pattern)
        {
            case "dictionary":
                DictionaryMatch dictionary = (DictionaryMatch)longest;
                warning = DictionaryWarning(dictionary, sole);
                string token = dictionary.Token ?? string.Empty;
                if (token.Length > 1 && char.IsUpper(token[0]) && !token.Skip(1).Any(char.IsUpper))
                {
                    suggestions.Add("Capitalising the first letter does not help much.");
                }
                else if (token.Length > 1 && token.Any(char.IsLetter) && !token.Any(char.IsLower))
                {
                    suggestions.Add("All capitals are almost as easy to guess as all lower case.");
                }
                if (dictionary is L33tDictionaryMatch)
                {
                    suggestions.Add("Predictable substitutions like '@' for 'a' do not help much.");
                }
                break;
            case "spatial":
                warning = ((SpatialMatch)longest).Turns == 1 ? "Straight rows of keys are easy to guess." : "Short keyboard patterns are easy to guess.";
                suggestions.Add("Use a longer keyboard pattern with more turns.");
                break;
            case "repeat":
                warning = "Repeats like \"aaa\" are easy to guess.";
                suggestions.Add("Avoid repeated words and characters.");
                break;
            case "sequence":
                warning = "Sequences like abc or 6543 are easy to guess.";
                suggestions.Add("Avoid sequences.");
                break;
            case "date" or "year":
                warning = "Dates and years are often easy to guess.";
                suggestions.Add("Avoid dates and years that are associated with you.");
                break;
            default:
                break;
        }
        return (warning, suggestions);
    }

    private static string? DictionaryWarning(DictionaryMatch match, bool sole) => match.DictionaryName switch
    {
        "user_inputs" => "Contains your email address or your organisation's name.",
        "passwords" when sole && match is not L33tDictionaryMatch && match.Rank <= 10 => "This is one of the 10 most common passwords.",
        "passwords" when sole && match is not L33tDictionaryMatch && match.Rank <= 100 => "This is one of the 100 most common passwords.",
        "passwords" when sole && match is not L33tDictionaryMatch => "This is a very common password.",
        "passwords" => "This is similar to a commonly used password.",
        "english" or "us_tv_and_film" when sole => "A word by itself is easy to guess.",
        "surnames" or "male_names" or "female_names" => sole ? "Names and surnames by themselves are easy to guess." : "Common names and surnames are easy to guess.",
        _ => null,
    };
}
