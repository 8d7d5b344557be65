using System.Globalization;
using System.Security.Cryptography;
using Coffer.Protocol.Envelopes;

namespace Coffer.Crypto.Keys;

/// <summary>
/// A vault key (PROTOCOL.md §5): 32 random bytes (AES-256-GCM, kid
/// <c>vault:&lt;vaultId&gt;:k&lt;serial&gt;</c>) with a serial that starts at 1 and grows by
/// one at each rotation. Key n+1 is accepted only with a succession envelope sealed by
/// key n under <c>coffer/vault/&lt;id&gt;/succ/&lt;n+1&gt;</c> whose plaintext is SHA-256 of
/// key n+1, so a server cannot slip in a key of its own choosing.
/// </summary>
public sealed class VaultKey : IDisposable
{
    private readonly EnvelopeKey _key;
    private readonly byte[] _keyHash;

    private VaultKey(string vaultId, int serial, ReadOnlySpan<byte> key)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        ArgumentOutOfRangeException.ThrowIfLessThan(serial, 1);
        VaultId = vaultId;
        Serial = serial;
        _key = new EnvelopeKey(KidFor(vaultId, serial), key);
        _keyHash = SHA256.HashData(key);
    }

    /// <summary>The vault id.</summary>
    public string VaultId { get; }

    /// <summary>The key serial.</summary>
    public int Serial { get; }

    /// <summary>The envelope key (for item keys and attributes).</summary>
    public EnvelopeKey Key => _key;

    /// <summary>The kid of a vault key.</summary>
    public static string KidFor(string vaultId, int serial) =>
        string.Create(CultureInfo.InvariantCulture, $"vault:{vaultId}:k{serial}");

    /// <summary>Context of a succession envelope.</summary>
    public static string SuccessionContext(string vaultId, int newSerial) =>
        string.Create(CultureInfo.InvariantCulture, $"coffer/vault/{vaultId}/succ/{newSerial}");

    /// <summary>Context of the vault's sealed attributes, version <paramref name="attributesVersion"/>.</summary>
    public static string AttributesContext(string vaultId, int serial, int attributesVersion) =>
        string.Create(CultureInfo.InvariantCulture, $"coffer/vault/{vaultId}/k{serial}/attrs/v{attributesVersion}");

    /// <summary>A new vault's first key (serial 1).</summary>
    public static VaultKey Generate(string vaultId)
    {
        Span<byte> key = stackalloc byte[EnvelopeKey.KeyLength];
        RandomNumberGenerator.Fill(key);
        try
        {
            return new VaultKey(vaultId, 1, key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// Takes a key unwrapped from a grant whose provenance was checked (a signed wrap).
    /// Use <see cref="AcceptSuccessor"/> instead when a previous key of this vault is known.
    /// </summary>
    public static VaultKey FromUnwrapped(string vaultId, int serial, ReadOnlySpan<byte> key)
    {
        if (key.Length != EnvelopeKey.KeyLength)
        {
            throw new ArgumentException("A vault key is 32 bytes.", nameof(key));
        }
        return new VaultKey(vaultId, serial, key);
    }

    /// <summary>Rotates: a new key with serial n+1 and its succession envelope sealed by this key.</summary>
    public (VaultKey Next, Envelope Succession) Rotate()
    {
        Span<byte> next = stackalloc byte[EnvelopeKey.KeyLength];
        RandomNumberGenerator.Fill(next);
        try
        {
            VaultKey successor = new(VaultId, checked(Serial + 1), next);
            Envelope succession = _key.Seal(SuccessionContext(VaultId, successor.Serial), successor._keyHash);
            return (successor, succession);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(next);
        }
    }

    /// <summary>
    /// Accepts key n+1 (unwrapped from a grant) only if <paramref name="succession"/> was
    /// sealed by this key n for serial n+1 and names exactly that key. Null otherwise.
    /// </summary>
    public VaultKey? AcceptSuccessor(int serial, ReadOnlySpan<byte> key, Envelope succession)
    {
        ArgumentNullException.ThrowIfNull(succession);
        if (serial != Serial + 1 || key.Length != EnvelopeKey.KeyLength)
        {
            return null;
        }
        byte[]? named = _key.Open(SuccessionContext(VaultId, serial), succession);
        if (named is null)
        {
            return null;
        }
        Span<byte> actual = stackalloc byte[32];
        SHA256.HashData(key, actual);
        bool same = CryptographicOperations.FixedTimeEquals(named, actual);
        return same ? new VaultKey(VaultId, serial, key) : null;
    }

    /// <summary>True if <paramref name="other"/> is the same key (same vault, serial and bytes).</summary>
    public bool SameKeyAs(VaultKey other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return string.Equals(VaultId, other.VaultId, StringComparison.Ordinal) && Serial == other.Serial
            && CryptographicOperations.FixedTimeEquals(_keyHash, other._keyHash);
    }

    /// <summary>Wraps this key to a recipient's RSA key (a grant).</summary>
    public byte[] WrapTo(ReadOnlySpan<byte> recipientEncryptionSpki)
    {
        Span<byte> raw = stackalloc byte[EnvelopeKey.KeyLength];
        try
        {
            _key.CopyKeyTo(raw);
            return KeyWrap.Wrap(recipientEncryptionSpki, raw);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    /// <summary>Seals the vault's attributes (name, description JSON).</summary>
    public Envelope SealAttributes(int attributesVersion, ReadOnlySpan<byte> attributesJson) =>
        _key.Seal(AttributesContext(VaultId, Serial, attributesVersion), attributesJson);

    /// <summary>Opens the vault's attributes; null if they were not sealed by this key for this version.</summary>
    public byte[]? OpenAttributes(int attributesVersion, Envelope sealedAttributes) =>
        _key.Open(AttributesContext(VaultId, Serial, attributesVersion), sealedAttributes);

    /// <summary>Zeroes the key.</summary>
    public void Dispose() => _key.Dispose();
}
