using System.CommandLine;
using System.Globalization;
using Coffer.Crypto.Generators;

namespace Coffer.Cli.Commands;

/// <summary>A generated password, passphrase or PIN and its entropy.</summary>
internal sealed record GeneratedSecret(string Kind, string Value, double EntropyBits);

/// <summary><c>generate password|passphrase|pin</c>: runs here, without the agent (nothing to unlock).</summary>
internal static class GenerateCommand
{
    public static Command Build()
    {
        Option<int> length = new("--length") { Description = "Characters", DefaultValueFactory = _ => 20 };
        Option<bool> noSymbols = new("--no-symbols") { Description = "Letters and digits only" };
        Option<bool> noAmbiguous = new("--no-ambiguous") { Description = "Leave out characters easily confused (0 O o 1 l I |)" };
        Command password = new("password", "A random password (default: 20 characters of every class)") { length, noSymbols, noAmbiguous };
        Register(password, parse =>
        {
            PasswordOptions options = new()
            {
                Length = parse.GetValue(length),
                Classes = parse.GetValue(noSymbols) ? CharacterClasses.All & ~CharacterClasses.Symbols : CharacterClasses.All,
                ExcludeAmbiguous = parse.GetValue(noAmbiguous),
            };
            return new GeneratedSecret("password", PasswordGenerator.Generate(options), PasswordGenerator.EntropyBits(options));
        });

        Option<int> words = new("--words") { Description = "Words", DefaultValueFactory = _ => 6 };
        Option<string> separator = new("--separator") { Description = "Between words", DefaultValueFactory = _ => "-" };
        Option<bool> capitalize = new("--capitalize") { Description = "Capitalise each word" };
        Option<bool> digit = new("--digit") { Description = "Add a digit to one word" };
        Command passphrase = new("passphrase", "Random words from Coffer's 7776-word list (default: 6 words)") { words, separator, capitalize, digit };
        Register(passphrase, parse =>
        {
            PassphraseOptions options = new()
            {
                WordCount = parse.GetValue(words),
                Separator = parse.GetValue(separator) ?? "-",
                Capitalize = parse.GetValue(capitalize),
                IncludeDigit = parse.GetValue(digit),
            };
            return new GeneratedSecret("passphrase", PassphraseGenerator.Generate(options), PassphraseGenerator.EntropyBits(options));
        });

        Option<int> digits = new("--length") { Description = "Digits", DefaultValueFactory = _ => 6 };
        Command pin = new("pin", "A random PIN (default: 6 digits)") { digits };
        Register(pin, parse => new GeneratedSecret("pin", PinGenerator.Generate(parse.GetValue(digits)), PinGenerator.EntropyBits(parse.GetValue(digits))));

        return new Command("generate", "Generate a password, a passphrase or a PIN (printed with its entropy)") { password, passphrase, pin };
    }

    private static void Register(Command command, Func<ParseResult, GeneratedSecret> generate)
    {
        CofferCli.SetAction(command, (c, _) =>
        {
            GeneratedSecret secret;
            try
            {
                secret = generate(c.Parse);
            }
            catch (ArgumentException e)
            {
                throw new CliException(ExitCodes.Usage, e.Message);
            }
            if (c.Output.Json)
            {
                c.Output.WriteJson(secret, CliJsonContext.Default.GeneratedSecret);
            }
            else
            {
                c.Output.Out.WriteLine(secret.Value);
                c.Output.Note(string.Create(CultureInfo.InvariantCulture, $"{secret.EntropyBits:F1} bits of entropy"));
            }
            return Task.CompletedTask;
        });
    }
}
