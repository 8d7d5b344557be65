using System.Globalization;
using System.Security.Cryptography;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;

namespace Coffer.Crypto.Keys;

/// <summary>
/// A member's or group's keyset (PROTOCOL.md §5): a 32-byte AES-256-GCM symmetric
/// key, an RSA-OAEP 2048-bit pair (SHA-256) for receiving wrapped keys, and an ECDSA
/// P-256 pair for signing, identified by keyset id and serial. The symmetric key seals
/// the private keys (PKCS#8 DER) and the pins; a member's symmetric key is sealed by
/// the AUK, a group's is wrapped to each member. Everything is zeroed on dispose.
/// </summary>
public sealed class Keyset : IDisposable
{
    private readonly EnvelopeKey _symmetricKey;
    private readonly RSA _encryptionKey;
    private readonly EcdsaP256PrivateKey _signingKey;
    private bool _disposed;

    private Keyset(string keysetId, int serial, EnvelopeKey symmetricKey, RSA encryptionKey, EcdsaP256PrivateKey signingKey)
    {
        KeysetId = keysetId;
        Serial = serial;
        _symmetricKey = symmetricKey;
        _encryptionKey = encryptionKey;
        _signingKey = signingKey;
        EncryptionPublicKey = encryptionKey.ExportSubjectPublicKeyInfo();
        SigningPublicKey = signingKey.PublicKey.ExportSpki();
    }

    /// <summary>The keyset id (lowercase UUID).</summary>
    public string KeysetId { get; }

    /// <summary>The keyset serial; grows by one on every rotation.</summary>
    public int Serial { get; }

    /// <summary>RSA public key, DER SPKI.</summary>
    public byte[] EncryptionPublicKey { get; }

    /// <summary>ECDSA P-256 public key, DER SPKI.</summary>
    public byte[] SigningPublicKey { get; }

    /// <summary>The key id of the keyset's symmetric key: <c>keyset:&lt;id&gt;:s&lt;serial&gt;</c>.</summary>
    public string SymmetricKid => SymmetricKidFor(KeysetId, Serial);

    /// <summary>The symmetric key, for sealing the pins record and opening what it sealed.</summary>
    public EnvelopeKey SymmetricKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _symmetricKey;
        }
    }

    /// <summary>The RSA private key, for unwrapping keys wrapped to this keyset.</summary>
    public RSA EncryptionKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _encryptionKey;
        }
    }

    /// <summary>The ECDSA private key, for signing wraps and certificates.</summary>
    public EcdsaP256PrivateKey SigningKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _signingKey;
        }
    }

    /// <summary>The kid of a keyset's symmetric key.</summary>
    public static string SymmetricKidFor(string keysetId, int serial) =>
        string.Create(CultureInfo.InvariantCulture, $"keyset:{keysetId}:s{serial}");

    /// <summary>Context of the symmetric key sealed by the AUK.</summary>
    public static string SymmetricContext(string keysetId, int serial) =>
        string.Create(CultureInfo.InvariantCulture, $"coffer/keyset/{keysetId}/s{serial}/sym");

    /// <summary>Context of the RSA private key sealed by the symmetric key.</summary>
    public static string EncryptionPrivateContext(string keysetId, int serial) =>
        string.Create(CultureInfo.InvariantCulture, $"coffer/keyset/{keysetId}/s{serial}/rsa");

    /// <summary>Context of the ECDSA private key sealed by the symmetric key.</summary>
    public static string SigningPrivateContext(string keysetId, int serial) =>
        string.Create(CultureInfo.InvariantCulture, $"coffer/keyset/{keysetId}/s{serial}/sig");

    /// <summary>Generates a new keyset.</summary>
    public static Keyset Generate(string keysetId, int serial = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(keysetId);
        ArgumentOutOfRangeException.ThrowIfLessThan(serial, 1);
        EnvelopeKey sym = EnvelopeKey.Generate(SymmetricKidFor(keysetId, serial));
        RSA rsa = RSA.Create(RsaPublicKey.KeySizeBits);
        return new Keyset(keysetId, serial, sym, rsa, EcdsaP256.GenerateKey());
    }

    /// <summary>Seals the private keys under the symmetric key (for any keyset, member or group).</summary>
    public SealedKeyPrivateParts SealPrivateParts()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte[] rsa = _encryptionKey.ExportPkcs8PrivateKey();
        byte[] ec = _signingKey.ExportPkcs8();
        try
        {
            return new SealedKeyPrivateParts(
                _symmetricKey.Seal(EncryptionPrivateContext(KeysetId, Serial), rsa),
                _symmetricKey.Seal(SigningPrivateContext(KeysetId, Serial), ec));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(rsa);
            CryptographicOperations.ZeroMemory(ec);
        }
    }

    /// <summary>Seals a member's keyset: the symmetric key under the AUK, the private keys under the symmetric key.</summary>
    public SealedKeyset SealWithAuk(EnvelopeKey auk)
    {
        Envelope sealedSym = SealSymmetricKeyWithAuk(auk);
        return new SealedKeyset(KeysetId, Serial, sealedSym, SealPrivateParts(), EncryptionPublicKey, SigningPublicKey);
    }

    /// <summary>
    /// Seals only the symmetric key under an AUK (context <c>coffer/keyset/&lt;id&gt;/s&lt;serial&gt;/sym</c>): what a password
    /// or Secret Key change replaces (PROTOCOL.md §2). The private keys stay sealed under the unchanged symmetric key.
    /// </summary>
    public Envelope SealSymmetricKeyWithAuk(EnvelopeKey auk)
    {
        ArgumentNullException.ThrowIfNull(auk);
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<byte> sym = stackalloc byte[EnvelopeKey.KeyLength];
        try
        {
            _symmetricKey.CopyKeyTo(sym);
            return auk.Seal(SymmetricContext(KeysetId, Serial), sym);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sym);
        }
    }

    /// <summary>Wraps the symmetric key to a recipient's RSA key (a group keyset for one member).</summary>
    public byte[] WrapSymmetricKeyTo(ReadOnlySpan<byte> recipientEncryptionSpki)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<byte> sym = stackalloc byte[EnvelopeKey.KeyLength];
        try
        {
            _symmetricKey.CopyKeyTo(sym);
            return KeyWrap.Wrap(recipientEncryptionSpki, sym);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sym);
        }
    }

    /// <summary>
    /// Opens a member's keyset with the AUK. Null when anything fails to decrypt or
    /// the private keys do not match the public keys stored beside them (a server
    /// substituting keys) — one failure, no reason.
    /// </summary>
    public static Keyset? OpenWithAuk(SealedKeyset sealedKeyset, EnvelopeKey auk)
    {
        ArgumentNullException.ThrowIfNull(sealedKeyset);
        ArgumentNullException.ThrowIfNull(auk);
        byte[]? sym = auk.Open(SymmetricContext(sealedKeyset.KeysetId, sealedKeyset.Serial), sealedKeyset.SealedSymmetricKey);
        if (sym is null)
        {
            return null;
        }
        try
        {
            return OpenWithSymmetricKey(sealedKeyset.KeysetId, sealedKeyset.Serial, sym, sealedKeyset.PrivateParts,
                sealedKeyset.EncryptionPublicKey, sealedKeyset.SigningPublicKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sym);
        }
    }

    /// <summary>
    /// Opens a keyset from its raw symmetric key (a group keyset unwrapped by a member)
    /// and checks the private keys match the expected (certified) public keys.
    /// </summary>
    public static Keyset? OpenWithSymmetricKey(string keysetId, int serial, ReadOnlySpan<byte> symmetricKey,
        SealedKeyPrivateParts privateParts, ReadOnlySpan<byte> expectedEncryptionSpki, ReadOnlySpan<byte> expectedSigningSpki)
    {
        ArgumentNullException.ThrowIfNull(privateParts);
        if (symmetricKey.Length != EnvelopeKey.KeyLength)
        {
            return null;
        }
        EnvelopeKey sym = new(SymmetricKidFor(keysetId, serial), symmetricKey);
        byte[]? rsaDer = null, ecDer = null;
        RSA? rsa = null;
        EcdsaP256PrivateKey? ec = null;
        try
        {
            rsaDer = sym.Open(EncryptionPrivateContext(keysetId, serial), privateParts.SealedEncryptionKey);
            ecDer = sym.Open(SigningPrivateContext(keysetId, serial), privateParts.SealedSigningKey);
            if (rsaDer is null || ecDer is null)
            {
                sym.Dispose();
                return null;
            }
            rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(rsaDer, out int rsaRead);
            ec = EcdsaP256.ImportPrivateKey(ecDer);
            bool matches = rsaRead == rsaDer.Length
                && rsa.KeySize == RsaPublicKey.KeySizeBits
                && rsa.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(expectedEncryptionSpki)
                && ec.PublicKey.Spki.SequenceEqual(expectedSigningSpki);
            if (!matches)
            {
                rsa.Dispose();
                ec.Dispose();
                sym.Dispose();
                return null;
            }
            return new Keyset(keysetId, serial, sym, rsa, ec);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            rsa?.Dispose();
            ec?.Dispose();
            sym.Dispose();
            return null;
        }
        finally
        {
            if (rsaDer is not null)
            {
                CryptographicOperations.ZeroMemory(rsaDer);
            }
            if (ecDer is not null)
            {
                CryptographicOperations.ZeroMemory(ecDer);
            }
        }
    }

    /// <summary>Zeroes the symmetric key and disposes the private keys.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _symmetricKey.Dispose();
        _encryptionKey.Dispose();
        _signingKey.Dispose();
    }
}

/// <summary>A keyset's private keys, each sealed by the keyset's symmetric key.</summary>
/// <param name="SealedEncryptionKey">RSA private key, PKCS#8, context <c>…/rsa</c>.</param>
/// <param name="SealedSigningKey">ECDSA private key, PKCS#8, context <c>…/sig</c>.</param>
public sealed record SealedKeyPrivateParts(Envelope SealedEncryptionKey, Envelope SealedSigningKey);

/// <summary>A member's keyset as the server stores it: nothing in it is readable without the AUK.</summary>
/// <param name="KeysetId">Keyset id.</param>
/// <param name="Serial">Keyset serial.</param>
/// <param name="SealedSymmetricKey">The symmetric key under the AUK (kid <c>auk</c>).</param>
/// <param name="PrivateParts">The private keys under the symmetric key.</param>
/// <param name="EncryptionPublicKey">RSA public key, DER SPKI.</param>
/// <param name="SigningPublicKey">ECDSA P-256 public key, DER SPKI.</param>
public sealed record SealedKeyset(string KeysetId, int Serial, Envelope SealedSymmetricKey, SealedKeyPrivateParts PrivateParts,
    byte[] EncryptionPublicKey, byte[] SigningPublicKey);
