using System.Net;
using System.Text;
using System.Text.Json;
using Coffer.Contracts.Mfa;
using Coffer.Sdk.WebAuthn;

namespace Coffer.Sdk.Tests.WebAuthn;

/// <summary>The loopback half of the browser ceremony, with this test playing the page (no browser).</summary>
public sealed class BrowserCeremonyTests : IDisposable
{
    private static readonly Uri Server = new("http://localhost:5123/");
    private const string ServerOrigin = "http://localhost:5123";

    private const string RegistrationJson = """
        {"credential":{"id":"AQID","rawId":"AQID","type":"public-key",
          "response":{"clientDataJSON":"e30","attestationObject":"oA","transports":["usb"]}}}
        """;

    private readonly HttpClient _page = new();

    public void Dispose() => _page.Dispose();

    [Fact]
    public async Task StartRegistration_PageAddress_IsTheServersPageWithALoopbackStateInTheFragment()
    {
        await using BrowserCeremony<WebAuthnRegistrationCredentialDto> ceremony = StartRegistration();

        Uri page = ceremony.PageAddress;
        Assert.Equal("http://localhost:5123/webauthn", page.GetLeftPart(UriPartial.Path));
        Assert.Matches("^#http://127\\.0\\.0\\.1:[0-9]+/[A-Za-z0-9_-]{43}$", page.Fragment);
    }

    [Fact]
    public async Task Registration_PageFetchesOptionsAndPostsCredential_CallerGetsIt()
    {
        await using BrowserCeremony<WebAuthnRegistrationCredentialDto> ceremony = StartRegistration();

        using HttpResponseMessage options = await SendAsync(HttpMethod.Get, Callback(ceremony) + "/options", ServerOrigin);
        Assert.Equal(HttpStatusCode.OK, options.StatusCode);
        Assert.Equal(ServerOrigin, options.Headers.GetValues("Access-Control-Allow-Origin").Single());
        using JsonDocument body = JsonDocument.Parse(await options.Content.ReadAsStringAsync());
        Assert.Equal("create", body.RootElement.GetProperty("op").GetString());
        Assert.Equal("Register a key", body.RootElement.GetProperty("purpose").GetString());
        Assert.Equal("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", body.RootElement.GetProperty("publicKey").GetProperty("challenge").GetString());
        Assert.Equal("localhost", body.RootElement.GetProperty("publicKey").GetProperty("rp").GetProperty("id").GetString());
        using HttpResponseMessage again = await SendAsync(HttpMethod.Get, Callback(ceremony) + "/options", ServerOrigin);
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);   // the options are handed out once

        using HttpResponseMessage posted = await SendAsync(HttpMethod.Post, Callback(ceremony) + "/result", ServerOrigin, RegistrationJson);
        Assert.Equal(HttpStatusCode.NoContent, posted.StatusCode);

        WebAuthnRegistrationCredentialDto credential = await ceremony.WaitAsync();
        Assert.Equal("AQID", credential.RawId);
        Assert.Equal("oA", credential.Response.AttestationObject);
        Assert.Equal(["usb"], credential.Response.Transports);
    }

    [Fact]
    public async Task Assertion_OptionsSayGet_AndTheAssertionComesBack()
    {
        WebAuthnRequestOptionsDto request = new(Challenge(), 60000, "localhost", [new("public-key", "AQID", null)], "required");
        await using BrowserCeremony<WebAuthnAssertionCredentialDto> ceremony = BrowserCeremony.StartAssertion(Server, request, "Sign in");

        using HttpResponseMessage options = await SendAsync(HttpMethod.Get, Callback(ceremony) + "/options", ServerOrigin);
        using JsonDocument body = JsonDocument.Parse(await options.Content.ReadAsStringAsync());
        Assert.Equal("get", body.RootElement.GetProperty("op").GetString());
        Assert.Equal("required", body.RootElement.GetProperty("publicKey").GetProperty("userVerification").GetString());

        const string assertion = """
            {"credential":{"id":"AQID","rawId":"AQID","type":"public-key",
              "response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AQ","userHandle":"Ag"}}}
            """;
        using HttpResponseMessage posted = await SendAsync(HttpMethod.Post, Callback(ceremony) + "/result", ServerOrigin, assertion);

        WebAuthnAssertionCredentialDto credential = await ceremony.WaitAsync();
        Assert.Equal("AQ", credential.Response.Signature);
        Assert.Equal("Ag", credential.Response.UserHandle);
    }

    [Fact]
    public async Task WrongState_IsNotFound_AndTheCeremonyStillWaitsForTheRightOne()
    {
        await using BrowserCeremony<WebAuthnRegistrationCredentialDto> ceremony = StartRegistration();
        string callback = Callback(ceremony);
        string port = new Uri(callback).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string otherState = new('A', 43);
        string flipped = callback[..^1] + (callback[^1] == 'A' ? 'B' : 'A');

        using HttpResponseMessage wrong = await SendAsync(HttpMethod.Post, $"http://127.0.0.1:{port}/{otherState}/result", ServerOrigin, RegistrationJson);
        using HttpResponseMessage close = await SendAsync(HttpMethod.Post, flipped + "/result", ServerOrigin, RegistrationJson);
        using HttpResponseMessage bare = await SendAsync(HttpMethod.Get, $"http://127.0.0.1:{port}/", ServerOrigin);

        Assert.Equal(HttpStatusCode.NotFound, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, close.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bare.StatusCode);
        Assert.False(wrong.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(ceremony.WaitAsync().IsCompleted);

        using HttpResponseMessage right = await SendAsync(HttpMethod.Post, callback + "/result", ServerOrigin, RegistrationJson);
        Assert.Equal("AQID", (await ceremony.WaitAsync()).Id);
    }

    [Theory]
    [InlineData("http://evil.example")]
    [InlineData("http://localhost:5124")]
    [InlineData("https://localhost:5123")]
    [InlineData("null")]
    [InlineData(null)]
    public async Task WrongOrMissingOrigin_IsForbidden_WithoutCorsAndWithoutTakingTheResult(string? origin)
    {
        await using BrowserCeremony<WebAuthnRegistrationCredentialDto> ceremony = StartRegistration();

        using HttpResponseMessage options = await SendAsync(HttpMethod.Get, Callback(ceremony) + "/options", origin);
        using HttpResponseMessage posted = await SendAsync(HttpMethod.Post, Callback(ceremony) + "/result", origin, RegistrationJson);

        Assert.Equal(HttpStatusCode.Forbidden, options.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, posted.StatusCode);
        Assert.False(options.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(ceremony.WaitAsync().IsCompleted);
    }

    [Fact]
    public async Task SecondResult_IsNotTaken_TheFirstStands()
    {
        await using BrowserCeremony<WebAuthnRegistrationCredentialDto> ceremony = StartRegistration();
        string callback = Callback(ceremony);
        using HttpResponseMessage first = await SendAsync(HttpMethod.Post, callback + "/result", ServerOrigin, RegistrationJson);
        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);

        string other = RegistrationJson.Replace("AQID", "BAUG", StringComparison.Ordinal);
        HttpStatusCode? second;
        try
        {
            using HttpResponseMessage again = await SendAsync(HttpMethod.Post, callback + "/result", ServerOrigin, other);
            second = again.StatusCode;
        }
        catch (HttpRequestException)
        {
            second = null; // the listener has already closed: also a refusal
        }

        Assert.NotEqual(HttpStatusCode.NoContent, second);
        Assert.Equal("AQID", (await ceremony.WaitAsync()).Id);
    }

    [Fact]
    public async Task NoAnswer_TimesOut_AndTheListenerCloses()
    {
        await using BrowserCeremony<WebAuthnRegistrationCredentialDto> ceremony = StartRegistration(TimeSpan.FromMilliseconds(200));

        BrowserCeremonyException e = await Assert.ThrowsAsync<BrowserCeremonyException>(() => ceremony.WaitAsync());

        Assert.Equal(BrowserCeremonyFailure.TimedOut, e.Failure);
        await Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(HttpMethod.Get, Callback(ceremony) + "/options", ServerOrigin));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{"credential":{"id":"AQID","rawId":"AQID","type":"public-key"}}""")]
    [InlineData("""{"credential":{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"},"clientExtensionResults":{}}}""")]
    [InlineData("""{"credential":{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}},"error":"NotAllowedError"}""")]
    [InlineData("""{"error":"<script>"}""")]
    [InlineData("""{"error":42}""")]
    public async Task UnreadableResult_IsBadRequest_AndEndsTheCeremonyAsMalformed(string body)
    {
        await using BrowserCeremony<WebAuthnRegistrationCredentialDto> ceremony = StartRegistration();

        using HttpResponseMessage posted = await SendAsync(HttpMethod.Post, Callback(ceremony) + "/result", ServerOrigin, body);

        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);
        BrowserCeremonyException e = await Assert.ThrowsAsync<BrowserCeremonyException>(() => ceremony.WaitAsync());
        Assert.Equal(BrowserCeremonyFailure.Malformed, e.Failure);
    }

    [Fact]
    public async Task BrowserError_EndsTheCeremonyAsRefused_NamingTheDomException()
    {
        await using BrowserCeremony<WebAuthnRegistrationCredentialDto> ceremony = StartRegistration();

        using HttpResponseMessage posted = await SendAsync(HttpMethod.Post, Callback(ceremony) + "/result", ServerOrigin, """{"error":"NotAllowedError"}""");

        Assert.Equal(HttpStatusCode.NoContent, posted.StatusCode);
        BrowserCeremonyException e = await Assert.ThrowsAsync<BrowserCeremonyException>(() => ceremony.WaitAsync());
        Assert.Equal(BrowserCeremonyFailure.Refused, e.Failure);
        Assert.Equal("NotAllowedError", e.BrowserError);
    }

    [Fact]
    public async Task Preflight_FromTheServerOrigin_AllowsItAndThePrivateNetwork()
    {
        await using BrowserCeremony<WebAuthnRegistrationCredentialDto> ceremony = StartRegistration();
        using HttpRequestMessage preflight = new(HttpMethod.Options, Callback(ceremony) + "/result");
        preflight.Headers.Add("Origin", ServerOrigin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Private-Network", "true");

        using HttpResponseMessage answer = await _page.SendAsync(preflight);

        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal(ServerOrigin, answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("true", answer.Headers.GetValues("Access-Control-Allow-Private-Network").Single());
        Assert.False(ceremony.WaitAsync().IsCompleted);
    }

    private static BrowserCeremony<WebAuthnRegistrationCredentialDto> StartRegistration(TimeSpan? timeout = null)
    {
        WebAuthnCreationOptionsDto options = new(
            new WebAuthnRpDto("localhost", "Coffer"),
            new WebAuthnUserDto("AQIDBA", "owner", "Owner"),
            Challenge(),
            [new("public-key", -7), new("public-key", -257)],
            60000,
            [],
            new WebAuthnAuthenticatorSelectionDto("discouraged", false, "preferred"),
            "none");
        return BrowserCeremony.StartRegistration(Server, options, "Register a key", timeout);
    }

    private static string Challenge() => Coffer.Protocol.Encoding.Base64Url.Encode(new byte[32]);

    private static string Callback<T>(BrowserCeremony<T> ceremony)
        where T : class => ceremony.PageAddress.Fragment[1..];

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? origin, string? body = null)
    {
        using HttpRequestMessage request = new(method, url);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "text/plain");
        }
        return await _page.SendAsync(request);
    }
}
