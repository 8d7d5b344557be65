using System.Security.Cryptography;

namespace Coffer.Protocol.Signatures;

/// <summary>
/// An ECDSA P-256 public key (see <see cref="EcdsaP256"/>), imported once from a canonical SPKI so
/// that many signatures can be checked against it. Verification never throws for a bad signature.
/// Like the platform key it wraps, an instance is not meant for concurrent use from several threads.
/// </summary>
public sealed class EcdsaP256PublicKey : IDisposable
{
    private readonly ECDsa _ecdsa;
    private readonly byte[] _spki;
    private bool _disposed;

    internal EcdsaP256PublicKey(ECDsa ecdsa, byte[] spki)
    {
        _ecdsa = ecdsa;
        _spki = spki;
        Fingerprint = Fingerprint.FromBytes(SHA256.HashData(spki));
    }

    /// <summary>The canonical DER SPKI (91 bytes).</summary>
    public ReadOnlySpan<byte> Spki => _spki;

    /// <summary>The key's fingerprint: SHA-256 of <see cref="Spki"/>.</summary>
    public Fingerprint Fingerprint { get; }

    /// <summary>A copy of the canonical DER SPKI.</summary>
    public byte[] ExportSpki() => _spki.ToArray();

    /// <summary>
    /// True when <paramref name="signature"/> is a valid 64-byte P1363 signature over
    /// <paramref name="data"/>; false for anything else, including a signature of the wrong length.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (signature.Length != EcdsaP256.SignatureSize)
        {
            return false;
        }
        try
        {
            return _ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _ecdsa.Dispose();
        }
    }
}
