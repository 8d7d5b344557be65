using System.CommandLine;
using System.Text.Json;
using Coffer.Cli.Agent;
using Coffer.Cli.State;
using Coffer.Cli.Terminal;
using Coffer.Crypto.Generators;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;

namespace Coffer.Cli.Commands;

/// <summary>setup, accept, signin, unlock, lock, signout, whoami, account list.</summary>
internal static class AccountCommands
{
    private static readonly AgentJsonContext Json = AgentJsonContext.Default;

    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Setup());
        root.Subcommands.Add(Accept());
        root.Subcommands.Add(SignIn());
        root.Subcommands.Add(Unlock());
        root.Subcommands.Add(Lock());
        root.Subcommands.Add(SignOut());
        root.Subcommands.Add(WhoAmI());
        root.Subcommands.Add(Accounts());
    }

    private static Command Setup()
    {
        Argument<string?> link = new("link")
        {
            Description = "The one-time setup link the server printed (http…/setup#token=…); leave it out to paste it at a prompt, out of your shell history",
            Arity = ArgumentArity.ZeroOrOne,
        };
        Option<string?> email = new("--email") { Description = "Your email: your sign-in name" };
        Option<string?> name = new("--name") { Description = "Your name, as your colleagues will see it" };
        Option<string?> organisation = new("--org-name") { Description = "The organisation's name" };
        Option<string?> shorthand = new("--shorthand") { Description = "A short name for this account on this device (default: from the organisation's name)" };
        Option<string?> kit = new("--emergency-kit") { Description = "Where to write the Emergency Kit (default: in coffer's directory; never overwritten)" };
        Command command = new("setup", "Set up a new Coffer server: create the organisation and become its first Owner") { link, email, name, organisation, shorthand, kit, GlobalOptions.OtpStdin };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            (Uri server, string token) = SetupLink(c, c.Parse.GetValue(link));
            string ownerEmail = c.Parse.GetValue(email) ?? c.Input.Ask("Your email: ", "--email");
            string ownerName = c.Parse.GetValue(name) ?? c.Input.Ask("Your name: ", "--name");
            string organisationName = c.Parse.GetValue(organisation) ?? c.Input.Ask("Organisation name: ", "--org-name");
            string password = NewPassword.Read(c.Input, c.Output, c.PasswordStdin, ownerEmail, organisationName);
            c.Output.Note("Making the organisation's keys and yours…");
            JsonElement answer = await c.AskOrStartAgentAsync(new SetupOrganisationRequest(server.ToString(), token, organisationName, ownerName, ownerEmail,
                password, c.Parse.GetValue(shorthand), FullPath(c.Parse.GetValue(kit)), c.Tls()), ct).ConfigureAwait(false);
            SetupResult result = answer.Deserialize(Json.SetupResult)!;
            if (c.Output.Json)
            {
                c.Output.Warn(result.Account.Warnings);
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Warn(result.Account.Warnings);
            c.Output.Line($"{organisationName} is set up, and you are its first Owner. Signed in and unlocked as {result.Account.Email} (account \"{result.Account.Account}\").");
            KitLines(c.Output, result.EmergencyKit, result.Account);
            if (result.AuditKeyFingerprint is not null)
            {
                c.Output.Line($"The organisation certified the server's audit key {result.AuditKeyFingerprint}: the server logs this fingerprint at start; compare them.");
            }
        });
        return command;
    }

    private static Command Accept()
    {
        Argument<string?> link = new("invitation-link")
        {
            Description = "The invitation link from your mail (http…/invite#token=…&org=…); leave it out to paste it at a prompt",
            Arity = ArgumentArity.ZeroOrOne,
        };
        Option<string?> shorthand = new("--shorthand") { Description = "A short name for this account on this device" };
        Option<string?> kit = new("--emergency-kit") { Description = "Where to write the Emergency Kit (never overwritten)" };
        Command command = new("accept", "Accept an invitation: make your account's keys and choose your password") { link, shorthand, kit };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            string text = c.Parse.GetValue(link) ?? c.Input.AskHidden("Invitation link: ", "the link as an argument");
            Coffer.Sdk.Members.InvitationLink parsed;
            try
            {
                parsed = Coffer.Sdk.Members.InvitationLink.Parse(text);
            }
            catch (ArgumentException e)
            {
                throw new CliException(ExitCodes.Usage, e.Message);
            }
            // The email and organisation name come from the server after lookup; the agent checks the rules against them too.
            string password = NewPassword.Read(c.Input, c.Output, c.PasswordStdin, "", null);
            c.Output.Note("Making your keys…");
            JsonElement answer = await c.AskOrStartAgentAsync(new AcceptInvitationRequest(text.Trim(), password, c.Parse.GetValue(shorthand),
                FullPath(c.Parse.GetValue(kit)), c.Tls()), ct).ConfigureAwait(false);
            AcceptResult result = answer.Deserialize(Json.AcceptResult)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line($"Invitation accepted for {result.Account.Email} at {parsed.ServerUrl} (account \"{result.Account.Account}\").");
            KitLines(c.Output, result.EmergencyKit, result.Account);
            c.Output.Line("An administrator must now confirm you; once they have, run `coffer unlock`.");
            if (result.ShortAuthenticationString is { Count: > 0 } words)
            {
                c.Output.Line($"If they ask, read them these six words (also `coffer whoami --sas`): {string.Join(' ', words)}");
            }
        });
        return command;
    }

    private static Command SignIn()
    {
        Argument<string?> server = new("server") { Description = "The sign-in address on your Emergency Kit", Arity = ArgumentArity.ZeroOrOne };
        Option<string?> email = new("--email") { Description = "Your email" };
        Option<string?> fingerprint = new("--org-fingerprint")
        {
            Description = "The organisation fingerprint on your Emergency Kit; this device trusts the organisation only if its keys match it",
        };
        Option<bool> secretKeyStdin = new("--secret-key-stdin")
        {
            Description = "Read the Secret Key from standard input (before the password, with --password-stdin)",
        };
        Option<string?> shorthand = new("--shorthand") { Description = "A short name for this account on this device" };
        Command command = new("signin", "Sign in to an account on this device for the first time (you need your Emergency Kit)")
        {
            server, email, fingerprint, secretKeyStdin, shorthand, GlobalOptions.OtpStdin,
        };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            string address = c.Parse.GetValue(server) ?? c.Input.Ask("Sign-in address: ", "the address as an argument");
            string who = c.Parse.GetValue(email) ?? c.Input.Ask("Email: ", "--email");
            // From outside the server, always: a server that chose the fingerprint could choose the keys too.
            string organisation = c.Parse.GetValue(fingerprint)
                ?? c.Input.Ask("Organisation fingerprint (from your Emergency Kit): ", "--org-fingerprint");
            string secretKey = c.Parse.GetValue(secretKeyStdin)
                ? c.Input.ReadStdinLine("the Secret Key")
                : c.Input.AskHidden("Secret Key: ", "--secret-key-stdin");
            string password = c.PasswordStdin ? c.Input.ReadStdinLine("the password") : c.Input.AskHidden("Password: ", "--password-stdin");
            JsonElement answer = await c.AskOrStartAgentAsync(new SignInRequest(address, who, secretKey, password, organisation,
                c.Parse.GetValue(shorthand), c.Tls()), ct).ConfigureAwait(false);
            AccountResult result = answer.Deserialize(Json.AccountResult)!;
            c.Output.Warn(result.Warnings);
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line($"Signed in and unlocked as {result.Email} (account \"{result.Account}\").");
        });
        return command;
    }

    private static Command Unlock()
    {
        Option<bool> acceptRestore = new("--accept-restore")
        {
            Description = "Accept that the server was restored from a backup (only once your administrator told you): older item versions are let in",
        };
        Command command = new("unlock", "Unlock an account on this device with its password") { acceptRestore, GlobalOptions.OtpStdin };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            string password = c.PasswordStdin ? c.Input.ReadStdinLine("the password") : c.Input.AskHidden($"Password for {account.Email}: ", "--password-stdin");
            JsonElement answer = await c.AskOrStartAgentAsync(new UnlockRequest(account.MemberId, password, c.Parse.GetValue(acceptRestore)), ct).ConfigureAwait(false);
            AccountResult result = answer.Deserialize(Json.AccountResult)!;
            c.Output.Warn(result.Warnings);
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line($"Unlocked {result.Email} (account \"{result.Account}\").");
            if (result.Offline == true)
            {
                c.Output.Note("The server cannot be reached: unlocked offline, read-only, from this device's cache. Run `coffer unlock` again once it can be reached.");
            }
        });
        return command;
    }

    private static Command Lock()
    {
        Command command = new("lock", "Lock every account: the agent zeroes its keys and exits");
        CofferCli.SetAction(command, async (c, ct) =>
        {
            JsonElement? answer = c.Agent.TrySend(new LockRequest(), ct);
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer ?? JsonSerializer.SerializeToElement(new StatusResult(0, 0, []), Json.StatusResult));
                return;
            }
            c.Output.Line(answer is null ? "Already locked." : "Locked.");
        });
        return command;
    }

    private static Command SignOut()
    {
        Option<bool> forget = new("--forget") { Description = "Also delete what this device keeps of the account (its Secret Key file included)" };
        Command command = new("signout", "Sign out: end the session on the server and lock the account") { forget };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            bool forgetting = c.Parse.GetValue(forget);
            JsonElement? answer = c.Agent.TrySend(new SignOutRequest(account.MemberId, forgetting), ct);
            if (answer is null && forgetting)
            {
                await c.Store.ForgetAsync(account.MemberId, ct).ConfigureAwait(false);
            }
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer ?? JsonSerializer.SerializeToElement(new SignOutResult(account.Shorthand, forgetting), Json.SignOutResult));
                return;
            }
            c.Output.Line(answer is null ? $"{account.Email} was not signed in." : $"Signed out of {account.Email}.");
            if (forgetting)
            {
                c.Output.Line("This device no longer knows the account; keep your Emergency Kit to sign in again.");
            }
        });
        return command;
    }

    private static Command WhoAmI()
    {
        Option<bool> sas = new("--sas")
        {
            Description = "Show your keys' fingerprints and the six-word short authentication string an administrator compares when confirming you",
        };
        Command command = new("whoami", "Show who you are signed in as") { sas };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            if (c.Parse.GetValue(sas))
            {
                await ShowSasAsync(c, account, ct).ConfigureAwait(false);
                return;
            }
            JsonElement answer = await c.AskAgentAsync(new WhoAmIRequest(account.MemberId), ct).ConfigureAwait(false);
            WhoAmIResult me = answer.Deserialize(Json.WhoAmIResult)!;
            c.Output.Details(answer,
            [
                ("Email", me.Email), ("Name", me.Name), ("Role", me.Role), ("State", me.State), ("Groups", string.Join(", ", me.Groups)),
                ("Member id", me.MemberId), ("Organisation", me.OrgId), ("Organisation fingerprint", me.OrganisationFingerprint),
                ("Server", me.ServerUrl), ("Account", me.Account), ("Device", me.DeviceId), ("Session", me.SessionId),
            ]);
        });
        return command;
    }

    private static Command Accounts()
    {
        Command list = new("list", "The accounts this device knows, and which are unlocked");
        CofferCli.SetAction(list, async (c, ct) =>
        {
            AccountsFile file = c.Store.Load();
            JsonElement? status = c.Agent.TrySend(new StatusRequest(), ct);
            HashSet<string> unlocked = [.. status?.Deserialize(Json.StatusResult)?.UnlockedAccounts ?? []];
            List<AccountListEntry> entries = [.. file.Accounts.Select(a => new AccountListEntry(a.Shorthand, a.Email, a.ServerUrl, a.MemberId,
                unlocked.Contains(a.MemberId), a.MemberId == file.LastUsed))];
            JsonElement source = JsonSerializer.SerializeToElement(entries, CliJsonContext.Default.ListAccountListEntry);
            c.Output.Table(source, ["Account", "Email", "Server", "Member id", "State", "Default"],
                entries.Select(e => new[] { e.Account, e.Email, e.ServerUrl, e.MemberId, e.Unlocked ? "unlocked" : "locked", e.Default ? "*" : "" }));
        });
        return new Command("account", "The accounts on this device, and your account's password, Secret Key and email")
        {
            list, CredentialCommands.ChangePassword(), CredentialCommands.RegenerateSecretKey(), CredentialCommands.ChangeEmail(),
            CredentialCommands.ConfirmEmail(),
        };
    }

    /// <summary>
    /// The newcomer's side of the SAS (PROTOCOL.md §5.1 "First contact"): from the unlocked account's own certificate, or —
    /// before confirmation, when there is nothing to unlock — from the keys this device made at acceptance.
    /// </summary>
    private static async Task ShowSasAsync(CliContext c, StoredAccount account, CancellationToken ct)
    {
        SasResult result;
        JsonElement? answer = null;
        try
        {
            answer = await c.AskAgentAsync(new WhoAmIRequest(account.MemberId), ct).ConfigureAwait(false);
        }
        catch (CliException e) when (e.ExitCode == ExitCodes.Locked && account.EncryptionFingerprint is not null)
        {
            // Not unlocked (or not confirmed yet): the keys made at acceptance are on record.
        }
        if (answer is JsonElement a && a.Deserialize(Json.WhoAmIResult) is { ShortAuthenticationString: { } words } me)
        {
            result = new SasResult(me.Account, me.Email, me.MemberId, me.OrganisationFingerprint, me.EncryptionFingerprint!, me.SigningFingerprint!, words);
        }
        else if (account.EncryptionFingerprint is not null && account.SigningFingerprint is not null)
        {
            Fingerprint organisation = Fingerprint.Parse(account.OrganisationFingerprint);
            Fingerprint encryption = Fingerprint.Parse(account.EncryptionFingerprint);
            Fingerprint signing = Fingerprint.Parse(account.SigningFingerprint);
            result = new SasResult(account.Shorthand, account.Email, account.MemberId, organisation.ToDisplayString(), encryption.ToDisplayString(),
                signing.ToDisplayString(), ShortAuthenticationString.Compute(organisation.AsSpan(), account.MemberId, encryption.AsSpan(), signing.AsSpan()));
        }
        else
        {
            throw new CliException(ExitCodes.Locked, Failures.LockedMessage);
        }
        c.Output.Details(JsonSerializer.SerializeToElement(result, CliJsonContext.Default.SasResult),
        [
            ("Email", result.Email), ("Member id", result.MemberId), ("Encryption key", result.EncryptionFingerprint),
            ("Signing key", result.SigningFingerprint), ("Short authentication string", string.Join(' ', result.ShortAuthenticationString)),
        ]);
    }

    /// <summary>The server address and token of a setup link; a link without its fragment is asked for again, without echo.</summary>
    private static (Uri Server, string Token) SetupLink(CliContext c, string? given)
    {
        string text = given ?? c.Input.AskHidden("Setup link (the server printed it): ", "the link as an argument");
        if (!TryParseSetupLink(text, out Uri? server, out string? token))
        {
            if (!Input.Interactive || (Uri.TryCreate(text.Trim(), UriKind.Absolute, out Uri? plain) && plain.Fragment.Length > 1))
            {
                throw new CliException(ExitCodes.Usage, "That is not a setup link: it looks like http…/setup#token=… as the server printed it.");
            }
            text = c.Input.AskHidden("The link has no token. Paste the whole setup link: ", "the whole link");
            if (!TryParseSetupLink(text, out server, out token))
            {
                throw new CliException(ExitCodes.Usage, "That is not a setup link: it looks like http…/setup#token=… as the server printed it.");
            }
        }
        return (server!, token!);
    }

    internal static bool TryParseSetupLink(string text, out Uri? server, out string? token)
    {
        server = null;
        token = null;
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return false;
        }
        foreach (string part in uri.Fragment.TrimStart('#').Split('&'))
        {
            if (part.StartsWith("token=", StringComparison.Ordinal) && Base64Url.TryDecode(part[6..], out byte[]? raw) && raw.Length > 0)
            {
                token = part[6..];
            }
        }
        if (token is null)
        {
            return false;
        }
        string path = uri.AbsolutePath.TrimEnd('/');
        path = path.EndsWith("/setup", StringComparison.Ordinal) ? path[..^"/setup".Length] : path;
        server = new Uri(uri.GetLeftPart(UriPartial.Authority) + path + "/");
        return true;
    }

    private static void KitLines(Output output, string path, AccountResult account)
    {
        output.Line("");
        output.Line($"Your Emergency Kit is in {path} (readable only by you).");
        output.Line("It holds your Secret Key: print it, write your password on it only if your policy allows, keep it safe, then delete the file.");
        output.Line($"Organisation fingerprint: {account.OrganisationFingerprint}");
    }

    private static string? FullPath(string? path) => path is null ? null : Path.GetFullPath(path);
}

internal sealed record AccountListEntry(string Account, string Email, string ServerUrl, string MemberId, bool Unlocked, bool Default);

internal sealed record SasResult(string Account, string Email, string MemberId, string OrganisationFingerprint, string EncryptionFingerprint,
    string SigningFingerprint, IReadOnlyList<string> ShortAuthenticationString);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<AccountListEntry>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(GeneratedSecret))]
[System.Text.Json.Serialization.JsonSerializable(typeof(SasResult))]
internal sealed partial class CliJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
