namespace Coffer.Protocol.Encoding;

/// <summary>
/// RFC 4648 §6 base32 (alphabet A–Z, 2–7) without padding: fingerprints
/// (PROTOCOL.md §5) and TOTP secrets. Decoding accepts upper or lower case and
/// rejects padding, other characters and non-zero trailing bits.
/// </summary>
public static class Base32
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// <summary>Encodes bytes as upper-case base32 without padding.</summary>
    public static string Encode(ReadOnlySpan<byte> data)
    {
        int outLength = (data.Length * 8 + 4) / 5;
        // The span itself is the state: no managed copy of the input (often an OTP secret) is left behind.
        return string.Create(outLength, data, static (chars, bytes) =>
        {
            int buffer = 0, bits = 0, o = 0;
            foreach (byte b in bytes)
            {
                buffer = (buffer << 8) | b;
                bits += 8;
                while (bits >= 5)
                {
                    bits -= 5;
                    chars[o++] = Alphabet[(buffer >> bits) & 31];
                }
            }
            if (bits > 0)
            {
                chars[o] = Alphabet[(buffer << (5 - bits)) & 31];
            }
        });
    }

    /// <summary>Decodes unpadded base32, case-insensitively; false on anything else.</summary>
    public static bool TryDecode(string? text, out byte[] bytes)
    {
        bytes = [];
        if (text is null)
        {
            return false;
        }
        int rem = text.Length % 8;
        if (rem is 1 or 3 or 6)
        {
            return false;
        }
        byte[] result = new byte[text.Length * 5 / 8];
        int buffer = 0, bits = 0, o = 0;
        foreach (char c in text)
        {
            int v = c switch
            {
                >= 'A' and <= 'Z' => c - 'A',
                >= 'a' and <= 'z' => c - 'a',
                >= '2' and <= '7' => c - '2' + 26,
                _ => -1,
            };
            if (v < 0)
            {
                return false;
            }
            buffer = ((buffer << 5) | v) & 0xFFFF;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                result[o++] = (byte)(buffer >> bits);
            }
        }
        if ((buffer & ((1 << bits) - 1)) != 0)
        {
            return false;
        }
        bytes = result;
        return true;
    }

    /// <summary>Decodes unpadded base32.</summary>
    /// <exception cref="FormatException">Not valid unpadded base32.</exception>
    public static byte[] Decode(string text) =>
        TryDecode(text, out byte[] bytes) ? bytes : throw new FormatException("Not valid unpadded base32.");
}
