using System.Globalization;
using Coffer.Contracts;
using Coffer.Contracts.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;

namespace Coffer.Sdk.Accounts;

/// <summary>
/// The member's account feed (<c>GET /api/v1/account/feed</c>, PROTOCOL.md §9, docs/adr/0014): which vault grants, groups,
/// certificates and revocation lists changed for this member since a cursor, each with the version or serial it reached.
/// The feed carries no content: fetch what changed through the usual clients (vaults, groups, revocations), which verify
/// it. Keep the cursor from <see cref="AccountFeedResponse.NextSince"/>; an <c>account</c> event on the event stream says
/// the feed moved. A cursor the server refuses (400 <c>validation-failed</c> on <c>since</c>: it is past the feed's head,
/// say after a restore) means: read from 0.
/// </summary>
public sealed class AccountFeed
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private readonly CofferSession _session;

    /// <summary>A feed reader over <paramref name="session"/>.</summary>
    public AccountFeed(CofferSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
    }

    /// <summary>One page of changes after <paramref name="since"/>, oldest first, at most <paramref name="limit"/> (server default 100).</summary>
    public Task<AccountFeedResponse> ReadPageAsync(long since, int? limit = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(since);
        string path = string.Create(CultureInfo.InvariantCulture, $"/api/v1/account/feed?since={since}")
            + (limit is { } n ? string.Create(CultureInfo.InvariantCulture, $"&limit={n}") : "");
        return _session.SendAsync(HttpMethod.Get, path, Json.AccountFeedResponse, cancellationToken);
    }

    /// <summary>Every change after <paramref name="since"/>, following the pages; the answer's cursor is the one to keep.</summary>
    public async Task<AccountFeedResponse> ReadAsync(long since, CancellationToken cancellationToken = default)
    {
        List<AccountChangeDto> changes = [];
        AccountFeedResponse page;
        do
        {
            page = await ReadPageAsync(since, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (page.HasMore && page.NextSince <= since)
            {
                throw new CofferProtocolException("The account feed's cursor did not move forward.");
            }
            changes.AddRange(page.Changes);
            since = page.NextSince;
        }
        while (page.HasMore);
        return new AccountFeedResponse(changes, page.NextSince, false);
    }
}
