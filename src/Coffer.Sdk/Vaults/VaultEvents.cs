using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Sync;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;

namespace Coffer.Sdk.Vaults;

/// <summary>
/// The member's vault announcements (<c>GET /api/v1/events</c>, PROTOCOL.md §9): each says only that a vault reached a
/// content version; sync it with <see cref="VaultClient.ListChangesAsync"/> from the cursor you hold. Opened once the
/// server said it is listening, so nothing committed after <see cref="VaultClient.SubscribeAsync"/> returns is missed
/// while the stream lasts. Dispose it to close the stream.
/// </summary>
public sealed class VaultEvents : IDisposable
{
    private readonly SealedEventReader _reader;

    private VaultEvents(SealedEventReader reader) => _reader = reader;

    internal static async Task<VaultEvents> OpenAsync(CofferSession session, CancellationToken cancellationToken)
    {
        SealedEventReader reader = await session.OpenEventStreamAsync("/api/v1/events", cancellationToken).ConfigureAwait(false);
        try
        {
            VaultEventDto? first = Parse(await reader.ReadAsync(cancellationToken).ConfigureAwait(false));
            if (first?.Kind != VaultEventKinds.Ready)
            {
                throw new CofferProtocolException("The event stream did not start with ready.");
            }
            return new VaultEvents(reader);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The next vault announcement, or null when the server ended the stream (reconnect and sync from your cursors). Account
    /// announcements are passed over; <see cref="NextAnnouncementAsync"/> returns them too.
    /// </summary>
    public Task<VaultEventDto?> NextAsync(CancellationToken cancellationToken = default) =>
        NextOfAsync(VaultEventKinds.Vault, null, cancellationToken);

    /// <summary>
    /// The next vault or account announcement, or null when the server ended the stream. For <c>account</c>, the version is
    /// the account feed's new position: pull <see cref="Accounts.AccountFeed.ReadAsync"/> from your feed cursor.
    /// </summary>
    public Task<VaultEventDto?> NextAnnouncementAsync(CancellationToken cancellationToken = default) =>
        NextOfAsync(VaultEventKinds.Vault, VaultEventKinds.Account, cancellationToken);

    private async Task<VaultEventDto?> NextOfAsync(string kind, string? other, CancellationToken cancellationToken)
    {
        while (true)
        {
            VaultEventDto? e = Parse(await _reader.ReadAsync(cancellationToken).ConfigureAwait(false));
            if (e is null || e.Kind == kind || (other is not null && e.Kind == other))
            {
                return e;
            }
        }
    }

    private static VaultEventDto? Parse(byte[]? data)
    {
        if (data is null)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(data, CofferJsonContext.Default.VaultEventDto)
                ?? throw new CofferProtocolException("An event was empty.");
        }
        catch (JsonException)
        {
            throw new CofferProtocolException("An event was not a vault announcement.");
        }
    }

    /// <summary>Closes the stream.</summary>
    public void Dispose() => _reader.Dispose();
}
