using System.Security.Cryptography;

namespace Coffer.Protocol.Envelopes;

/// <summary>
/// An AES-256-GCM key (NIST SP 800-38D; 32-byte key, 12-byte random IV,
/// 16-byte tag) with its key id, sealing and opening envelopes of PROTOCOL.md §4.
/// The associated data is the UTF-8 of a context string naming where the
/// envelope lives; a key seals at most 2^32 envelopes (random IVs), after which
/// it refuses. The key bytes are copied in and zeroed on <see cref="Dispose"/>.
/// Seal and open may be called from several threads at once (a session's key serves
/// concurrent requests): the AES-GCM context, which is not thread-safe, is used under a lock.
/// </summary>
public sealed class EnvelopeKey : IDisposable
{
    /// <summary>Key length in bytes.</summary>
    public const int KeyLength = 32;

    private const long MaxSeals = 1L << 32;

    private readonly byte[] _key;
    private readonly AesGcm _aes;
    private readonly Lock _lock = new();
    private long _seals;
    private bool _disposed;

    /// <summary>Wraps 32 key bytes (copied) under the given key id.</summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes or the id is empty.</exception>
    public EnvelopeKey(string kid, ReadOnlySpan<byte> key)
    {
        ArgumentException.ThrowIfNullOrEmpty(kid);
        if (key.Length != KeyLength)
        {
            throw new ArgumentException("An envelope key is 32 bytes.", nameof(key));
        }
        Kid = kid;
        _key = GC.AllocateUninitializedArray<byte>(KeyLength, pinned: true);
        key.CopyTo(_key);
        _aes = new AesGcm(_key, Envelope.TagLength);
    }

    /// <summary>The key id carried in every envelope this key seals.</summary>
    public string Kid { get; }

    /// <summary>Makes a new random key.</summary>
    public static EnvelopeKey Generate(string kid)
    {
        Span<byte> key = stackalloc byte[KeyLength];
        RandomNumberGenerator.Fill(key);
        try
        {
            return new EnvelopeKey(kid, key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Copies the raw key bytes into <paramref name="destination"/> (for wrapping); the caller zeroes them.</summary>
    public void CopyKeyTo(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length != KeyLength)
        {
            throw new ArgumentException("The destination is 32 bytes.", nameof(destination));
        }
        _key.CopyTo(destination);
    }

    /// <summary>Seals <paramref name="plaintext"/> bound to <paramref name="context"/>.</summary>
    public Envelope Seal(string context, ReadOnlySpan<byte> plaintext)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(context);
        if (Interlocked.Increment(ref _seals) > MaxSeals)
        {
            throw new InvalidOperationException("This key has sealed 2^32 envelopes; rotate it.");
        }
        Span<byte> iv = stackalloc byte[Envelope.IvLength];
        RandomNumberGenerator.Fill(iv);
        byte[] data = new byte[plaintext.Length + Envelope.TagLength];
        byte[]? rentedAad = null;
        Span<byte> aad = Aad(context, stackalloc byte[256], ref rentedAad);
        try
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _aes.Encrypt(iv, plaintext, data.AsSpan(0, plaintext.Length), data.AsSpan(plaintext.Length), aad);
            }
        }
        finally
        {
            Return(rentedAad);
        }
        return Envelope.Owning(Kid, iv, data);
    }

    /// <summary>
    /// Opens an envelope sealed for <paramref name="context"/>. Returns null —
    /// "could not decrypt", with no reason — when the kid is not this key's, the
    /// context differs or any bit was changed. The caller zeroes the plaintext.
    /// </summary>
    public byte[]? Open(string context, Envelope envelope)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(context);
        ArgumentNullException.ThrowIfNull(envelope);
        if (!string.Equals(envelope.Kid, Kid, StringComparison.Ordinal))
        {
            return null;
        }
        ReadOnlySpan<byte> data = envelope.Data;
        int length = data.Length - Envelope.TagLength;
        byte[] plaintext = new byte[length];
        byte[]? rentedAad = null;
        Span<byte> aad = Aad(context, stackalloc byte[256], ref rentedAad);
        try
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _aes.Decrypt(envelope.Iv, data[..length], data[length..], plaintext, aad);
            }
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return null;
        }
        finally
        {
            Return(rentedAad);
        }
    }

    // The associated data, the context's UTF-8, without an allocation for the usual short context.
    private static Span<byte> Aad(string context, Span<byte> stack, ref byte[]? rented)
    {
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(context.Length);
        Span<byte> buffer = max <= stack.Length ? stack : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max));
        return buffer[..System.Text.Encoding.UTF8.GetBytes(context, buffer)];
    }

    private static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Zeroes the key.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _aes.Dispose();
            CryptographicOperations.ZeroMemory(_key);
        }
    }
}
