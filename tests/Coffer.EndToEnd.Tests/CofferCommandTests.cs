using System.Diagnostics;
using System.Text.Json;
using Coffer.Sdk.Members;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// The real <c>coffer</c> binary against a real server process, as a person uses it: each device is its own
/// COFFER_HOME with its own agent; passwords and Secret Keys go in on stdin.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CofferCommandTests(OrganisationFixture org) : IClassFixture<OrganisationFixture>
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = Private | UnixFileMode.UserExecute;

    [Fact]
    public async Task Setup_FromPrintedLink_MakesTheOwnerAndLeavesThemUnlocked()
    {
        CofferRun whoami = await org.Owner.RunAsync(null, "whoami", "--format", "json");

        Assert.True(whoami.Exit == 0, whoami.ToString());
        using JsonDocument me = JsonDocument.Parse(whoami.Stdout);
        Assert.Equal("Owner", me.RootElement.GetProperty("role").GetString());
        Assert.Equal(OrganisationFixture.OwnerEmail, me.RootElement.GetProperty("email").GetString());
        Assert.Equal(org.OrganisationFingerprint, me.RootElement.GetProperty("organisationFingerprint").GetString());
        CofferRun table = await org.Owner.RunAsync(null, "whoami");
        Assert.Contains("Role:", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("Owner", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Setup_EmergencyKit_Is0600AndHoldsTheSecretKeyAndFingerprint()
    {
        Assert.Equal(Private, File.GetUnixFileMode(org.KitPath));
        string kit = File.ReadAllText(org.KitPath);
        string stored = File.ReadAllText(Path.Combine(org.Owner.Home, "secret-keys", org.OwnerMemberId)).Trim();
        Assert.Equal(stored, org.OwnerSecretKey);
        Assert.StartsWith("C1-", org.OwnerSecretKey, StringComparison.Ordinal);
        Assert.Contains(org.OrganisationFingerprint, kit, StringComparison.Ordinal);
        Assert.Contains(OrganisationFixture.OwnerEmail, kit, StringComparison.Ordinal);
        Assert.Contains(org.ServerUrl.ToString().TrimEnd('/'), kit, StringComparison.Ordinal);
        Assert.DoesNotContain(OrganisationFixture.OwnerPassword, kit, StringComparison.Ordinal);
        Assert.Contains(org.KitPath, org.SetupRun.Stdout, StringComparison.Ordinal);
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(org.Owner.Home, "secret-keys", org.OwnerMemberId)));
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(org.Owner.Home, "accounts.json")));
        Assert.DoesNotContain(OrganisationFixture.OwnerPassword, File.ReadAllText(Path.Combine(org.Owner.Home, "accounts.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lock_CommandsThenSayLocked_WrongPasswordIsRefused_UnlockWithPasswordStdinWorks()
    {
        using CofferHomeDirectory device = await SignInNewDeviceAsync("lock");

        CofferRun locked = await device.RunAsync(null, "lock");
        CofferRun whoamiLocked = await device.RunAsync(null, "whoami");
        CofferRun wrong = await device.RunAsync("not the password at all 99\n", "unlock", "--password-stdin");
        CofferRun unlocked = await device.RunAsync(OrganisationFixture.OwnerPassword + "\n", "unlock", "--password-stdin");
        CofferRun whoami = await device.RunAsync(null, "whoami");

        Assert.True(locked.Exit == 0, locked.ToString());
        Assert.Equal(4, whoamiLocked.Exit);
        Assert.Contains("locked", OneLine(whoamiLocked.Stderr), StringComparison.Ordinal);
        Assert.Equal(3, wrong.Exit);
        Assert.Equal("coffer: Sign-in failed: wrong password or Secret Key.", OneLine(wrong.Stderr));
        Assert.True(unlocked.Exit == 0, unlocked.ToString());
        Assert.True(whoami.Exit == 0, whoami.ToString());
    }

    [Fact]
    public async Task Shell_KeepsWorkingAcrossAnAgentRestart_AndALockMidShellIsTheLockedError()
    {
        using CofferHomeDirectory device = await SignInNewDeviceAsync("shell-restart");
        ProcessStartInfo psi = new(CofferHomeDirectory.Binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = device.Root,
        };
        psi.ArgumentList.Add("shell");
        psi.Environment["COFFER_HOME"] = device.Home;
        psi.Environment.Remove("XDG_CONFIG_HOME");
        using Process shell = Process.Start(psi)!;
        Task<string> stderr = shell.StandardError.ReadToEndAsync();
        try
        {
            await UntilPromptAsync(shell.StandardOutput);
            string first = await ShellLineAsync(shell, "whoami --format json");
            int? firstAgent = device.AgentProcessId;
            // The agent the shell talks to goes away and another takes its place between two lines.
            Assert.Equal(0, (await device.RunAsync(null, "lock")).Exit);
            CofferRun unlock = await device.RunAsync(OrganisationFixture.OwnerPassword + "\n", "unlock", "--password-stdin");
            Assert.True(unlock.Exit == 0, unlock.ToString());
            string second = await ShellLineAsync(shell, "whoami --format json");
            int? secondAgent = device.AgentProcessId;
            Assert.Equal(0, (await device.RunAsync(null, "lock")).Exit);
            string third = await ShellLineAsync(shell, "whoami");
            await shell.StandardInput.WriteLineAsync("exit");
            await shell.StandardInput.FlushAsync();
            await shell.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));

            Assert.Contains(OrganisationFixture.OwnerEmail, first, StringComparison.Ordinal);
            Assert.NotEqual(firstAgent, secondAgent);
            Assert.Contains(OrganisationFixture.OwnerEmail, second, StringComparison.Ordinal);
            Assert.Equal("", third);
            Assert.Equal(4, shell.ExitCode);
            Assert.Equal("coffer: coffer is locked: run `coffer unlock` (or `coffer signin` on a new device).", OneLine(await stderr));
        }
        finally
        {
            if (!shell.HasExited)
            {
                shell.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Sends one line to a running <c>coffer shell</c> and returns what it printed before its next prompt.</summary>
    private static async Task<string> ShellLineAsync(Process shell, string line)
    {
        await shell.StandardInput.WriteLineAsync(line);
        await shell.StandardInput.FlushAsync();
        return await UntilPromptAsync(shell.StandardOutput);
    }

    private static async Task<string> UntilPromptAsync(StreamReader stdout)
    {
        System.Text.StringBuilder seen = new();
        char[] one = new char[1];
        using CancellationTokenSource timeout = new(TimeSpan.FromMinutes(1));
        while (!seen.ToString().EndsWith("coffer> ", StringComparison.Ordinal))
        {
            if (await stdout.ReadAsync(one, timeout.Token) == 0)
            {
                throw new InvalidOperationException("coffer shell ended early: " + seen);
            }
            seen.Append(one[0]);
        }
        return seen.ToString()[..^"coffer> ".Length];
    }

    [Fact]
    public async Task SignIn_SecondDevice_WithTheKitsFingerprint_IsUnlockedAndListedAsADevice()
    {
        using CofferHomeDirectory device = await SignInNewDeviceAsync("second");

        CofferRun devices = await device.RunAsync(null, "device", "list", "--format", "json");

        Assert.True(devices.Exit == 0, devices.ToString());
        using JsonDocument list = JsonDocument.Parse(devices.Stdout);
        Assert.True(list.RootElement.GetArrayLength() >= 2);
        Assert.Single(list.RootElement.EnumerateArray(), d => d.GetProperty("current").GetBoolean());
    }

    [Fact]
    public async Task SignIn_WithAnotherOrganisationFingerprint_IsRefusedAndNothingIsKept()
    {
        using CofferHomeDirectory device = new("wrong-org");
        string other = Coffer.Protocol.Signatures.Fingerprint.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).ToDisplayString();

        CofferRun signIn = await device.RunAsync(org.OwnerSecretKey + "\n" + OrganisationFixture.OwnerPassword + "\n", "signin", org.ServerUrl.ToString(),
            "--email", OrganisationFixture.OwnerEmail, "--org-fingerprint", other, "--secret-key-stdin", "--password-stdin");

        Assert.Equal(8, signIn.Exit);
        Assert.Contains("Emergency Kit", OneLine(signIn.Stderr), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(device.Home, "accounts.json")));
        CofferRun whoami = await device.RunAsync(null, "whoami");
        Assert.Equal(4, whoami.Exit);
    }

    [Fact]
    public async Task SignIn_NewDevice_OwnerPresentsTheirTotpCode_AndAWrongCodeIsOneClearLine()
    {
        // The Owner enrolled an authenticator app at setup (the default policy asks everyone); the test's copy of it is the
        // SDK's TotpAuthenticator, loaded from the otpauth:// URI that `coffer setup` printed.
        Coffer.Sdk.Mfa.TotpAuthenticator app = SecondFactors.For(org.ServerUrl, OrganisationFixture.OwnerEmail);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string[] valid = [app.CodeAt(now.AddSeconds(-30)), app.CodeAt(now), app.CodeAt(now.AddSeconds(30)), app.CodeAt(now.AddSeconds(60))];
        string wrongCode = Enumerable.Range(0, 10).Select(i => new string((char)('0' + i), 6)).First(c => !valid.Contains(c));
        string[] signIn = ["signin", org.ServerUrl.ToString(), "--email", OrganisationFixture.OwnerEmail, "--org-fingerprint", org.OrganisationFingerprint,
            "--secret-key-stdin", "--password-stdin", "--otp-stdin"];
        using CofferHomeDirectory refused = new("wrong-code");
        using CofferHomeDirectory device = new("second-device");

        CofferRun wrong = await refused.RunAsync(org.OwnerSecretKey + "\n" + OrganisationFixture.OwnerPassword + "\n" + wrongCode + "\n", signIn);
        string code = app.NextCode([Coffer.Contracts.Mfa.MfaKinds.Totp]).Code;
        CofferRun right = await device.RunAsync(org.OwnerSecretKey + "\n" + OrganisationFixture.OwnerPassword + "\n" + code + "\n", [.. signIn, "--format", "json"]);

        Assert.Equal(3, wrong.Exit);
        Assert.Equal("coffer: That one-time code was not accepted: use the current code from your authenticator app, or a backup code.", OneLine(wrong.Stderr));
        Assert.False(File.Exists(Path.Combine(refused.Home, "accounts.json")));
        Assert.True(right.Exit == 0, right.ToString());
        CofferRun whoami = await device.RunAsync(null, "whoami", "--format", "json");
        Assert.True(whoami.Exit == 0, whoami.ToString());
        Assert.Equal("Owner", JsonDocument.Parse(whoami.Stdout).RootElement.GetProperty("role").GetString());
        // The device is remembered for the factor: locked and unlocked again, no code is asked for.
        Assert.Equal(0, (await device.RunAsync(null, "lock")).Exit);
        CofferRun unlock = await device.RunAsync(OrganisationFixture.OwnerPassword + "\n", "unlock", "--password-stdin", "--otp-stdin");
        Assert.True(unlock.Exit == 0, unlock.ToString());
        Assert.DoesNotContain(SecondFactors.StdinNote, unlock.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_WrongSecretKey_OrUnreachableServer_IsOneClearLine()
    {
        using CofferHomeDirectory device = new("mistakes");
        string accountId = org.OwnerSecretKey.Split('-')[1];
        using Coffer.Crypto.Accounts.SecretKey wrongKey = Coffer.Crypto.Accounts.SecretKey.Generate(accountId);
        string nobodyListens = "http://127.0.0.1:" + ServerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);

        CofferRun wrong = await device.RunAsync(wrongKey.Format() + "\n" + OrganisationFixture.OwnerPassword + "\n", "signin", org.ServerUrl.ToString(),
            "--email", OrganisationFixture.OwnerEmail, "--org-fingerprint", org.OrganisationFingerprint, "--secret-key-stdin", "--password-stdin");
        CofferRun unreachable = await device.RunAsync(org.OwnerSecretKey + "\n" + OrganisationFixture.OwnerPassword + "\n", "signin", nobodyListens,
            "--email", OrganisationFixture.OwnerEmail, "--org-fingerprint", org.OrganisationFingerprint, "--secret-key-stdin", "--password-stdin");

        Assert.Equal(3, wrong.Exit);
        Assert.Equal("coffer: Sign-in failed: wrong email, password or Secret Key.", OneLine(wrong.Stderr));
        Assert.Equal(9, unreachable.Exit);
        Assert.StartsWith("coffer: Cannot reach the server", OneLine(unreachable.Stderr), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invite_AcceptFromMailedLink_ConfirmedByOwner_ThenUnlocksBesideAnotherAccount_AndSuspensionIsAClearError()
    {
        const string email = "carol@example.org";
        const string password = "purple monkey dishwasher 1977";
        CofferRun invite = await org.Owner.RunAsync(null, "member", "invite", email, "--name", "Carol", "--format", "json");
        Assert.True(invite.Exit == 0, invite.ToString());
        string memberId = JsonDocument.Parse(invite.Stdout).RootElement.GetProperty("memberId").GetString()!;
        // Carol's device already holds the Owner's account: two accounts, one agent, --account picks.
        using CofferHomeDirectory carol = await SignInNewDeviceAsync("carol");

        CofferRun accept = await carol.RunAsync(password + "\n", "accept", org.InvitationLinkFor(email), "--password-stdin");
        CofferRun early = await carol.RunAsync(password + "\n", "unlock", "--password-stdin");

        Assert.True(accept.Exit == 0, accept.ToString());
        string kit = Directory.GetFiles(Path.Combine(carol.Home, "emergency-kits")).Single();
        Assert.Equal(Private, File.GetUnixFileMode(kit));
        Assert.Contains(org.OrganisationFingerprint, File.ReadAllText(kit), StringComparison.Ordinal);
        Assert.Equal(7, early.Exit);
        // Signed in but not confirmed: the second factor comes first (a pending session reads no keys), then the one clear line.
        Assert.Contains("otpauth://", early.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("coffer: ", early.Stderr.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
        Assert.Contains("confirm", early.Stderr.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);

        (Coffer.Sdk.Http.CofferConnection connection, Coffer.Sdk.Auth.SignInResult admin, Coffer.Sdk.Accounts.UnlockedAccount keys) = await org.OwnerThroughSdkAsync();
        using (connection)
        using (admin)
        using (keys)
        {
            PendingMember pending = await MemberConfirmation.FetchAsync(admin.Session, keys, memberId);
            await MemberConfirmation.ConfirmAsync(admin.Session, keys, pending, TimeProvider.System);

            CofferRun unlock = await carol.RunAsync(password + "\n", "unlock", "--password-stdin");
            CofferRun whoami = await carol.RunAsync(null, "whoami", "--format", "json");
            CofferRun members = await org.Owner.RunAsync(null, "member", "list", "--format", "json");

            Assert.True(unlock.Exit == 0, unlock.ToString());
            Assert.Equal("Team Member", JsonDocument.Parse(whoami.Stdout).RootElement.GetProperty("role").GetString());
            CofferRun asOwner = await carol.RunAsync(null, "whoami", "--account", OrganisationFixture.OwnerEmail, "--format", "json");
            Assert.Equal("Owner", JsonDocument.Parse(asOwner.Stdout).RootElement.GetProperty("role").GetString());
            using JsonDocument accounts = JsonDocument.Parse((await carol.RunAsync(null, "account", "list", "--format", "json")).Stdout);
            Assert.Equal(2, accounts.RootElement.GetArrayLength());
            Assert.All(accounts.RootElement.EnumerateArray(), a => Assert.True(a.GetProperty("unlocked").GetBoolean()));
            Assert.Equal(email, accounts.RootElement.EnumerateArray().Single(a => a.GetProperty("default").GetBoolean()).GetProperty("email").GetString());
            Assert.Contains(JsonDocument.Parse(members.Stdout).RootElement.EnumerateArray(),
                m => m.GetProperty("email").GetString() == email && m.GetProperty("state").GetString() == "active");

            await new MemberDirectory(admin.Session).SuspendAsync(memberId);
            await carol.RunAsync(null, "lock");
            CofferRun suspended = await carol.RunAsync(password + "\n", "unlock", "--password-stdin");

            Assert.Equal(3, suspended.Exit);
            Assert.Contains("suspended", OneLine(suspended.Stderr), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SignOut_EndsTheSessionOnTheServer()
    {
        using CofferHomeDirectory leaving = await SignInNewDeviceAsync("leaving");
        using CofferHomeDirectory staying = await SignInNewDeviceAsync("staying");
        string session = JsonDocument.Parse((await leaving.RunAsync(null, "whoami", "--format", "json")).Stdout).RootElement.GetProperty("sessionId").GetString()!;
        Assert.Contains(session, (await staying.RunAsync(null, "session", "list", "--format", "json")).Stdout, StringComparison.Ordinal);
        int agent = leaving.AgentProcessId ?? throw new InvalidOperationException("no agent pid");

        CofferRun signOut = await leaving.RunAsync(null, "signout");

        Assert.True(signOut.Exit == 0, signOut.ToString());
        CofferRun sessions = await staying.RunAsync(null, "session", "list", "--format", "json");
        Assert.True(sessions.Exit == 0, sessions.ToString());
        Assert.DoesNotContain(session, sessions.Stdout, StringComparison.Ordinal);
        Assert.True(await CofferHomeDirectory.WaitForAgentExitAsync(agent), "the agent still runs after sign-out of its only account");
        Assert.Equal(4, (await leaving.RunAsync(null, "whoami")).Exit);
    }

    [Fact]
    public async Task Agent_AfterIdleTimeout_ExitsAndCommandsSayLocked()
    {
        using CofferHomeDirectory device = await SignInNewDeviceAsync("idle", "--idle-timeout", "2s");
        string log = Path.Combine(device.RunDirectory, "agent.log");
        int? agent = device.AgentProcessId;   // null only if it exited already, before this line ran

        for (int i = 0; i < 600 && !File.ReadAllText(log).Contains("exited: idle timeout", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
        }
        Assert.Contains("exited: idle timeout", File.ReadAllText(log), StringComparison.Ordinal);
        Assert.True(agent is not int pid || await CofferHomeDirectory.WaitForAgentExitAsync(pid), "the agent did not exit after its idle timeout");

        CofferRun whoami = await device.RunAsync(null, "whoami");
        Assert.Equal(4, whoami.Exit);
        Assert.False(File.Exists(device.SocketPath));
    }

    [Fact]
    public async Task Agent_Socket_Is0600AndRefusesAnotherUser()
    {
        Assert.True(Environment.UserName == "root", "this test runs as root (as CI does) to connect as the user nobody");
        using CofferHomeDirectory device = await SignInNewDeviceAsync("peer");
        Assert.Equal(Private, File.GetUnixFileMode(device.SocketPath));
        Assert.Equal(PrivateDirectory, File.GetUnixFileMode(device.RunDirectory));
        Assert.Equal(PrivateDirectory, File.GetUnixFileMode(device.Home));

        // Open the path for the test only, so that only the agent's own peer check stands between nobody and the keys.
        const UnixFileMode traverse = PrivateDirectory | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(device.Root, traverse);
        File.SetUnixFileMode(device.Home, traverse);
        File.SetUnixFileMode(device.RunDirectory, traverse);
        File.SetUnixFileMode(device.SocketPath, Private | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        string answer = await AsNobodyAsync(device.SocketPath);
        File.SetUnixFileMode(device.SocketPath, Private);
        File.SetUnixFileMode(device.RunDirectory, PrivateDirectory);
        File.SetUnixFileMode(device.Home, PrivateDirectory);

        Assert.Equal("closed", answer);
        Assert.Contains("refused a connection from uid 65534", File.ReadAllText(Path.Combine(device.RunDirectory, "agent.log")), StringComparison.Ordinal);
        CofferRun whoami = await device.RunAsync(null, "whoami");
        Assert.True(whoami.Exit == 0, whoami.ToString());
    }

    [Fact]
    public async Task Agent_ConcurrentCommands_ShareOneSessionWithoutLosingAny()
    {
        using CofferHomeDirectory device = await SignInNewDeviceAsync("concurrent");

        CofferRun[] runs = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => i % 2 == 0
            ? device.RunAsync(null, "whoami", "--format", "json")
            : device.RunAsync(null, "session", "list", "--format", "json")));

        Assert.All(runs, r => Assert.True(r.Exit == 0, r.ToString()));
        Assert.Single(runs.Where((_, i) => i % 2 == 0).Select(r => JsonDocument.Parse(r.Stdout).RootElement.GetProperty("sessionId").GetString()).Distinct());
    }

    [Fact]
    public async Task Agent_SessionEndedByTheServer_SignsInAgainWithoutThePassword()
    {
        using CofferHomeDirectory device = await SignInNewDeviceAsync("renew");
        using CofferHomeDirectory other = await SignInNewDeviceAsync("renew-other");
        string first = JsonDocument.Parse((await device.RunAsync(null, "whoami", "--format", "json")).Stdout).RootElement.GetProperty("sessionId").GetString()!;
        CofferRun end = await other.RunAsync(null, "session", "end", first);
        Assert.True(end.Exit == 0, end.ToString());

        CofferRun whoami = await device.RunAsync(null, "whoami", "--format", "json");

        Assert.True(whoami.Exit == 0, whoami.ToString());
        Assert.NotEqual(first, JsonDocument.Parse(whoami.Stdout).RootElement.GetProperty("sessionId").GetString());
    }

    [Fact]
    public async Task Device_RevokedFromAnotherDevice_ForgetsTheAccountAtItsNextCommand()
    {
        using CofferHomeDirectory stolen = await SignInNewDeviceAsync("stolen");
        using CofferHomeDirectory mine = await SignInNewDeviceAsync("mine");
        string deviceId = JsonDocument.Parse((await stolen.RunAsync(null, "whoami", "--format", "json")).Stdout).RootElement.GetProperty("deviceId").GetString()!;

        CofferRun revoke = await mine.RunAsync(null, "device", "revoke", deviceId);
        CofferRun next = await stolen.RunAsync(null, "session", "list");

        Assert.True(revoke.Exit == 0, revoke.ToString());
        Assert.Equal(4, next.Exit);
        Assert.Contains("deauthorised", OneLine(next.Stderr), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(stolen.Home, "secret-keys")));
        Assert.DoesNotContain(OrganisationFixture.OwnerEmail, File.ReadAllText(Path.Combine(stolen.Home, "accounts.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FormatJson_Failure_PrintsTheServersProblemAsReceived()
    {
        CofferRun revoke = await org.Owner.RunAsync(null, "device", "revoke", "01a1fdb6-0000-7000-8000-000000000000", "--format", "json");

        Assert.Equal(5, revoke.Exit);
        using JsonDocument problem = JsonDocument.Parse(revoke.Stderr.Split('\n')[0]);
        Assert.Equal(404, problem.RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Completion_Bash_CompletesSubcommandsThroughTheSuggestDirective()
    {
        CofferRun script = await org.Owner.RunAsync(null, "completion", "bash");
        CofferRun suggest = await org.Owner.RunAsync(null, "[suggest:14]", "coffer device ");

        Assert.Contains("complete -o default -F _coffer_complete coffer", script.Stdout, StringComparison.Ordinal);
        Assert.Contains("revoke", suggest.Stdout.Split('\n').Select(l => l.Trim()));
    }

    private async Task<CofferHomeDirectory> SignInNewDeviceAsync(string name, params string[] extra)
    {
        CofferHomeDirectory device = new(name);
        CofferRun signIn = await device.RunAsync(org.OwnerSecretKey + "\n" + OrganisationFixture.OwnerPassword + "\n",
            ["signin", org.ServerUrl.ToString(), "--email", OrganisationFixture.OwnerEmail, "--org-fingerprint", org.OrganisationFingerprint,
                "--secret-key-stdin", "--password-stdin", .. extra]);
        if (signIn.Exit != 0)
        {
            device.Dispose();
            Assert.Fail(signIn.ToString());
        }
        return device;
    }

    /// <summary>Connects to the socket as the user nobody and sends a status request; "closed" if the agent said nothing.</summary>
    private static async Task<string> AsNobodyAsync(string socketPath)
    {
        const string script = """
            import socket, struct, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(sys.argv[1])
                body = b'{"op":"status"}'
                s.sendall(struct.pack('>I', len(body)) + body)
                print('reply' if s.recv(4) else 'closed')
            except (ConnectionResetError, BrokenPipeError):
                print('closed')
            except PermissionError:
                print('no access')
            """;
        ProcessStartInfo psi = new("runuser") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-u", "nobody", "--", "/usr/bin/python3", "-c", script, socketPath })
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi) ?? throw new InvalidOperationException("runuser did not start");
        string output = await p.StandardOutput.ReadToEndAsync();
        string error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, error);
        return output.Trim();
    }

    private static string OneLine(string stderr)
    {
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, "expected one line on stderr:\n" + stderr);
        return lines[0];
    }
}
