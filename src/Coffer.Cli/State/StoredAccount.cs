using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;

namespace Coffer.Cli.State;

/// <summary>
/// What this device remembers of one account (nothing secret; the Secret Key is in its own file): whom to sign in as,
/// where, under which device id, how to trust the server's TLS certificate, and the facts learned from outside the
/// server — the organisation fingerprint and the highest 2SKD iteration count used here (PROTOCOL.md §2, §5.1).
/// </summary>
internal sealed record StoredAccount
{
    public required string MemberId { get; init; }

    public required string OrgId { get; init; }

    public required string Email { get; init; }

    public required string AccountId { get; init; }

    /// <summary>Base32, 52 characters.</summary>
    public required string OrganisationFingerprint { get; init; }

    public required int LastIterations { get; init; }

    public required string ServerUrl { get; init; }

    /// <summary>This device's id for the account (UUIDv7, made at its first sign-in here).</summary>
    public required string DeviceId { get; init; }

    /// <summary>What <c>--account</c> matches besides the email and member id.</summary>
    public required string Shorthand { get; init; }

    public string? OrganisationName { get; init; }

    public ServerTrustSettings? Tls { get; init; }

    /// <summary>The fingerprints (base32) of this member's keyset keys, as made at acceptance: the newcomer's side of the SAS.</summary>
    public string? EncryptionFingerprint { get; init; }

    /// <inheritdoc cref="EncryptionFingerprint"/>
    public string? SigningFingerprint { get; init; }

    /// <summary>
    /// How long after an online unlock this device may unlock the account from its local cache with no server (seconds;
    /// null or 0: never). The organisation has no offline policy yet, so the person chooses (<c>coffer account offline-window</c>).
    /// </summary>
    public long? OfflineWindowSeconds { get; init; }

    public RememberedAccount ToRemembered() =>
        new(OrgId, MemberId, Email, AccountId, Fingerprint.Parse(OrganisationFingerprint), LastIterations);
}

/// <summary>How to trust a server whose certificate no public CA signed: a CA file, and/or a pin of its key.</summary>
/// <param name="CaFile">A PEM file of CA certificates trusted for this server only (absolute path), or null.</param>
/// <param name="ServerPin"><c>sha256/&lt;base64&gt;</c> of the server certificate's SubjectPublicKeyInfo, or null.</param>
internal sealed record ServerTrustSettings(string? CaFile, string? ServerPin);

/// <summary>The accounts file.</summary>
internal sealed record AccountsFile
{
    public int Version { get; init; } = 1;

    /// <summary>The member id of the account used last: the default for <c>--account</c>.</summary>
    public string? LastUsed { get; init; }

    public IReadOnlyList<StoredAccount> Accounts { get; init; } = [];
}
