using Coffer.Protocol.Encoding;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Time;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Coffer.Server.Features.Setup;

/// <summary>The current setup link, while the server waits for its first Owner (tests read it here; people read the console).</summary>
internal sealed class SetupLink
{
    private string? _url;

    public string? Url => Volatile.Read(ref _url);

    public void Set(string url) => Volatile.Write(ref _url, url);

    public void Clear() => Volatile.Write(ref _url, null);
}

/// <summary>
/// At start-up, after migrations and once the server listens: if no organisation exists, issues a
/// one-time setup token and prints the setup link (token in the fragment, so it is never sent to a
/// server or logged by a proxy) with what to do next. The token is printed on the console only,
/// never written to the log.
/// </summary>
internal sealed class SetupLinkService(SetupStore store, SetupLink link, IServer server, IHostApplicationLifetime lifetime,
    IOptions<CofferOptions> options, TimeProvider clock) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = IssueAsync(lifetime.ApplicationStopping));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task IssueAsync(CancellationToken ct)
    {
        byte[]? token = await store.IssueTokenAsync(clock.NowMs(), ct);
        if (token is null)
        {
            return;
        }
        string baseUrl = options.Value.PublicUrl
            ?? server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? CofferServer.DefaultUrl;
        string url = baseUrl.TrimEnd('/') + "/setup#token=" + Base64Url.Encode(token);
        link.Set(url);
        await Console.Out.WriteLineAsync($"""

            Coffer is running, and has no organisation yet.
            Set it up — the first person to do so becomes its first Owner — with this one-time link:

                {url}

            With the coffer command from this repository: run  scripts/coffer setup  and paste the link when it
            asks (so the token stays out of your shell history). It makes every key on your machine and writes
            your Emergency Kit. The link works once; restarting the server before setup prints a new one.

            """);
    }
}
