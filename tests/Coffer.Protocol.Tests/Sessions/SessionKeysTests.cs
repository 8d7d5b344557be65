using System.Buffers.Binary;
using System.Security.Cryptography;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Sessions;

namespace Coffer.Protocol.Tests.Sessions;

public class SessionKeysTests
{
    private const string SessionId = "0190a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b";
    private static readonly byte[] K = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    [Fact]
    public void ComputeRequestTag_MatchesSection6ComputedByHand()
    {
        // PROTOCOL.md §6 written out with .NET primitives independently of SessionKeys.
        byte[] salt = System.Text.Encoding.ASCII.GetBytes(SessionId);
        byte[] macKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, K, 32, salt, "coffer/session/mac"u8.ToArray());
        byte[] body = "{\"kid\":\"x\"}"u8.ToArray();
        using MemoryStream m = new();
        m.Write("coffer/req/v1"u8);
        m.Write([0, 4]);
        m.Write("POST"u8);
        m.Write([0, 22]);
        m.Write("/api/v1/vaults?since=3"u8);
        byte[] seq = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(seq, 7);
        m.Write(seq);
        m.Write(SHA256.HashData(body));
        byte[] expected = HMACSHA256.HashData(macKey, m.ToArray());

        using SessionKeys keys = SessionKeys.Derive(K, SessionId);
        Assert.Equal(expected, keys.ComputeRequestTag("POST", "/api/v1/vaults?since=3", 7, body));
        Assert.True(keys.VerifyRequestTag("POST", "/api/v1/vaults?since=3", 7, body, expected));
    }

    [Fact]
    public void SealedBodies_UseEncKeyFromHkdf_WithSection6Contexts()
    {
        byte[] encKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, K, 32, System.Text.Encoding.ASCII.GetBytes(SessionId), "coffer/session/enc"u8.ToArray());
        using EnvelopeKey independent = new(SessionKeys.KidFor(SessionId), encKey);
        using SessionKeys keys = SessionKeys.Derive(K, SessionId);

        Envelope request = keys.SealRequest(5, "req"u8);
        Assert.Equal("req"u8.ToArray(), independent.Open($"coffer/session/{SessionId}/5/req", request));
        Envelope response = keys.SealResponse(5, 404, "resp"u8);
        Assert.Equal("resp"u8.ToArray(), independent.Open($"coffer/session/{SessionId}/5/resp/404", response));
    }

    [Fact]
    public void VerifyRequestTag_AnyChange_Fails()
    {
        using SessionKeys keys = SessionKeys.Derive(K, SessionId);
        byte[] body = "body"u8.ToArray();
        byte[] tag = keys.ComputeRequestTag("PUT", "/api/v1/items/1", 9, body);

        Assert.False(keys.VerifyRequestTag("POST", "/api/v1/items/1", 9, body, tag));
        Assert.False(keys.VerifyRequestTag("PUT", "/api/v1/items/2", 9, body, tag));
        Assert.False(keys.VerifyRequestTag("PUT", "/api/v1/items/1?x", 9, body, tag));
        Assert.False(keys.VerifyRequestTag("PUT", "/api/v1/items/1", 10, body, tag));
        Assert.False(keys.VerifyRequestTag("PUT", "/api/v1/items/1", 9, "bodY"u8, tag));
        Assert.False(keys.VerifyRequestTag("PUT", "/api/v1/items/1", 9, body, tag.AsSpan(0, 31)));
        for (int bit = 0; bit < 256; bit++)
        {
            byte[] changed = (byte[])tag.Clone();
            changed[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(keys.VerifyRequestTag("PUT", "/api/v1/items/1", 9, body, changed));
        }
        using SessionKeys otherSession = SessionKeys.Derive(K, "0190a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6c");
        Assert.False(otherSession.VerifyRequestTag("PUT", "/api/v1/items/1", 9, body, tag));
    }

    [Fact]
    public void OpenResponse_OtherSeqOrStatusOrDirection_Fails()
    {
        using SessionKeys keys = SessionKeys.Derive(K, SessionId);
        Envelope ok = keys.SealResponse(3, 200, "x"u8);
        Assert.Null(keys.OpenResponse(4, 200, ok));
        Assert.Null(keys.OpenResponse(3, 500, ok));
        Assert.Null(keys.OpenRequest(3, ok));
        Assert.NotNull(keys.OpenResponse(3, 200, ok));
    }

    [Fact]
    public void AuthHeader_FormatParse_RoundTrips()
    {
        using SessionKeys keys = SessionKeys.Derive(K, SessionId);
        string header = keys.AuthorizationHeader("GET", "/api/v1/meta", 12, []);
        Assert.StartsWith($"v1.{SessionId}.12.", header, StringComparison.Ordinal);
        Assert.True(CofferAuthHeader.TryParse(header, out string? sid, out ulong seq, out byte[]? tag));
        Assert.Equal(SessionId, sid);
        Assert.Equal(12UL, seq);
        Assert.True(keys.VerifyRequestTag("GET", "/api/v1/meta", 12, [], tag));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v2.abc.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("v1.abc.01.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("v1.abc.-1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("v1.ABC.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("v1.abc.1.AAAA")]
    [InlineData("v1.abc.18446744073709551616.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("v1..1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("v1.abc.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.x")]
    public void AuthHeader_Malformed_IsRejected(string? value) =>
        Assert.False(CofferAuthHeader.TryParse(value, out _, out _, out _));

    [Fact]
    public void Derive_ShortKeyOrBadSessionId_Throws()
    {
        Assert.Throws<ArgumentException>(() => SessionKeys.Derive(new byte[8], SessionId));
        Assert.Throws<ArgumentException>(() => SessionKeys.Derive(K, "Not.An.Id"));
    }
}
