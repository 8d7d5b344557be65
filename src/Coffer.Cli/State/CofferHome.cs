namespace Coffer.Cli.State;

/// <summary>
/// Where coffer keeps its state on this device (docs/adr/0018-cli-agent.md): <c>$COFFER_HOME</c>, else
/// <c>$XDG_CONFIG_HOME/coffer</c>, else <c>~/.config/coffer</c>. The directory and every directory in it are 0700, every
/// file 0600. It holds the remembered accounts, one Secret Key file per account, Emergency Kits written here, and
/// <c>run/</c> with the agent's socket, pid file and log. Never a password, a session key or an unlocked key.
/// </summary>
internal sealed class CofferHome
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>sockaddr_un holds 108 bytes with the terminating NUL.</summary>
    private const int MaxSocketPath = 107;

    public CofferHome(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }

    public string AccountsFile => Path.Combine(Root, "accounts.json");

    public string SecretKeysDirectory => Path.Combine(Root, "secret-keys");

    public string KitsDirectory => Path.Combine(Root, "emergency-kits");

    /// <summary>This device's own copy of each account's sealed pins record (the server's copy may be withheld or old).</summary>
    public string PinsDirectory => Path.Combine(Root, "pins");

    public string RunDirectory => Path.Combine(Root, "run");

    public string SocketPath => Path.Combine(RunDirectory, "agent.sock");

    public string PidFile => Path.Combine(RunDirectory, "agent.pid");

    public string LogFile => Path.Combine(RunDirectory, "agent.log");

    public string StartLock => Path.Combine(RunDirectory, "start.lock");

    public string StateLock => Path.Combine(RunDirectory, "state.lock");

    public static CofferHome Resolve()
    {
        string? explicitHome = Environment.GetEnvironmentVariable("COFFER_HOME");
        if (!string.IsNullOrWhiteSpace(explicitHome))
        {
            return new CofferHome(explicitHome);
        }
        string? config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (!string.IsNullOrWhiteSpace(config) && Path.IsPathRooted(config))
        {
            return new CofferHome(Path.Combine(config, "coffer"));
        }
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home))
        {
            throw new CliException(ExitCodes.Error, "Cannot tell where to keep coffer's state: set COFFER_HOME or HOME.");
        }
        return new CofferHome(Path.Combine(home, ".config", "coffer"));
    }

    public string SecretKeyFile(string memberId) => Path.Combine(SecretKeysDirectory, memberId);

    /// <summary>A new Secret Key between being made and the server taking it (docs/adr/0017: stored before it is submitted).</summary>
    public string PendingSecretKeyFile(string memberId) => Path.Combine(SecretKeysDirectory, memberId + ".new");

    public string PinsFile(string memberId) => Path.Combine(PinsDirectory, memberId + ".json");

    /// <summary>Where the account's encrypted local cache lives (docs/adr/0019): its own 0700 directory, for the journal too.</summary>
    public string CacheDirectory(string memberId) => Path.Combine(Root, "cache", memberId);

    public string CacheFile(string memberId) => Path.Combine(CacheDirectory(memberId), "items.db");

    /// <summary>Creates <paramref name="path"/> (and the home) 0700, tightening one that exists.</summary>
    public string EnsureDirectory(string path)
    {
        foreach (string dir in new[] { Root, path }.Distinct(StringComparer.Ordinal))
        {
            Directory.CreateDirectory(dir, DirectoryMode);
            if (File.GetUnixFileMode(dir) != DirectoryMode)
            {
                File.SetUnixFileMode(dir, DirectoryMode);
            }
        }
        return path;
    }

    public void EnsureRunDirectory()
    {
        EnsureDirectory(RunDirectory);
        if (System.Text.Encoding.UTF8.GetByteCount(SocketPath) > MaxSocketPath)
        {
            throw new CliException(ExitCodes.Error, $"The agent's socket path ({SocketPath}) is too long for a Unix socket; set COFFER_HOME to a shorter directory.");
        }
    }
}
