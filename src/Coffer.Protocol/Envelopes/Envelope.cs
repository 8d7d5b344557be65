using System.Text.Json;
using Coffer.Protocol.Encoding;

namespace Coffer.Protocol.Envelopes;

/// <summary>
/// A sealed value as it travels and is stored (PROTOCOL.md §4):
/// <c>{"kid", "enc": "A256GCM", "iv", "data"}</c> with a 12-byte IV and
/// <c>data</c> = ciphertext || 16-byte tag. The associated data is never part of
/// the envelope: both sides rebuild it from where the envelope lives.
/// </summary>
public sealed class Envelope
{
    /// <summary>The only content-encryption algorithm of protocol version 1.</summary>
    public const string A256Gcm = "A256GCM";

    /// <summary>IV length in bytes.</summary>
    public const int IvLength = 12;

    /// <summary>Authentication tag length in bytes.</summary>
    public const int TagLength = 16;

    private readonly byte[] _iv;
    private readonly byte[] _data;

    /// <summary>Creates an envelope from its parts; lengths are checked, the algorithm must be A256GCM.</summary>
    /// <exception cref="ArgumentException">A part has the wrong form.</exception>
    public Envelope(string kid, string enc, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(kid);
        if (!string.Equals(enc, A256Gcm, StringComparison.Ordinal))
        {
            throw new ArgumentException("Only A256GCM envelopes exist in protocol version 1.", nameof(enc));
        }
        if (iv.Length != IvLength)
        {
            throw new ArgumentException("The IV is 12 bytes.", nameof(iv));
        }
        if (data.Length < TagLength)
        {
            throw new ArgumentException("The data is at least the 16-byte tag.", nameof(data));
        }
        Kid = kid;
        _iv = iv.ToArray();
        _data = data.ToArray();
    }

    // Takes the arrays as they are (already checked, owned by no one else): parsing and sealing make them fresh.
    private Envelope(string kid, byte[] iv, byte[] data)
    {
        Kid = kid;
        _iv = iv;
        _data = data;
    }

    /// <summary>Creates an envelope that owns <paramref name="data"/> (ciphertext and tag, made by the caller for it alone).</summary>
    internal static Envelope Owning(string kid, ReadOnlySpan<byte> iv, byte[] data) => new(kid, iv.ToArray(), data);

    /// <summary>The id of the key that sealed this envelope.</summary>
    public string Kid { get; }

    /// <summary>Always <see cref="A256Gcm"/>.</summary>
#pragma warning disable CA1822 // part of the wire shape
    public string Enc => A256Gcm;
#pragma warning restore CA1822

    /// <summary>The 12-byte IV.</summary>
    public ReadOnlySpan<byte> Iv => _iv;

    /// <summary>Ciphertext followed by the 16-byte tag.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>Serialises as compact JSON <c>{"kid","enc","iv","data"}</c> with base64url values.</summary>
    public byte[] ToJsonBytes()
    {
        // Sized for the whole object up front: session answers are sealed once per request, so no regrowth and one copy.
        System.Buffers.ArrayBufferWriter<byte> output = new(System.Buffers.Text.Base64Url.GetEncodedLength(_data.Length) + (Kid.Length * 6) + 64);
        using (Utf8JsonWriter w = new(output))
        {
            WriteTo(w);
        }
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Writes this envelope as a JSON object.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("kid"u8, Kid);
        writer.WriteString("enc"u8, "A256GCM"u8);
        WriteBase64Url(writer, "iv"u8, _iv);
        WriteBase64Url(writer, "data"u8, _data);
        writer.WriteEndObject();
    }

    private static void WriteBase64Url(Utf8JsonWriter writer, ReadOnlySpan<byte> name, byte[] value)
    {
        int length = System.Buffers.Text.Base64Url.GetEncodedLength(value.Length);
        byte[]? rented = length > 512 ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> text = rented is null ? stackalloc byte[512] : rented;
        try
        {
            int written = System.Buffers.Text.Base64Url.EncodeToUtf8(value, text);
            writer.WriteString(name, text[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                // It held ciphertext only, but pooled buffers are returned clean.
                System.Buffers.ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
        }
    }

    /// <summary>
    /// Parses an envelope from JSON. Strict: exactly the four members, once each,
    /// strings only, canonical base64url, correct lengths; anything else is false.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out Envelope? envelope)
    {
        envelope = null;
        try
        {
            Utf8JsonReader reader = new(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 4 });
            if (!reader.Read() || !TryRead(ref reader, out envelope))
            {
                return false;
            }
            if (reader.Read())
            {
                envelope = null;
                return false;
            }
            return true;
        }
        catch (JsonException)
        {
            envelope = null;
            return false;
        }
    }

    /// <summary>Reads an envelope object at the reader's current StartObject token; false on any deviation.</summary>
    public static bool TryRead(ref Utf8JsonReader reader, out Envelope? envelope)
    {
        envelope = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }
        string? kid = null;
        bool enc = false;
        byte[]? ivBytes = null, dataBytes = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                return false;
            }
            // Names compared on the raw bytes (escaped forms included), values decoded straight from them: no string per member.
            int member = reader.ValueTextEquals("kid"u8) ? 0 : reader.ValueTextEquals("enc"u8) ? 1 : reader.ValueTextEquals("iv"u8) ? 2
                : reader.ValueTextEquals("data"u8) ? 3 : -1;
            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
            {
                return false;
            }
            switch (member)
            {
                case 0 when kid is null:
                    kid = reader.GetString()!;
                    break;
                case 1 when !enc:
                    if (!reader.ValueTextEquals("A256GCM"u8))
                    {
                        return false;
                    }
                    enc = true;
                    break;
                case 2 when ivBytes is null:
                    if (!TryDecodeValue(ref reader, out ivBytes) || ivBytes.Length != IvLength)
                    {
                        return false;
                    }
                    break;
                case 3 when dataBytes is null:
                    if (!TryDecodeValue(ref reader, out dataBytes) || dataBytes.Length < TagLength)
                    {
                        return false;
                    }
                    break;
                default:
                    return false;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || kid is null || !enc || ivBytes is null || dataBytes is null || kid.Length == 0)
        {
            return false;
        }
        envelope = new Envelope(kid, ivBytes, dataBytes);
        return true;
    }

    private static bool TryDecodeValue(ref Utf8JsonReader reader, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? bytes) =>
        reader.ValueIsEscaped || reader.HasValueSequence
            ? Base64Url.TryDecode(reader.GetString(), out bytes)
            : Base64Url.TryDecode(reader.ValueSpan, out bytes);
}
