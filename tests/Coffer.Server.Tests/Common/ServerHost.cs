using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Coffer.Server.Tests.Common;

/// <summary>
/// The real server on a loopback port (Kestrel, the whole pipeline), built by the same code as
/// <c>coffer-server</c>, with settings given as configuration keys.
/// </summary>
public sealed class ServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDirectory;

    private ServerHost(WebApplication app, Uri address, string dataDirectory)
    {
        _app = app;
        _dataDirectory = dataDirectory;
        Address = address;
        Client = new HttpClient { BaseAddress = address };
    }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<ServerHost> StartAsync(IDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "coffer-test-" + Guid.NewGuid().ToString("N"));
        Dictionary<string, string?> config = new()
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Coffer:DataDirectory"] = dataDir,
        };
        foreach ((string key, string? value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }
        WebApplication app = CofferServer.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(config);
            configure?.Invoke(b);
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            DeleteDirectory(dataDir);
            throw;
        }
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new ServerHost(app, new Uri(address), dataDir);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        DeleteDirectory(_dataDirectory);
    }

    private static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
