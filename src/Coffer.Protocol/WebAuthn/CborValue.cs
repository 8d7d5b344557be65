using System.Diagnostics.CodeAnalysis;

namespace Coffer.Protocol.WebAuthn;

/// <summary>
/// One decoded CBOR data item (RFC 8949 §3) from the strict subset <see cref="Cbor"/> accepts. The
/// accessors throw <see cref="WebAuthnFormatException"/> when the item is of another kind, because the
/// shape of the input is the sender's choice and a wrong shape is a format error, not a caller bug.
/// </summary>
public sealed class CborValue
{
    private static readonly CborValue[] NoItems = [];
    private static readonly KeyValuePair<CborValue, CborValue>[] NoEntries = [];

    private readonly Int128 _integer;
    private readonly byte[]? _bytes;
    private readonly string? _text;
    private readonly CborValue[] _items;
    private readonly KeyValuePair<CborValue, CborValue>[] _entries;
    private readonly bool _boolean;

    private CborValue(CborKind kind, ReadOnlyMemory<byte> encoded, Int128 integer = default, byte[]? bytes = null,
        string? text = null, CborValue[]? items = null, KeyValuePair<CborValue, CborValue>[]? entries = null, bool boolean = false)
    {
        Kind = kind;
        Encoded = encoded;
        _integer = integer;
        _bytes = bytes;
        _text = text;
        _items = items ?? NoItems;
        _entries = entries ?? NoEntries;
        _boolean = boolean;
    }

    /// <summary>The kind of item.</summary>
    public CborKind Kind { get; }

    /// <summary>The exact bytes this item was decoded from (head and content).</summary>
    public ReadOnlyMemory<byte> Encoded { get; }

    /// <summary>The integer value (major type 0 or 1).</summary>
    /// <exception cref="WebAuthnFormatException">The item is not an integer.</exception>
    public Int128 Number => Kind == CborKind.Number ? _integer : throw Mismatch(CborKind.Number);

    /// <summary>A read-only view of a byte string's content.</summary>
    /// <exception cref="WebAuthnFormatException">The item is not a byte string.</exception>
    public ReadOnlySpan<byte> Bytes => Kind == CborKind.ByteString ? _bytes : throw Mismatch(CborKind.ByteString);

    /// <summary>The content of a text string.</summary>
    /// <exception cref="WebAuthnFormatException">The item is not a text string.</exception>
    public string Text => Kind == CborKind.TextString ? _text! : throw Mismatch(CborKind.TextString);

    /// <summary>The items of an array, in order.</summary>
    /// <exception cref="WebAuthnFormatException">The item is not an array.</exception>
    public IReadOnlyList<CborValue> Items => Kind == CborKind.Array ? _items : throw Mismatch(CborKind.Array);

    /// <summary>The entries of a map, in encoded (canonical) order.</summary>
    /// <exception cref="WebAuthnFormatException">The item is not a map.</exception>
    public IReadOnlyList<KeyValuePair<CborValue, CborValue>> Entries =>
        Kind == CborKind.Map ? _entries : throw Mismatch(CborKind.Map);

    /// <summary>The value of true or false.</summary>
    /// <exception cref="WebAuthnFormatException">The item is not a boolean.</exception>
    public bool Boolean => Kind == CborKind.Boolean ? _boolean : throw Mismatch(CborKind.Boolean);

    /// <summary>The integer value when it fits in a 64-bit signed integer.</summary>
    /// <exception cref="WebAuthnFormatException">Not an integer, or outside the range of <see cref="long"/>.</exception>
    public long ToInt64()
    {
        Int128 value = Number;
        return value >= long.MinValue && value <= long.MaxValue
            ? (long)value
            : throw new WebAuthnFormatException("A CBOR integer is out of the expected range.");
    }

    /// <summary>A copy of a byte string's content.</summary>
    /// <exception cref="WebAuthnFormatException">The item is not a byte string.</exception>
    public byte[] ToByteArray() => Bytes.ToArray();

    /// <summary>Looks up the value of an integer key in a map.</summary>
    /// <exception cref="WebAuthnFormatException">The item is not a map.</exception>
    public bool TryGetValue(long key, [NotNullWhen(true)] out CborValue? value)
    {
        foreach (KeyValuePair<CborValue, CborValue> entry in Entries)
        {
            if (entry.Key.Kind == CborKind.Number && entry.Key._integer == key)
            {
                value = entry.Value;
                return true;
            }
        }
        value = null;
        return false;
    }

    /// <summary>Looks up the value of a text key in a map.</summary>
    /// <exception cref="WebAuthnFormatException">The item is not a map.</exception>
    public bool TryGetValue(string key, [NotNullWhen(true)] out CborValue? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        foreach (KeyValuePair<CborValue, CborValue> entry in Entries)
        {
            if (entry.Key.Kind == CborKind.TextString && string.Equals(entry.Key._text, key, StringComparison.Ordinal))
            {
                value = entry.Value;
                return true;
            }
        }
        value = null;
        return false;
    }

    /// <summary>The value of a required text key in a map.</summary>
    /// <exception cref="WebAuthnFormatException">Not a map, or the key is missing.</exception>
    public CborValue Required(string key) =>
        TryGetValue(key, out CborValue? value) ? value : throw new WebAuthnFormatException($"A required CBOR map key \"{key}\" is missing.");

    /// <summary>The value of a required integer key in a map.</summary>
    /// <exception cref="WebAuthnFormatException">Not a map, or the key is missing.</exception>
    public CborValue Required(long key) =>
        TryGetValue(key, out CborValue? value) ? value : throw new WebAuthnFormatException($"A required CBOR map key {key} is missing.");

    internal static CborValue FromInteger(ReadOnlyMemory<byte> encoded, Int128 value) => new(CborKind.Number, encoded, integer: value);

    internal static CborValue FromBytes(ReadOnlyMemory<byte> encoded, byte[] value) => new(CborKind.ByteString, encoded, bytes: value);

    internal static CborValue FromText(ReadOnlyMemory<byte> encoded, string value) => new(CborKind.TextString, encoded, text: value);

    internal static CborValue FromArray(ReadOnlyMemory<byte> encoded, CborValue[] items) => new(CborKind.Array, encoded, items: items);

    internal static CborValue FromMap(ReadOnlyMemory<byte> encoded, KeyValuePair<CborValue, CborValue>[] entries) =>
        new(CborKind.Map, encoded, entries: entries);

    internal static CborValue FromBoolean(ReadOnlyMemory<byte> encoded, bool value) => new(CborKind.Boolean, encoded, boolean: value);

    internal static CborValue FromNull(ReadOnlyMemory<byte> encoded) => new(CborKind.Null, encoded);

    private WebAuthnFormatException Mismatch(CborKind expected) =>
        new($"Expected a CBOR {expected} but found a {Kind}.");
}
