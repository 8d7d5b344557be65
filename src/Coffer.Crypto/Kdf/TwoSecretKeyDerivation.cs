using System.Security.Cryptography;
using Coffer.Crypto.Accounts;
using Coffer.Protocol.Envelopes;

namespace Coffer.Crypto.Kdf;

/// <summary>
/// Two-secret key derivation, 2SKD (PROTOCOL.md §2): one PBKDF2-HMAC-SHA256
/// (RFC 8018) run over the preprocessed password with a member-bound salt, XORed
/// with an HKDF-SHA256 (RFC 5869) of the Secret Key, then split by HKDF into the
/// 32-byte Account Unlock Key (AES-256-GCM, kid <c>auk</c>) and the 32-byte SRP
/// secret x. Both outputs need both secrets.
/// </summary>
public static class TwoSecretKeyDerivation
{
    /// <summary>The key id of the Account Unlock Key.</summary>
    public const string AukKid = "auk";

    /// <summary>
    /// Derives AUK and x. The parameters are checked against <paramref name="policy"/>
    /// (default: the production floor) before any work is done.
    /// </summary>
    /// <param name="password">The account password (preprocessed here).</param>
    /// <param name="secretKey">The member's Secret Key.</param>
    /// <param name="memberId">The member id (lowercase UUID, ASCII).</param>
    /// <param name="parameters">Salt and iterations from the server.</param>
    /// <param name="policy">The client's KDF policy; null is <see cref="KdfPolicy.Default"/>.</param>
    /// <param name="lastUsedIterations">What this device last used for the account, if known.</param>
    /// <exception cref="ArgumentException">Malformed inputs, or parameters the policy refuses.</exception>
    public static DerivedAccountKeys Derive(string password, SecretKey secretKey, string memberId, KdfParameters parameters,
        KdfPolicy? policy = null, int? lastUsedIterations = null)
    {
        ArgumentNullException.ThrowIfNull(secretKey);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        if (parameters.Salt is null || parameters.Salt.Length != KdfParameters.SaltLength)
        {
            throw new ArgumentException("The 2SKD salt is 16 bytes.", nameof(parameters));
        }
        string? refusal = (policy ?? KdfPolicy.Default).Check(parameters.Algorithm, parameters.Iterations, lastUsedIterations);
        if (refusal is not null)
        {
            throw new ArgumentException(refusal, nameof(parameters));
        }
        byte[] memberIdAscii = System.Text.Encoding.ASCII.GetBytes(memberId);
        byte[] accountIdAscii = System.Text.Encoding.ASCII.GetBytes(secretKey.AccountId);
        byte[] pwd = AccountPassword.Preprocess(password);
        Span<byte> saltPrime = stackalloc byte[32];
        Span<byte> km = stackalloc byte[32];
        Span<byte> ka = stackalloc byte[32];
        byte[] auk = new byte[32];
        byte[] x = new byte[32];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, parameters.Salt, saltPrime, memberIdAscii, "coffer/2skd/v1"u8);
            Rfc2898DeriveBytes.Pbkdf2(pwd, saltPrime, km, parameters.Iterations, HashAlgorithmName.SHA256);
            HKDF.DeriveKey(HashAlgorithmName.SHA256, secretKey.SecretAscii, ka, accountIdAscii, "C1"u8);
            for (int i = 0; i < 32; i++)
            {
                km[i] ^= ka[i];
            }
            HKDF.DeriveKey(HashAlgorithmName.SHA256, km, auk, ReadOnlySpan<byte>.Empty, "coffer/auk/v1"u8);
            HKDF.DeriveKey(HashAlgorithmName.SHA256, km, x, ReadOnlySpan<byte>.Empty, "coffer/srp-x/v1"u8);
            return new DerivedAccountKeys(auk, x);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pwd);
            CryptographicOperations.ZeroMemory(saltPrime);
            CryptographicOperations.ZeroMemory(km);
            CryptographicOperations.ZeroMemory(ka);
        }
    }
}

/// <summary>The two outputs of 2SKD: the Account Unlock Key and the SRP secret x. Zeroed on dispose.</summary>
public sealed class DerivedAccountKeys : IDisposable
{
    private readonly byte[] _auk;
    private readonly byte[] _x;
    private bool _disposed;

    internal DerivedAccountKeys(byte[] auk, byte[] x)
    {
        _auk = auk;
        _x = x;
    }

    /// <summary>The SRP secret x (32 bytes, read as an unsigned big-endian integer).</summary>
    public ReadOnlySpan<byte> SrpX
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _x;
        }
    }

    /// <summary>The Account Unlock Key's raw bytes, for known-answer tests and the SDK's key handling.</summary>
    public ReadOnlySpan<byte> AukBytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _auk;
        }
    }

    /// <summary>A new envelope key over the AUK (kid <c>auk</c>); the caller disposes it.</summary>
    public EnvelopeKey CreateAukKey()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new EnvelopeKey(TwoSecretKeyDerivation.AukKid, _auk);
    }

    /// <summary>
    /// An independent copy (its own buffers, zeroed by its own dispose): for a client that keeps the keys while
    /// unlocked and signs in again without asking for the password when a session ends.
    /// </summary>
    public DerivedAccountKeys Copy()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new DerivedAccountKeys((byte[])_auk.Clone(), (byte[])_x.Clone());
    }

    /// <summary>Zeroes both keys.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            CryptographicOperations.ZeroMemory(_auk);
            CryptographicOperations.ZeroMemory(_x);
        }
    }
}
