using System.Globalization;
using Coffer.Crypto.Generators;

namespace Coffer.Cli.Terminal;

/// <summary>
/// Choosing an account password (POLICY.md, Authentication): the rules are enforced (at least 14 characters, not the
/// email or the organisation's name), the strength estimate is shown, and at a terminal it is typed twice.
/// </summary>
internal static class NewPassword
{
    /// <summary>zxcvbn score below which a password is called weak.</summary>
    public const int WeakScore = 3;

    public static string Read(Input input, Output output, bool fromStdin, string email, string? organisationName)
    {
        if (fromStdin)
        {
            string password = input.ReadStdinLine("the new password");
            Check(password, email, organisationName);
            PasswordStrengthResult strength = PasswordStrength.Estimate(password, email, organisationName);
            if (strength.Score < WeakScore)
            {
                output.Note("Warning: " + Describe(strength));
            }
            return password;
        }
        output.Note(string.Create(CultureInfo.InvariantCulture,
            $"Choose your account password: at least {PasswordRules.DefaultMinimumLength} characters, not your email or the organisation's name. Nobody can reset it for you."));
        for (int attempt = 0; attempt < 3; attempt++)
        {
            string password = input.AskHidden("New password: ", "--password-stdin");
            PasswordRuleResult rules = PasswordRules.Check(password, PasswordRules.DefaultMinimumLength, email, organisationName);
            if (!rules.IsAcceptable)
            {
                output.Note(string.Join(" ", rules.Messages));
                continue;
            }
            PasswordStrengthResult strength = PasswordStrength.Estimate(password, email, organisationName);
            output.Note(Describe(strength));
            if (strength.Score < WeakScore && !input.Confirm("Use this weak password anyway?"))
            {
                continue;
            }
            if (input.AskHidden("Repeat it: ", "--password-stdin") != password)
            {
                output.Note("The two passwords differ.");
                continue;
            }
            return password;
        }
        throw new CliException(ExitCodes.Usage, "No acceptable password was chosen.");
    }

    public static void Check(string password, string email, string? organisationName)
    {
        PasswordRuleResult rules = PasswordRules.Check(password, PasswordRules.DefaultMinimumLength, email, organisationName);
        if (!rules.IsAcceptable)
        {
            throw new CliException(ExitCodes.Usage, "The password is not acceptable: " + string.Join(" ", rules.Messages));
        }
    }

    private static string Describe(PasswordStrengthResult strength)
    {
        string verdict = strength.Score switch
        {
            0 or 1 => "very weak",
            2 => "weak",
            3 => "strong",
            _ => "very strong",
        };
        string text = string.Create(CultureInfo.InvariantCulture, $"Strength: {verdict} ({strength.Score}/4; about {strength.CrackTimeDisplay} to guess offline).");
        return strength.Warning is null ? text : text + " " + strength.Warning;
    }
}
