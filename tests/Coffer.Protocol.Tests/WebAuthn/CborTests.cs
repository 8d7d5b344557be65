using Coffer.Protocol.WebAuthn;

namespace Coffer.Protocol.Tests.WebAuthn;

public class CborTests
{
    // RFC 8949 Appendix A, Table 6: the examples inside the subset Coffer accepts (integers, strings,
    // arrays, maps, false/true/null), with the diagnostic notation re-encoded by Describe below.
    [Theory]
    [InlineData("00", "0")]
    [InlineData("01", "1")]
    [InlineData("0a", "10")]
    [InlineData("17", "23")]
    [InlineData("1818", "24")]
    [InlineData("1819", "25")]
    [InlineData("1864", "100")]
    [InlineData("1903e8", "1000")]
    [InlineData("1a000f4240", "1000000")]
    [InlineData("1b000000e8d4a51000", "1000000000000")]
    [InlineData("1bffffffffffffffff", "18446744073709551615")]
    [InlineData("3bffffffffffffffff", "-18446744073709551616")]
    [InlineData("20", "-1")]
    [InlineData("29", "-10")]
    [InlineData("3863", "-100")]
    [InlineData("3903e7", "-1000")]
    [InlineData("f4", "false")]
    [InlineData("f5", "true")]
    [InlineData("f6", "null")]
    [InlineData("40", "h''")]
    [InlineData("4401020304", "h'01020304'")]
    [InlineData("60", "\"\"")]
    [InlineData("6161", "\"a\"")]
    [InlineData("6449455446", "\"IETF\"")]
    [InlineData("62225c", "\"\\\"\\\\\"")]
    [InlineData("62c3bc", "\"\u00fc\"")]
    [InlineData("63e6b0b4", "\"\u6c34\"")]
    [InlineData("64f0908591", "\"\U00010151\"")]
    [InlineData("80", "[]")]
    [InlineData("83010203", "[1, 2, 3]")]
    [InlineData("8301820203820405", "[1, [2, 3], [4, 5]]")]
    [InlineData("98190102030405060708090a0b0c0d0e0f101112131415161718181819",
        "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]")]
    [InlineData("a0", "{}")]
    [InlineData("a201020304", "{1: 2, 3: 4}")]
    [InlineData("a26161016162820203", "{\"a\": 1, \"b\": [2, 3]}")]
    [InlineData("826161a161626163", "[\"a\", {\"b\": \"c\"}]")]
    [InlineData("a56161614161626142616361436164614461656145", "{\"a\": \"A\", \"b\": \"B\", \"c\": \"C\", \"d\": \"D\", \"e\": \"E\"}")]
    public void Decode_Rfc8949AppendixASupported_MatchesDiagnostic(string hex, string diagnostic)
    {
        CborValue value = Cbor.Decode(Convert.FromHexString(hex));
        Assert.Equal(diagnostic, Describe(value));
        Assert.Equal(hex, Convert.ToHexStringLower(value.Encoded.Span));
    }

    // RFC 8949 Appendix A, Table 6 and the indefinite-length examples: everything outside the subset
    // (tags and bignums, floats, undefined, other simple values, indefinite lengths) is refused.
    [Theory]
    [InlineData("c249010000000000000000")] // 18446744073709551616 (tag 2 bignum)
    [InlineData("c349010000000000000000")] // -18446744073709551617 (tag 3 bignum)
    [InlineData("f90000")] // 0.0
    [InlineData("f98000")] // -0.0
    [InlineData("f93c00")] // 1.0
    [InlineData("fb3ff199999999999a")] // 1.1
    [InlineData("f93e00")] // 1.5
    [InlineData("f97bff")] // 65504.0
    [InlineData("fa47c35000")] // 100000.0
    [InlineData("fa7f7fffff")] // 3.4028234663852886e+38
    [InlineData("fb7e37e43c8800759c")] // 1.0e+300
    [InlineData("f90001")] // 5.960464477539063e-8
    [InlineData("f90400")] // 0.00006103515625
    [InlineData("f9c400")] // -4.0
    [InlineData("fbc010666666666666")] // -4.1
    [InlineData("f97c00")] // Infinity
    [InlineData("f97e00")] // NaN
    [InlineData("f9fc00")] // -Infinity
    [InlineData("fa7f800000")] // Infinity (single)
    [InlineData("fa7fc00000")] // NaN (single)
    [InlineData("faff800000")] // -Infinity (single)
    [InlineData("fb7ff0000000000000")] // Infinity (double)
    [InlineData("fb7ff8000000000000")] // NaN (double)
    [InlineData("fbfff0000000000000")] // -Infinity (double)
    [InlineData("f7")] // undefined
    [InlineData("f0")] // simple(16)
    [InlineData("f8ff")] // simple(255)
    [InlineData("c074323031332d30332d32315432303a30343a30305a")] // 0("2013-03-21T20:04:00Z")
    [InlineData("c11a514b67b0")] // 1(1363896240)
    [InlineData("c1fb41d452d9ec200000")] // 1(1363896240.5)
    [InlineData("d74401020304")] // 23(h'01020304')
    [InlineData("d818456449455446")] // 24(h'6449455446')
    [InlineData("d82076687474703a2f2f7777772e6578616d706c652e636f6d")] // 32("http://www.example.com")
    [InlineData("5f42010243030405ff")] // (_ h'0102', h'030405')
    [InlineData("7f657374726561646d696e67ff")] // (_ "strea", "ming")
    [InlineData("9fff")] // [_ ]
    [InlineData("9f018202039f0405ffff")] // [_ 1, [2, 3], [_ 4, 5]]
    [InlineData("9f01820203820405ff")] // [_ 1, [2, 3], [4, 5]]
    [InlineData("83018202039f0405ff")] // [1, [2, 3], [_ 4, 5]]
    [InlineData("83019f0203ff820405")] // [1, [_ 2, 3], [4, 5]]
    [InlineData("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff")] // [_ 1, ..., 25]
    [InlineData("bf61610161629f0203ffff")] // {_ "a": 1, "b": [_ 2, 3]}
    [InlineData("826161bf61626163ff")] // ["a", {_ "b": "c"}]
    [InlineData("bf6346756ef563416d7421ff")] // {_ "Fun": true, "Amt": -2}
    public void Decode_Rfc8949AppendixAOutsideSubset_Refused(string hex)
    {
        Assert.Throws<WebAuthnFormatException>(() => Cbor.Decode(Convert.FromHexString(hex)));
    }

    [Theory]
    [InlineData("", "empty input")]
    [InlineData("1800", "0 in a 1-byte argument")]
    [InlineData("1817", "23 in a 1-byte argument")]
    [InlineData("1900ff", "255 in a 2-byte argument")]
    [InlineData("1a0000ffff", "65535 in a 4-byte argument")]
    [InlineData("1b00000000ffffffff", "2^32-1 in an 8-byte argument")]
    [InlineData("380a", "-11 in a 1-byte argument")]
    [InlineData("580101", "byte string length 1 in a 1-byte argument")]
    [InlineData("98020102", "array count 2 in a 1-byte argument")]
    [InlineData("1c", "reserved additional information 28")]
    [InlineData("1d", "reserved additional information 29")]
    [InlineData("1e", "reserved additional information 30")]
    [InlineData("1f", "indefinite unsigned integer")]
    [InlineData("ff", "lone break")]
    [InlineData("f818", "simple value in 1 byte")]
    [InlineData("19", "truncated argument")]
    [InlineData("1901", "truncated 2-byte argument")]
    [InlineData("4401020304ff", "trailing byte")]
    [InlineData("0000", "two items")]
    [InlineData("440102", "truncated byte string")]
    [InlineData("8201", "truncated array")]
    [InlineData("a101", "map key without value")]
    [InlineData("9bffffffffffffffff", "array count 2^64-1")]
    [InlineData("5b0000000100000000", "byte string longer than the input")]
    [InlineData("bbffffffffffffffff", "map count 2^64-1")]
    [InlineData("61ff", "invalid UTF-8 byte")]
    [InlineData("62c0af", "overlong UTF-8")]
    [InlineData("63eda080", "UTF-8 surrogate")]
    [InlineData("a201020103", "duplicate integer key")]
    [InlineData("a2616101616102", "duplicate text key")]
    [InlineData("a203040102", "integer keys out of order")]
    [InlineData("a2616201616102", "text keys out of order")]
    [InlineData("a2626161016162 02", "longer text key first")]
    [InlineData("a2200101 02", "negative key before unsigned key")]
    [InlineData("a261610101 02", "text key before integer key")]
    [InlineData("a1410101", "byte string key")]
    [InlineData("a1800101", "array key")]
    [InlineData("a1f401", "boolean key")]
    [InlineData("a1f601", "null key")]
    public void Decode_Malformed_Refused(string hex, string why)
    {
        Assert.False(string.IsNullOrEmpty(why));
        Assert.Throws<WebAuthnFormatException>(() => Cbor.Decode(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal))));
    }

    [Fact]
    public void Decode_CanonicalMixedKeys_Accepted()
    {
        // CTAP2 order: unsigned before negative before text; shorter before longer; then bytewise.
        byte[] map = CborBytes.Map(
            CborBytes.Int(1), CborBytes.Int(0), CborBytes.Int(24), CborBytes.Int(0), CborBytes.Int(-1), CborBytes.Int(0),
            CborBytes.Int(-25), CborBytes.Int(0), CborBytes.Text("b"), CborBytes.Int(0), CborBytes.Text("aa"), CborBytes.Int(0));
        CborValue value = Cbor.Decode(map);
        Assert.Equal(6, value.Entries.Count);
        Assert.True(value.TryGetValue(-25, out _));
        Assert.True(value.TryGetValue("aa", out _));
    }

    [Fact]
    public void Decode_NestingAtLimit_Accepted()
    {
        byte[] nested = [.. Enumerable.Repeat((byte)0x81, Cbor.MaxDepth - 1), 0x80];
        Assert.Equal(CborKind.Array, Cbor.Decode(nested).Kind);
    }

    [Fact]
    public void Decode_NestingBeyondLimit_Refused()
    {
        byte[] nested = [.. Enumerable.Repeat((byte)0x81, Cbor.MaxDepth), 0x80];
        Assert.Throws<WebAuthnFormatException>(() => Cbor.Decode(nested));
    }

    [Fact]
    public void Decode_DeepMapNesting_Refused()
    {
        byte[] nested = [.. Enumerable.Repeat(new byte[] { 0xa1, 0x01 }, 100).SelectMany(b => b), 0xa0];
        Assert.Throws<WebAuthnFormatException>(() => Cbor.Decode(nested));
    }

    [Fact]
    public void DecodeFirst_ItemFollowedByData_ReportsConsumed()
    {
        CborValue value = Cbor.DecodeFirst(Convert.FromHexString("a201020304ffff"), out int consumed);
        Assert.Equal(5, consumed);
        Assert.Equal(4, value.Required(3).ToInt64());
    }

    [Fact]
    public void Accessors_WrongKind_ThrowFormatException()
    {
        CborValue value = Cbor.Decode(Convert.FromHexString("6161"));
        Assert.Throws<WebAuthnFormatException>(() => value.Number);
        Assert.Throws<WebAuthnFormatException>(() => value.ToByteArray());
        Assert.Throws<WebAuthnFormatException>(() => value.Entries);
        Assert.Throws<WebAuthnFormatException>(() => value.Required("a"));
    }

    [Fact]
    public void ToInt64_OutOfRange_ThrowsFormatException()
    {
        CborValue value = Cbor.Decode(Convert.FromHexString("1bffffffffffffffff"));
        Assert.Throws<WebAuthnFormatException>(() => value.ToInt64());
    }

    private static string Describe(CborValue value) => value.Kind switch
    {
        CborKind.Number => value.Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        CborKind.ByteString => "h'" + Convert.ToHexStringLower(value.Bytes) + "'",
        CborKind.TextString => "\"" + value.Text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
        CborKind.Array => "[" + string.Join(", ", value.Items.Select(Describe)) + "]",
        CborKind.Map => "{" + string.Join(", ", value.Entries.Select(e => Describe(e.Key) + ": " + Describe(e.Value))) + "}",
        CborKind.Boolean => value.Boolean ? "true" : "false",
        _ => "null",
    };
}
