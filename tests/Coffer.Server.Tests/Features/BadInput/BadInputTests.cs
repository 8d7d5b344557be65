using System.Net;
using System.Text;
using System.Text.Json;
using Coffer.Contracts.Errors;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Features.BadInput;

/// <summary>Bad input gets a clear ProblemDetails 4xx with a stable type — never a 500, never a stack trace, never a partial write.</summary>
public class BadInputTests
{
    public static TheoryData<string, string, string> Cases() => new()
    {
        { "/api/v1/auth/start", "{\"email\":", ErrorTypes.InvalidRequest },                                                   // malformed JSON
        { "/api/v1/auth/start", "[]", ErrorTypes.InvalidRequest },                                                             // wrong shape
        { "/api/v1/auth/start", "{\"email\":5,\"accountId\":\"ABC234\",\"deviceId\":\"x\",\"deviceInfo\":{}}", ErrorTypes.InvalidRequest }, // wrong type
        { "/api/v1/auth/start", Start("a@b.c", extra: ",\"admin\":true"), ErrorTypes.InvalidRequest },                        // unknown member
        { "/api/v1/auth/start", Start("a@b.c", deviceId: "not-an-id"), ErrorTypes.ValidationFailed },                          // invalid id
        { "/api/v1/auth/start", Start("a@b.c", deviceId: "0190A1B2-0000-7000-8000-000000000001"), ErrorTypes.ValidationFailed },
        { "/api/v1/auth/start", Start("no at sign"), ErrorTypes.ValidationFailed },
        { "/api/v1/auth/exchange", "{\"authId\":\"0190a1b2-0000-7000-8000-000000000001\",\"a\":\"AAAA\"}", ErrorTypes.ValidationFailed },
        { "/api/v1/auth/exchange", "{\"authId\":\"'; DROP TABLE members; --\",\"a\":\"AAAA\"}", ErrorTypes.ValidationFailed },
        { "/api/v1/auth/verify", "{\"authId\":\"0190a1b2-0000-7000-8000-000000000001\",\"m1\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", ErrorTypes.SignInFailed },
        { "/api/v1/setup", "{\"token\":\"x\"}", ErrorTypes.InvalidRequest },                                                   // missing members
        { "/api/v1/setup", "{}", ErrorTypes.InvalidRequest },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task MalformedOrInvalidBody_IsAProblemWithAStableType(string path, string body, string type)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(Engine.Sqlite);
        using HttpResponseMessage response = await org.Server.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        await AssertProblemAsync(response, type);
    }

    [Theory, BothEngines]
    public async Task SqlMetacharactersInAnEmail_AreJustAnUnknownEmail(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using HttpResponseMessage response = await org.Server.Client.PostAsync("/api/v1/auth/start",
            new StringContent(Start("x');DELETE/**/FROM/**/members;--@example.org", accountId: AccountId), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using HttpResponseMessage owner = await org.Server.Client.PostAsync("/api/v1/auth/start",
            new StringContent(Start(TestOrganisation.OwnerEmail, accountId: AccountId), Encoding.UTF8, "application/json"));
        using JsonDocument doc = JsonDocument.Parse(await owner.Content.ReadAsStringAsync());
        Assert.Equal(TestOrganisation.OwnerId, doc.RootElement.GetProperty("memberId").GetString());
    }

    [Fact]
    public async Task OversizedBody_Is413PayloadTooLarge()
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(Engine.Sqlite, setUp: false);
        string huge = "{\"token\":\"" + new string('A', 2 * 1024 * 1024) + "\"}";
        using HttpResponseMessage response = await org.Server.Client.PostAsync("/api/v1/setup", new StringContent(huge, Encoding.UTF8, "application/json"));
        await AssertProblemAsync(response, ErrorTypes.PayloadTooLarge);
        using HttpResponseMessage status = await org.Server.Client.GetAsync("/api/v1/setup");
        Assert.Contains("true", await status.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongContentType_IsAProblem()
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(Engine.Sqlite);
        using HttpResponseMessage response = await org.Server.Client.PostAsync("/api/v1/auth/start", new StringContent(Start("a@b.c"), Encoding.UTF8, "text/plain"));
        await AssertProblemAsync(response, ErrorTypes.InvalidRequest);
    }

    private static string AccountId => TestOrganisation.Setup.SecretKey.AccountId;

    private static string Start(string email, string deviceId = "0190a1b2-0000-7000-8000-000000000001", string extra = "", string accountId = "ABC234") =>
        "{\"email\":" + JsonSerializer.Serialize(email) + ",\"accountId\":\"" + accountId + "\",\"deviceId\":\"" + deviceId +
        "\",\"deviceInfo\":{\"name\":\"n\",\"platform\":\"p\",\"clientVersion\":\"1\"}" + extra + "}";

    private static async Task AssertProblemAsync(HttpResponseMessage response, string type)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument problem = JsonDocument.Parse(text);
        Assert.Equal(type, problem.RootElement.GetProperty("type").GetString());
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);   // no stack trace
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
    }
}
