using Coffer.Crypto.Generators;

namespace Coffer.Crypto.Tests.Generators;

public class PasswordStrengthTests
{
    [Theory]
    [InlineData("password")]
    [InlineData("123456")]
    [InlineData("qwertyuiop")]
    [InlineData("P@ssw0rd")]
    [InlineData("aaaaaaaaaaaa")]
    [InlineData("abcdefgh")]
    [InlineData("12/05/1987")]
    [InlineData("")]
    public void Estimate_ObviouslyWeak_ScoresZeroOrOneWithAdvice(string password)
    {
        PasswordStrengthResult result = PasswordStrength.Estimate(password);
        Assert.InRange(result.Score, 0, 1);
        Assert.InRange(result.GuessesLog10, 0, 6);
        Assert.NotEmpty(result.Suggestions);
        Assert.False(string.IsNullOrEmpty(result.CrackTimeDisplay));
    }

    [Theory]
    [InlineData("correct horse battery staple")]
    [InlineData("kx8#Qm2!vLp9@zR4wT7&")]
    [InlineData("Ünïcödé pässwörd wïth àccénts")]
    public void Estimate_ObviouslyStrong_ScoresFourWithoutAdvice(string password)
    {
        PasswordStrengthResult result = PasswordStrength.Estimate(password);
        Assert.Equal(4, result.Score);
        Assert.True(result.GuessesLog10 > 10, result.GuessesLog10.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(result.Warning);
        Assert.Empty(result.Suggestions);
    }

    [Fact]
    public void Estimate_GeneratedSecrets_ScoreFour()
    {
        Assert.Equal(4, PasswordStrength.Estimate(PassphraseGenerator.Generate(new PassphraseOptions())).Score);
        Assert.Equal(4, PasswordStrength.Estimate(PasswordGenerator.Generate(new PasswordOptions())).Score);
    }

    [Fact]
    public void Estimate_CommonPassword_WarnsByRank()
    {
        Assert.Equal("This is one of the 10 most common passwords.", PasswordStrength.Estimate("password").Warning);
        Assert.Equal("Sequences like abc or 6543 are easy to guess.", PasswordStrength.Estimate("abcdefgh").Warning);
        Assert.Equal("Dates and years are often easy to guess.", PasswordStrength.Estimate("12/05/1987").Warning);
        Assert.Contains("Predictable substitutions like '@' for 'a' do not help much.", PasswordStrength.Estimate("P@ssw0rd").Suggestions);
    }

    [Fact]
    public void Estimate_BuiltFromOrganisationName_ScoresLowerThanWithoutIt()
    {
        const string Password = "MinistryOfFoo2024!";
        PasswordStrengthResult plain = PasswordStrength.Estimate(Password);
        PasswordStrengthResult personal = PasswordStrength.Estimate(Password, "alice@foo.example", "Ministry of Foo");
        Assert.True(personal.GuessesLog10 < plain.GuessesLog10 - 5, $"{personal.GuessesLog10} vs {plain.GuessesLog10}");
        Assert.True(personal.Score < plain.Score);
        Assert.Equal("Contains your email address or your organisation's name.", personal.Warning);
    }

    [Fact]
    public void Estimate_BuiltFromEmail_ScoresZero()
    {
        PasswordStrengthResult result = PasswordStrength.Estimate("alice.cooper1987", "Alice.Cooper@ministry.example", null);
        Assert.Equal(0, result.Score);
    }

    [Fact]
    public void Estimate_Result_NeverContainsThePassword()
    {
        foreach (string password in new[] { "hunter2hunter2", "Tr0ub4dor&3", "alice@example.com" })
        {
            PasswordStrengthResult result = PasswordStrength.Estimate(password, "alice@example.com", "Example");
            Assert.DoesNotContain(password, result.ToString(), StringComparison.OrdinalIgnoreCase);
            Assert.All(result.Suggestions, s => Assert.DoesNotContain(password, s, StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(password, result.Warning ?? string.Empty, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void UserInputs_EmailAndOrganisation_GiveLowerCaseWholesAndPieces()
    {
        IReadOnlyList<string> inputs = PasswordStrength.UserInputs(" Alice.Cooper+vault@Ministry.Example ", "Ministry of Foo");
        Assert.Equal(
            ["alice", "alice.cooper+vault", "alice.cooper+vault@ministry.example", "cooper", "example", "foo", "ministry", "ministry of foo", "ministry.example", "ministryoffoo", "vault"],
            inputs);
        Assert.Empty(PasswordStrength.UserInputs(null, "  "));
    }

    [Fact]
    public void Estimate_Null_Throws() => Assert.Throws<ArgumentNullException>(() => PasswordStrength.Estimate(null!));
}
