namespace Coffer.Protocol.WebAuthn;

/// <summary>The COSE signature algorithms (IANA "COSE Algorithms" registry) Coffer accepts for security keys.</summary>
public enum CoseAlgorithm
{
    /// <summary>ECDSA with SHA-256 over P-256 (RFC 9053 §2.1, value −7); WebAuthn signatures are DER (WebAuthn L2 §6.5.6).</summary>
    ES256 = -7,

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8812 §2, value −257).</summary>
    RS256 = -257,
}
