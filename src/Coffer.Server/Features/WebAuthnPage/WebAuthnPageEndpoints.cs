using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.WebAuthnPage;

/// <summary>
/// The security-key page (docs/adr/0026, "Browser ceremony"): static HTML and one same-origin script. Anonymous and
/// free of secrets; a Coffer client on the person's computer gives it a one-time loopback address in the fragment,
/// which never reaches this server. It exists so the browser signs this server's origin, the one the server checks.
/// </summary>
internal static class WebAuthnPageEndpoints
{
    /// <summary>
    /// Only our own script; fetches only to the loopback listener; no styles, images, frames or forms. The page is
    /// never framed (the relying party refuses cross-origin ceremonies anyway).
    /// </summary>
    internal const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; connect-src http://127.0.0.1:*; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly byte[] Page = Load("webauthn.html");
    private static readonly byte[] Script = Load("webauthn.js");

    public static IEndpointRouteBuilder MapWebAuthnPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/webauthn", (HttpContext http) => Serve(http, Page, "text/html; charset=utf-8"))
            .WithName("WebAuthn_Page").AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/webauthn/webauthn.js", (HttpContext http) => Serve(http, Script, "text/javascript; charset=utf-8"))
            .WithName("WebAuthn_Script").AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static FileContentHttpResult Serve(HttpContext http, byte[] body, string contentType)
    {
        IHeaderDictionary headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        // Nothing here is secret, but a stale copy of the page after an upgrade would speak an old protocol to a new
        // client; and the address the page was opened with must not be kept anywhere.
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        return TypedResults.Bytes(body, contentType);
    }

    private static byte[] Load(string name)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("webauthn-page/" + name)
            ?? throw new InvalidOperationException($"The embedded resource webauthn-page/{name} is missing.");
        using MemoryStream copy = new();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
