using System.Globalization;
using Coffer.Cli.State;
using Coffer.Contracts;
using Coffer.Contracts.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Audit;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Groups;
using Coffer.Sdk.Issuers;

namespace Coffer.Cli.Agent;

/// <summary>
/// What the agent does for an account besides answering commands: keeps the sealed pins record stored (on the server and in
/// this device's own copy), reads the keys again after a change, and at every unlock does an administrator's duties of
/// PROTOCOL.md §5.1 and §11 — an Owner renews current administrators' issuer certificates, an Owner or administrator
/// publishes a fresh revocation list before the newest turns 24 hours old (after which nobody may wrap a key), and
/// countersigns the newest activity-log checkpoint. Those duties are best effort: a failure is a warning for the person,
/// never a failed unlock.
/// </summary>
internal static class AccountUpkeep
{
    /// <summary>A revocation list older than this is renewed at unlock: clients stop wrapping keys once the newest is 24 hours old.</summary>
    public static readonly TimeSpan RevocationListRenewalAge = TimeSpan.FromHours(20);

    private static readonly CofferJsonContext Wire = CofferJsonContext.Default;

    /// <summary>
    /// Stores the pins when they differ from what the server holds (the next version, merged with a newer one another device
    /// stored), and keeps the sealed record as this device's copy. Call it inside <see cref="UnlockedSession.ExclusiveAsync"/>.
    /// </summary>
    public static async Task SavePinsAsync(UnlockedSession session, AccountStore store, CancellationToken cancellationToken)
    {
        UnlockedAccount keys = session.Keys;
        if (session.StoredPins is { } stored && keys.Pins.SameContentAs(stored))
        {
            if (session.StoredRecord is { } served && !File.Exists(store.Home.PinsFile(session.Account.MemberId)))
            {
                store.WritePins(session.Account.MemberId, served);
            }
            return;
        }
        PinsDto record = await session.RunAsync(s => AccountPins.StoreAsync(s, keys, cancellationToken), cancellationToken).ConfigureAwait(false);
        store.WritePins(session.Account.MemberId, record);
        session.StoredRecord = record;
        Pins copy = new();
        _ = copy.MergeFrom(keys.Pins);
        session.StoredPins = copy;
    }

    /// <summary>Best-effort <see cref="SavePinsAsync"/> after a command's own work: the work is done whether or not the pins are stored now.</summary>
    public static async Task TrySavePinsAsync(UnlockedSession session, AccountStore store, CancellationToken cancellationToken)
    {
        try
        {
            await SavePinsAsync(session, store, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CofferException or HttpRequestException or OperationCanceledException)
        {
            // The next unlock stores them; what was verified is in memory until then.
        }
    }

    /// <summary>
    /// Reads the account's keys again and unlocks them with the AUK the current sign-in derived (no password, no 2SKD run),
    /// checked against the pins held: after this account made or rotated a group, or an issuer certificate was renewed.
    /// </summary>
    public static async Task ReloadKeysAsync(UnlockedSession session, CancellationToken cancellationToken)
    {
        AccountKeysResponse keys = await session.RunAsync(s => s.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Wire.AccountKeysResponse,
            cancellationToken), cancellationToken).ConfigureAwait(false);
        Coffer.Sdk.Auth.SignInResult signIn = session.CurrentSignIn;
        UnlockedAccount current = session.Keys;
        UnlockedAccount next;
        using (EnvelopeKey auk = signIn.AccountKeys.CreateAukKey())
        {
            next = AccountUnlock.WithAuk(keys, auk, signIn.Kdf.Iterations, current.Account, current.Pins, TimeProvider.System);
        }
        session.ReplaceKeys(next);
    }

    /// <summary>An administrator's duties at unlock, then the pins stored. Returns warnings for the person.</summary>
    public static Task<IReadOnlyList<string>> RunAtUnlockAsync(UnlockedSession session, AccountStore store, CancellationToken cancellationToken) =>
        session.ExclusiveAsync(async () =>
        {
            List<string> warnings = [];
            UnlockedAccount keys = session.Keys;
            bool owner = keys.RootKey is not null;
            bool administrator = owner || keys.GroupOfKind(GroupKinds.Administrators) is not null || keys.IssuerKey is not null;
            if (keys.IssuerCertificate is not null && keys.IssuerStatus == ProvenanceFailure.Expired && !owner)
            {
                warnings.Add("Your issuer certificate has expired, so you cannot confirm members or certify groups: an Owner's coffer renews it when they next unlock.");
            }
            if (owner)
            {
                await CertifyIssuerRequestsAsync(session, warnings, cancellationToken).ConfigureAwait(false);
                // Before renewing: a former administrator's issuer is retired, never renewed.
                await FinishRetirementsAsync(session, warnings, cancellationToken).ConfigureAwait(false);
                await RenewIssuersAsync(session, warnings, cancellationToken).ConfigureAwait(false);
            }
            else if (keys.GroupOfKind(GroupKinds.Administrators) is not null && keys.IssuerCertificate is null)
            {
                await RequestIssuerAsync(session, warnings, cancellationToken).ConfigureAwait(false);
            }
            if (administrator)
            {
                await RenewRevocationListAsync(session, warnings, cancellationToken).ConfigureAwait(false);
                await CountersignAsync(session, owner, warnings, cancellationToken).ConfigureAwait(false);
            }
            try
            {
                await SavePinsAsync(session, store, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CofferException or HttpRequestException)
            {
                warnings.Add("Could not store your pins record on the server (" + e.Message + "); this device keeps what it verified until the next unlock.");
            }
            return (IReadOnlyList<string>)warnings;
        }, cancellationToken);

    /// <summary>
    /// A new Administrator's coffer asks for an issuer key (docs/adr/0015): the key is made here and sealed under the member's
    /// keyset; an Owner's coffer certifies it at their next unlock, and this member's next unlock opens it.
    /// </summary>
    private static async Task RequestIssuerAsync(UnlockedSession session, List<string> warnings, CancellationToken cancellationToken)
    {
        try
        {
            _ = await session.RunAsync(s => new IssuerAdministration(s, session.Keys).RequestAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
            warnings.Add("You are an Administrator without an issuer key yet: coffer asked for one. An Owner's coffer certifies it when they next unlock; "
                + "then unlock again to confirm members and certify groups.");
        }
        catch (Exception e) when (e is CofferException or HttpRequestException)
        {
            warnings.Add("Could not ask for an issuer key: " + e.Message);
        }
    }

    /// <summary>
    /// An Owner's coffer certifies the pending issuer requests of current administrators — each requester checked to be an
    /// active member of Owners or Administrators whose member certificate chains to the pinned root (an Owner confirmed them,
    /// comparing the SAS).
    /// </summary>
    private static async Task CertifyIssuerRequestsAsync(UnlockedSession session, List<string> warnings, CancellationToken cancellationToken)
    {
        try
        {
            IReadOnlyList<Coffer.Contracts.Issuers.PendingIssuerRequestDto> requests = await session.RunAsync(
                s => new IssuerAdministration(s, session.Keys).ListRequestsAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
            foreach (Coffer.Contracts.Issuers.PendingIssuerRequestDto request in requests)
            {
                try
                {
                    _ = await session.RunAsync(s => new IssuerAdministration(s, session.Keys).CertifyAsync(request, cancellationToken), cancellationToken)
                        .ConfigureAwait(false);
                }
                catch (CofferProtocolException e)
                {
                    warnings.Add("Did not certify the issuer key member " + request.HolderId + " asked for: " + e.Message);
                }
            }
        }
        catch (Exception e) when (e is CofferException or HttpRequestException or InvalidOperationException)
        {
            warnings.Add("Could not certify administrators' issuer requests: " + e.Message);
        }
    }

    /// <summary>
    /// Finishes a retirement an interrupted removal or demotion left undone (docs/adr/0027): whoever still holds an unrevoked
    /// issuer but is no longer an Owner or Administrator has what they certified re-certified and their issuer revoked.
    /// </summary>
    private static async Task FinishRetirementsAsync(UnlockedSession session, List<string> warnings, CancellationToken cancellationToken)
    {
        try
        {
            IReadOnlyList<IssuerRetirement> done = await session.RunAsync(s => new IssuerAdministration(s, session.Keys).RetireFormerAsync(cancellationToken),
                cancellationToken).ConfigureAwait(false);
            if (done.Count > 0)
            {
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"Finished retiring the issuer keys of {done.Count} former administrator(s): {done.Sum(d => d.RecertifiedMemberIds.Count + d.RecertifiedGroupIds.Count)} certificate(s) re-issued, the keys revoked."));
            }
        }
        catch (Exception e) when (e is CofferException or HttpRequestException or InvalidOperationException)
        {
            warnings.Add("Could not finish retiring former administrators' issuer keys: " + e.Message);
        }
    }

    private static async Task RenewIssuersAsync(UnlockedSession session, List<string> warnings, CancellationToken cancellationToken)
    {
        try
        {
            IReadOnlyList<IssuerCertificate> renewed = await session.RunAsync(s => new IssuerAdministration(s, session.Keys).RenewAllAsync(null, cancellationToken),
                cancellationToken).ConfigureAwait(false);
            if (renewed.Count > 0)
            {
                // One of them may be this Owner's own issuer certificate.
                await ReloadKeysAsync(session, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is CofferException or HttpRequestException or InvalidOperationException)
        {
            warnings.Add("Could not renew administrators' issuer certificates: " + e.Message);
        }
    }

    private static async Task RenewRevocationListAsync(UnlockedSession session, List<string> warnings, CancellationToken cancellationToken)
    {
        UnlockedAccount keys = session.Keys;
        bool canSign = keys.RootKey is not null || (keys.IssuerKey is not null && keys.IssuerStatus == ProvenanceFailure.None);
        long issuedAt = keys.Trust.Revocations?.Record.IssuedAt ?? 0;
        long age = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() - issuedAt;
        if (!canSign || age < (long)RevocationListRenewalAge.TotalMilliseconds)
        {
            return;
        }
        try
        {
            await session.RunAsync(async s =>
            {
                using GroupClient groups = new(s, session.Keys);
                return await groups.PublishRevocationAsync([], signWithRoot: session.Keys.RootKey is not null, cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CofferException or HttpRequestException or InvalidOperationException)
        {
            warnings.Add("Could not publish a fresh revocation list (sharing stops for everyone once the newest is 24 hours old): " + e.Message);
        }
    }

    private static async Task CountersignAsync(UnlockedSession session, bool owner, List<string> warnings, CancellationToken cancellationToken)
    {
        try
        {
            _ = await session.RunAsync(s => new AuditClient(s, session.Keys).CountersignLatestAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (CofferApiException e) when (e.Status == 404)
        {
            // No checkpoint signed yet: nothing to countersign.
        }
        catch (AuditKeyUncertifiedException e)
        {
            warnings.Add(owner
                ? e.Message + " Compare the fingerprint with the one the server logs at start, then run `coffer audit certify-key`."
                : e.Message + " Ask an Owner to certify it.");
        }
        catch (Exception e) when (e is CofferException or HttpRequestException)
        {
            warnings.Add("Could not countersign the activity log's newest checkpoint: " + e.Message);
        }
    }
}
