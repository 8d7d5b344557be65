using System.Security.Cryptography;
using System.Text;
using Coffer.Server.Common.Configuration;
using Microsoft.Extensions.Options;

namespace Coffer.Server.Features.Mfa;

/// <summary>
/// The server's MFA key: 32 random bytes in a 0600 file under the data directory (<c>mfa-key.bin</c>), made at first use
/// and never written to the database — like the audit key, so whoever holds only the database (a backup, a replica) cannot
/// read the TOTP secrets it holds. Several nodes must share the file, and it must be kept with the backups. Secrets are
/// sealed with AES-256-GCM (12-byte random nonce, 16-byte tag), bound to the factor and its member by the associated data.
/// </summary>
internal sealed partial class MfaKey(IOptions<CofferOptions> options)
{
    public const string FileName = "mfa-key.bin";
    private const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly Lock _gate = new();
    private byte[]? _key;

    public byte[] Seal(ReadOnlySpan<byte> secret, string factorId, string memberId)
    {
        byte[] key = Key();
        byte[] sealedSecret = new byte[NonceSize + secret.Length + TagSize];
        Span<byte> nonce = sealedSecret.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using AesGcm aes = new(key, TagSize);
        aes.Encrypt(nonce, secret, sealedSecret.AsSpan(NonceSize, secret.Length), sealedSecret.AsSpan(NonceSize + secret.Length), Aad(factorId, memberId));
        return sealedSecret;
    }

    /// <summary>The secret, or null when it does not open (another key file, or a row moved to another factor).</summary>
    public byte[]? Open(ReadOnlySpan<byte> sealedSecret, string factorId, string memberId)
    {
        if (sealedSecret.Length <= NonceSize + TagSize)
        {
            return null;
        }
        byte[] key = Key();
        int length = sealedSecret.Length - NonceSize - TagSize;
        byte[] secret = new byte[length];
        try
        {
            using AesGcm aes = new(key, TagSize);
            aes.Decrypt(sealedSecret[..NonceSize], sealedSecret.Slice(NonceSize, length), sealedSecret[(NonceSize + length)..], secret, Aad(factorId, memberId));
            return secret;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(secret);
            return null;
        }
    }

    private static byte[] Aad(string factorId, string memberId) => Encoding.ASCII.GetBytes($"coffer/mfa/totp/v1/{factorId}/{memberId}");

    private byte[] Key()
    {
        lock (_gate)
        {
            return _key ??= LoadOrCreate(Path.Combine(Path.GetFullPath(options.Value.DataDirectory), FileName));
        }
    }

    private static byte[] LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            byte[] fresh = RandomNumberGenerator.GetBytes(KeySize);
            try
            {
                PrivateKeyFile.CreateOnce(path, fresh);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(fresh);
            }
        }
        byte[] key = File.ReadAllBytes(path);
        if (key.Length != KeySize)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new InvalidOperationException($"The MFA key file {path} does not hold {KeySize} bytes.");
        }
        return key;
    }
}
