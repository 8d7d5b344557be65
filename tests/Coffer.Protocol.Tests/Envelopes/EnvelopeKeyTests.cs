using System.Security.Cryptography;
using Coffer.Protocol.Envelopes;

namespace Coffer.Protocol.Tests.Envelopes;

public class EnvelopeKeyTests
{
    private const string Context = "coffer/item/0190a1b2-0000-7000-8000-000000000001/v3/overview";

    [Fact]
    public void SealOpen_RoundTrip_GivesPlaintextAndFreshIv()
    {
        using EnvelopeKey key = EnvelopeKey.Generate("item:x:v3");
        byte[] plaintext = RandomNumberGenerator.GetBytes(1024);
        Envelope a = key.Seal(Context, plaintext);
        Envelope b = key.Seal(Context, plaintext);
        Assert.Equal(plaintext, key.Open(Context, a));
        Assert.Equal("item:x:v3", a.Kid);
        Assert.Equal(plaintext.Length + 16, a.Data.Length);
        Assert.False(a.Iv.SequenceEqual(b.Iv));
        Assert.False(a.Data.SequenceEqual(b.Data));
    }

    [Fact]
    public void Open_EmptyPlaintext_RoundTrips()
    {
        using EnvelopeKey key = EnvelopeKey.Generate("k");
        Assert.Empty(key.Open("c", key.Seal("c", ReadOnlySpan<byte>.Empty))!);
    }

    [Fact]
    public void Open_AnyFlippedBitOfIvOrDataOrTag_Fails()
    {
        using EnvelopeKey key = EnvelopeKey.Generate("k");
        Envelope sealedValue = key.Seal(Context, "a secret of forty bytes, give or take.."u8);
        byte[] iv = sealedValue.Iv.ToArray();
        byte[] data = sealedValue.Data.ToArray();
        for (int bit = 0; bit < iv.Length * 8; bit++)
        {
            byte[] changed = (byte[])iv.Clone();
            changed[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.Null(key.Open(Context, new Envelope("k", Envelope.A256Gcm, changed, data)));
        }
        for (int bit = 0; bit < data.Length * 8; bit++)
        {
            byte[] changed = (byte[])data.Clone();
            changed[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.Null(key.Open(Context, new Envelope("k", Envelope.A256Gcm, iv, changed)));
        }
    }

    [Fact]
    public void Open_WrongContextKeyOrKid_Fails()
    {
        byte[] raw = RandomNumberGenerator.GetBytes(32);
        using EnvelopeKey key = new("vault:v:k1", raw);
        using EnvelopeKey sameBytesOtherKid = new("vault:v:k2", raw);
        using EnvelopeKey otherKey = EnvelopeKey.Generate("vault:v:k1");
        Envelope e = key.Seal(Context, "x"u8);

        Assert.Null(key.Open(Context.Replace("/v3/", "/v4/", StringComparison.Ordinal), e));
        Assert.Null(key.Open(Context + "x", e));
        Assert.Null(otherKey.Open(Context, e));
        Assert.Null(sameBytesOtherKid.Open(Context, e));
        // A server that relabels the kid gains nothing: the key that opens is the one the context names.
        Assert.Null(key.Open(Context, new Envelope("vault:v:k2", Envelope.A256Gcm, e.Iv, e.Data)));
        Assert.NotNull(key.Open(Context, e));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    public void Constructor_WrongKeyLength_Throws(int length) =>
        Assert.Throws<ArgumentException>(() => new EnvelopeKey("k", new byte[length]));

    [Fact]
    public void Envelope_WrongIvOrShortDataOrOtherAlgorithm_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Envelope("k", Envelope.A256Gcm, new byte[11], new byte[16]));
        Assert.Throws<ArgumentException>(() => new Envelope("k", Envelope.A256Gcm, new byte[12], new byte[15]));
        Assert.Throws<ArgumentException>(() => new Envelope("k", "A128GCM", new byte[12], new byte[16]));
        Assert.Throws<ArgumentException>(() => new Envelope("", Envelope.A256Gcm, new byte[12], new byte[16]));
    }

    [Fact]
    public void Seal_AfterDispose_Throws()
    {
        EnvelopeKey key = EnvelopeKey.Generate("k");
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => key.Seal("c", "x"u8));
    }

    [Fact]
    public void Json_RoundTrip_IsCompactAndStrict()
    {
        using EnvelopeKey key = EnvelopeKey.Generate("k");
        Envelope e = key.Seal("c", "hello"u8);
        byte[] json = e.ToJsonBytes();
        Assert.True(Envelope.TryParse(json, out Envelope? parsed));
        Assert.Equal("hello"u8.ToArray(), key.Open("c", parsed!));
        string text = System.Text.Encoding.UTF8.GetString(json);
        Assert.StartsWith("{\"kid\":\"k\",\"enc\":\"A256GCM\",\"iv\":\"", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"kid\":\"k\",\"enc\":\"A256GCM\",\"iv\":\"AAAAAAAAAAAAAAAA\"}")]                                                    // data missing
    [InlineData("{\"kid\":\"k\",\"enc\":\"A128GCM\",\"iv\":\"AAAAAAAAAAAAAAAA\",\"data\":\"AAAAAAAAAAAAAAAAAAAAAA\"}")]                  // algorithm
    [InlineData("{\"kid\":\"k\",\"enc\":\"A256GCM\",\"iv\":\"AAAAAAAAAAAAAAA\",\"data\":\"AAAAAAAAAAAAAAAAAAAAAA\"}")]                   // short IV
    [InlineData("{\"kid\":\"k\",\"enc\":\"A256GCM\",\"iv\":\"AAAAAAAAAAAAAAAA\",\"data\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}")]                // padding
    [InlineData("{\"kid\":\"k\",\"enc\":\"A256GCM\",\"iv\":\"AAAAAAAAAAAAAAAA\",\"data\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"x\":\"1\"}")]      // unknown member
    [InlineData("{\"kid\":\"k\",\"kid\":\"j\",\"enc\":\"A256GCM\",\"iv\":\"AAAAAAAAAAAAAAAA\",\"data\":\"AAAAAAAAAAAAAAAAAAAAAA\"}")]     // duplicate
    [InlineData("{\"kid\":1,\"enc\":\"A256GCM\",\"iv\":\"AAAAAAAAAAAAAAAA\",\"data\":\"AAAAAAAAAAAAAAAAAAAAAA\"}")]                      // wrong type
    [InlineData("{\"kid\":\"k\",\"enc\":\"A256GCM\",\"iv\":\"AAAAAAAAAAAAAAAA\",\"data\":\"AAAAAAAAAAAAAAAAAAAAAA\"} {}")]               // trailing
    [InlineData("[]")]
    [InlineData("")]
    public void TryParse_Malformed_IsRejected(string json) =>
        Assert.False(Envelope.TryParse(System.Text.Encoding.UTF8.GetBytes(json), out _));

    [Fact]
    public void SealAndOpen_FromManyThreadsAtOnce_AllRoundTrip()
    {
        using EnvelopeKey key = EnvelopeKey.Generate("session");
        int failures = 0;
        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            byte[] plaintext = System.Text.Encoding.UTF8.GetBytes("request " + i);
            Envelope sealedEnvelope = key.Seal("ctx/" + i, plaintext);
            byte[]? opened = key.Open("ctx/" + i, sealedEnvelope);
            if (opened is null || !opened.AsSpan().SequenceEqual(plaintext))
            {
                Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
    }
}
