using Coffer.Crypto.Generators;

namespace Coffer.Crypto.Tests.Generators;

public class PasswordRulesTests
{
    // POLICY.md, Authentication: at least 14 characters by default.
    [Fact]
    public void Check_FourteenCharacters_IsAcceptable()
    {
        PasswordRuleResult result = PasswordRules.Check("fourteen chars");
        Assert.True(result.IsAcceptable);
        Assert.Equal(14, result.Length);
        Assert.Equal(14, result.MinimumLength);
        Assert.Empty(result.Messages);
    }

    [Fact]
    public void Check_ThirteenCharacters_IsTooShortWithCountInMessage()
    {
        PasswordRuleResult result = PasswordRules.Check("thirteen char");
        Assert.Equal(PasswordRuleViolations.TooShort, result.Violations);
        Assert.False(result.IsAcceptable);
        Assert.Equal(["Use at least 14 characters (this password has 13)."], result.Messages);
    }

    [Fact]
    public void Check_Length_CountsRunesNotUtf16Units()
    {
        Assert.Equal(7, PasswordRules.Check(string.Concat(Enumerable.Repeat("😀", 7))).Length); // 14 UTF-16 units
        Assert.True(PasswordRules.Check(string.Concat(Enumerable.Repeat("😀", 14))).IsAcceptable);
        Assert.Equal(14, PasswordRules.Check("ééééééééééééé\u00e9").Length); // precomposed: one rune each, before NFKD
    }

    // PROTOCOL.md §1: trim U+0009–U+000D, U+0020, U+00A0, U+FEFF at both ends, and no others.
    [Fact]
    public void Check_Length_IsCountedAfterProtocolTrimming()
    {
        Assert.Equal(13, PasswordRules.Check(" \t\u00a0\ufeffthirteen char\r\n\u000b\u000c ").Length);
        Assert.Equal(15, PasswordRules.Check("\u2003thirteen char\u200b").Length); // em space and zero-width space are not trimmed
        Assert.Equal(0, PasswordRules.Check("   ").Length);
    }

    [Theory]
    [InlineData("my alice@example.com password")]
    [InlineData("ALICE@EXAMPLE.COMmmmmmmmmm")]
    [InlineData("correct-Alice-horse-battery")]
    public void Check_ContainsEmailOrLocalPart_IsRefused(string password)
    {
        PasswordRuleResult result = PasswordRules.Check(password, email: "Alice@Example.com");
        Assert.Equal(PasswordRuleViolations.ContainsEmail, result.Violations);
        Assert.Equal(["The password must not contain your email address or the part before the @."], result.Messages);
    }

    [Theory]
    [InlineData("ministry of foo forever")]
    [InlineData("MinistryOfFoo-is-great")]
    [InlineData("Ministry of Foo")]
    public void Check_ContainsOrganisationName_IsRefused(string password)
    {
        PasswordRuleResult result = PasswordRules.Check(password, minimumLength: 8, organisationName: "  Ministry of Foo ");
        Assert.Equal(PasswordRuleViolations.ContainsOrganisationName, result.Violations);
    }

    [Fact]
    public void Check_ShortLocalPartOrName_OnlyEqualityCounts()
    {
        Assert.True(PasswordRules.Check("a long password with jo in it", email: "jo@example.com", organisationName: "EU").IsAcceptable);
        Assert.Equal(PasswordRuleViolations.ContainsOrganisationName, PasswordRules.Check("eu", minimumLength: 1, organisationName: "EU").Violations);
        Assert.Equal(PasswordRuleViolations.ContainsEmail, PasswordRules.Check("Jo", minimumLength: 1, email: "jo@example.com").Violations);
    }

    [Fact]
    public void Check_EverythingWrong_ReportsEveryViolation()
    {
        PasswordRuleResult result = PasswordRules.Check("alice\ud800Acme", email: "alice@acme.example", organisationName: "Acme");
        Assert.Equal(
            PasswordRuleViolations.TooShort | PasswordRuleViolations.ContainsEmail | PasswordRuleViolations.ContainsOrganisationName | PasswordRuleViolations.InvalidCharacter,
            result.Violations);
        Assert.Equal(4, result.Messages.Count);
    }

    [Fact]
    public void Check_LoneSurrogate_IsInvalidCharacter()
    {
        Assert.Equal(PasswordRuleViolations.InvalidCharacter, PasswordRules.Check("a long enough pass\udc00word").Violations);
    }

    [Fact]
    public void Check_Messages_NeverContainThePassword()
    {
        const string Password = "alice-secret";
        PasswordRuleResult result = PasswordRules.Check(Password, email: "alice@example.com", organisationName: "secret");
        Assert.NotEmpty(result.Messages);
        Assert.All(result.Messages, m => Assert.DoesNotContain("secret", m, StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("secret", result.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Check_Misuse_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => PasswordRules.Check(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => PasswordRules.Check("password", minimumLength: 0));
    }
}
