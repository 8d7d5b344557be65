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
        System.Buffers.ArrayBufferWriter<byte> output = new(256);
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
        writer.WriteString("kid", Kid);
        writer.WriteString("enc", A256Gcm);
        writer.WriteString("iv", Base64Url.Encode(_iv));
        writer.WriteString("data", Base64Url.Encode(_data));
        writer.WriteEndObject();
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
        string? kid = null, enc = null, iv = null, data = null;
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
            string name = reader.GetString()!;
            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
            {
                return false;
            }
            string value = reader.GetString()!;
            switch (name)
            {
                case "kid" when kid is null: kid = value; break;
                case "enc" when enc is null: enc = value; break;
                case "iv" when iv is null: iv = value; break;
                case "data" when data is null: data = value; break;
                default: return false;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || kid is null || enc is null || iv is null || data is null)
        {
            return false;
        }
        if (kid.Length == 0 || !string.Equals(enc, A256Gcm, StringComparison.Ordinal)
            || !Base64Url.TryDecode(iv, out byte[]? ivBytes) || ivBytes.Length != IvLength
            || !Base64Url.TryDecode(data, out byte[]? dataBytes) || dataBytes.Length < TagLength)
        {
            return false;
        }
        envelope = new Envelope(kid, enc, ivBytes, dataBytes);
        return true;
    }
}
