using System.Security.Cryptography;
using System.Text.Json;

namespace Coffer.Protocol.Tests.Kdf;

/// <summary>.NET's PBKDF2-HMAC-SHA256, the slow hash of 2SKD (PROTOCOL.md §2), against RFC 7914 §11.</summary>
public class Pbkdf2Tests
{
    public static TheoryData<int> Rfc7914Cases() => [0, 1];

    // RFC 7914 §11: ("passwd", "salt", c = 1, dkLen = 64) and ("Password", "NaCl", c = 80000, dkLen = 64).
    [Theory]
    [MemberData(nameof(Rfc7914Cases))]
    public void Pbkdf2_Rfc7914Section11_MatchesDk(int index)
    {
        using JsonDocument doc = TestData.Json("vectors", "pbkdf2-sha256.json");
        Assert.Equal("HMAC-SHA-256", doc.RootElement.GetProperty("prf").GetString());
        JsonElement c = doc.RootElement.GetProperty("cases")[index];
        byte[] password = System.Text.Encoding.ASCII.GetBytes(c.GetProperty("P").GetString()!);
        byte[] salt = System.Text.Encoding.ASCII.GetBytes(c.GetProperty("S").GetString()!);
        Assert.Equal(TestData.Hex(c.GetProperty("P_hex").GetString()!), password);
        Assert.Equal(TestData.Hex(c.GetProperty("S_hex").GetString()!), salt);
        int iterations = c.GetProperty("c").GetInt32();
        int length = c.GetProperty("dkLen").GetInt32();
        byte[] expected = TestData.Hex(c.GetProperty("DK").GetString()!);

        Assert.Equal(expected, Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, length));

        // The span overload, as 2SKD uses it (32-byte output is the first 32 bytes of the 64: one PBKDF2 block each).
        Span<byte> first = stackalloc byte[32];
        Rfc2898DeriveBytes.Pbkdf2(password, salt, first, iterations, HashAlgorithmName.SHA256);
        Assert.Equal(expected.AsSpan(0, 32).ToArray(), first.ToArray());
    }
}
