namespace Coffer.Protocol.WebAuthn;

/// <summary>The kinds of CBOR data item (RFC 8949 §3.1) that <see cref="Cbor"/> accepts.</summary>
public enum CborKind
{
    /// <summary>Major types 0 and 1: an integer from −2⁶⁴ to 2⁶⁴ − 1.</summary>
    Number,

    /// <summary>Major type 2: a definite-length byte string.</summary>
    ByteString,

    /// <summary>Major type 3: a definite-length, valid UTF-8 text string.</summary>
    TextString,

    /// <summary>Major type 4: a definite-length array.</summary>
    Array,

    /// <summary>Major type 5: a definite-length map with integer or text keys.</summary>
    Map,

    /// <summary>Major type 7, simple values 20 and 21: false or true.</summary>
    Boolean,

    /// <summary>Major type 7, simple value 22: null.</summary>
    Null,
}
