using System.Net;
using System.Security.Cryptography;
using Coffer.Protocol.WebAuthn;
using Coffer.Server.Common.Configuration;

namespace Coffer.Server.Features.Mfa;

/// <summary>
/// This server as a WebAuthn relying party (docs/adr/0026): the RP id and origin come from <c>Coffer:WebAuthn:RpId/Origin</c>
/// when set, else from <c>Coffer:PublicUrl</c> (origin scheme://host[:port], RP id its host). An RP id cannot be an IP address
/// (WebAuthn L2 §5.1.3 needs a valid domain), so a server known only by its IP — or with no public address — has no security
/// keys: <see cref="Unavailable"/> says why, and the endpoints answer with that rather than hand out options that never verify.
/// Overrides that contradict each other are a configuration error at start-up.
/// </summary>
internal sealed class SecurityKeyRelyingParty
{
    private SecurityKeyRelyingParty(WebAuthnRelyingParty? verifier, string? unavailable)
    {
        Verifier = verifier;
        Unavailable = unavailable;
    }

    /// <summary>The verifier, or null when security keys are unavailable.</summary>
    public WebAuthnRelyingParty? Verifier { get; }

    /// <summary>Why security keys are unavailable on this server (for the refusal's detail), or null.</summary>
    public string? Unavailable { get; }

    /// <exception cref="ConfigurationException">An override is not a bare origin, or the RP id does not fit the origin's host.</exception>
    public static SecurityKeyRelyingParty FromOptions(CofferOptions options)
    {
        string? origin;
        if (!string.IsNullOrWhiteSpace(options.WebAuthn.Origin))
        {
            origin = options.WebAuthn.Origin.Trim();
            if (!Uri.TryCreate(origin, UriKind.Absolute, out Uri? given) || given.Scheme is not ("http" or "https")
                || !string.Equals(given.GetLeftPart(UriPartial.Authority), origin, StringComparison.Ordinal))
            {
                throw new ConfigurationException("Coffer:WebAuthn:Origin must be an origin exactly as a browser writes it: scheme://host[:port], lower case, no path.");
            }
        }
        else if (!string.IsNullOrWhiteSpace(options.PublicUrl) && Uri.TryCreate(options.PublicUrl, UriKind.Absolute, out Uri? publicUrl)
                 && publicUrl.Scheme is "http" or "https")
        {
            origin = publicUrl.GetLeftPart(UriPartial.Authority);
        }
        else
        {
            return new SecurityKeyRelyingParty(null,
                "Security keys are unavailable: this server has no public address. An administrator sets Coffer:PublicUrl to its https:// host name (or Coffer:WebAuthn:Origin).");
        }
        Uri uri = new(origin);
        string rpId = string.IsNullOrWhiteSpace(options.WebAuthn.RpId) ? uri.IdnHost : options.WebAuthn.RpId.Trim();
        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 || IPAddress.TryParse(rpId, out _))
        {
            return new SecurityKeyRelyingParty(null,
                "Security keys are unavailable: this server's address is an IP address, and a WebAuthn RP id cannot be one. An administrator sets "
                + "Coffer:PublicUrl to a host name (say https://coffer.example, or http://localhost:PORT on one machine).");
        }
        if (!string.Equals(uri.IdnHost, rpId, StringComparison.Ordinal) && !uri.IdnHost.EndsWith("." + rpId, StringComparison.Ordinal))
        {
            throw new ConfigurationException($"Coffer:WebAuthn:RpId must be the origin's host ({uri.IdnHost}) or a suffix of it after a dot.");
        }
        return new SecurityKeyRelyingParty(new WebAuthnRelyingParty(rpId, origin), null);
    }
}

/// <summary>
/// Where ceremony challenges come from: 32 random bytes (WebAuthn L2 §13.4.3 asks for at least 16). A seam for the server tests
/// only, which replace it in the service collection to replay committed fixtures; nothing reachable over HTTP chooses a challenge.
/// </summary>
internal interface IWebAuthnChallenges
{
    byte[] Next();
}

internal sealed class RandomWebAuthnChallenges : IWebAuthnChallenges
{
    public const int Size = 32;

    public byte[] Next() => RandomNumberGenerator.GetBytes(Size);
}
