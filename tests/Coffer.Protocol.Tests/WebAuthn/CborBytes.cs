namespace Coffer.Protocol.Tests.WebAuthn;

// Builds CBOR test inputs by hand (RFC 8949 §3 heads with the shortest argument) so malformed variants
// can be made byte by byte; Coffer itself only decodes CBOR.
internal static class CborBytes
{
    public static byte[] Head(int major, ulong value) => value switch
    {
        < 24 => [(byte)((major << 5) | (int)value)],
        < 0x100 => [(byte)((major << 5) | 24), (byte)value],
        < 0x10000 => [(byte)((major << 5) | 25), (byte)(value >> 8), (byte)value],
        < 0x1_0000_0000 => [(byte)((major << 5) | 26), (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value],
        _ => [(byte)((major << 5) | 27), .. BitConverter.GetBytes(value).Reverse()],
    };

    public static byte[] Int(long value) => value >= 0 ? Head(0, (ulong)value) : Head(1, (ulong)(-1 - value));

    public static byte[] Bytes(byte[] value) => [.. Head(2, (ulong)value.Length), .. value];

    public static byte[] Text(string value)
    {
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(value);
        return [.. Head(3, (ulong)utf8.Length), .. utf8];
    }

    // Entries are written in the order given (key, value, key, value...), canonical or not.
    public static byte[] Map(params byte[][] keysAndValues) =>
        [.. Head(5, (ulong)(keysAndValues.Length / 2)), .. keysAndValues.SelectMany(b => b)];

    public static byte[] Array(params byte[][] items) => [.. Head(4, (ulong)items.Length), .. items.SelectMany(b => b)];
}
