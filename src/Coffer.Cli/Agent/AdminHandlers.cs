using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coffer.Cli.State;
using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Members;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Audit;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Groups;
using Coffer.Sdk.Issuers;
using Coffer.Sdk.Members;

namespace Coffer.Cli.Agent;

/// <summary>
/// Administration in the agent: confirming members (fingerprints and SAS shown first, by the CLI; the agent confirms only
/// the keys that were shown), suspending, reactivating, unlocking and removing them, groups (a removal rotates the group's key), and
/// the activity log (read, export, verify here, countersign, certify the audit key). Whatever these verify moves the pins
/// forward; they are stored afterwards.
/// </summary>
internal sealed class AdminHandlers(AgentState state, AccountStore store)
{
    private static readonly AgentJsonContext Json = AgentJsonContext.Default;
    private static readonly CofferJsonContext Wire = CofferJsonContext.Default;

    public async Task<JsonElement> HandleAsync(AccountRequest request, CancellationToken cancellationToken)
    {
        UnlockedSession session = state.Get(request.Account);
        return request switch
        {
            MemberPendingRequest r => Result(await PendingAsync(session, r.Member, cancellationToken).ConfigureAwait(false), Json.PendingMemberResult),
            MemberConfirmRequest r => Result(await ExclusiveAsync(session, () => ConfirmAsync(session, r, cancellationToken), cancellationToken)
                .ConfigureAwait(false), Json.PendingMemberResult),
            MemberLifecycleRequest { Action: "unlock" } r => Result(await ReleaseLockAsync(session, r, cancellationToken).ConfigureAwait(false),
                Json.MemberUnlockResponse),
            MemberLifecycleRequest { Action: "remove" } r => await ExclusiveAsync(session, () => RemoveAsync(session, r, cancellationToken), cancellationToken)
                .ConfigureAwait(false),
            MemberLifecycleRequest r => Result(await LifecycleAsync(session, r, cancellationToken).ConfigureAwait(false), Json.MemberLifecycleResponse),
            GroupListRequest => Result(await session.RunAsync(s => new GroupClient(s, session.Keys).ListAsync(cancellationToken), cancellationToken)
                .ConfigureAwait(false), Json.IReadOnlyListGroupSummaryDto),
            GroupCreateRequest r => Result(await ExclusiveAsync(session, () => CreateGroupAsync(session, r, cancellationToken), cancellationToken)
                .ConfigureAwait(false), Json.GroupResult),
            GroupMembersRequest r => await ExclusiveAsync(session, () => GroupMembersAsync(session, r, cancellationToken), cancellationToken)
                .ConfigureAwait(false),
            AuditTailRequest r => Result(await TailAsync(session, r, cancellationToken).ConfigureAwait(false), Json.AuditEventsResponse),
            AuditExportRequest r => Result(await session.RunAsync(s => new AuditLogReader(s, session.Keys).ExportAsync(r.After, cancellationToken),
                cancellationToken).ConfigureAwait(false), Json.IReadOnlyListAuditEventDto),
            AuditVerifyRequest => Result(await ExclusiveAsync(session, () => VerifyAsync(session, cancellationToken), cancellationToken).ConfigureAwait(false),
                Json.AuditVerifyResult),
            AuditCountersignNowRequest => Result(await ExclusiveAsync(session, () => CountersignAsync(session, cancellationToken), cancellationToken)
                .ConfigureAwait(false), Json.CountersignResult),
            AuditKeyRequest => Result(await ExclusiveAsync(session, () => AuditKeyAsync(session, cancellationToken), cancellationToken).ConfigureAwait(false),
                Json.AuditKeyResult),
            AuditCertifyKeyRequest r => Result(await ExclusiveAsync(session, () => CertifyKeyAsync(session, r, cancellationToken), cancellationToken)
                .ConfigureAwait(false), Json.AuditKeyResult),
            _ => throw new ArgumentOutOfRangeException(nameof(request)),
        };
    }

    /// <summary>Runs work that changes keys or pins one at a time, then stores the pins it moved forward (best effort).</summary>
    private Task<T> ExclusiveAsync<T>(UnlockedSession session, Func<Task<T>> work, CancellationToken cancellationToken) =>
        session.ExclusiveAsync(async () =>
        {
            T result = await work().ConfigureAwait(false);
            await AccountUpkeep.TrySavePinsAsync(session, store, cancellationToken).ConfigureAwait(false);
            return result;
        }, cancellationToken);

    private static async Task<PendingMemberResult> PendingAsync(UnlockedSession session, string who, CancellationToken cancellationToken)
    {
        MemberDto member = await FindMemberAsync(session, who, cancellationToken).ConfigureAwait(false);
        if (member.State != "pending_confirmation")
        {
            throw new CliException(ExitCodes.Conflict, member.State == "invited"
                ? $"{member.Email} has not accepted the invitation yet: there are no keys to confirm."
                : $"{member.Email} is {member.State.Replace('_', ' ')}, not waiting for confirmation.");
        }
        PendingMember pending = await session.RunAsync(s => MemberConfirmation.FetchAsync(s, session.Keys, member.Id, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        return ToResult(pending, member.State);
    }

    private static async Task<PendingMemberResult> ConfirmAsync(UnlockedSession session, MemberConfirmRequest r, CancellationToken cancellationToken)
    {
        PendingMember pending = await session.RunAsync(s => MemberConfirmation.FetchAsync(s, session.Keys, r.MemberId, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        // What is certified must be what the person compared: the server could have swapped the keys since they were shown.
        if (!Fingerprint.TryParse(AgentHandlers.NormaliseFingerprint(r.EncryptionFingerprint), out Fingerprint encryption)
            || !Fingerprint.TryParse(AgentHandlers.NormaliseFingerprint(r.SigningFingerprint), out Fingerprint signing)
            || encryption != pending.EncryptionFingerprint || signing != pending.SigningFingerprint)
        {
            throw new CliException(ExitCodes.Refused, $"Refused for your safety: {pending.Email}'s keys changed since their fingerprints were shown; nothing was confirmed. Run the command again and compare anew.");
        }
        try
        {
            await session.RunAsync(s => MemberConfirmation.ConfirmAsync(s, session.Keys, pending, TimeProvider.System,
                r.Administrator ? [GroupKinds.Administrators] : null, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw new CliException(ExitCodes.Forbidden, "Cannot confirm: " + e.Message);
        }
        return ToResult(pending, "active") with { Confirmed = true, Administrator = r.Administrator };
    }

    private static async Task<MemberUnlockResponse> ReleaseLockAsync(UnlockedSession session, MemberLifecycleRequest r, CancellationToken cancellationToken)
    {
        MemberDto member = await FindMemberAsync(session, r.Member, cancellationToken).ConfigureAwait(false);
        return await session.RunAsync(s => new MemberDirectory(s).UnlockAsync(member.Id, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<MemberLifecycleResponse> LifecycleAsync(UnlockedSession session, MemberLifecycleRequest r, CancellationToken cancellationToken)
    {
        MemberDto member = await FindMemberAsync(session, r.Member, cancellationToken).ConfigureAwait(false);
        return r.Action switch
        {
            "suspend" => await session.RunAsync(s => new MemberDirectory(s).SuspendAsync(member.Id, cancellationToken), cancellationToken).ConfigureAwait(false),
            "reactivate" => new MemberLifecycleResponse(
                await session.RunAsync(s => new MemberDirectory(s).ReactivateAsync(member.Id, cancellationToken), cancellationToken).ConfigureAwait(false), 0, [], []),
            _ => throw new CliException(ExitCodes.Usage, "Unknown member action: " + r.Action),
        };
    }

    /// <summary>
    /// Removes a member; one who holds an issuer key (an Owner or Administrator) has it retired (docs/adr/0027): what they
    /// certified is re-certified with this account's issuer, then their issuers are revoked. The answer is the server's, with
    /// <c>issuerRetirement</c> added when there was one.
    /// </summary>
    private static async Task<JsonElement> RemoveAsync(UnlockedSession session, MemberLifecycleRequest r, CancellationToken cancellationToken)
    {
        MemberDto member = await FindMemberAsync(session, r.Member, cancellationToken).ConfigureAwait(false);
        MemberRemoval removal;
        try
        {
            removal = await session.RunAsync(s => new MemberDirectory(s).RemoveAndRetireAsync(member.Id, session.Keys, TimeProvider.System, cancellationToken),
                cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw new CliException(ExitCodes.Forbidden, "Cannot remove them: " + e.Message);
        }
        JsonObject answer = JsonSerializer.SerializeToNode(removal.Removal, Json.MemberLifecycleResponse)!.AsObject();
        if (removal.Retirement is { } retirement)
        {
            answer[RetirementField] = Retirement(retirement);
        }
        return Element(answer);
    }

    /// <summary>The field of a removal's answer that says what retiring the member's issuers did.</summary>
    internal const string RetirementField = "issuerRetirement";

    /// <summary>The field of a group removal's answer that lists the issuer retirements it caused.</summary>
    internal const string RetirementsField = "issuerRetirements";

    private static JsonElement Element(JsonNode node)
    {
        using JsonDocument document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }

    private static JsonObject Retirement(IssuerRetirement retirement) => new()
    {
        ["holderId"] = retirement.HolderId,
        ["revokedIssuerIds"] = new JsonArray([.. retirement.RevokedIssuerIds.Select(id => (JsonNode?)JsonValue.Create(id))]),
        ["recertifiedMemberIds"] = new JsonArray([.. retirement.RecertifiedMemberIds.Select(id => (JsonNode?)JsonValue.Create(id))]),
        ["recertifiedGroupIds"] = new JsonArray([.. retirement.RecertifiedGroupIds.Select(id => (JsonNode?)JsonValue.Create(id))]),
        ["revocationListVersion"] = retirement.RevocationListVersion,
    };

    private static async Task<GroupResult> CreateGroupAsync(UnlockedSession session, GroupCreateRequest r, CancellationToken cancellationToken)
    {
        string id;
        try
        {
            id = await session.RunAsync(async s =>
            {
                using GroupClient groups = new(s, session.Keys);
                return await groups.CreateAsync(r.Name, r.Permissions, cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw new CliException(ExitCodes.Forbidden, "Cannot create the group: " + e.Message);
        }
        // The new group's key reaches this account through the Owners and Administrators groups' wraps.
        await AccountUpkeep.ReloadKeysAsync(session, cancellationToken).ConfigureAwait(false);
        return new GroupResult(id, r.Name.Trim(), []);
    }

    /// <summary>
    /// Adds members to a group, or removes them with a rotation of its key; removing someone from the Owners or Administrators
    /// group who is then in neither retires their issuers (docs/adr/0027), listed under <c>issuerRetirements</c>.
    /// </summary>
    private static async Task<JsonElement> GroupMembersAsync(UnlockedSession session, GroupMembersRequest r, CancellationToken cancellationToken)
    {
        GroupSummaryDto group = await FindGroupAsync(session, r.Group, cancellationToken).ConfigureAwait(false);
        List<string> ids = [];
        foreach (string who in r.Members)
        {
            ids.Add((await FindMemberAsync(session, who, cancellationToken).ConfigureAwait(false)).Id);
        }
        IReadOnlyList<IssuerRetirement> retirements;
        try
        {
            retirements = await session.RunAsync(async s =>
            {
                using GroupClient groups = new(s, session.Keys);
                if (r.Remove)
                {
                    return await groups.RemoveMembersAsync(group.Id, ids, cancellationToken).ConfigureAwait(false);
                }
                foreach (string id in ids)
                {
                    await groups.AddMemberAsync(group.Id, id, cancellationToken).ConfigureAwait(false);
                }
                return (IReadOnlyList<IssuerRetirement>)[];
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw new CliException(ExitCodes.Forbidden, "Cannot change the group: " + e.Message);
        }
        catch (ArgumentException e)
        {
            throw new CliException(ExitCodes.Usage, e.Message);
        }
        if (r.Remove)
        {
            // The group's key was rotated: hold the new one.
            await AccountUpkeep.ReloadKeysAsync(session, cancellationToken).ConfigureAwait(false);
        }
        JsonObject answer = JsonSerializer.SerializeToNode(new GroupResult(group.Id, group.Name, ids, Rotated: r.Remove), Json.GroupResult)!.AsObject();
        if (retirements.Count > 0)
        {
            answer[RetirementsField] = new JsonArray([.. retirements.Select(x => (JsonNode?)Retirement(x))]);
        }
        return Element(answer);
    }

    /// <summary>The newest events (from just before the newest checkpoint onwards), or every event after a seq.</summary>
    private static async Task<AuditEventsResponse> TailAsync(UnlockedSession session, AuditTailRequest r, CancellationToken cancellationToken)
    {
        int limit = Math.Clamp(r.Limit, 1, AuditLogReader.MaxPage);
        long after = r.After ?? 0;
        if (r.After is null)
        {
            try
            {
                AuditCheckpointDto latest = await session.RunAsync(s => s.SendAsync(HttpMethod.Get, "/api/v1/audit/checkpoints/latest", Wire.AuditCheckpointDto,
                    cancellationToken), cancellationToken).ConfigureAwait(false);
                after = Math.Max(0, latest.Seq - limit);
            }
            catch (CofferApiException e) when (e.Status == 404)
            {
                // No checkpoint yet: a young log; read it from the start.
            }
        }
        List<AuditEventDto> events = [];
        AuditEventsResponse page;
        do
        {
            page = await session.RunAsync(s => new AuditLogReader(s, session.Keys).ReadAsync(after, AuditLogReader.MaxPage, cancellationToken), cancellationToken)
                .ConfigureAwait(false);
            events.AddRange(page.Events);
            if (page.Events.Count == 0)
            {
                break;
            }
            after = page.Events[^1].Seq;
        }
        while (page.HasMore && r.After is null);
        return r.After is null
            ? new AuditEventsResponse([.. events.Skip(Math.Max(0, events.Count - limit))], false)
            : new AuditEventsResponse(events, page.HasMore);
    }

    private static async Task<AuditVerifyResult> VerifyAsync(UnlockedSession session, CancellationToken cancellationToken)
    {
        AuditLogReport report = await session.RunAsync(s => new AuditLogReader(s, session.Keys).VerifyAsync(cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        return new AuditVerifyResult(report.IsValid, report.Events, report.FirstSeq, report.Chain.Head.Seq, report.FromGenesis,
            ChainFault(report.Chain.Fault), report.Chain.FirstBadSeq, report.Checkpoint?.Seq, report.Checkpoint?.AuditKey.ToDisplayString(),
            report.CheckpointProblem, report.CheckpointFailed, [.. report.OfCheckpoint.Select(c => c.MemberId).Distinct(StringComparer.Ordinal)],
            report.Countersignatures.Count > 0 ? report.Countersignatures.Max(c => c.Seq) : null);
    }

    private static string ChainFault(Coffer.Protocol.Audit.AuditChainFault fault) => fault switch
    {
        Coffer.Protocol.Audit.AuditChainFault.None => "none",
        Coffer.Protocol.Audit.AuditChainFault.HashMismatch => "hash-mismatch",
        Coffer.Protocol.Audit.AuditChainFault.SequenceBreak => "sequence-break",
        Coffer.Protocol.Audit.AuditChainFault.CheckpointMismatch => "checkpoint-mismatch",
        Coffer.Protocol.Audit.AuditChainFault.Truncated => "truncated",
        _ => fault.ToString(),
    };

    private static async Task<CountersignResult> CountersignAsync(UnlockedSession session, CancellationToken cancellationToken)
    {
        CountersignedCheckpoint done;
        try
        {
            done = await session.RunAsync(s => new AuditClient(s, session.Keys).CountersignLatestAsync(cancellationToken), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (CofferApiException e) when (e.Status == 404)
        {
            throw new CliException(ExitCodes.NotFound, "The server has signed no checkpoint yet: nothing to countersign.", e.Problem);
        }
        catch (AuditKeyUncertifiedException e)
        {
            throw new CliException(ExitCodes.Refused, e.Message + " (`coffer audit certify-key`, for an Owner)");
        }
        return new CountersignResult(done.Seq, Base64Url.Encode(done.ChainHash.AsSpan()), done.Time, done.AuditKey.ToDisplayString(), done.CountersignedAt);
    }

    private static async Task<AuditKeyResult> AuditKeyAsync(UnlockedSession session, CancellationToken cancellationToken)
    {
        AuditKeyState key = await session.RunAsync(s => new AuditClient(s, session.Keys).GetKeyAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        return new AuditKeyResult(key.Fingerprint.ToDisplayString(), key.IsCertified, key.Certificate?.Record.IssuedAt);
    }

    private static async Task<AuditKeyResult> CertifyKeyAsync(UnlockedSession session, AuditCertifyKeyRequest r, CancellationToken cancellationToken)
    {
        if (session.Keys.RootKey is null)
        {
            throw new CliException(ExitCodes.Forbidden, "Only an Owner's coffer holds the organisation's root key, which certifies the audit key.");
        }
        if (!Fingerprint.TryParse(AgentHandlers.NormaliseFingerprint(r.Fingerprint), out Fingerprint shown))
        {
            throw new CliException(ExitCodes.Usage, "That is not a fingerprint.");
        }
        AuditKeyState before = await session.RunAsync(s => new AuditClient(s, session.Keys).GetKeyAsync(cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        AuditKeyCertificate certificate = await session.RunAsync(s => new AuditClient(s, session.Keys).CertifyShownKeyAsync(shown, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return new AuditKeyResult(shown.ToDisplayString(), true, certificate.Record.IssuedAt, CertifiedNow: !before.IsCertified);
    }

    /// <summary>A member by id or email (case-insensitive), among those this account may see.</summary>
    internal static async Task<MemberDto> FindMemberAsync(UnlockedSession session, string who, CancellationToken cancellationToken)
    {
        string wanted = who.Trim();
        IReadOnlyList<MemberDto> members = await session.RunAsync(s => new MemberDirectory(s).ListAsync(cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        return members.FirstOrDefault(m => string.Equals(m.Id, wanted, StringComparison.OrdinalIgnoreCase))
            ?? members.FirstOrDefault(m => string.Equals(m.Email, wanted, StringComparison.OrdinalIgnoreCase))
            ?? throw new CliException(ExitCodes.NotFound, $"No member \"{wanted}\" (see `coffer member list`).");
    }

    /// <summary>A group by id, name or built-in kind (case-insensitive).</summary>
    private static async Task<GroupSummaryDto> FindGroupAsync(UnlockedSession session, string which, CancellationToken cancellationToken)
    {
        string wanted = which.Trim();
        IReadOnlyList<GroupSummaryDto> groups = await session.RunAsync(s => new GroupClient(s, session.Keys).ListAsync(cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        List<GroupSummaryDto> matches = [.. groups.Where(g => string.Equals(g.Id, wanted, StringComparison.OrdinalIgnoreCase))];
        if (matches.Count == 0)
        {
            matches = [.. groups.Where(g => string.Equals(g.Name, wanted, StringComparison.OrdinalIgnoreCase)
                || string.Equals(g.Kind, wanted, StringComparison.OrdinalIgnoreCase))];
        }
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new CliException(ExitCodes.NotFound, $"No group \"{wanted}\" (see `coffer group list`)."),
            _ => throw new CliException(ExitCodes.Usage, $"Several groups are called \"{wanted}\"; name one by its id."),
        };
    }

    private static PendingMemberResult ToResult(PendingMember m, string state) =>
        new(m.MemberId, m.Email, m.Name, m.BaseGroup, state, m.EncryptionFingerprint.ToDisplayString(), m.SigningFingerprint.ToDisplayString(),
            m.ShortAuthenticationString);

    private static JsonElement Result<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.SerializeToElement(value, type);

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
