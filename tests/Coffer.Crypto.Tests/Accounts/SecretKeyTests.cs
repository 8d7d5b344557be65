using Coffer.Crypto.Accounts;

namespace Coffer.Crypto.Tests.Accounts;

public class SecretKeyTests
{
    [Fact]
    public void Generate_FormatParse_RoundTrips()
    {
        string account = SecretKey.GenerateAccountId();
        using SecretKey sk = SecretKey.Generate(account);
        string text = sk.Format();
        Assert.Matches("^C1-[23456789ABCDEFGHJKLMNPQRSTVWXYZ]{6}-[23456789ABCDEFGHJKLMNPQRSTVWXYZ]{6}(-[23456789ABCDEFGHJKLMNPQRSTVWXYZ]{5}){4}$", text);
        Assert.StartsWith("C1-" + account + "-", text, StringComparison.Ordinal);
        using SecretKey parsed = SecretKey.Parse(text);
        Assert.Equal(account, parsed.AccountId);
        Assert.True(sk.SecretAscii.SequenceEqual(parsed.SecretAscii));
    }

    [Fact]
    public void Parse_LowercaseSpacesAndHyphens_AreAccepted()
    {
        using SecretKey a = SecretKey.Parse("c1 abc234 defgh5jklmnpqrst-vwxyz 23456");
        Assert.Equal("C1-ABC234-DEFGH5-JKLMN-PQRST-VWXYZ-23456", a.Format());
    }

    [Theory]
    [InlineData("C2-ABC234-DEFGH5-JKLMN-PQRST-VWXYZ-23456")]   // version
    [InlineData("C1-ABC234-DEFGH5-JKLMN-PQRST-VWXYZ-2345")]    // short
    [InlineData("C1-ABC234-DEFGH5-JKLMN-PQRST-VWXYZ-234567")]  // long
    [InlineData("C1-ABC234-DEFGH5-JKLMN-PQRST-VWXYZ-2345O")]   // O is not in the alphabet
    [InlineData("C1-ABC234-DEFGH5-JKLMN-PQRST-VWXYZ-2345I")]
    [InlineData("C1-ABC234-DEFGH5-JKLMN-PQRST-VWXYZ-23451")]
    [InlineData("C1_ABC234-DEFGH5-JKLMN-PQRST-VWXYZ-23456")]   // other separator
    [InlineData("C1-ABC234-DEFGH5-JKLMN-PQRST-VWXYZ-2345\u0661")]
    [InlineData("")]
    public void Parse_Invalid_ThrowsWithoutRepeatingTheKey(string text)
    {
        FormatException e = Assert.Throws<FormatException>(() => SecretKey.Parse(text));
        Assert.DoesNotContain("DEFGH5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_IsUniformOverTheAlphabet()
    {
        // 31 symbols, 26 per key, 4000 keys: ~3355 draws per symbol. A symbol more than
        // 20 % off that would mean a biased draw (the chance of a fair draw doing so is < 1e-30).
        Dictionary<char, int> counts = SecretKey.Alphabet.ToDictionary(c => c, _ => 0);
        for (int i = 0; i < 4000; i++)
        {
            using SecretKey sk = SecretKey.Generate("ABCDEF");
            foreach (byte b in sk.SecretAscii)
            {
                counts[(char)b]++;
            }
        }
        double expected = 4000.0 * 26 / 31;
        Assert.All(counts.Values, n => Assert.InRange(n, expected * 0.8, expected * 1.2));
    }

    [Fact]
    public void Dispose_ZeroesSecretAndBlocksUse()
    {
        SecretKey sk = SecretKey.Generate("ABCDEF");
        sk.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sk.Format());
        Assert.Throws<ObjectDisposedException>(() => sk.SecretAscii.ToArray());
        Assert.Equal("SecretKey(C1-ABCDEF-…)", sk.ToString());
    }

    [Theory]
    [InlineData("ABCDE")]
    [InlineData("ABCDEO")]
    [InlineData("abcdef")]
    public void Generate_BadAccountId_Throws(string id) =>
        Assert.Throws<ArgumentException>(() => SecretKey.Generate(id));
}
