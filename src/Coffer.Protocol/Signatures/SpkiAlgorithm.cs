namespace Coffer.Protocol.Signatures;

/// <summary>The public-key algorithms Coffer certifies (PROTOCOL.md §5): what a canonical SPKI holds.</summary>
public enum SpkiAlgorithm
{
    /// <summary>Not a key Coffer accepts.</summary>
    None = 0,

    /// <summary>An RSA key (<c>rsaEncryption</c>, 1.2.840.113549.1.1.1): keyset encryption keys, used with RSA-OAEP.</summary>
    Rsa = 1,

    /// <summary>An EC key on P-256 (<c>id-ecPublicKey</c> with <c>prime256v1</c>): signing keys, used with ECDSA.</summary>
    EcP256 = 2,
}
