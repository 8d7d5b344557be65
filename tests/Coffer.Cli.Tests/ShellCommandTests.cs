using Coffer.Cli.Commands;

namespace Coffer.Cli.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ShellCommandTests
{
    [Theory]
    [InlineData("item get Supplier", new[] { "item", "get", "Supplier" })]
    [InlineData("  item   list  ", new[] { "item", "list" })]
    [InlineData("item get \"Supplier portal\" --field password", new[] { "item", "get", "Supplier portal", "--field", "password" })]
    [InlineData("item get 'It''s mine'", new[] { "item", "get", "Its mine" })]
    [InlineData("item get \"say \\\"hi\\\"\"", new[] { "item", "get", "say \"hi\"" })]
    [InlineData("item get a\\ b", new[] { "item", "get", "a b" })]
    [InlineData("item get ''", new[] { "item", "get", "" })]
    [InlineData("", new string[0])]
    public void Split_LikeAPosixShell(string line, string[] words) => Assert.Equal(words, ShellCommand.Split(line));

    [Theory]
    [InlineData("item get \"Supplier")]
    [InlineData("item get 'Supplier")]
    public void Split_UnclosedQuote_IsNull(string line) => Assert.Null(ShellCommand.Split(line));
}
