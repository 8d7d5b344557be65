namespace Coffer.Server.Common.Configuration;

/// <summary>
/// Server settings, bound from <c>appsettings.json</c>, environment variables
/// (<c>COFFER_</c> prefix, <c>__</c> for nesting) and command-line flags, in that order.
/// </summary>
internal sealed class CofferOptions
{
    public const string Section = "Coffer";

    /// <summary>The address people and clients use (links in mail, the setup link).</summary>
    public string? PublicUrl { get; set; }

    /// <summary>Where the SQLite file, the outbox and the audit key live.</summary>
    public string DataDirectory { get; set; } = "data";

    public DatabaseOptions Database { get; set; } = new();

    public TlsOptions Tls { get; set; } = new();

    /// <summary>Proxies whose X-Forwarded-* headers are believed (IP addresses or CIDR ranges); empty = none.</summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>
    /// The fewest 2SKD iterations the server accepts for new keys (PROTOCOL.md §2). Clients enforce their own
    /// floor whatever this says; lowering it is only for test harnesses.
    /// </summary>
    public int MinimumKdfIterations { get; set; } = 650_000;

    public SessionOptions Sessions { get; set; } = new();

    /// <summary>Largest request body accepted, in bytes (items are capped far below this).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Maps the load benchmark's unauthenticated baseline read (Features/Benchmark); loopback development hosts only.</summary>
    public bool BenchmarkBareReads { get; set; }

    /// <summary>Outgoing mail; without a host, mail is written as <c>.eml</c> files to <c>&lt;DataDirectory&gt;/outbox/</c>.</summary>
    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>The activity log: retention and export.</summary>
    public AuditOptions Audit { get; set; } = new();

    /// <summary>Security keys (docs/adr/0026): the RP id and origin, by default from <see cref="PublicUrl"/>.</summary>
    public WebAuthnOptions WebAuthn { get; set; } = new();
}

/// <summary>
/// Overrides for security keys' relying party (docs/adr/0026). Without them the origin is <see cref="CofferOptions.PublicUrl"/>'s
/// scheme://host[:port] and the RP id its host; an RP id cannot be an IP address, so a server reached by IP has no security keys.
/// </summary>
internal sealed class WebAuthnOptions
{
    /// <summary>The RP id: the origin's host or a registrable suffix of it (say <c>example.com</c> for <c>https://coffer.example.com</c>).</summary>
    public string? RpId { get; set; }

    /// <summary>The exact origin pages are served from: scheme://host[:port], no path.</summary>
    public string? Origin { get; set; }
}

internal sealed class AuditOptions
{
    /// <summary>POLICY.md "Accounting": the log is kept at least 6 months…</summary>
    public const int MinimumRetentionDays = 183;

    /// <summary>…and at most 2 years, unless overridden with a logged reason.</summary>
    public const int MaximumRetentionDays = 730;

    /// <summary>Events older than this many days are purged once a day (a signed checkpoint is kept at the cut).</summary>
    public int RetentionDays { get; set; } = MaximumRetentionDays;

    /// <summary>
    /// Why <see cref="RetentionDays"/> lies outside 183..730; required to do so. Logged and recorded in the activity
    /// log at every start-up.
    /// </summary>
    public string? RetentionOverrideReason { get; set; }

    /// <summary>RFC 5424 export of every committed event to a collector; off without a host.</summary>
    public SyslogOptions Syslog { get; set; } = new();
}

internal sealed class SyslogOptions
{
    /// <summary>The collector's host name or address; empty = no export.</summary>
    public string? Host { get; set; }

    public int Port { get; set; } = 514;

    /// <summary><c>udp</c> (RFC 5426, the default) or <c>tcp</c> (RFC 6587 octet counting).</summary>
    public string Protocol { get; set; } = "udp";

    /// <summary><c>authpriv</c> (default), <c>auth</c> or <c>local0</c>…<c>local7</c>.</summary>
    public string Facility { get; set; } = "authpriv";

    /// <summary>The HOSTNAME field; default the machine's host name.</summary>
    public string? Hostname { get; set; }

    /// <summary>Events waiting to be sent; when full, new events are dropped (counted and logged), never waited for.</summary>
    public int QueueCapacity { get; set; } = 10_000;
}

internal sealed class SmtpOptions
{
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    public bool EnableSsl { get; set; } = true;

    public string? UserName { get; set; }

    public string? Password { get; set; }

    /// <summary>The From address of mail the server sends.</summary>
    public string From { get; set; } = "coffer@localhost";
}

internal sealed class SessionOptions
{
    /// <summary>A session unused this long ends (POLICY.md: clients lock after 10 minutes idle).</summary>
    public int IdleMinutes { get; set; } = 10;

    /// <summary>A session ends this long after sign-in whatever happens (POLICY.md: 8 hours).</summary>
    public int AbsoluteHours { get; set; } = 8;
}

internal sealed class DatabaseOptions
{
    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>For SQLite, a file path (default <c>&lt;DataDirectory&gt;/coffer.db</c>); for PostgreSQL, an Npgsql connection string.</summary>
    public string? ConnectionString { get; set; }
}

internal sealed class TlsOptions
{
    /// <summary>PEM or PFX certificate file; without one the server listens on loopback only, over plain HTTP.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private-key file, when the certificate is PEM.</summary>
    public string? KeyPath { get; set; }
}
