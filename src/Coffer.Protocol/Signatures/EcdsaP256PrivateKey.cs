using System.Security.Cryptography;

namespace Coffer.Protocol.Signatures;

/// <summary>
/// An ECDSA P-256 private key (see <see cref="EcdsaP256"/>). The scalar lives in the platform's
/// crypto library and is cleared when this object is disposed; dispose it as soon as signing is done.
/// </summary>
public sealed class EcdsaP256PrivateKey : IDisposable
{
    private readonly ECDsa _ecdsa;
    private readonly EcdsaP256PublicKey _publicKey;
    private bool _disposed;

    internal EcdsaP256PrivateKey(ECDsa ecdsa)
    {
        _ecdsa = ecdsa;
        byte[] spki = ecdsa.ExportSubjectPublicKeyInfo();
        ECDsa verifier = ECDsa.Create();
        verifier.ImportSubjectPublicKeyInfo(spki, out _);
        _publicKey = new EcdsaP256PublicKey(verifier, spki);
    }

    /// <summary>The matching public key (disposed with this key).</summary>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public EcdsaP256PublicKey PublicKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _publicKey;
        }
    }

    /// <summary>Signs <paramref name="data"/> (SHA-256, then ECDSA with a fresh nonce): a 64-byte P1363 signature.</summary>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte[] signature = new byte[EcdsaP256.SignatureSize];
        int written = _ecdsa.SignData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        if (written != EcdsaP256.SignatureSize)
        {
            throw new CryptographicException("ECDSA P-256 produced a signature of unexpected length.");
        }
        return signature;
    }

    /// <summary>
    /// Exports the key as unencrypted PKCS#8 DER for sealing. The result is key material: the caller
    /// must zero it (<see cref="CryptographicOperations.ZeroMemory"/>) once it is sealed.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public byte[] ExportPkcs8()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _ecdsa.ExportPkcs8PrivateKey();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _ecdsa.Dispose();
            _publicKey.Dispose();
        }
    }
}
