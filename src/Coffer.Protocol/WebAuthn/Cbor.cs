using System.Buffers.Binary;
using System.Text;

namespace Coffer.Protocol.WebAuthn;

/// <summary>
/// A strict CBOR decoder (RFC 8949) for the subset WebAuthn uses: unsigned and negative integers
/// (§3.1 major types 0 and 1, the full range −2⁶⁴ … 2⁶⁴ − 1), definite-length byte strings and valid
/// UTF-8 text strings (major types 2 and 3), definite-length arrays and maps (4 and 5), and the simple
/// values false, true and null (§3.3).
/// </summary>
/// <remarks>
/// <para>Refused, each with a <see cref="WebAuthnFormatException"/>: indefinite lengths (§3.2.2), tags
/// (major type 6), floating-point numbers, undefined and every other simple value, reserved additional
/// information 28–30, a head that is not in its shortest form (§4.2.1 "preferred serialization"),
/// invalid UTF-8, map keys that are not integers or text strings, duplicate map keys, nesting deeper
/// than <see cref="MaxDepth"/>, truncated input and, in <see cref="Decode"/>, trailing bytes.</para>
/// <para>Map keys must be in the CTAP2 canonical order (CTAP 2.x §8 "Message Encoding", which is the
/// RFC 7049 §3.9 rule with major types compared first): lower major type first, then the shorter
/// encoding, then bytewise lexical order. WebAuthn Level 2 requires authenticators to emit attestation
/// objects, COSE keys and extension outputs in that form, so any other order comes from something that
/// is not a conforming authenticator, and accepting only one encoding leaves one meaning per input.</para>
/// </remarks>
public static class Cbor
{
    /// <summary>Most nested arrays and maps, counting the outermost; WebAuthn structures need three.</summary>
    public const int MaxDepth = 8;

    private const int MajorUnsigned = 0;
    private const int MajorNegative = 1;
    private const int MajorBytes = 2;
    private const int MajorText = 3;
    private const int MajorArray = 4;
    private const int MajorMap = 5;
    private const int MajorTag = 6;
    private const int MajorSimple = 7;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes exactly one data item that fills all of <paramref name="data"/>.</summary>
    /// <exception cref="WebAuthnFormatException">Malformed, outside the subset, or followed by trailing bytes.</exception>
    public static CborValue Decode(ReadOnlySpan<byte> data)
    {
        CborValue value = DecodeFirst(data, out int consumed);
        return consumed == data.Length
            ? value
            : throw new WebAuthnFormatException("Trailing bytes after the CBOR data item.");
    }

    /// <summary>
    /// Decodes the data item at the start of <paramref name="data"/> and reports how many bytes it
    /// took; used where CBOR is followed by other data, as the COSE key inside authenticator data is.
    /// </summary>
    /// <exception cref="WebAuthnFormatException">Malformed or outside the subset.</exception>
    public static CborValue DecodeFirst(ReadOnlySpan<byte> data, out int consumed)
    {
        byte[] copy = data.ToArray();
        int position = 0;
        CborValue value = ReadItem(copy, ref position, 1);
        consumed = position;
        return value;
    }

    private static CborValue ReadItem(byte[] data, ref int position, int depth)
    {
        int start = position;
        byte initial = Take(data, ref position, 1)[0];
        int major = initial >> 5;
        int info = initial & 0x1f;
        if (major == MajorSimple)
        {
            return ReadSimple(data, start, position, info);
        }
        if (major == MajorTag)
        {
            throw new WebAuthnFormatException("CBOR tags are not accepted.");
        }
        if (info == 31)
        {
            throw new WebAuthnFormatException("Indefinite-length CBOR items are not accepted.");
        }
        ulong argument = ReadArgument(data, ref position, info);
        switch (major)
        {
            case MajorUnsigned:
                return CborValue.FromInteger(Slice(data, start, position), argument);
            case MajorNegative:
                return CborValue.FromInteger(Slice(data, start, position), -1 - (Int128)argument);
            case MajorBytes:
                {
                    byte[] bytes = Take(data, ref position, Length(data, position, argument, 1)).ToArray();
                    return CborValue.FromBytes(Slice(data, start, position), bytes);
                }
            case MajorText:
                {
                    ReadOnlySpan<byte> utf8 = Take(data, ref position, Length(data, position, argument, 1));
                    string text;
                    try
                    {
                        text = StrictUtf8.GetString(utf8);
                    }
                    catch (ArgumentException e)
                    {
                        throw new WebAuthnFormatException("A CBOR text string is not valid UTF-8.", e);
                    }
                    return CborValue.FromText(Slice(data, start, position), text);
                }
            case MajorArray:
                {
                    CheckDepth(depth);
                    CborValue[] items = new CborValue[Length(data, position, argument, 1)];
                    for (int i = 0; i < items.Length; i++)
                    {
                        items[i] = ReadItem(data, ref position, depth + 1);
                    }
                    return CborValue.FromArray(Slice(data, start, position), items);
                }
            default:
                {
                    CheckDepth(depth);
                    KeyValuePair<CborValue, CborValue>[] entries = new KeyValuePair<CborValue, CborValue>[Length(data, position, argument, 2)];
                    for (int i = 0; i < entries.Length; i++)
                    {
                        CborValue key = ReadItem(data, ref position, depth + 1);
                        if (key.Kind is not (CborKind.Number or CborKind.TextString))
                        {
                            throw new WebAuthnFormatException("CBOR map keys must be integers or text strings.");
                        }
                        if (i > 0)
                        {
                            int order = CompareKeys(entries[i - 1].Key.Encoded.Span, key.Encoded.Span);
                            if (order == 0)
                            {
                                throw new WebAuthnFormatException("Duplicate CBOR map key.");
                            }
                            if (order > 0)
                            {
                                throw new WebAuthnFormatException("CBOR map keys are not in CTAP2 canonical order.");
                            }
                        }
                        CborValue value = ReadItem(data, ref position, depth + 1);
                        entries[i] = new KeyValuePair<CborValue, CborValue>(key, value);
                    }
                    return CborValue.FromMap(Slice(data, start, position), entries);
                }
        }
    }

    private static CborValue ReadSimple(byte[] data, int start, int position, int info) => info switch
    {
        20 => CborValue.FromBoolean(Slice(data, start, position), false),
        21 => CborValue.FromBoolean(Slice(data, start, position), true),
        22 => CborValue.FromNull(Slice(data, start, position)),
        23 => throw new WebAuthnFormatException("CBOR undefined is not accepted."),
        25 or 26 or 27 => throw new WebAuthnFormatException("CBOR floating-point numbers are not accepted."),
        28 or 29 or 30 => throw new WebAuthnFormatException("Reserved CBOR additional information."),
        31 => throw new WebAuthnFormatException("Unexpected CBOR break (indefinite lengths are not accepted)."),
        _ => throw new WebAuthnFormatException("CBOR simple values other than false, true and null are not accepted."),
    };

    /// <summary>The head's argument (RFC 8949 §3), refusing any encoding longer than needed.</summary>
    private static ulong ReadArgument(byte[] data, ref int position, int info)
    {
        ulong value;
        ulong smallest;
        switch (info)
        {
            case < 24:
                return (ulong)info;
            case 24:
                value = Take(data, ref position, 1)[0];
                smallest = 24;
                break;
            case 25:
                value = BinaryPrimitives.ReadUInt16BigEndian(Take(data, ref position, 2));
                smallest = 0x100;
                break;
            case 26:
                value = BinaryPrimitives.ReadUInt32BigEndian(Take(data, ref position, 4));
                smallest = 0x1_0000;
                break;
            case 27:
                value = BinaryPrimitives.ReadUInt64BigEndian(Take(data, ref position, 8));
                smallest = 0x1_0000_0000;
                break;
            default:
                throw new WebAuthnFormatException("Reserved CBOR additional information.");
        }
        return value >= smallest
            ? value
            : throw new WebAuthnFormatException("A CBOR head is not in its shortest form.");
    }

    /// <summary>
    /// A length or count as an int, refused before any allocation when the remaining input could not
    /// hold it (each element takes at least <paramref name="minBytesEach"/> bytes).
    /// </summary>
    private static int Length(byte[] data, int position, ulong argument, int minBytesEach)
    {
        ulong remaining = (ulong)(data.Length - position);
        return argument <= remaining / (ulong)minBytesEach
            ? (int)argument
            : throw new WebAuthnFormatException("Truncated CBOR input.");
    }

    private static ReadOnlySpan<byte> Take(byte[] data, ref int position, int count)
    {
        if (count > data.Length - position)
        {
            throw new WebAuthnFormatException("Truncated CBOR input.");
        }
        ReadOnlySpan<byte> span = data.AsSpan(position, count);
        position += count;
        return span;
    }

    private static ReadOnlyMemory<byte> Slice(byte[] data, int start, int end) => data.AsMemory(start, end - start);

    private static void CheckDepth(int depth)
    {
        if (depth > MaxDepth)
        {
            throw new WebAuthnFormatException("CBOR nesting is too deep.");
        }
    }

    /// <summary>CTAP2 canonical key order: major type, then encoded length, then bytewise.</summary>
    private static int CompareKeys(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int byMajor = (a[0] >> 5).CompareTo(b[0] >> 5);
        if (byMajor != 0)
        {
            return byMajor;
        }
        int byLength = a.Length.CompareTo(b.Length);
        return byLength != 0 ? byLength : a.SequenceCompareTo(b);
    }
}
