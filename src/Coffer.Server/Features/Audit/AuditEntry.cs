using System.Buffers;
using System.Net;
using System.Text.Json;
using Coffer.Protocol.Audit;
using Coffer.Protocol.Signatures;
using Coffer.Server.Features.Sessions;

namespace Coffer.Server.Features.Audit;

/// <summary>
/// One activity-log event before it has a place in the chain. Its fields are checked when it is made (ADR 0004 §8),
/// so a malformed event fails its caller, never the batch it would have joined. <see cref="Details"/> is JSON text
/// and is stored exactly as hashed. Never put a secret, an email, item contents or a token in it.
/// </summary>
internal sealed class AuditEntry
{
    public AuditEntry(long time, string? actorMemberId, string? deviceId, string? sessionId, string? ip, string action,
        string? targetKind, string? targetId, string outcome, string? details = null)
    {
        Details = details;
        Tbs = new AuditEventTbs(time, actorMemberId, deviceId, sessionId, ip, action, targetKind, targetId, outcome,
            details is null ? null : Sha256Hash.Of(System.Text.Encoding.UTF8.GetBytes(details)));
    }

    public AuditEventTbs Tbs { get; }

    public string? Details { get; }

    /// <summary>An event by the caller of a request that passed the session layer.</summary>
    public static AuditEntry By(CofferCaller caller, long time, string action, string? targetKind = null, string? targetId = null,
        string outcome = AuditOutcomes.Success, string? details = null)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new AuditEntry(time, caller.MemberId, caller.DeviceId, caller.SessionId, CanonicalIp(caller.Ip), action, targetKind, targetId,
            outcome, details);
    }

    // Every read's event names its caller's address, and callers come from few addresses: their canonical forms are kept.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string?> CanonicalIps = new(StringComparer.Ordinal);

    /// <summary>The canonical text of an address (ADR 0004 §8), or null when there is none.</summary>
    public static string? CanonicalIp(string? ip)
    {
        if (ip is null)
        {
            return null;
        }
        if (CanonicalIps.TryGetValue(ip, out string? canonical))
        {
            return canonical;
        }
        canonical = IPAddress.TryParse(ip, out IPAddress? address) ? AuditEventTbs.FormatIp(address) : null;
        if (CanonicalIps.Count >= 4096)
        {
            CanonicalIps.Clear();
        }
        CanonicalIps[ip] = canonical;
        return canonical;
    }

    /// <summary>The canonical text of a connection's remote address, or null.</summary>
    public static string? CanonicalIp(IPAddress? address) => address is null ? null : AuditEventTbs.FormatIp(address);

    /// <summary>A details object from identifiers and numbers only; values are strings, integers or booleans.</summary>
    public static string DetailsOf(params (string Key, object Value)[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArrayBufferWriter<byte> buffer = new();
        using (Utf8JsonWriter writer = new(buffer))
        {
            writer.WriteStartObject();
            foreach ((string key, object value) in fields)
            {
                switch (value)
                {
                    case string s:
                        writer.WriteString(key, s);
                        break;
                    case long n:
                        writer.WriteNumber(key, n);
                        break;
                    case int n:
                        writer.WriteNumber(key, n);
                        break;
                    case bool b:
                        writer.WriteBoolean(key, b);
                        break;
                    default:
                        throw new ArgumentException("Details hold strings, integers and booleans only.", nameof(fields));
                }
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>Outcome tokens (ADR 0004 §4).</summary>
internal static class AuditOutcomes
{
    public const string Success = "success";
    public const string Failure = "failure";
    public const string Refused = "refused";
}

/// <summary>Action tokens (ADR 0004 §4): <c>area.verb</c>, lower case.</summary>
internal static class AuditActions
{
    public const string OrgCreate = "org.create";
    public const string SignIn = "auth.signin";
    public const string SignOut = "auth.signout";
    public const string SessionEnd = "session.end";
    public const string SessionsList = "session.list";
    public const string AccountKeysRead = "account.keys.read";
    public const string PinsUpdate = "account.pins.update";
    public const string CredentialsChange = "account.credentials.change";
    public const string EmailChangeRequest = "account.email.request";
    public const string EmailChange = "account.email.change";
    public const string AuditRead = "audit.read";
    public const string AuditExport = "audit.export";
    public const string AuditCountersign = "audit.countersign";
    public const string AuditKeyRead = "audit.key.read";

    /// <summary>The root certified the server's audit key (docs/adr/0016): at setup or by an Owner later; refusals are <c>refused</c>.</summary>
    public const string AuditKeyCertify = "audit.key.certify";
    public const string AuditPurge = "audit.purge";
    public const string AuditRetentionOverride = "audit.retention.override";
    public const string ServerRestore = "server.restore";
    public const string MemberInvite = "member.invite";
    public const string InvitationAccept = "member.invitation.accept";
    public const string MemberConfirm = "member.confirm";
    public const string DeviceList = "device.list";
    public const string DeviceDeauthorise = "device.deauthorise";
    public const string DeviceWipe = "device.wipe";
    public const string MemberCertificateRead = "member.certificate.read";
    public const string VaultCreate = "vault.create";
    public const string GroupList = "group.list";
    public const string GroupRead = "group.read";
    public const string GroupCreate = "group.create";
    public const string GroupUpdate = "group.update";
    public const string GroupMemberAdd = "group.member.add";
    public const string GroupMemberRemove = "group.member.remove";
    public const string GroupRotate = "group.rotate";
    public const string RevocationRead = "revocation.read";
    public const string RevocationPublish = "revocation.publish";
    public const string MemberList = "member.list";
    public const string MemberRead = "member.read";
    public const string MemberSuspend = "member.suspend";
    public const string MemberReactivate = "member.reactivate";
    public const string MemberRemove = "member.remove";
    public const string MemberUnlock = "member.unlock";
    public const string IssuerRequest = "issuer.request";
    public const string IssuerRequestList = "issuer.request.list";
    public const string IssuerCertify = "issuer.certify";
    public const string IssuerRenew = "issuer.renew";
    public const string IssuerList = "issuer.list";

    /// <summary>Read: the members and groups a holder's issuers certified (docs/adr/0027).</summary>
    public const string IssuerCertifiedList = "issuer.certified.list";

    /// <summary>A member's current keys certified anew by the caller's issuer (docs/adr/0027); refusals are <c>refused</c>.</summary>
    public const string MemberRecertify = "member.recertify";

    /// <summary>A group's current keys certified anew by the caller's issuer (docs/adr/0027); refusals are <c>refused</c>.</summary>
    public const string GroupRecertify = "group.recertify";
    public const string PolicyUpdate = "policy.update";
    public const string MfaFactorAdd = "mfa.factor.add";
    public const string MfaFactorActivate = "mfa.factor.activate";
    public const string MfaFactorRemove = "mfa.factor.remove";
    public const string MfaVerify = "mfa.verify";
    public const string MfaBackupCodesRegenerate = "mfa.backup_codes.regenerate";
    public const string StepUp = "auth.step_up";
}

/// <summary>Target kinds (ADR 0004 §4).</summary>
internal static class AuditTargets
{
    public const string Organisation = "organisation";
    public const string Member = "member";
    public const string Session = "session";
    public const string Device = "device";
    public const string Checkpoint = "checkpoint";

    /// <summary>The server's audit key; it has no id, so its fingerprint goes in the details (ADR 0004 §2).</summary>
    public const string AuditKey = "audit_key";
    public const string Vault = "vault";
    public const string Item = "item";
    public const string Group = "group";
    public const string RevocationList = "revocation_list";
    public const string Issuer = "issuer";
    public const string Policy = "policy";
    public const string MfaFactor = "mfa_factor";
}
