using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Coffer.Protocol.Signatures;

/// <summary>
/// Canonical SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) checks: a key is accepted only if .NET parses it
/// as the algorithm its OID names and re-exports exactly the same DER bytes, so one key has one
/// encoding and therefore one fingerprint (PROTOCOL.md §5). This rejects BER length forms, trailing
/// bytes, compressed or off-curve EC points, other curves, explicit curve parameters, missing RSA
/// NULL parameters and non-minimal integers.
/// </summary>
internal static class Spki
{
    internal const string RsaEncryptionOid = "1.2.840.113549.1.1.1";
    internal const string EcPublicKeyOid = "1.2.840.10045.2.1";
    internal const string P256CurveOid = "1.2.840.10045.3.1.7";

    /// <summary>The algorithm of a canonical SPKI, or <see cref="SpkiAlgorithm.None"/> for anything else.</summary>
    internal static SpkiAlgorithm Classify(ReadOnlySpan<byte> spki)
    {
        string? oid = ReadAlgorithmOid(spki);
        try
        {
            return oid switch
            {
                RsaEncryptionOid => IsCanonicalRsa(spki) ? SpkiAlgorithm.Rsa : SpkiAlgorithm.None,
                EcPublicKeyOid => IsCanonicalP256(spki) ? SpkiAlgorithm.EcP256 : SpkiAlgorithm.None,
                _ => SpkiAlgorithm.None,
            };
        }
        catch (CryptographicException)
        {
            return SpkiAlgorithm.None;
        }
    }

    /// <summary>True when <paramref name="key"/> holds a named P-256 key (not another curve, not explicit parameters).</summary>
    internal static bool IsP256(ECAlgorithm key)
    {
        ECParameters parameters = key.ExportParameters(false);
        return parameters.Curve.IsNamed
            && string.Equals(parameters.Curve.Oid.Value, P256CurveOid, StringComparison.Ordinal);
    }

    private static bool IsCanonicalRsa(ReadOnlySpan<byte> spki)
    {
        using RSA rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(spki, out int read);
        return read == spki.Length && rsa.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(spki);
    }

    private static bool IsCanonicalP256(ReadOnlySpan<byte> spki)
    {
        using ECDsa? ecdsa = ImportCanonicalP256(spki);
        return ecdsa is not null;
    }

    /// <summary>
    /// Imports a canonical P-256 SPKI (see the class summary) into a key the caller owns, or null for
    /// anything else.
    /// </summary>
    internal static ECDsa? ImportCanonicalP256(ReadOnlySpan<byte> spki)
    {
        if (!string.Equals(ReadAlgorithmOid(spki), EcPublicKeyOid, StringComparison.Ordinal))
        {
            return null;
        }
        ECDsa ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportSubjectPublicKeyInfo(spki, out int read);
            if (read == spki.Length && IsP256(ecdsa) && ecdsa.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(spki))
            {
                return ecdsa;
            }
        }
        catch (CryptographicException)
        {
        }
        ecdsa.Dispose();
        return null;
    }

    private static string? ReadAlgorithmOid(ReadOnlySpan<byte> spki)
    {
        try
        {
            AsnDecoder.ReadSequence(spki, AsnEncodingRules.DER, out int contentOffset, out int contentLength, out _);
            ReadOnlySpan<byte> body = spki.Slice(contentOffset, contentLength);
            AsnDecoder.ReadSequence(body, AsnEncodingRules.DER, out int algOffset, out int algLength, out _);
            return AsnDecoder.ReadObjectIdentifier(body.Slice(algOffset, algLength), AsnEncodingRules.DER, out _);
        }
        catch (AsnContentException)
        {
            return null;
        }
    }
}
