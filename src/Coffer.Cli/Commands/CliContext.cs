using System.CommandLine;
using System.Globalization;
using Coffer.Cli.Agent;
using Coffer.Cli.State;
using Coffer.Cli.Terminal;

namespace Coffer.Cli.Commands;

/// <summary>The global options and the services one command uses.</summary>
internal sealed class CliContext
{
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(10);

    private CliContext(ParseResult parse, Output output)
    {
        Parse = parse;
        Output = output;
        CliSession session = CliSession.Current ?? new CliSession(CofferHome.Resolve(), keepAgentConnection: false);
        Home = session.Home;
        Store = session.Store;
        Agent = session.Agent;
        Input = new Input();
        AccountSelector = parse.GetValue(GlobalOptions.Account);
        PasswordStdin = parse.GetValue(GlobalOptions.PasswordStdin);
        // Not global: item commands have an --otp-stdin of their own (an item's TOTP URI).
        SecondFactor = new SecondFactorPrompt(Input, output,
            parse.CommandResult.Command.Options.Contains(GlobalOptions.OtpStdin) && parse.GetValue(GlobalOptions.OtpStdin));
        CaFile = parse.GetValue(GlobalOptions.CaFile);
        ServerPin = parse.GetValue(GlobalOptions.ServerPin);
        IdleTimeout = ParseDuration(parse.GetValue(GlobalOptions.IdleTimeout)) ?? DefaultIdleTimeout;
        Progress = new LongWork(output);
    }

    public ParseResult Parse { get; }

    public Output Output { get; }

    public Input Input { get; }

    public CofferHome Home { get; }

    public AccountStore Store { get; }

    public AgentClient Agent { get; }

    public string? AccountSelector { get; }

    public bool PasswordStdin { get; }

    /// <summary>Answers the agent when a sign-in owes a second factor.</summary>
    public SecondFactorPrompt SecondFactor { get; }

    public string? CaFile { get; }

    public string? ServerPin { get; }

    public TimeSpan IdleTimeout { get; }

    public static CliContext Create(ParseResult parse, Output output) => new(parse, output);

    public StoredAccount Account() => Store.Resolve(AccountSelector);

    public ServerTrustSettings? Tls() => ServerTrust.Settings(CaFile, ServerPin);

    /// <summary>The progress display of this command's long requests (stderr, terminals only, never with JSON).</summary>
    public LongWork Progress { get; }

    /// <summary>Sends a request to the running agent (Locked if none runs).</summary>
    public Task<System.Text.Json.JsonElement> AskAgentAsync(AgentRequest request, CancellationToken cancellationToken) =>
        Progress.RunAsync(Activity(request), () => Agent.SendAsync(request, start: false, IdleTimeout, cancellationToken, Ask));

    /// <summary>Sends a request, starting the agent if none runs.</summary>
    public Task<System.Text.Json.JsonElement> AskOrStartAgentAsync(AgentRequest request, CancellationToken cancellationToken) =>
        Progress.RunAsync(Activity(request), () => Agent.SendAsync(request, start: true, IdleTimeout, cancellationToken, Ask));

    /// <summary>What the agent asks mid-request goes to a terminal free of the progress display.</summary>
    private AgentAnswer Ask(AgentPrompt prompt)
    {
        Progress.StopShowing();
        return SecondFactor.Answer(prompt);
    }

    /// <summary>What a request that takes a while is doing, in the agent: what the progress display names.</summary>
    internal static string Activity(AgentRequest request) => request switch
    {
        SetupOrganisationRequest => "Deriving your keys (2SKD) and setting up the organisation",
        AcceptInvitationRequest => "Deriving your keys (2SKD) and joining the organisation",
        SignInRequest or UnlockRequest => "Signing in: deriving your keys from your password (2SKD)",
        ChangePasswordRequest or RegenerateSecretKeyRequest or ChangeEmailRequest => "Deriving new keys and sealing your keyset again",
        ItemsRequest { Call: VaultRotateCall or VaultUnshareCall } => "Rotating the vault key and sealing its items again",
        ItemsRequest => "Syncing your vaults",
        AuditExportRequest => "Exporting the activity log",
        AuditVerifyRequest => "Verifying the activity log",
        _ => "Waiting for the coffer agent",
    };

    /// <summary>"600", "600s", "10m", "1h": a positive duration of at most a day.</summary>
    /// <exception cref="CliException">Anything else.</exception>
    public static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        string t = text.Trim().ToLowerInvariant();
        (string number, double unit) = t[^1] switch
        {
            's' => (t[..^1], 1.0),
            'm' => (t[..^1], 60.0),
            'h' => (t[..^1], 3600.0),
            _ => (t, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) || value <= 0 || value * unit > 86_400)
        {
            throw new CliException(ExitCodes.Usage, "An idle timeout is a duration such as 30s, 10m or 1h (at most 24h).");
        }
        return TimeSpan.FromSeconds(value * unit);
    }
}

/// <summary>Options every command accepts.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string> Format = new("--format")
    {
        Description = "Output: readable tables, or JSON for scripts (errors: the server's problem as received, on stderr); csv for audit export",
        Recursive = true,
        DefaultValueFactory = _ => "table",
    };

    public static readonly Option<string?> Account = new("--account")
    {
        Description = "The account to use: its shorthand, email or member id (default: the one used last)",
        Recursive = true,
    };

    public static readonly Option<bool> PasswordStdin = new("--password-stdin")
    {
        Description = "Read the password from standard input (one line) instead of asking without echo",
        Recursive = true,
    };

    /// <summary>On the commands that sign in (setup, signin, unlock), <c>mfa</c>, and those that may need a step-up (docs/adr/0024); item create and edit have their own.</summary>
    public static readonly Option<bool> OtpStdin = new("--otp-stdin")
    {
        Description = "Read the one-time code (or a backup code) from standard input: one line, after the Secret Key and password lines when those come from stdin too",
    };

    public static readonly Option<string?> CaFile = new("--ca-file")
    {
        Description = "PEM file of the CA that signed the server's certificate (a self-signed server); remembered with the account",
        Recursive = true,
    };

    public static readonly Option<string?> ServerPin = new("--server-pin")
    {
        Description = "sha256/<base64> of the server certificate's public key; remembered with the account",
        Recursive = true,
    };

    public static readonly Option<string?> IdleTimeout = new("--idle-timeout")
    {
        Description = "When this command starts the agent: lock after this long without a command (default 10m)",
        Recursive = true,
    };

    static GlobalOptions()
    {
        Format.AcceptOnlyFromAmong("table", "json", "csv");
    }

    public static void AddTo(Command root)
    {
        root.Options.Add(Format);
        root.Options.Add(Account);
        root.Options.Add(PasswordStdin);
        root.Options.Add(CaFile);
        root.Options.Add(ServerPin);
        root.Options.Add(IdleTimeout);
    }
}
