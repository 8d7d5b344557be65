using Coffer.Protocol.Encoding;

namespace Coffer.Protocol.Tests.Encoding;

public class Base32Tests
{
    // RFC 4648 §10 test vectors, padding removed.
    [Theory]
    [InlineData("", "")]
    [InlineData("f", "MY")]
    [InlineData("fo", "MZXQ")]
    [InlineData("foo", "MZXW6")]
    [InlineData("foob", "MZXW6YQ")]
    [InlineData("fooba", "MZXW6YTB")]
    [InlineData("foobar", "MZXW6YTBOI")]
    public void Encode_Rfc4648Section10_MatchesUnpadded(string ascii, string expected)
    {
        byte[] data = System.Text.Encoding.ASCII.GetBytes(ascii);
        Assert.Equal(expected, Base32.Encode(data));
        Assert.Equal(data, Base32.Decode(expected));
        Assert.Equal(data, Base32.Decode(expected.ToLowerInvariant()));
    }

    [Theory]
    [InlineData("MY======")]
    [InlineData("MZ")]       // non-zero trailing bits
    [InlineData("M")]        // impossible length
    [InlineData("MZXW1")]    // '1' is not in the alphabet
    [InlineData("MZX W6")]
    public void TryDecode_Invalid_IsRejected(string text) => Assert.False(Base32.TryDecode(text, out _));

    [Fact]
    public void Encode_ThirtyTwoBytes_IsFiftyTwoCharacters()
    {
        byte[] data = new byte[32];
        data[31] = 0xFF;
        string s = Base32.Encode(data);
        Assert.Equal(52, s.Length);
        Assert.Equal(data, Base32.Decode(s));
    }
}
