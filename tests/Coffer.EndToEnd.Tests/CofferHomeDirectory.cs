using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// One person's device: its own <c>COFFER_HOME</c> (a fresh temporary directory) and therefore its own agent. Runs the
/// real <c>coffer</c> binary as a process, secrets on stdin. Disposing kills the agent (by the pid it wrote) and deletes
/// the directory.
/// </summary>
internal sealed class CofferHomeDirectory : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    public CofferHomeDirectory(string name)
    {
        Root = Directory.CreateTempSubdirectory("coffer-e2e-" + name + "-").FullName;
        Home = Path.Combine(Root, "home");
    }

    public static string Binary { get; } = typeof(CofferHomeDirectory).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "CofferCli").Value!;

    /// <summary>The temporary directory; <see cref="Home"/> is inside it.</summary>
    public string Root { get; }

    public string Home { get; }

    /// <summary>Environment variables every command of this device gets (a null value removes one).</summary>
    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>The email of this device's account, once a command named it or enrolled its authenticator.</summary>
    public string? Email { get; set; }

    /// <summary>scheme://host:port of this device's server, once a command named it.</summary>
    public string? Server { get; set; }

    public string RunDirectory => Path.Combine(Home, "run");

    public string SocketPath => Path.Combine(RunDirectory, "agent.sock");

    public int? AgentProcessId => File.Exists(Path.Combine(RunDirectory, "agent.pid"))
        && int.TryParse(File.ReadAllText(Path.Combine(RunDirectory, "agent.pid")).Trim(), out int pid) ? pid : null;

    /// <summary>Commands whose request may be refused for want of a fresh factor (step-up, docs/adr/0024): the agent then asks for a code.</summary>
    private static readonly HashSet<(string, string)> StepsUp =
    [
        ("policy", "set"), ("device", "revoke"), ("audit", "export"), ("member", "confirm"), ("group", "add"), ("mfa", "remove"),
        ("mfa", "backup-codes"), ("account", "change-email"), ("item", "delete"), ("mfa", "add-security-key"),
    ];

    /// <summary>What the CLI prints before it waits for the browser page of a security-key ceremony.</summary>
    private const string BrowserPagePrefix = "Open this address in a browser on this computer: ";

    /// <summary>Opens a security-key page the CLI prints (a Chromium tab with a virtual key); without it such a command waits and fails.</summary>
    public Func<Uri, Task>? SecurityKeyBrowser { get; set; }

    /// <summary>Answer a request for a second factor with the security key ("key") instead of the authenticator app's code.</summary>
    public bool AnswersWithSecurityKey { get; set; }

    /// <summary>
    /// Runs coffer with <paramref name="stdin"/>. A command that signs in (setup, signin, unlock), adds an app or may need a step-up,
    /// without its own <c>--otp-stdin</c>, gets one, with stdin held open: when it enrols, the test's authenticator takes the URI it
    /// printed; when it asks for the code, the authenticator's next code is written (<see cref="SecondFactors"/>).
    /// </summary>
    public async Task<CofferRun> RunAsync(string? stdin, params string[] args)
    {
        Assert.True(File.Exists(Binary), "the coffer binary is missing: " + Binary);
        bool signsIn = ((args.Length > 0 && args[0] is "setup" or "signin" or "unlock") || (args.Length > 1 && args[0] == "mfa" && args[1] == "add-totp")
            || (args.Length > 1 && StepsUp.Contains((args[0], args[1]))))
            && !args.Contains("--otp-stdin");
        ProcessStartInfo psi = new(Binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Root,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        if (signsIn)
        {
            psi.ArgumentList.Add("--otp-stdin");
        }
        int emailAt = Array.IndexOf(args, "--email");
        string? email = emailAt >= 0 && emailAt + 1 < args.Length ? args[emailAt + 1] : Email;
        string? server = args.Length > 1 && args[0] is "setup" or "signin" or "accept" ? SecondFactors.ServerOf(args[1]) ?? Server : Server;
        psi.Environment["COFFER_HOME"] = Home;
        psi.Environment.Remove("XDG_CONFIG_HOME");
        foreach ((string name, string? value) in Environment)
        {
            if (value is null)
            {
                psi.Environment.Remove(name);
            }
            else
            {
                psi.Environment[name] = value;
            }
        }
        using Process process = Process.Start(psi) ?? throw new InvalidOperationException("coffer did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = signsIn ? AnswerSecondFactorAsync(process, server, () => email, e => email = e) : process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            await process.StandardInput.FlushAsync();
        }
        if (!signsIn)
        {
            process.StandardInput.Close();
        }
        using CancellationTokenSource timeout = new(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"coffer {string.Join(' ', args)} did not finish:\n{await stdout}\n{await stderr}");
        }
        // The note a code prompt writes is the harness's cue, not output (a person's prompt is not either).
        CofferRun run = new(process.ExitCode, await stdout, (await stderr).Replace(SecondFactors.StdinNote + "\n", "", StringComparison.Ordinal));
        Email = email ?? Email;
        Server = server ?? Server;
        if (signsIn && process.ExitCode == 0 && email is not null)
        {
            IReadOnlyList<string> codes = SecondFactors.BackupCodesIn(run.Stderr);
            if (codes.Count > 0)
            {
                SecondFactors.For(server, email).AddBackupCodes(codes);
            }
        }
        return run;
    }

    /// <summary>Reads stderr as it comes, answering the command's request for a code; returns all of it.</summary>
    private async Task<string> AnswerSecondFactorAsync(Process process, string? server, Func<string?> email, Action<string> enrolled)
    {
        StringBuilder all = new();
        while (await process.StandardError.ReadLineAsync() is string line)
        {
            all.Append(line).Append('\n');
            if (line.StartsWith("otpauth://", StringComparison.Ordinal))
            {
                enrolled(SecondFactors.Enrolled(server, line));
            }
            else if (line.StartsWith(BrowserPagePrefix, StringComparison.Ordinal) && SecurityKeyBrowser is { } browser)
            {
                await browser(new Uri(line[BrowserPagePrefix.Length..]));
            }
            else if (line == SecondFactors.StdinNote)
            {
                if (AnswersWithSecurityKey)
                {
                    await process.StandardInput.WriteAsync("key\n");
                }
                // No authenticator known: no answer (stdin closed), so the command fails rather than waits.
                else if (SecondFactors.Find(server, email()) is { } authenticator)
                {
                    await process.StandardInput.WriteAsync((await authenticator.NextCodeAsync()).Code + "\n");
                }
                await process.StandardInput.FlushAsync();
                process.StandardInput.Close();
            }
        }
        return all.ToString();
    }

    /// <summary>Waits (bounded) until an agent process has exited; false if it still runs after a minute.</summary>
    public static async Task<bool> WaitForAgentExitAsync(int processId)
    {
        for (int i = 0; i < 600; i++)
        {
            if (!IsRunning(processId))
            {
                return true;
            }
            await Task.Delay(100);
        }
        return false;
    }

    public static bool IsRunning(int processId)
    {
        try
        {
            using Process p = Process.GetProcessById(processId);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (AgentProcessId is int pid)
        {
            try
            {
                using Process agent = Process.GetProcessById(pid);
                agent.Kill();
                agent.WaitForExit(TimeSpan.FromSeconds(10));
            }
            catch (ArgumentException)
            {
                // Gone already.
            }
            catch (InvalidOperationException)
            {
            }
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>What one coffer command did.</summary>
internal sealed record CofferRun(int Exit, string Stdout, string Stderr)
{
    public override string ToString() => new StringBuilder().Append("exit ").Append(Exit).Append("\nstdout:\n").Append(Stdout)
        .Append("\nstderr:\n").Append(Stderr).ToString();
}
