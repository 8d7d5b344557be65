using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Coffer.Cli.Agent;
using Coffer.Cli.State;
using Coffer.Cli.Terminal;
using Coffer.Contracts;
using Coffer.Contracts.Audit;

namespace Coffer.Cli.Commands;

/// <summary>
/// audit tail | export | verify | countersign | certify-key (PROTOCOL.md §11, docs/adr/0016; needs <c>view_activity_log</c>,
/// and certify-key the root key an Owner's coffer holds).
/// </summary>
internal static class AuditCommands
{
    private static readonly AgentJsonContext Json = AgentJsonContext.Default;

    public static Command Build() => new("audit", "The organisation's activity log: read it, export it, check it here, countersign it")
    {
        Tail(), Export(), Verify(), Countersign(), CertifyKey(),
    };

    private static Command Tail()
    {
        Option<int> limit = new("--limit", "-n") { Description = "How many of the newest events to show (default 20)", DefaultValueFactory = _ => 20 };
        Option<bool> follow = new("--follow", "-f") { Description = "Keep showing new events as they are logged (Ctrl-C stops)" };
        Option<string?> interval = new("--interval") { Description = "With --follow: how often to ask the server (default 2s)" };
        Command command = new("tail", "The newest activity-log events") { limit, follow, interval };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new AuditTailRequest(account.MemberId, Math.Clamp(c.Parse.GetValue(limit), 1, 5000), null), ct)
                .ConfigureAwait(false);
            IReadOnlyList<AuditEventDto> events = answer.Deserialize(Json.AuditEventsResponse)!.Events;
            if (!c.Parse.GetValue(follow))
            {
                JsonElement list = JsonSerializer.SerializeToElement(events, Json.IReadOnlyListAuditEventDto);
                c.Output.Table(list, ["Seq", "Time", "Action", "Outcome", "Actor", "Target"], events.Select(Row));
                return;
            }
            TimeSpan every = CliContext.ParseDuration(c.Parse.GetValue(interval)) ?? TimeSpan.FromSeconds(2);
            long last = events.Count > 0 ? events[^1].Seq : 0;
            foreach (AuditEventDto e in events)
            {
                Print(c.Output, e);
            }
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(every, ct).ConfigureAwait(false);
                    JsonElement more = await c.AskAgentAsync(new AuditTailRequest(account.MemberId, 5000, last), ct).ConfigureAwait(false);
                    foreach (AuditEventDto e in more.Deserialize(Json.AuditEventsResponse)!.Events)
                    {
                        Print(c.Output, e);
                        last = e.Seq;
                    }
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
        return command;
    }

    private static Command Export()
    {
        Option<string?> since = new("--since")
        {
            Description = "From this event seq on, or from this time on (ISO 8601, e.g. 2025-01-31 or 2025-01-31T12:00Z)",
        };
        Option<string?> output = new("--output", "-o") { Description = "Write to this file (0600, never overwritten) instead of standard output" };
        Command command = new("export", "Export the activity log: JSON Lines by default, a JSON array with --format json, CSV with --format csv") { since, output, GlobalOptions.OtpStdin };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            (long after, DateTimeOffset? from) = Since(c.Parse.GetValue(since));
            JsonElement answer = await c.AskAgentAsync(new AuditExportRequest(account.MemberId, after), ct).ConfigureAwait(false);
            IReadOnlyList<AuditEventDto> events = answer.Deserialize(Json.IReadOnlyListAuditEventDto)!;
            if (from is { } time)
            {
                long ms = time.ToUnixTimeMilliseconds();
                events = [.. events.Where(e => e.Time >= ms)];
            }
            string format = c.Parse.GetValue(GlobalOptions.Format) ?? "table";
            string text = format switch
            {
                "json" => JsonText(events),
                "csv" => Csv(events),
                _ => string.Concat(events.Select(e => JsonSerializer.Serialize(e, CofferJsonContext.Default.AuditEventDto) + "\n")),
            };
            if (c.Parse.GetValue(output) is string path)
            {
                SecureFiles.CreateNew(Path.GetFullPath(path), text);
                c.Output.Note(string.Create(CultureInfo.InvariantCulture, $"Exported {events.Count} event(s) to {Path.GetFullPath(path)}."));
                return;
            }
            c.Output.Out.Write(text);
        }, allowCsv: true);
        return command;
    }

    private static Command Verify()
    {
        Command command = new("verify", "Check the activity log on this device: every chain hash, the newest checkpoint's signature and its audit key's certificate");
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new AuditVerifyRequest(account.MemberId), ct).ConfigureAwait(false);
            AuditVerifyResult r = answer.Deserialize(Json.AuditVerifyResult)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
            }
            else
            {
                c.Output.Line(string.Create(CultureInfo.InvariantCulture, $"Events: {r.Events} (seq {r.FirstSeq} to {r.HeadSeq})")
                    + (r.FromGenesis ? "" : "; older events were purged, so the chain is checked from the first one kept"));
                c.Output.Line(r.ChainFault == "none"
                    ? "Chain: every hash recomputed here matches."
                    : string.Create(CultureInfo.InvariantCulture, $"Chain: BROKEN ({r.ChainFault} at seq {r.FirstBadSeq})."));
                c.Output.Line(r.CheckpointSeq is long seq
                    ? string.Create(CultureInfo.InvariantCulture, $"Checkpoint: seq {seq}, signed by the audit key {r.CheckpointAuditKey}, which the organisation root certified.")
                    : "Checkpoint: " + r.CheckpointProblem);
                c.Output.Line(r.CheckpointSeq is null ? "Countersignatures: none checked."
                    : r.CheckpointCountersignedBy.Count > 0
                        ? "Countersigned by: " + string.Join(", ", r.CheckpointCountersignedBy) + " (as the log records)."
                        : "The newest checkpoint is not countersigned yet" + (r.LastCountersignedSeq is long l
                            ? " (the last countersigned one is at seq " + l.ToString(CultureInfo.InvariantCulture) + ")."
                            : "."));
            }
            if (!r.Valid)
            {
                throw new CliException(ExitCodes.Refused, "The activity log does not verify: " + (r.ChainFault != "none"
                    ? string.Create(CultureInfo.InvariantCulture, $"its chain breaks at seq {r.FirstBadSeq} ({r.ChainFault}).")
                    : r.CheckpointProblem) + " Tell your security contact.");
            }
        });
        return command;
    }

    private static Command Countersign()
    {
        Command command = new("countersign", "Countersign the newest checkpoint (administrators' coffer also does it at every unlock)");
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new AuditCountersignNowRequest(account.MemberId), ct).ConfigureAwait(false);
            CountersignResult r = answer.Deserialize(Json.CountersignResult)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line(string.Create(CultureInfo.InvariantCulture,
                $"Countersigned the checkpoint at seq {r.Seq} (signed by the certified audit key {r.AuditKeyFingerprint})."));
        });
        return command;
    }

    private static Command CertifyKey()
    {
        Option<bool> yes = new("--yes") { Description = "Certify without asking (after comparing the fingerprint with the server's log another way)" };
        Command command = new("certify-key", "Certify the server's audit key with the organisation root (Owners), after comparing its fingerprint") { yes };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement shown = await c.AskAgentAsync(new AuditKeyRequest(account.MemberId), ct).ConfigureAwait(false);
            AuditKeyResult key = shown.Deserialize(Json.AuditKeyResult)!;
            TextWriter screen = c.Output.Json ? c.Output.Error : c.Output.Out;
            screen.WriteLine("The server's audit key: " + key.Fingerprint);
            if (key.Certified)
            {
                if (c.Output.Json)
                {
                    c.Output.WriteJson(shown);
                }
                c.Output.Line("It is certified by the organisation root already.");
                return;
            }
            screen.WriteLine("Compare it with the fingerprint the server logs at start (\"audit key …\") before you certify it.");
            if (!c.Parse.GetValue(yes))
            {
                if (!Input.Interactive)
                {
                    throw new CliException(ExitCodes.Usage, "No terminal to ask whether to certify it: pass --yes once you have compared the fingerprint.");
                }
                if (!c.Input.Confirm("Is it the same, and do you certify it as the server's audit key?"))
                {
                    throw new CliException(ExitCodes.Usage, "Nothing was certified.");
                }
            }
            JsonElement answer = await c.AskAgentAsync(new AuditCertifyKeyRequest(account.MemberId, key.Fingerprint), ct).ConfigureAwait(false);
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line("Certified: administrators' coffers countersign its checkpoints from now on.");
        });
        return command;
    }

    /// <summary>A seq (events from it on) or a time.</summary>
    internal static (long After, DateTimeOffset? From) Since(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (0, null);
        }
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long seq))
        {
            return (Math.Max(0, seq - 1), null);
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset time))
        {
            return (0, time);
        }
        throw new CliException(ExitCodes.Usage, "--since takes an event seq (a number) or a time such as 2025-01-31 or 2025-01-31T12:00Z.");
    }

    internal static string Csv(IReadOnlyList<AuditEventDto> events)
    {
        StringBuilder csv = new("seq,time,action,outcome,actorMemberId,deviceId,sessionId,ip,targetKind,targetId,details,hash\n");
        foreach (AuditEventDto e in events)
        {
            string?[] fields =
            [
                e.Seq.ToString(CultureInfo.InvariantCulture),
                DateTimeOffset.FromUnixTimeMilliseconds(e.Time).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
                e.Action, e.Outcome, e.ActorMemberId, e.DeviceId, e.SessionId, e.Ip, e.TargetKind, e.TargetId, e.Details, e.Hash,
            ];
            csv.Append(string.Join(',', fields.Select(CsvField))).Append('\n');
        }
        return csv.ToString();
    }

    /// <summary>RFC 4180 quoting; a leading =, +, - or @ is prefixed with ' so a spreadsheet does not run it as a formula.</summary>
    private static string CsvField(string? value)
    {
        string v = value ?? "";
        if (v.Length > 0 && v[0] is '=' or '+' or '-' or '@')
        {
            v = "'" + v;
        }
        return v.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + v.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : v;
    }

    private static string JsonText(IReadOnlyList<AuditEventDto> events)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter writer = new(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            JsonSerializer.SerializeToElement(events, Json.IReadOnlyListAuditEventDto).WriteTo(writer);
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static string?[] Row(AuditEventDto e) =>
    [
        e.Seq.ToString(CultureInfo.InvariantCulture), AdminCommands.Time(e.Time), e.Action, e.Outcome, e.ActorMemberId,
        e.TargetKind is null ? null : e.TargetKind + " " + e.TargetId,
    ];

    private static void Print(Output output, AuditEventDto e)
    {
        if (output.Json)
        {
            output.Out.WriteLine(JsonSerializer.Serialize(e, CofferJsonContext.Default.AuditEventDto));
            return;
        }
        output.Out.WriteLine(string.Join("  ", Row(e).Select(f => f ?? "-")));
    }
}
