using System.Text.Json;
using Coffer.Crypto.Accounts;

namespace Coffer.Crypto.Tests.Accounts;

public class AccountPasswordTests
{
    [Fact]
    public void Preprocess_TrimsExactlyTheSection1Set()
    {
        Assert.Equal("a b"u8.ToArray(), AccountPassword.Preprocess("\t\n\v\f\r \u00A0\uFEFFa b\uFEFF\u00A0 \r\n"));
        // Other white space is not trimmed (EM SPACE becomes U+0020 under NFKD but stays).
        Assert.Equal(" x "u8.ToArray(), AccountPassword.Preprocess("\u2003x\u2003"));
        Assert.Equal("\u0085x"u8.ToArray().Length, AccountPassword.Preprocess("\u0085x").Length);
    }

    [Fact]
    public void Preprocess_AppliesNfkd()
    {
        // If the runtime ran in invariant-globalization mode, NFKD would silently do nothing.
        Assert.Equal("fi"u8.ToArray(), AccountPassword.Preprocess("\uFB01"));
        Assert.Equal(AccountPassword.Preprocess("Caf\u00E9"), AccountPassword.Preprocess("Cafe\u0301"));
        Assert.Equal("e\u0301"u8.ToArray(), AccountPassword.Preprocess("\u00E9"));
    }

    [Fact]
    public void Preprocess_RejectedCasesOfVectorFile_Throw()
    {
        using JsonDocument doc = TestData.Json("vectors", "coffer-2skd.json");
        foreach (JsonElement bad in doc.RootElement.GetProperty("rejected").EnumerateArray())
        {
            Assert.Throws<ArgumentException>(() => AccountPassword.Preprocess(ReadPossiblyIllFormed(bad.GetProperty("password"))));
        }
    }

    // System.Text.Json refuses to produce a lone surrogate, so those strings are unescaped by hand.
    private static string ReadPossiblyIllFormed(JsonElement e)
    {
        try
        {
            return e.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return System.Text.RegularExpressions.Regex.Replace(e.GetRawText()[1..^1], @"\\u([0-9a-fA-F]{4})",
                m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString());
        }
    }

    [Theory]
    [InlineData("abc", 3)]
    [InlineData("  abc  ", 3)]
    [InlineData("\uD83D\uDD11\uD83D\uDD11", 2)]
    [InlineData("Cafe\u0301", 5)]
    public void Length_CountsScalarValuesAfterTrim(string password, int expected) =>
        Assert.Equal(expected, AccountPassword.Length(password));
}
