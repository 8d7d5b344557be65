using System.Globalization;
using System.Text;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Protocol.Audit;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Audit;

/// <summary>A countersignature the activity log records (an <c>audit.countersign</c> event that succeeded).</summary>
/// <param name="Seq">The checkpoint's seq.</param>
/// <param name="MemberId">Who countersigned.</param>
/// <param name="Time">When the server recorded it (Unix ms).</param>
/// <param name="EventSeq">The event that records it.</param>
public sealed record RecordedCountersignature(long Seq, string MemberId, long Time, long EventSeq);

/// <summary>What <see cref="AuditLogReader.VerifyAsync"/> found.</summary>
/// <param name="Events">How many events were read.</param>
/// <param name="FirstSeq">The first event read (1 unless older events were purged), or 0 for none.</param>
/// <param name="Chain">The chain re-walked here: every hash recomputed, and the checkpoint's hash at its seq.</param>
/// <param name="FromGenesis">True when the chain was walked from seq 0; false when older events were purged and the walk starts at the first one kept.</param>
/// <param name="Checkpoint">The newest checkpoint, verified under a certified audit key; null when there is none or it could not be verified.</param>
/// <param name="CheckpointProblem">Why <paramref name="Checkpoint"/> is null, for a person; null when it verified.</param>
/// <param name="CheckpointFailed">True when the checkpoint was refused (bad signature, forged or superseded certificate): evidence, not merely missing.</param>
/// <param name="Countersignatures">The countersignatures the log records, oldest first.</param>
public sealed record AuditLogReport(
    int Events,
    long FirstSeq,
    AuditChainResult Chain,
    bool FromGenesis,
    VerifiedCheckpoint? Checkpoint,
    string? CheckpointProblem,
    bool CheckpointFailed,
    IReadOnlyList<RecordedCountersignature> Countersignatures)
{
    /// <summary>The chain holds, and no checkpoint was refused.</summary>
    public bool IsValid => Chain.IsValid && !CheckpointFailed;

    /// <summary>The countersignatures of the verified checkpoint.</summary>
    public IEnumerable<RecordedCountersignature> OfCheckpoint => Checkpoint is null ? [] : Countersignatures.Where(c => c.Seq == Checkpoint.Seq);
}

/// <summary>
/// Reading the activity log (PROTOCOL.md §11; <c>view_activity_log</c>) and checking it on this device: every event's chain
/// hash recomputed from its fields (<see cref="AuditChain"/>), the newest checkpoint's signature verified under an audit key
/// the pinned root certified (<see cref="AuditClient.GetLatestCheckpointAsync"/>) and its chain hash compared at its seq. The
/// server exposes countersignatures only as the events that record them, so those are reported as the log's word.
/// </summary>
public sealed class AuditLogReader
{
    /// <summary>The most events one request may ask for (the server's limit).</summary>
    public const int MaxPage = 5000;

    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private readonly CofferSession _session;
    private readonly UnlockedAccount _account;
    private readonly TimeProvider _clock;

    /// <summary>A reader for <paramref name="account"/>, signed in as <paramref name="session"/>.</summary>
    public AuditLogReader(CofferSession session, UnlockedAccount account, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(account);
        _session = session;
        _account = account;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>One page of events after <paramref name="after"/>, oldest first (the read is itself logged).</summary>
    /// <exception cref="CofferApiException">403 <c>forbidden</c>: this member may not view the activity log.</exception>
    public Task<AuditEventsResponse> ReadAsync(long after = 0, int limit = 500, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPage);
        return _session.SendAsync(HttpMethod.Get, string.Create(CultureInfo.InvariantCulture, $"/api/v1/audit/events?after={after}&limit={limit}"),
            Json.AuditEventsResponse, cancellationToken);
    }

    /// <summary>Every event after <paramref name="after"/> through the export endpoint (logged as an export), oldest first.</summary>
    /// <exception cref="CofferApiException">403 <c>forbidden</c>: this member may not view the activity log.</exception>
    /// <exception cref="CofferProtocolException">A line is not an event, or the sequence does not advance.</exception>
    public async Task<IReadOnlyList<AuditEventDto>> ExportAsync(long after = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        List<AuditEventDto> events = [];
        while (true)
        {
            byte[] text = await _session.ExchangeAsync(HttpMethod.Get,
                string.Create(CultureInfo.InvariantCulture, $"/api/v1/audit/export?after={after}&limit={MaxPage}"), ReadOnlyMemory<byte>.Empty,
                cancellationToken).ConfigureAwait(false);
            int count = 0;
            foreach (string line in Encoding.UTF8.GetString(text).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                AuditEventDto e;
                try
                {
                    e = JsonSerializer.Deserialize(line, Json.AuditEventDto) ?? throw new JsonException("null");
                }
                catch (JsonException ex)
                {
                    throw WireMapper.Malformed("activity-log export", "a line is not an event", ex);
                }
                if (e.Seq <= after)
                {
                    throw WireMapper.Malformed("activity-log export", "the sequence numbers do not advance");
                }
                after = e.Seq;
                events.Add(e);
                count++;
            }
            if (count < MaxPage)
            {
                return events;
            }
        }
    }

    /// <summary>
    /// Reads the whole log kept and checks it here: the chain re-walked from seq 0 (or from the first event kept, when older
    /// ones were purged), the newest checkpoint verified and compared at its seq, and the countersignatures the log records.
    /// </summary>
    /// <exception cref="CofferApiException">403 <c>forbidden</c>: this member may not view the activity log.</exception>
    /// <exception cref="CofferProtocolException">An event is malformed.</exception>
    public async Task<AuditLogReport> VerifyAsync(CancellationToken cancellationToken = default)
    {
        // The checkpoint first: every event it covers is then in the export that follows.
        VerifiedCheckpoint? checkpoint = null;
        string? problem = null;
        bool failed = false;
        try
        {
            checkpoint = await new AuditClient(_session, _account, _clock).GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CofferApiException e) when (e.Status == 404)
        {
            problem = "The server has signed no checkpoint yet.";
        }
        catch (AuditKeyUncertifiedException e)
        {
            problem = e.Message;
        }
        catch (ProvenanceException e)
        {
            problem = e.Message;
            failed = true;
        }
        IReadOnlyList<AuditEventDto> events = await ExportAsync(0, cancellationToken).ConfigureAwait(false);
        long first = events.Count > 0 ? events[0].Seq : 0;
        bool fromGenesis = first <= 1;
        AuditChainResult chain;
        if (fromGenesis)
        {
            chain = VerifyChain(events, null, checkpoint is null ? null : [new AuditChainAnchor(checkpoint.Seq, checkpoint.ChainHash)]);
        }
        else
        {
            // Purged: the first event kept is taken as it is, and everything after it must follow from it.
            AuditChainAnchor start = new(events[0].Seq, HashOf(events[0]));
            chain = VerifyChain(events.Skip(1).ToList(), start,
                checkpoint is null || checkpoint.Seq < events[0].Seq ? null : [new AuditChainAnchor(checkpoint.Seq, checkpoint.ChainHash)]);
        }
        return new AuditLogReport(events.Count, first, chain, fromGenesis, checkpoint, problem, failed, Countersignatures(events));
    }

    /// <summary>Re-walks <paramref name="events"/> (in order, from <paramref name="start"/> or seq 0) against <paramref name="checkpoints"/>.</summary>
    /// <exception cref="CofferProtocolException">An event's fields are malformed.</exception>
    public static AuditChainResult VerifyChain(IReadOnlyList<AuditEventDto> events, AuditChainAnchor? start = null,
        IEnumerable<AuditChainAnchor>? checkpoints = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        return AuditChain.Verify(events.Select(ToLink), start, checkpoints);
    }

    /// <summary>The countersignatures the log records: successful <c>audit.countersign</c> events with the checkpoint's seq in their details.</summary>
    public static IReadOnlyList<RecordedCountersignature> Countersignatures(IEnumerable<AuditEventDto> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        List<RecordedCountersignature> found = [];
        foreach (AuditEventDto e in events)
        {
            if (e.Action != "audit.countersign" || e.Outcome != "success" || e.ActorMemberId is null || e.Details is null)
            {
                continue;
            }
            try
            {
                using JsonDocument details = JsonDocument.Parse(e.Details);
                if (details.RootElement.ValueKind == JsonValueKind.Object && details.RootElement.TryGetProperty("seq", out JsonElement seq)
                    && seq.TryGetInt64(out long checkpointSeq))
                {
                    found.Add(new RecordedCountersignature(checkpointSeq, e.ActorMemberId, e.Time, e.Seq));
                }
            }
            catch (JsonException)
            {
                // Details that are not JSON say nothing about a countersignature; the chain check covers their integrity.
            }
        }
        return found;
    }

    private static Sha256Hash HashOf(AuditEventDto e) =>
        Base64Url.TryDecode(e.Hash, out byte[]? hash) && hash.Length == Sha256Hash.Size
            ? Sha256Hash.FromBytes(hash)
            : throw WireMapper.Malformed("activity-log event " + e.Seq.ToString(CultureInfo.InvariantCulture), "its hash is not 32 bytes of base64url");

    private static AuditChainLink ToLink(AuditEventDto e)
    {
        try
        {
            Sha256Hash? details = e.Details is null ? null : Sha256Hash.Of(Encoding.UTF8.GetBytes(e.Details));
            AuditEventTbs tbs = new(e.Time, e.ActorMemberId, e.DeviceId, e.SessionId, e.Ip, e.Action, e.TargetKind, e.TargetId, e.Outcome, details);
            return new AuditChainLink(e.Seq, tbs, HashOf(e));
        }
        catch (ArgumentException ex)
        {
            throw WireMapper.Malformed("activity-log event " + e.Seq.ToString(CultureInfo.InvariantCulture), "a field is out of range", ex);
        }
    }
}
