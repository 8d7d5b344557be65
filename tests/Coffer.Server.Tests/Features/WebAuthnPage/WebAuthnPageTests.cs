using System.Net;
using Coffer.Server.Tests.Common;

namespace Coffer.Server.Tests.Features.WebAuthnPage;

public class WebAuthnPageTests
{
    [Theory]
    [InlineData("/webauthn", "text/html")]
    [InlineData("/webauthn/webauthn.js", "text/javascript")]
    public async Task Get_Anonymous_ServedWithStrictCspAndNoStore(string path, string mediaType)
    {
        await using ServerHost server = await ServerHost.StartAsync();

        HttpResponseMessage response = await server.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        string csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("connect-src http://127.0.0.1:*", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.Equal("no-referrer", string.Join(",", response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task Page_LoadsOnlyItsOwnScript_AndHasNoInlineScript()
    {
        await using ServerHost server = await ServerHost.StartAsync();

        string html = await server.Client.GetStringAsync("/webauthn");

        // A CSP without 'unsafe-inline' would block an inline script: the page must work with its one external file.
        Assert.Single(html.Split("<script", StringSplitOptions.None).Skip(1));
        Assert.Contains("<script src=\"/webauthn/webauthn.js\" defer></script>", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\son[a-z]+\s*=", html);
        Assert.DoesNotContain("style", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Script_AcceptsOnlyALoopbackCallbackWithAFullState()
    {
        await using ServerHost server = await ServerHost.StartAsync();

        string script = await server.Client.GetStringAsync("/webauthn/webauthn.js");

        // The whole check is one anchored pattern: http, 127.0.0.1, a port, a 43-character (32-byte) base64url state.
        Assert.Contains(@"/^http:\/\/127\.0\.0\.1:([1-9][0-9]{0,4})\/([A-Za-z0-9_-]{43})$/", script, StringComparison.Ordinal);
    }
}
