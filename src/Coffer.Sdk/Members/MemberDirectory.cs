using System.Globalization;
using Coffer.Contracts;
using Coffer.Contracts.Members;
using Coffer.Crypto.Provenance;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Sdk.Issuers;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Members;

/// <summary>
/// The organisation's member directory and member lifecycle over a session (POLICY.md "Authorisation", "Leaving";
/// docs/adr/0009). Any confirmed member reads the directory (members with <c>manage_members</c> see every member, others
/// the active ones); suspending, reactivating and removing need <c>manage_members</c>, and only an Owner acts on an Owner
/// or an Administrator. Refusals arrive as <see cref="CofferApiException"/>: 403 <c>forbidden</c>, 404 <c>not-found</c>,
/// 409 <c>last-owner</c>, <c>own-membership</c> or <c>member-state</c> (see <see cref="Contracts.Errors.ErrorTypes"/>).
/// The server rotates nothing: the answers of <see cref="SuspendAsync"/> and <see cref="RemoveAsync"/> list the vaults,
/// items and groups the member could read, for the caller to rotate (vaults with <c>VaultClient.RotateAsync</c>).
/// </summary>
public sealed class MemberDirectory
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private readonly CofferSession _session;

    /// <summary>A directory client for the member signed in as <paramref name="session"/>.</summary>
    public MemberDirectory(CofferSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
    }

    /// <summary>One page of the directory in member id order, starting after <paramref name="after"/> (a member id; null for the start).</summary>
    public Task<MemberListResponse> ListPageAsync(string? after = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        List<string> query = [];
        if (after is not null)
        {
            query.Add("after=" + Uri.EscapeDataString(after));
        }
        if (limit is { } n)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(n, 1, nameof(limit));
            query.Add(string.Create(CultureInfo.InvariantCulture, $"limit={n}"));
        }
        string path = "/api/v1/members" + (query.Count == 0 ? "" : "?" + string.Join('&', query));
        return _session.SendAsync(HttpMethod.Get, path, Json.MemberListResponse, cancellationToken);
    }

    /// <summary>The whole directory the caller may see, following every page.</summary>
    /// <exception cref="CofferProtocolException">The server's pages do not advance.</exception>
    public async Task<IReadOnlyList<MemberDto>> ListAsync(CancellationToken cancellationToken = default)
    {
        List<MemberDto> members = [];
        MemberListResponse page;
        string? after = null;
        do
        {
            page = await ListPageAsync(after, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (page.More && page.Members.Count == 0)
            {
                throw WireMapper.Malformed("member directory page", "it is empty but says more follow");
            }
            members.AddRange(page.Members);
            after = page.Members.Count > 0 ? page.Members[^1].Id : after;
        }
        while (page.More);
        return members;
    }

    /// <summary>One member (404 <c>not-found</c> for one the caller may not see).</summary>
    public async Task<MemberDto> GetAsync(string memberId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        MemberDto member = await _session.SendAsync(HttpMethod.Get, MemberPath(memberId, ""), Json.MemberDto, cancellationToken).ConfigureAwait(false);
        return Checked(member, memberId);
    }

    /// <summary>
    /// Suspends an active member: their sessions end and they can no longer sign in until reactivated. Returns the shared
    /// vaults (with item ids) and groups they could read, for rotation.
    /// </summary>
    public async Task<MemberLifecycleResponse> SuspendAsync(string memberId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        MemberLifecycleResponse answer = await _session.SendAsync(HttpMethod.Post, MemberPath(memberId, "/suspend"), Json.MemberLifecycleResponse,
            cancellationToken).ConfigureAwait(false);
        _ = Checked(answer.Member, memberId);
        return answer;
    }

    /// <summary>Reactivates a suspended member: they may sign in again.</summary>
    public async Task<MemberDto> ReactivateAsync(string memberId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        MemberDto member = await _session.SendAsync(HttpMethod.Post, MemberPath(memberId, "/reactivate"), Json.MemberDto, cancellationToken)
            .ConfigureAwait(false);
        return Checked(member, memberId);
    }

    /// <summary>
    /// Releases a member's account locked for unknown devices after too many failed sign-ins or codes (POLICY.md "Brute force"),
    /// and clears the failures counted against it. Needs <c>manage_members</c>; the answer says whether a lock was running.
    /// </summary>
    public async Task<MemberUnlockResponse> UnlockAsync(string memberId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        MemberUnlockResponse answer = await _session.SendAsync(HttpMethod.Post, MemberPath(memberId, "/unlock"), Json.MemberUnlockResponse,
            cancellationToken).ConfigureAwait(false);
        _ = Checked(answer.Member, memberId);
        return answer;
    }

    /// <summary>
    /// Removes a member (any state; an invited one's invitation dies): sessions end, devices are deauthorised, group
    /// memberships and grants go, the email may be invited again. Their personal vault stays. Returns what they could read:
    /// rotate those vaults and the keys of those groups.
    /// </summary>
    public async Task<MemberLifecycleResponse> RemoveAsync(string memberId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        MemberLifecycleResponse answer = await _session.SendAsync(HttpMethod.Delete, MemberPath(memberId, ""), Json.MemberLifecycleResponse,
            cancellationToken).ConfigureAwait(false);
        _ = Checked(answer.Member, memberId);
        return answer;
    }

    /// <summary>
    /// Removes a member (<see cref="RemoveAsync(string, CancellationToken)"/>) and, when they hold an issuer key — an Owner or
    /// Administrator — retires it with <paramref name="account"/>'s own issuer (<see cref="IssuerAdministration.RetireAsync"/>,
    /// docs/adr/0027): the members and groups they certified are re-certified, then their issuers are revoked, so nothing they
    /// sign later is trusted and nobody they confirmed is locked out. If the retirement is interrupted, call
    /// <see cref="IssuerAdministration.RetireAsync"/> (or <see cref="IssuerAdministration.RetireFormerAsync"/>) again.
    /// </summary>
    /// <param name="memberId">The member to remove.</param>
    /// <param name="account">The caller's unlocked account, signed in as this directory's session.</param>
    /// <param name="clock">The clock certificates are dated by.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <exception cref="InvalidOperationException">The member holds an issuer and <paramref name="account"/> holds no current issuer key
    /// to re-certify with (checked before anything is removed).</exception>
    public async Task<MemberRemoval> RemoveAndRetireAsync(string memberId, UnlockedAccount account, TimeProvider? clock = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        ArgumentNullException.ThrowIfNull(account);
        IssuerAdministration issuers = new(_session, account, clock);
        bool holder = await issuers.HoldsIssuerAsync(memberId, cancellationToken).ConfigureAwait(false);
        if (holder && (account.IssuerKey is null || account.IssuerStatus != ProvenanceFailure.None))
        {
            throw new InvalidOperationException("This account holds no current issuer key, which must re-certify what the administrator certified; nothing was removed.");
        }
        MemberLifecycleResponse removed = await RemoveAsync(memberId, cancellationToken).ConfigureAwait(false);
        IssuerRetirement? retirement = holder ? await issuers.RetireAsync(memberId, cancellationToken).ConfigureAwait(false) : null;
        return new MemberRemoval(removed, retirement);
    }

    private static string MemberPath(string memberId, string suffix) => "/api/v1/members/" + Uri.EscapeDataString(memberId) + suffix;

    private static MemberDto Checked(MemberDto member, string memberId) => string.Equals(member.Id, memberId, StringComparison.Ordinal)
        ? member
        : throw WireMapper.Malformed("member", "it is not the member asked for");
}
