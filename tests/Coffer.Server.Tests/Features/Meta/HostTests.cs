using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Coffer.Contracts.Common;
using Coffer.Contracts.Errors;
using Coffer.Server.Tests.Common;

namespace Coffer.Server.Tests.Features.Meta;

public class HostTests
{
    [Fact]
    public async Task Meta_ReturnsProtocolVersion1()
    {
        await using ServerHost server = await ServerHost.StartAsync();
        MetaResponse? meta = await server.Client.GetFromJsonAsync<MetaResponse>("/api/v1/meta");
        Assert.NotNull(meta);
        Assert.Equal(1, meta.ProtocolVersion);
        Assert.False(string.IsNullOrEmpty(meta.ServerVersion));
    }

    [Fact]
    public async Task HealthLive_Answers200()
    {
        await using ServerHost server = await ServerHost.StartAsync();
        HttpResponseMessage live = await server.Client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task UnknownPath_IsProblemDetailsNotFound_WithStableTypeAndItsPage()
    {
        await using ServerHost server = await ServerHost.StartAsync();
        HttpResponseMessage response = await server.Client.GetAsync("/api/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(ErrorTypes.NotFound, problem.RootElement.GetProperty("type").GetString());
        Assert.Equal(404, problem.RootElement.GetProperty("status").GetInt32());

        HttpResponseMessage page = await server.Client.GetAsync(ErrorTypes.NotFound);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Not found.", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryErrorType_HasAPage()
    {
        await using ServerHost server = await ServerHost.StartAsync();
        foreach (string type in typeof(ErrorTypes).GetFields().Where(f => f.IsLiteral && f.Name != nameof(ErrorTypes.Prefix))
                     .Select(f => (string)f.GetRawConstantValue()!))
        {
            HttpResponseMessage page = await server.Client.GetAsync(type);
            Assert.True(page.StatusCode == HttpStatusCode.OK, type);
        }
    }

    [Theory]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("http://192.0.2.10:8080")]
    [InlineData("http://*:8080")]
    [InlineData("https://127.0.0.1:8443")]   // HTTPS without a certificate
    public void Build_PlainHttpOutsideLoopbackOrHttpsWithoutCertificate_IsRefused(string url)
    {
        ConfigurationException e = Assert.Throws<ConfigurationException>(() =>
            CofferServer.Build([], b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["urls"] = url })));
        Assert.Contains(url, e.Message, StringComparison.Ordinal);
    }
}
