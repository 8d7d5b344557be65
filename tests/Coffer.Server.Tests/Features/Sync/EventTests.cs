using System.Globalization;
using System.Text;
using Coffer.Contracts.Sync;
using Coffer.Contracts.Vaults;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Vaults;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Features.Sync;

/// <summary>The sealed event stream (PROTOCOL.md §9, ADR 0008): announcements of vault versions, one envelope per event.</summary>
public class EventTests
{
    private static readonly byte[] Overview = Encoding.UTF8.GetBytes("""{"v":1,"category":"login","title":"Item","archived":false,"trashed":false}""");
    private static readonly byte[] Details = Encoding.UTF8.GetBytes("""{"v":1,"fields":[]}""");

    // Only a guard against a hung test, not a timing assertion: the event is expected long before.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Theory, BothEngines]
    public async Task Subscriber_HearsAWriteThroughTheSameServer_AsVaultIdAndVersion(Engine engine)
    {
        await using SyncOwner owner = await SyncOwner.StartAsync(engine);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Watched");
        using VaultEvents events = await vaults.SubscribeAsync();

        ItemDto item = await vaults.CreateItemAsync(vault.Id, Overview, Details);

        VaultEventDto? heard = await NextAfterAsync(events, vault.ContentVersion);
        Assert.Equal(new VaultEventDto(VaultEventKinds.Vault, vault.Id, item.ContentVersion), heard);
        ItemListResponse delta = await vaults.ListChangesAsync(vault.Id, vault.ContentVersion);
        Assert.Equal(item.Id, Assert.Single(delta.Items).Id);
    }

    // ARCHITECTURE.md "Deployment": the write commits on node B, NOTIFY reaches node A's listener, A tells its SSE client.
    [Fact]
    public async Task Subscriber_OnOneNode_HearsAWriteMadeOnAnotherNodeOfTheSameDatabase()
    {
        EventTap tap = new();
        await using SyncOwner owner = await SyncOwner.StartAsync(Engine.Postgres, tap);
        Dictionary<string, string?> settings = owner.Organisation.Database.ServerSettings;
        settings["Coffer:MinimumKdfIterations"] = TestOrganisation.Iterations.ToString(CultureInfo.InvariantCulture);
        await using ServerHost second = await ServerHost.StartAsync(settings);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Two nodes");
        using VaultEvents events = await vaults.SubscribeAsync();

        tap.Redirect = second.Address;
        ItemDto item = await vaults.CreateItemAsync(vault.Id, Overview, Details);

        Assert.Equal(new VaultEventDto(VaultEventKinds.Vault, vault.Id, item.ContentVersion), await NextAfterAsync(events, vault.ContentVersion));
    }

    [Theory, BothEngines]
    public async Task EventStream_OnTheWire_IsSealed_NoVaultIdInPlaintext(Engine engine)
    {
        EventTap tap = new();
        await using SyncOwner owner = await SyncOwner.StartAsync(engine, tap);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Quiet on the wire");
        using VaultEvents events = await vaults.SubscribeAsync();

        await vaults.CreateItemAsync(vault.Id, Overview, Details);
        Assert.Equal(vault.Id, (await NextAfterAsync(events, vault.ContentVersion))?.VaultId);

        string raw = tap.Raw;
        Assert.True(raw.Split('\n').Count(l => l.StartsWith("data: {", StringComparison.Ordinal)) >= 2);
        Assert.Contains($"\"kid\":\"session:{owner.Session.SessionId}\"", raw, StringComparison.Ordinal);
        Assert.DoesNotContain(vault.Id, raw, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", raw, StringComparison.Ordinal);
    }

    [Theory, BothEngines]
    public async Task TamperedEvent_IsRefusedByTheSdk(Engine engine)
    {
        EventTap tap = new();
        await using SyncOwner owner = await SyncOwner.StartAsync(engine, tap);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Tampered");
        using VaultEvents events = await vaults.SubscribeAsync();
        tap.Rewrite = line => line.StartsWith("data: ", StringComparison.Ordinal) ? FlipInData(line) : line;

        await vaults.CreateItemAsync(vault.Id, Overview, Details);

        await Assert.ThrowsAsync<CofferProtocolException>(() => NextAsync(events));
        await Assert.ThrowsAsync<CofferProtocolException>(() => NextAsync(events));
    }

    [Theory, BothEngines]
    public async Task DroppedEvent_IsRefusedByTheSdk_AsAGap(Engine engine)
    {
        EventTap tap = new();
        await using SyncOwner owner = await SyncOwner.StartAsync(engine, tap);
        using VaultClient vaults = owner.Vaults();
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Gappy");
        using VaultEvents events = await vaults.SubscribeAsync();
        bool dropped = false;
        tap.Rewrite = line =>
        {
            if (!dropped && line.StartsWith("data: ", StringComparison.Ordinal))
            {
                dropped = true;
                return ": dropped";
            }
            return line;
        };

        await vaults.CreateItemAsync(vault.Id, Overview, Details);
        await vaults.CreateItemAsync(vault.Id, Overview, Details);

        await Assert.ThrowsAsync<CofferProtocolException>(() => NextAsync(events));
    }

    // On PostgreSQL the announcement of the vault's creation may still be on its way when the stream opens: skip it.
    private static async Task<VaultEventDto?> NextAfterAsync(VaultEvents events, long version)
    {
        while (true)
        {
            VaultEventDto? e = await NextAsync(events);
            if (e is null || e.Version > version)
            {
                return e;
            }
        }
    }

    private static async Task<VaultEventDto?> NextAsync(VaultEvents events)
    {
        using CancellationTokenSource guard = new(Guard);
        return await events.NextAsync(guard.Token);
    }

    // Changes one character of the envelope's "data" member, keeping it valid base64url.
    private static string FlipInData(string line)
    {
        int at = line.IndexOf("\"data\":\"", StringComparison.Ordinal) + 8;
        char c = line[at];
        return line[..at] + (c == 'A' ? 'B' : 'A') + line[(at + 1)..];
    }
}
