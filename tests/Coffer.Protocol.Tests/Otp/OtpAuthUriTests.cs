using Coffer.Protocol.Otp;

namespace Coffer.Protocol.Tests.Otp;

public class OtpAuthUriTests
{
    // "Hello!\xDE\xAD\xBE\xEF" — the Key Uri Format wiki's example secret JBSWY3DPEHPK3PXP.
    private static readonly byte[] ExampleSecret = [0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x21, 0xDE, 0xAD, 0xBE, 0xEF];
    private const string ExampleSecretBase32 = "JBSWY3DPEHPK3PXP";

    // Key Uri Format wiki examples.
    [Fact]
    public void Parse_KeyUriFormatExample_ReadsEveryField()
    {
        using OtpAuthUri uri = OtpAuthUri.Parse("otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example");
        Assert.Equal(OtpType.Totp, uri.Type);
        Assert.Equal("Example", uri.Issuer);
        Assert.Equal("alice@google.com", uri.AccountName);
        Assert.Equal(ExampleSecret, uri.Secret.ToArray());
        Assert.Equal(OtpAlgorithm.Sha1, uri.Algorithm);
        Assert.Equal(6, uri.Digits);
        Assert.Equal(30, uri.Period);
    }

    [Fact]
    public void Parse_AllParameters_ReadsThem()
    {
        using OtpAuthUri uri = OtpAuthUri.Parse(
            "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA512&digits=8&period=60");
        Assert.Equal("ACME Co", uri.Issuer);
        Assert.Equal("john.doe@email.com", uri.AccountName);
        Assert.Equal(OtpAlgorithm.Sha512, uri.Algorithm);
        Assert.Equal(8, uri.Digits);
        Assert.Equal(60, uri.Period);
        Assert.Equal(20, uri.Secret.Length);
    }

    [Fact]
    public void Parse_Hotp_ReadsCounter()
    {
        using OtpAuthUri uri = OtpAuthUri.Parse("otpauth://hotp/alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=18446744073709551615&algorithm=sha256");
        Assert.Equal(OtpType.Hotp, uri.Type);
        Assert.Null(uri.Issuer);
        Assert.Equal("alice", uri.AccountName);
        Assert.Equal(ulong.MaxValue, uri.Counter);
        Assert.Equal(OtpAlgorithm.Sha256, uri.Algorithm);
        Assert.Equal("12345678901234567890"u8.ToArray(), uri.Secret.ToArray());
    }

    [Theory]
    [InlineData("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP======")]   // padding
    [InlineData("otpauth://totp/Example:alice?secret=JBSW%20Y3DP%20EHPK%203PXP")] // groups of four
    [InlineData("otpauth://totp/Example:alice?secret=jbsw+y3dp+ehpk+3pxp")]      // '+' as space, lower case
    [InlineData("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP%3D%3D%3D%3D%3D%3D")]
    public void Parse_SecretWithPaddingOrSpaces_IsNormalised(string text)
    {
        using OtpAuthUri uri = OtpAuthUri.Parse(text);
        Assert.Equal(ExampleSecret, uri.Secret.ToArray());
    }

    [Fact]
    public void Parse_LabelVariants_FollowKeyUriFormat()
    {
        using (OtpAuthUri uri = OtpAuthUri.Parse("otpauth://totp/Big%20Corp%3A%20alice%40example.com?secret=JBSWY3DPEHPK3PXP"))
        {
            Assert.Equal("Big Corp", uri.Issuer);          // encoded colon, optional space after it
            Assert.Equal("alice@example.com", uri.AccountName);
        }
        using (OtpAuthUri uri = OtpAuthUri.Parse("otpauth://totp/Label:alice+tag@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Param"))
        {
            Assert.Equal("Param", uri.Issuer);              // the parameter wins over the prefix
            Assert.Equal("alice+tag@example.com", uri.AccountName); // '+' is literal in the label
        }
        using (OtpAuthUri uri = OtpAuthUri.Parse("OTPAUTH://TOTP/Caf%C3%A9:b%C3%A4r?SECRET=JBSWY3DPEHPK3PXP&image=https%3A%2F%2Fx&color=red#frag"))
        {
            Assert.Equal("Café", uri.Issuer);
            Assert.Equal("bär", uri.AccountName);
        }
    }

    [Theory]
    [InlineData(OtpType.Totp, OtpAlgorithm.Sha1, 6, 30, 0UL, "Example", "alice@google.com")]
    [InlineData(OtpType.Totp, OtpAlgorithm.Sha256, 7, 45, 0UL, null, "bob")]
    [InlineData(OtpType.Totp, OtpAlgorithm.Sha512, 8, 1, 0UL, "Ünïcödé & Sons/Ltd?", "a b+c@d#e")]
    [InlineData(OtpType.Hotp, OtpAlgorithm.Sha1, 6, 30, 42UL, "ACME", "carol")]
    [InlineData(OtpType.Hotp, OtpAlgorithm.Sha512, 8, 30, ulong.MaxValue, null, "dave%20")]
    public void FormatThenParse_RoundTrips(OtpType type, OtpAlgorithm algorithm, int digits, int period, ulong counter, string? issuer, string account)
    {
        byte[] secret = new byte[23];
        System.Security.Cryptography.RandomNumberGenerator.Fill(secret);
        using OtpAuthUri original = new(type, secret, account, issuer, algorithm, digits, period, counter);
        string text = original.Format();
        using OtpAuthUri parsed = OtpAuthUri.Parse(text);
        Assert.Equal(type, parsed.Type);
        Assert.Equal(issuer, parsed.Issuer);
        Assert.Equal(account, parsed.AccountName);
        Assert.Equal(algorithm, parsed.Algorithm);
        Assert.Equal(digits, parsed.Digits);
        Assert.Equal(type == OtpType.Totp ? period : 30, parsed.Period);
        Assert.Equal(type == OtpType.Hotp ? counter : 0UL, parsed.Counter);
        Assert.Equal(secret, parsed.Secret.ToArray());
        Assert.Equal(text, parsed.Format());
    }

    [Fact]
    public void Format_KeyUriFormatExample_IsCanonical()
    {
        using OtpAuthUri uri = new(OtpType.Totp, ExampleSecret, "alice@google.com", "Example Co");
        Assert.Equal(
            "otpauth://totp/Example%20Co:alice%40google.com?secret=" + ExampleSecretBase32 + "&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30",
            uri.Format());
    }

    [Theory]
    [InlineData("http://totp/a?secret=JBSWY3DPEHPK3PXP")]                      // scheme
    [InlineData("otpauth-migration://offline?data=abc")]
    [InlineData("otpauth://sotp/a?secret=JBSWY3DPEHPK3PXP")]                   // type
    [InlineData("otpauth://totp?secret=JBSWY3DPEHPK3PXP")]                     // no label
    [InlineData("otpauth://totp/?secret=JBSWY3DPEHPK3PXP")]                    // empty label
    [InlineData("otpauth://totp/Issuer:?secret=JBSWY3DPEHPK3PXP")]             // empty account
    [InlineData("otpauth://totp/:alice?secret=JBSWY3DPEHPK3PXP")]              // empty issuer prefix
    [InlineData("otpauth://totp/a:b:c?secret=JBSWY3DPEHPK3PXP")]               // second colon
    [InlineData("otpauth://totp/a%0Ab?secret=JBSWY3DPEHPK3PXP")]               // control character
    [InlineData("otpauth://totp/a%zzb?secret=JBSWY3DPEHPK3PXP")]               // bad escape
    [InlineData("otpauth://totp/a%C3?secret=JBSWY3DPEHPK3PXP")]                // truncated UTF-8
    [InlineData("otpauth://totp/a%?secret=JBSWY3DPEHPK3PXP")]
    [InlineData("otpauth://totp/alice")]                                       // no secret
    [InlineData("otpauth://totp/alice?issuer=x")]
    [InlineData("otpauth://totp/alice?secret=")]
    [InlineData("otpauth://totp/alice?secret====")]
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PX1")]               // '1' is not base32
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXPMZ")]             // non-zero trailing bits
    [InlineData("otpauth://totp/alice?secret=JB=SWY3DPEHPK3PXP")]              // '=' inside
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&secret=JBSWY3DPEHPK3PXP")] // repeated
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&Secret=JBSWY3DPEHPK3PXP")]
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=MD5")]
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=SHA-256")]
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=5")]
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=9")]
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=+6")]
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=six")]
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&period=0")]
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&period=-30")]
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&period=30s")]
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&period=99999999999")]
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=a:b")]
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&novalue")]
    [InlineData("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&=x")]
    [InlineData("otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP")]               // hotp needs a counter
    [InlineData("otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=-1")]
    [InlineData("otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=18446744073709551616")]
    public void Parse_Malformed_ThrowsFormatExceptionWithoutSecret(string text)
    {
        FormatException e = Assert.Throws<FormatException>(() => OtpAuthUri.Parse(text));
        Assert.DoesNotContain("JBSW", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(text, e.Message, StringComparison.Ordinal);
        Assert.False(OtpAuthUri.TryParse(text, out OtpAuthUri? result));
        Assert.Null(result);
    }

    [Fact]
    public void TryParse_Null_IsFalse() => Assert.False(OtpAuthUri.TryParse(null, out _));

    [Fact]
    public void CreateTotp_FromUri_GivesTheUrisCodes()
    {
        using OtpAuthUri uri = OtpAuthUri.Parse("otpauth://totp/RFC6238?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8");
        using Totp totp = uri.CreateTotp();
        Assert.Equal("94287082", totp.Compute(59)); // RFC 6238 Appendix B, SHA1, T = 59
        Assert.Throws<InvalidOperationException>(() => uri.CreateHotp());
    }

    [Fact]
    public void CreateHotp_FromUri_GivesTheUrisCodes()
    {
        using OtpAuthUri uri = OtpAuthUri.Parse("otpauth://hotp/RFC4226?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0");
        using Hotp hotp = uri.CreateHotp();
        Assert.Equal("755224", hotp.Compute(uri.Counter)); // RFC 4226 Appendix D, count 0
        Assert.Throws<InvalidOperationException>(() => uri.CreateTotp());
    }

    [Theory]
    [InlineData("", "Issuer")]
    [InlineData("a:b", "Issuer")]
    [InlineData("alice", "")]
    [InlineData("alice", "Is:suer")]
    [InlineData("ali\u0007ce", null)]
    public void Constructor_BadLabelParts_Throw(string account, string? issuer) =>
        Assert.ThrowsAny<ArgumentException>(() => new OtpAuthUri(OtpType.Totp, ExampleSecret, account, issuer));

    [Fact]
    public void Constructor_EmptySecret_Throws() =>
        Assert.Throws<ArgumentException>(() => new OtpAuthUri(OtpType.Totp, [], "alice"));

    [Fact]
    public void Dispose_ZeroesAndBlocksSecret()
    {
        OtpAuthUri uri = OtpAuthUri.Parse("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP");
        uri.Dispose();
        Assert.Throws<ObjectDisposedException>(() => uri.Secret.Length);
        Assert.Throws<ObjectDisposedException>(() => uri.Format());
    }
}
