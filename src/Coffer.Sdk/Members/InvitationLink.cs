using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;

namespace Coffer.Sdk.Members;

/// <summary>
/// The invitation link (PROTOCOL.md §8): <c>&lt;server&gt;/invite#token=&lt;base64url&gt;&amp;org=&lt;base32 fingerprint&gt;</c>.
/// Both values are in the fragment, which a browser never sends; the organisation fingerprint is pinned
/// from here, from outside the server.
/// </summary>
/// <param name="ServerUrl">The server's address (the link without its path and fragment).</param>
/// <param name="Token">The one-time token, base64url (32 bytes).</param>
/// <param name="OrganisationFingerprint">The organisation fingerprint the link carries.</param>
public sealed record InvitationLink(Uri ServerUrl, string Token, Fingerprint OrganisationFingerprint)
{
    /// <summary>Parses a link as mailed.</summary>
    /// <exception cref="ArgumentException">It is not an invitation link, or its token or fingerprint is malformed.</exception>
    public static InvitationLink Parse(string link)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(link);
        if (!Uri.TryCreate(link.Trim(), UriKind.Absolute, out Uri? uri) || uri.Fragment.Length < 2)
        {
            throw new ArgumentException("This is not an invitation link.", nameof(link));
        }
        string? token = null;
        string? org = null;
        foreach (string part in uri.Fragment[1..].Split('&'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }
            string value = part[(eq + 1)..];
            switch (part[..eq])
            {
                case "token":
                    token = value;
                    break;
                case "org":
                    org = value;
                    break;
            }
        }
        if (token is null || !Base64Url.TryDecode(token, out byte[]? raw) || raw.Length != 32)
        {
            throw new ArgumentException("The invitation link's token is missing or malformed; copy the whole link.", nameof(link));
        }
        if (!Base32.TryDecode(org, out byte[] fingerprint) || fingerprint.Length != Fingerprint.Size)
        {
            throw new ArgumentException("The invitation link's organisation fingerprint is missing or malformed; copy the whole link.", nameof(link));
        }
        string path = uri.AbsolutePath;
        string basePath = path.EndsWith("/invite", StringComparison.Ordinal) ? path[..^"/invite".Length] : "";
        Uri server = new(uri.GetLeftPart(UriPartial.Authority) + basePath + "/");
        return new InvitationLink(server, token, Fingerprint.FromBytes(fingerprint));
    }
}
