using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Sync;
using Coffer.Server.Common.Time;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Vaults;

namespace Coffer.Server.Features.Sync;

/// <remarks>
/// <c>GET /api/v1/events</c> (PROTOCOL.md §9, ADR 0008): Server-Sent Events announcing only <c>{vaultId, version}</c> for
/// vaults the member holds a grant to, and <c>account</c> with the new feed position when the account feed gained a change
/// for the member or for everyone (docs/adr/0014), each event sealed under the session key. The first event is <c>ready</c>: from
/// then on nothing committed is missed. Every 15 s of quiet the stream sends a comment and checks that its session is
/// still usable, and it checks again before announcing anything; an expired or revoked session ends it, and a session
/// forgotten on this node (ended, its member suspended or removed) ends it at once.
/// </remarks>
internal static class EventEndpoints
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static RouteGroupBuilder MapEventEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/", Stream).WithName("Events_Stream").StreamSealedEvents()
            .Produces<VaultEventDto>(StatusCodes.Status200OK, "text/event-stream");
        return group;
    }

    internal static async Task Stream(HttpContext http, VaultChanges changes, VaultStore vaults, ISessionStore sessions, TimeProvider clock,
        CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        SealedEventStream stream = http.EventStream();
        using VaultChanges.Subscription subscription = changes.Subscribe();
        await stream.WriteAsync(Serialize(new VaultEventDto(VaultEventKinds.Ready, null, 0)), ct);
        while (!ct.IsCancellationRequested)
        {
            using CancellationTokenSource quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
            quiet.CancelAfter(KeepAlive);
            try
            {
                if (!await subscription.Reader.WaitToReadAsync(quiet.Token))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                if (await sessions.FindAsync(caller.SessionId, ct) is not { } record || !record.IsUsableAt(clock.NowMs()))
                {
                    return;
                }
                await stream.KeepAliveAsync(ct);
                continue;
            }
            // Asked of the database, shared by every node: a session ended elsewhere (its member suspended, say) hears nothing more.
            if (await sessions.FindAsync(caller.SessionId, ct) is not { } current || !current.IsUsableAt(clock.NowMs()))
            {
                return;
            }
            long feedPosition = 0;
            while (subscription.Reader.TryRead(out Announcement announcement))
            {
                if (announcement.Vault is { } change && await vaults.CanSeeAsync(change.VaultId, caller.MemberId, ct))
                {
                    await stream.WriteAsync(Serialize(new VaultEventDto(VaultEventKinds.Vault, change.VaultId, change.Version)), ct);
                }
                // Only changes meant for this member or for everyone; several in a row are one pull, so one event says it.
                if (announcement.Account is { } feed && (feed.Audience is null || string.Equals(feed.Audience, caller.MemberId, StringComparison.Ordinal)))
                {
                    feedPosition = Math.Max(feedPosition, feed.Seq);
                }
            }
            if (feedPosition > 0)
            {
                await stream.WriteAsync(Serialize(new VaultEventDto(VaultEventKinds.Account, null, feedPosition)), ct);
            }
        }
    }

    private static byte[] Serialize(VaultEventDto e) => JsonSerializer.SerializeToUtf8Bytes(e, CofferJsonContext.Default.VaultEventDto);
}
