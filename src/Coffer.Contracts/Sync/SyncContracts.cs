namespace Coffer.Contracts.Sync;

/// <summary>Event kinds on <c>GET /api/v1/events</c>.</summary>
public static class VaultEventKinds
{
    /// <summary>The first event of every stream: the server is now listening, so nothing written after it is missed.</summary>
    public const string Ready = "ready";

    /// <summary>A vault the member can see reached a content version: sync it from its cursor.</summary>
    public const string Vault = "vault";

    /// <summary>
    /// The account feed moved past a change meant for the member (or for everyone): pull <c>GET /api/v1/account/feed</c> from
    /// your cursor. <see cref="VaultEventDto.Version"/> is the new feed position.
    /// </summary>
    public const string Account = "account";
}

/// <summary>One event of the sealed event stream (PROTOCOL.md §9, ADR 0008): only a vault id and version, never content.</summary>
/// <param name="Kind">"ready" (the first event), "vault" or "account".</param>
/// <param name="VaultId">The vault that changed (null for ready and account).</param>
/// <param name="Version">Its content version; for account, the feed position (0 for ready).</param>
public sealed record VaultEventDto(string Kind, string? VaultId = null, long Version = 0);
