using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Coffer.Cli.State;

namespace Coffer.Cli.Agent;

/// <summary>
/// TLS trust for one server: the system's CAs by default; with a CA file, only a chain to those CAs; with a pin, only a
/// certificate whose SubjectPublicKeyInfo hashes to it (both when both are given). The host name must match in every
/// case. The session layer (PROTOCOL.md §6) protects bodies even from a TLS interceptor; this keeps paths and timing
/// private too.
/// </summary>
internal static class ServerTrust
{
    public const string PinPrefix = "sha256/";

    public static HttpMessageHandler CreateHandler(ServerTrustSettings? settings)
    {
        SocketsHttpHandler handler = new()
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        };
        if (settings is { CaFile: not null } or { ServerPin: not null })
        {
            X509Certificate2Collection? roots = settings.CaFile is null ? null : LoadCaFile(settings.CaFile);
            byte[]? pin = settings.ServerPin is null ? null : ParsePin(settings.ServerPin);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Validate(certificate, errors, roots, pin);
        }
        return handler;
    }

    /// <summary>Checks a CA file and a pin as typed, before they are stored with an account.</summary>
    /// <exception cref="CliException">The file holds no certificate, or the pin is malformed.</exception>
    public static ServerTrustSettings? Settings(string? caFile, string? serverPin)
    {
        if (caFile is null && serverPin is null)
        {
            return null;
        }
        string? path = caFile is null ? null : Path.GetFullPath(caFile);
        if (path is not null)
        {
            _ = LoadCaFile(path);
        }
        if (serverPin is not null)
        {
            _ = ParsePin(serverPin);
        }
        return new ServerTrustSettings(path, serverPin);
    }

    internal static bool Validate(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection? roots, byte[]? pin)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return false;
        }
        using X509Certificate2 leaf = new(certificate);
        if (pin is not null)
        {
            byte[] spkiHash = SHA256.HashData(leaf.PublicKey.ExportSubjectPublicKeyInfo());
            if (!CryptographicOperations.FixedTimeEquals(spkiHash, pin))
            {
                return false;
            }
        }
        if (roots is null)
        {
            // A pin alone is the trust anchor; without a pin or CA file this callback is not installed.
            return pin is not null || errors == SslPolicyErrors.None;
        }
        using X509Chain chain = new();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }

    /// <summary>The pin of a certificate: <c>sha256/</c> and the base64 SHA-256 of its SubjectPublicKeyInfo.</summary>
    public static string PinOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return PinPrefix + Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    private static X509Certificate2Collection LoadCaFile(string path)
    {
        X509Certificate2Collection roots = [];
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"Cannot read the CA file {path}: {e.Message}");
        }
        if (roots.Count == 0)
        {
            throw new CliException(ExitCodes.Usage, $"The CA file {path} holds no PEM certificate.");
        }
        return roots;
    }

    private static byte[] ParsePin(string pin)
    {
        byte[]? hash = null;
        if (pin.StartsWith(PinPrefix, StringComparison.Ordinal))
        {
            try
            {
                hash = Convert.FromBase64String(pin[PinPrefix.Length..]);
            }
            catch (FormatException)
            {
                hash = null;
            }
        }
        return hash is { Length: 32 }
            ? hash
            : throw new CliException(ExitCodes.Usage, "A server pin is sha256/ followed by the base64 SHA-256 of the certificate's public key (SubjectPublicKeyInfo).");
    }
}
