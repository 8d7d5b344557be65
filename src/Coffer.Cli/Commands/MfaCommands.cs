using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Coffer.Cli.Agent;
using Coffer.Cli.State;
using Coffer.Contracts.Mfa;

namespace Coffer.Cli.Commands;

/// <summary>mfa list|add-totp|add-security-key|remove|backup-codes, policy show|set (docs/adr/0022).</summary>
internal static class MfaCommands
{
    private static readonly AgentJsonContext Json = AgentJsonContext.Default;

    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Mfa());
        root.Subcommands.Add(Policy());
    }

    private static Command Mfa()
    {
        Command list = new("list", "Your second factors, and how many backup codes are left");
        CofferCli.SetAction(list, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new MfaListRequest(account.MemberId), ct).ConfigureAwait(false);
            MfaFactorsResponse factors = answer.Deserialize(Json.MfaFactorsResponse)!;
            c.Output.Table(answer, ["Factor", "Kind", "Name", "Active", "Added", "Last used"],
                factors.Factors.Select(f => new[] { f.Id, f.Kind, f.Name, f.Active ? "yes" : "no", Time(f.CreatedAt), f.LastUsedAt is long t ? Time(t) : "" }));
            if (!c.Output.Json)
            {
                c.Output.Line(string.Create(CultureInfo.InvariantCulture, $"Backup codes left: {factors.BackupCodesLeft}.")
                    + (factors.Required ? " The organisation requires a second factor of you." : ""));
            }
        });

        Option<string> name = new("--name") { Description = "Your name for it (e.g. the phone's)", DefaultValueFactory = _ => "Authenticator app" };
        Command add = new("add-totp", "Add an authenticator app: shows its QR code and address, then asks for the code it shows") { name, GlobalOptions.OtpStdin };
        CofferCli.SetAction(add, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new MfaAddTotpRequest(account.MemberId, c.Parse.GetValue(name)!.Trim()), ct).ConfigureAwait(false);
            MfaAddResult result = answer.Deserialize(Json.MfaAddResult)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line($"Added \"{result.Name}\" ({result.FactorId}).");
        });

        Option<string> keyName = new("--name") { Description = "Your name for the key", DefaultValueFactory = _ => "Security key" };
        Command addKey = new("add-security-key", "Add a security key: prints (and opens) a one-time page to use it in a browser on this computer")
        {
            keyName, GlobalOptions.OtpStdin,
        };
        CofferCli.SetAction(addKey, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new MfaAddSecurityKeyRequest(account.MemberId, c.Parse.GetValue(keyName)!.Trim()), ct)
                .ConfigureAwait(false);
            MfaAddResult result = answer.Deserialize(Json.MfaAddResult)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line($"Added security key \"{result.Name}\"" + (result.FactorId.Length > 0 ? $" ({result.FactorId})." : "."));
        });

        Argument<string> factor = new("factor-id") { Description = "The factor to remove (from `coffer mfa list`)" };
        Command remove = new("remove", "Remove a second factor; every device remembered for a factor must present one again") { factor, GlobalOptions.OtpStdin };
        CofferCli.SetAction(remove, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new MfaRemoveRequest(account.MemberId, c.Parse.GetValue(factor)!), ct).ConfigureAwait(false);
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line("Factor removed.");
        });

        Command backup = new("backup-codes", "Make ten new backup codes (the old ones stop working); they are shown once") { GlobalOptions.OtpStdin };
        CofferCli.SetAction(backup, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new MfaBackupCodesRequest(account.MemberId), ct).ConfigureAwait(false);
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            BackupCodesResponse codes = answer.Deserialize(Json.BackupCodesResponse)!;
            foreach (string code in codes.Codes)
            {
                c.Output.Line(code);
            }
            c.Output.Note("Each code works once. Store them somewhere safe, apart from this device; the old codes no longer work.");
        });
        return new Command("mfa", "Your second factors: authenticator apps, security keys and backup codes") { list, add, addKey, remove, backup };
    }

    private static Command Policy()
    {
        Command show = new("show", "The organisation's policy (key settings as verified against the organisation root)");
        CofferCli.SetAction(show, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new PolicyShowRequest(account.MemberId), ct).ConfigureAwait(false);
            PolicyResult p = answer.Deserialize(Json.PolicyResult)!;
            string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
            c.Output.Details(answer,
            [
                ("Version", Number(p.Version)),
                ("Minimum password length", Number(p.Settings.MinPasswordLength)),
                ("Second factor required of", p.Settings.RequireMfa),
                ("Second factor kinds", string.Join(", ", p.Settings.MfaKinds)),
                ("Remember devices (days)", Number(p.Settings.MfaRememberDeviceDays)),
                ("Security key user verification", p.Settings.SecurityKeyUserVerification),
                ("Step-up actions", string.Join(", ", p.Settings.StepUpActions)),
                ("Step-up window (minutes)", Number(p.Settings.StepUpWindowMinutes)),
                ("Known networks", string.Join(", ", p.Settings.KnownNetworks)),
                ("Lockout", $"{Number(p.Settings.LockoutThreshold)} failures in {Number(p.Settings.LockoutWindowMinutes)} min: {Number(p.Settings.LockoutDurationMinutes)} min"),
                ("Session idle (minutes)", Number(p.Settings.SessionIdleMinutes)),
                ("Session absolute (hours)", Number(p.Settings.SessionAbsoluteHours)),
                ("Offline window (days)", Number(p.Settings.OfflineWindowDays)),
                ("Travel mode allowed", p.Settings.TravelModeAllowed ? "yes" : "no"),
                ("Activity log retention (days)", Number(p.Settings.ActivityLogRetentionDays)),
                ("Web signing", p.KeySettings.WebSigning ? "yes" : "no"),
                ("Confirm with SAS", p.KeySettings.ConfirmWithSas),
                ("Recovery quorum", Number(p.KeySettings.RecoveryQuorum)),
                ("Key settings", p.KeySettingsVersion == 0 ? "defaults (none signed)" : "signed by the organisation root, version " + Number(p.KeySettingsVersion)),
            ]);
        });
        Argument<string[]> changes = new("setting=value")
        {
            Description = "Settings to change by their JSON name (see `policy show --format json`): requireMfa=admins mfaRememberDeviceDays=7 mfaKinds=totp …",
            Arity = ArgumentArity.OneOrMore,
        };
        Command set = new("set", "Change policy settings (needs manage_policies; key settings — webSigning, confirmWithSas, recoveryQuorum — only an Owner)")
        {
            changes, GlobalOptions.OtpStdin,
        };
        CofferCli.SetAction(set, async (c, ct) =>
        {
            Dictionary<string, string> parsed = new(StringComparer.Ordinal);
            foreach (string change in c.Parse.GetValue(changes) ?? [])
            {
                int at = change.IndexOf('=', StringComparison.Ordinal);
                if (at <= 0)
                {
                    throw new CliException(ExitCodes.Usage, $"\"{change}\" is not setting=value.");
                }
                parsed[change[..at].Trim()] = change[(at + 1)..].Trim();
            }
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new PolicySetRequest(account.MemberId, parsed), ct).ConfigureAwait(false);
            PolicyResult p = answer.Deserialize(Json.PolicyResult)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line(string.Create(CultureInfo.InvariantCulture, $"Policy updated: version {p.Version}."));
        });
        return new Command("policy", "The organisation's policy") { show, set };
    }

    private static string Time(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
