using System.Globalization;
using System.Text;
using Coffer.Protocol.Encoding;

namespace Coffer.Server.Features.Audit;

/// <summary>
/// One activity-log event as an RFC 5424 syslog message:
/// <c>&lt;PRI&gt;1 TIMESTAMP HOSTNAME coffer-server PROCID MSGID [coffer@32473 …] MSG</c>.
/// <list type="bullet">
/// <item>PRI = facility × 8 + severity (§6.2.1): facility <c>authpriv</c> (10) by default — the log records who
/// accessed what, which RFC 5424 files under security/authorization messages kept private — or <c>auth</c> (4) or
/// <c>local0</c>…<c>local7</c> (16…23) by setting; severity Informational (6) for a success, Warning (4) for a
/// failure or refusal, Notice (5) otherwise, so a collector can alert on severity alone.</item>
/// <item>TIMESTAMP: the event's own time in UTC, to the millisecond (§6.2.3).</item>
/// <item>MSGID: the action token (<c>auth.signin</c>; at most 32 characters, §6.2.7, cut if longer).</item>
/// <item>Structured data (§6.3) under the SD-ID <c>coffer@32473</c> — 32473 is the enterprise number RFC 5612 sets
/// aside for documentation, used until Coffer has one of its own: <c>seq</c>, <c>hash</c> (the chain hash, base64url,
/// so a collector can match the message to the verifiable log), <c>action</c>, <c>outcome</c>, and when present
/// <c>actor</c>, <c>device</c>, <c>session</c>, <c>ip</c>, <c>targetKind</c>, <c>targetId</c>. Identifiers only: no
/// email, no name, no secret, and not the details JSON (the JSON Lines export carries that).</item>
/// <item>MSG: <c>&lt;action&gt; &lt;outcome&gt;</c> in ASCII, for people reading a plain log.</item>
/// </list>
/// </summary>
internal static class SyslogMessage
{
    public const string AppName = "coffer-server";
    public const string StructuredDataId = "coffer@32473";

    private const int MaxMessageId = 32;

    /// <summary>The facility code of a name, or null for a name this server does not send under.</summary>
    public static int? FacilityCode(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "auth" => 4,
        "authpriv" => 10,
        "local0" => 16,
        "local1" => 17,
        "local2" => 18,
        "local3" => 19,
        "local4" => 20,
        "local5" => 21,
        "local6" => 22,
        "local7" => 23,
        _ => null,
    };

    public static int Severity(string outcome) => outcome switch
    {
        AuditOutcomes.Success => 6,
        AuditOutcomes.Failure or AuditOutcomes.Refused => 4,
        _ => 5,
    };

    public static string Format(AuditEventRow e, int facility, string hostname, int processId)
    {
        ArgumentNullException.ThrowIfNull(e);
        StringBuilder b = new(512);
        b.Append('<').Append((facility * 8) + Severity(e.Outcome)).Append(">1 ");
        b.Append(DateTimeOffset.FromUnixTimeMilliseconds(e.Time).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append(' ');
        b.Append(HeaderField(hostname, 255)).Append(' ');
        b.Append(AppName).Append(' ');
        b.Append(processId.ToString(CultureInfo.InvariantCulture)).Append(' ');
        b.Append(HeaderField(e.Action, MaxMessageId)).Append(' ');
        b.Append('[').Append(StructuredDataId);
        Param(b, "seq", e.Seq.ToString(CultureInfo.InvariantCulture));
        Param(b, "hash", Base64Url.Encode(e.Hash));
        Param(b, "action", e.Action);
        Param(b, "outcome", e.Outcome);
        Param(b, "actor", e.ActorMemberId);
        Param(b, "device", e.DeviceId);
        Param(b, "session", e.SessionId);
        Param(b, "ip", e.Ip);
        Param(b, "targetKind", e.TargetKind);
        Param(b, "targetId", e.TargetId);
        b.Append("] ").Append(HeaderField(e.Action, 64)).Append(' ').Append(HeaderField(e.Outcome, 64));
        return b.ToString();
    }

    /// <summary>Header fields are PRINTUSASCII (33..126) and never empty ("-" is the nil value).</summary>
    public static string HeaderField(string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "-";
        }
        StringBuilder b = new(Math.Min(value.Length, maxLength));
        foreach (char c in value)
        {
            if (b.Length == maxLength)
            {
                break;
            }
            b.Append(c is >= '!' and <= '~' ? c : '_');
        }
        return b.ToString();
    }

    /// <summary>PARAM-VALUE escapes '"', '\' and ']' with a backslash (§6.3.3).</summary>
    private static void Param(StringBuilder b, string name, string? value)
    {
        if (value is null)
        {
            return;
        }
        b.Append(' ').Append(name).Append("=\"");
        foreach (char c in value)
        {
            if (c is '"' or '\\' or ']')
            {
                b.Append('\\');
            }
            b.Append(c);
        }
        b.Append('"');
    }
}
