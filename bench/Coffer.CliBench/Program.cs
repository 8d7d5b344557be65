using System.Diagnostics;
using System.Globalization;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using Coffer.Benchmarking;
using Coffer.Contracts;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Envelopes;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Http;
using Coffer.Sdk.Items;
using Coffer.Sdk.Mfa;
using Coffer.Sdk.Setup;
using Coffer.Sdk.Vaults;

namespace Coffer.CliBench;

/// <summary>
/// The CLI benchmarks of issue 4 (docs/performance.md, "CLI: cold sign-in and coffer vs keepassxc-cli"): a real coffer-server
/// process seeded through the SDK with one vault of N items, then the real <c>coffer</c> binary timed as a person runs it —
/// cold sign-in of a new device until <c>item list</c> answers, unlock of a known device, <c>item get</c> cold and warm — next
/// to <c>keepassxc-cli show</c> on the same N entries (cold: one process per lookup; warm: its <c>open</c> shell). Medians of
/// wall-clock times; no assertion anywhere.
/// </summary>
internal static class Program
{
    // MFA is required of everyone: the Owner's first sign-in (the seeder's) enrols this authenticator, and every coffer sign-in
    // on a new device reads its next code from stdin (--otp-stdin).
    private static readonly TotpAuthenticator Factor = new(factorName: "cli benchmark");

    private const string Password = "cli bench password, long enough 2026";
    private const string Email = "owner@bench.example";

    public static async Task<int> Main(string[] args)
    {
        bool dry = args.Contains("--dry");
        int items = Option(args, "--items") ?? (dry ? 20 : 10_000);
        int coldRuns = Option(args, "--cold-runs") ?? (dry ? 1 : 5);
        int warmRuns = Option(args, "--warm-runs") ?? (dry ? 2 : 30);
        // Lookups inside the two shells are cheap: more of them steadies the median (and gives a profiler something to see).
        int shellRuns = Option(args, "--shell-runs") ?? Math.Max(warmRuns, dry ? 40 : 300);
        string coffer = Required(args, "--coffer");
        string serverDll = Required(args, "--server");

        string root = Directory.CreateTempSubdirectory("coffer-clibench-").FullName;
        Uri address = new($"http://127.0.0.1:{BenchServer.FreePort()}");
        using Process server = BenchServer.Start(serverDll, Path.Combine(root, "server"), address, out StringBuilder serverOutput);
        List<string> homes = [];
        try
        {
            using CofferConnection connection = new(address);
            await BenchServer.WaitReadyAsync(address, server, serverOutput);
            string token = await BenchServer.SetupTokenAsync(serverOutput);
            using OrganisationSetupResult setup = OrganisationSetup.Create(new SetupDetails("Bench Ministry", Email, "Bench Owner", address), Password, token,
                TimeProvider.System, KdfPolicy.Default, KdfPolicy.MinimumIterations);
            await connection.PostAsync("/api/v1/setup", setup.Request, CofferJsonContext.Default.SetupRequest, CofferJsonContext.Default.SetupResponse);
            string secretKey = setup.SecretKey.Format();
            string organisation = setup.Account.OrganisationFingerprint.ToDisplayString();
            Console.WriteLine($"coffer CLI benchmark: {Environment.ProcessorCount} cores, {(dry ? "dry run" : "full run")}, {items} items, " +
                $"{coldRuns} cold and {warmRuns} warm runs");

            Stopwatch seeding = Stopwatch.StartNew();
            await SeedAsync(connection, setup, items);
            Console.WriteLine($"seeded {items} items through the SDK in {seeding.Elapsed.TotalSeconds:F1} s");
            string target = Title(items / 2 + 1);

            double pbkdf2 = Median(Enumerable.Range(0, 3).Select(_ => Time(() => Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(Password),
                RandomNumberGenerator.GetBytes(32), KdfPolicy.MinimumIterations, HashAlgorithmName.SHA256, 32))).ToList());

            // Cold sign-in of a new device: `coffer signin` (2SKD, SRP, keys verified) until `coffer item list` answers (full sync
            // into an empty cache). Each run is a new home, so a new device and an empty cache.
            List<double> signIns = [];
            for (int r = 0; r < coldRuns; r++)
            {
                string home = NewHome(root, homes, "new-" + r);
                Stopwatch watch = Stopwatch.StartNew();
                Run(coffer, home, secretKey + "\n" + Password + "\n" + Factor.NextCode().Code + "\n", "signin", address.ToString(), "--email", Email, "--org-fingerprint", organisation,
                    "--secret-key-stdin", "--password-stdin", "--otp-stdin");
                Run(coffer, home, null, "item", "list", "--format", "json");
                signIns.Add(watch.Elapsed.TotalMilliseconds);
                Run(coffer, home, null, "lock");
            }

            // A known device: its cache holds every item; `coffer unlock` (a new agent) until `item list` answers, and until one
            // `item get` answers (coffer's cold lookup), then lookups with the agent unlocked (warm).
            string known = NewHome(root, homes, "known");
            Run(coffer, known, secretKey + "\n" + Password + "\n" + Factor.NextCode().Code + "\n", "signin", address.ToString(), "--email", Email, "--org-fingerprint", organisation,
                "--secret-key-stdin", "--password-stdin", "--otp-stdin");
            Run(coffer, known, null, "item", "list", "--format", "json");
            List<double> unlocks = [];
            List<double> coldGets = [];
            for (int r = 0; r < coldRuns; r++)
            {
                Run(coffer, known, null, "lock");
                Stopwatch watch = Stopwatch.StartNew();
                Run(coffer, known, Password + "\n", "unlock", "--password-stdin");
                Run(coffer, known, null, "item", "list", "--format", "json");
                unlocks.Add(watch.Elapsed.TotalMilliseconds);
                Run(coffer, known, null, "lock");
                watch.Restart();
                Run(coffer, known, Password + "\n", "unlock", "--password-stdin");
                string value = Run(coffer, known, null, "item", "get", target, "--field", "password");
                coldGets.Add(watch.Elapsed.TotalMilliseconds);
                Check(value, target);
            }
            List<double> warmGets = [];
            for (int r = 0; r < warmRuns; r++)
            {
                Stopwatch watch = Stopwatch.StartNew();
                string value = Run(coffer, known, null, "item", "get", target, "--field", "password");
                warmGets.Add(watch.Elapsed.TotalMilliseconds);
                Check(value, target);
            }
            List<double> shellGets = CofferShell(coffer, known, target, shellRuns);
            Run(coffer, known, null, "lock");

            KeePassResult? keepass = KeePass(root, items, target, coldRuns, shellRuns, dry);

            Console.WriteLine();
            Console.WriteLine($"| measurement ({items} items, medians) | ms |");
            Console.WriteLine("|---|---:|");
            Console.WriteLine($"| one PBKDF2-HMAC-SHA256 run, {KdfPolicy.MinimumIterations} iterations (in process) | {pbkdf2:F0} |");
            Console.WriteLine($"| new device: `coffer signin` + first `item list` (full sync into an empty cache) | {Median(signIns):F0} |");
            Console.WriteLine($"| … beyond one PBKDF2 run | {Median(signIns) - pbkdf2:F0} |");
            Console.WriteLine($"| known device: `coffer unlock` + `item list` (cache filled) | {Median(unlocks):F0} |");
            Console.WriteLine($"| … beyond one PBKDF2 run | {Median(unlocks) - pbkdf2:F0} |");
            Console.WriteLine($"| coffer cold: `unlock` + `item get --field password` | {Median(coldGets):F0} |");
            Console.WriteLine($"| coffer warm: `item get --field password`, agent unlocked, one process per lookup | {Median(warmGets):F1} |");
            Console.WriteLine($"| coffer warm: `item get --field password` in `coffer shell`, agent unlocked | {Median(shellGets):F2} |");
            if (keepass is not null)
            {
                Console.WriteLine($"| keepassxc-cli cold: `show -s -a Password` (its KDF: {keepass.Kdf}) | {keepass.Cold:F0} |");
                Console.WriteLine($"| keepassxc-cli warm: `show -s -a Password` in its `open` shell | {keepass.Warm:F2} |");
                Console.WriteLine($"| ratio coffer/keepassxc cold | {Median(coldGets) / keepass.Cold:F2} |");
                Console.WriteLine($"| ratio coffer/keepassxc warm, each in its shell (target ≤ 0.5) | {Median(shellGets) / keepass.Warm:F2} |");
                Console.WriteLine($"| ratio coffer one process per lookup / keepassxc warm shell | {Median(warmGets) / keepass.Warm:F1} |");
                Console.WriteLine($"| ratio coffer warm / keepassxc-cli cold (`show`, one process per lookup) | {Median(warmGets) / keepass.Cold:F2} |");
            }
            else
            {
                Console.WriteLine("| keepassxc-cli | not installed: skipped |");
            }
            return 0;
        }
        finally
        {
            foreach (string home in homes)
            {
                try
                {
                    Run(coffer, home, null, "lock");
                }
                catch (InvalidOperationException)
                {
                }
            }
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                server.WaitForExit();
            }
            Directory.Delete(root, recursive: true);
        }
    }

    private sealed record KeePassResult(double Cold, double Warm, string Kdf);

    /// <summary>The same entries in a KeePass 2 XML export, imported with keepassxc-cli (password on stdin), then looked up.</summary>
    private static KeePassResult? KeePass(string root, int items, string target, int coldRuns, int shellRuns, bool dry)
    {
        if (!OnPath("keepassxc-cli"))
        {
            return null;
        }
        string xml = Path.Combine(root, "entries.xml");
        string database = Path.Combine(root, "entries.kdbx");
        StringBuilder x = new();
        x.Append("<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\n<KeePassFile><Meta><Generator>coffer-clibench</Generator>")
            .Append("<DatabaseName>bench</DatabaseName></Meta><Root><Group><UUID>").Append(Uuid(0)).Append("</UUID><Name>Root</Name>\n");
        for (int i = 1; i <= items; i++)
        {
            x.Append("<Entry><UUID>").Append(Uuid(i)).Append("</UUID>")
                .Append("<String><Key>Title</Key><Value>").Append(SecurityElement.Escape(Title(i))).Append("</Value></String>")
                .Append("<String><Key>UserName</Key><Value>user").Append(i).Append("</Value></String>")
                .Append("<String><Key>Password</Key><Value ProtectInMemory=\"True\">").Append(SecretOf(Title(i))).Append("</Value></String>")
                .Append("<String><Key>URL</Key><Value>https://host").Append(i).Append(".example.org/login</Value></String></Entry>\n");
        }
        x.Append("</Group></Root></KeePassFile>\n");
        File.WriteAllText(xml, x.ToString());
        // keepassxc's default: the KDF tuned to one second of decryption on this machine (a dry run tunes to 100 ms, its minimum).
        string[] import = dry ? ["import", "-q", "-p", "-t", "100", xml, database] : ["import", "-q", "-p", xml, database];
        Run("keepassxc-cli", null, Password + "\n" + Password + "\n", import);
        string kdf = dry ? "tuned to 100 ms" : "tuned to 1 s, its default";

        List<double> cold = [];
        for (int r = 0; r < coldRuns; r++)
        {
            Stopwatch watch = Stopwatch.StartNew();
            string value = Run("keepassxc-cli", null, Password + "\n", "show", "-q", "-s", "-a", "Password", database, target);
            cold.Add(watch.Elapsed.TotalMilliseconds);
            Check(value, target);
        }

        ProcessStartInfo psi = new("keepassxc-cli");
        psi.ArgumentList.Add("open");
        psi.ArgumentList.Add(database);
        // The shell's prompt is the database name (the export's DatabaseName) and "> "; it asks for the password first.
        List<double> warm = TimeShell(psi, Password + "\n", "bench> ", $"show -s -a Password \"{target}\"", target, shellRuns);
        return new KeePassResult(Median(cold), Median(warm), kdf);
    }

    /// <summary>Lookups in <c>coffer shell</c> (one process, the agent unlocked), timed from the line sent to the next prompt.</summary>
    private static List<double> CofferShell(string coffer, string home, string target, int runs)
    {
        ProcessStartInfo psi = new(coffer);
        psi.ArgumentList.Add("shell");
        psi.Environment["COFFER_HOME"] = home;
        return TimeShell(psi, null, "coffer> ", $"item get \"{target}\" --field password", target, runs);
    }

    /// <summary>
    /// Starts a shell, gives it <paramref name="opening"/> (a password) and waits for its prompt; then sends <paramref name="line"/>
    /// <paramref name="runs"/> times, timing each from the line sent to the next prompt and checking the answer names the secret.
    /// </summary>
    private static List<double> TimeShell(ProcessStartInfo psi, string? opening, string prompt, string line, string target, int runs)
    {
        psi.RedirectStandardInput = psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        using Process shell = Process.Start(psi) ?? throw new InvalidOperationException(psi.FileName + " did not start");
        _ = shell.StandardError.ReadToEndAsync();
        if (opening is not null)
        {
            shell.StandardInput.Write(opening);
            shell.StandardInput.Flush();
        }
        ReadUntil(shell, prompt);
        List<double> times = [];
        for (int r = 0; r < runs; r++)
        {
            Stopwatch watch = Stopwatch.StartNew();
            shell.StandardInput.Write(line + "\n");
            shell.StandardInput.Flush();
            string answer = ReadUntil(shell, prompt);
            times.Add(watch.Elapsed.TotalMilliseconds);
            Check(answer, target);
        }
        shell.StandardInput.Write("exit\n");
        shell.StandardInput.Flush();
        shell.WaitForExit(10_000);
        return times;
    }

    private static string ReadUntil(Process process, string marker)
    {
        StringBuilder text = new();
        char[] buffer = new char[4096];
        while (!text.ToString().EndsWith(marker, StringComparison.Ordinal))
        {
            int n = process.StandardOutput.Read(buffer, 0, buffer.Length);
            if (n <= 0)
            {
                throw new InvalidOperationException("the shell ended:\n" + text);
            }
            text.Append(buffer, 0, n);
        }
        return text.ToString();
    }

    /// <summary>One vault of <paramref name="count"/> logins, written by four concurrent writers over the Owner's session.</summary>
    private static async Task SeedAsync(CofferConnection connection, OrganisationSetupResult setup, int count)
    {
        using SignInResult owner = await SignIn.SignInAsync(connection, Email, Password, setup.SecretKey, "0190a1b2-0000-7000-8000-00000000be01",
            new DeviceInfoDto("cli bench seeder", "linux-cli", "bench"), Factor);
        Factor.AddBackupCodes(await new MfaClient(owner.Session).RegenerateBackupCodesAsync());
        AccountKeysResponse keys = await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", CofferJsonContext.Default.AccountKeysResponse);
        using EnvelopeKey auk = owner.AccountKeys.CreateAukKey();
        using UnlockedAccount account = AccountUnlock.WithAuk(keys, auk, owner.Kdf.Iterations, setup.Account, new Pins(), TimeProvider.System);
        using VaultClient vaults = new(owner.Session, account);
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Bench");
        int next = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            for (int i = Interlocked.Increment(ref next); i <= count; i = Interlocked.Increment(ref next))
            {
                string title = Title(i);
                ItemOverview overview = new()
                {
                    Title = title,
                    Subtitle = "user" + i.ToString(CultureInfo.InvariantCulture),
                    Urls = [new ItemUrl { Href = $"https://host{i}.example.org/login" }],
                    UpdatedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                };
                ItemDetails details = new()
                {
                    Fields =
                    [
                        new ItemField { Id = "username", Label = "username", Type = ItemFieldTypes.Text, Value = "user" + i.ToString(CultureInfo.InvariantCulture), Purpose = ItemFieldPurposes.Username },
                        new ItemField { Id = "password", Label = "password", Type = ItemFieldTypes.Concealed, Value = SecretOf(title), Purpose = ItemFieldPurposes.Password },
                    ],
                };
                await vaults.CreateItemAsync(vault.Id, overview.ToJson(), details.ToJson());
            }
        }));
        owner.Session.Dispose();
    }

    private static string Title(int i) => "Entry " + i.ToString("D5", CultureInfo.InvariantCulture);

    private static string SecretOf(string title) => "pw-" + title.Replace(' ', '-') + "-x7Qz";

    private static string Uuid(int i)
    {
        byte[] bytes = new byte[16];
        BitConverter.TryWriteBytes(bytes.AsSpan(12), i);
        bytes[0] = 0xc0;
        return Convert.ToBase64String(bytes);
    }

    private static void Check(string output, string title)
    {
        if (!output.Contains(SecretOf(title), StringComparison.Ordinal))
        {
            throw new InvalidOperationException("wrong answer for " + title + ":\n" + output);
        }
    }

    private static string NewHome(string root, List<string> homes, string name)
    {
        string home = Path.Combine(root, "homes", name);
        homes.Add(home);
        return home;
    }

    /// <summary>Runs a program to its end (secrets on stdin); a failure stops the benchmark with its output.</summary>
    private static string Run(string program, string? home, string? stdin, params string[] args)
    {
        ProcessStartInfo psi = new(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        if (home is not null)
        {
            psi.Environment["COFFER_HOME"] = home;
        }
        using Process p = Process.Start(psi) ?? throw new InvalidOperationException(program + " did not start");
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
        }
        p.StandardInput.Close();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {p.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        }
        return stdout.Result;
    }

    private static double Time(Action action)
    {
        Stopwatch watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        List<double> sorted = [.. values.Order()];
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, program)));

    private static int? Option(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : null;
    }

    private static string Required(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : throw new ArgumentException(name + " <path> is required");
    }
}
