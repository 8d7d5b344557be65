using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Coffer.Cli.Agent;
using Coffer.Cli.State;
using Coffer.Cli.Terminal;

namespace Coffer.Cli.Commands;

/// <summary>
/// account change-password | regenerate-secret-key | change-email | confirm-email (docs/adr/0017). Secrets come from a no-echo
/// prompt or, with <c>--password-stdin</c>, from standard input one per line (the current password first); the agent does
/// the rest. Each writes a new Emergency Kit (0600) and says where.
/// </summary>
internal static class CredentialCommands
{
    private static readonly AgentJsonContext Json = AgentJsonContext.Default;

    public static Command ChangePassword()
    {
        Option<string?> kit = KitOption();
        Command command = new("change-password", "Choose a new account password (other devices must sign in again with it)") { kit };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            string current = c.PasswordStdin ? c.Input.ReadStdinLine("the current password") : c.Input.AskHidden("Current password: ", "--password-stdin");
            string next = NewPassword.Read(c.Input, c.Output, c.PasswordStdin, account.Email, account.OrganisationName);
            c.Output.Note("Deriving your new keys…");
            JsonElement answer = await c.AskAgentAsync(new ChangePasswordRequest(account.MemberId, current, next, FullPath(c.Parse.GetValue(kit))), ct)
                .ConfigureAwait(false);
            CredentialResult result = answer.Deserialize(Json.CredentialResult)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line("Your password is changed. " + Ended(result.EndedSessions) + " sign in there with the new password.");
            KitLine(c.Output, result.EmergencyKit, "It is the same as before but for the date; the password is never on it.");
        });
        return command;
    }

    public static Command RegenerateSecretKey()
    {
        Option<string?> kit = KitOption();
        Option<bool> yes = new("--yes") { Description = "Do not ask for confirmation" };
        Command command = new("regenerate-secret-key", "Replace your Secret Key (your old Emergency Kit stops working)") { kit, yes };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            if (Input.Interactive && !c.Parse.GetValue(yes)
                && !c.Input.Confirm("Your current Secret Key and Emergency Kit will stop working, on every device. Continue?"))
            {
                throw new CliException(ExitCodes.Usage, "Nothing was changed.");
            }
            string password = c.PasswordStdin ? c.Input.ReadStdinLine("the password") : c.Input.AskHidden($"Password for {account.Email}: ", "--password-stdin");
            c.Output.Note("Making your new Secret Key and deriving your keys…");
            JsonElement answer = await c.AskAgentAsync(new RegenerateSecretKeyRequest(account.MemberId, password, FullPath(c.Parse.GetValue(kit))), ct)
                .ConfigureAwait(false);
            CredentialResult result = answer.Deserialize(Json.CredentialResult)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line("Your Secret Key is replaced; this device keeps the new one in " + result.SecretKeyFile + ". "
                + Ended(result.EndedSessions) + " sign in there with the new Emergency Kit.");
            KitLine(c.Output, result.EmergencyKit, "Print it and destroy the old kit: it no longer signs in.");
        });
        return command;
    }

    public static Command ChangeEmail()
    {
        Argument<string> email = new("new-email") { Description = "The address to sign in with from now on" };
        Command command = new("change-email", "Change your sign-in email: a code is mailed to the new address for `coffer account confirm-email`") { email, GlobalOptions.OtpStdin };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new ChangeEmailRequest(account.MemberId, c.Parse.GetValue(email)!), ct).ConfigureAwait(false);
            EmailChangeResult result = answer.Deserialize(Json.EmailChangeResult)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line($"A confirmation code is on its way to {result.NewEmail}. Run `coffer account confirm-email` and paste the code (or the whole link) "
                + $"from that mail before {DateTimeOffset.FromUnixTimeMilliseconds(result.ExpiresAt).ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}; "
                + "until then you sign in as " + account.Email + ".");
        });
        return command;
    }

    public static Command ConfirmEmail()
    {
        Option<string?> kit = KitOption();
        Command command = new("confirm-email", "Confirm your new sign-in email with the code or link mailed to it (asked for, or one line on standard input)") { kit };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            // A one-time code is kept out of argv and shell history like any other secret.
            string token = Input.Interactive
                ? c.Input.AskHidden("Code or link from the confirmation mail: ", "it on standard input")
                : c.Input.ReadStdinLine("the code or link from the confirmation mail");
            if (string.IsNullOrWhiteSpace(token))
            {
                throw new CliException(ExitCodes.Usage, "No code was given.");
            }
            JsonElement answer = await c.AskAgentAsync(new ConfirmEmailRequest(account.MemberId, token.Trim(), FullPath(c.Parse.GetValue(kit))), ct)
                .ConfigureAwait(false);
            CredentialResult result = answer.Deserialize(Json.CredentialResult)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line($"You now sign in as {result.Email}.");
            KitLine(c.Output, result.EmergencyKit, "It shows the new email; destroy the old kit.");
        });
        return command;
    }

    private static Option<string?> KitOption() => new("--emergency-kit") { Description = "Where to write the new Emergency Kit (default: in coffer's directory; never overwritten)" };

    private static void KitLine(Output output, string path, string advice) =>
        output.Line($"A new Emergency Kit is in {path} (readable only by you). {advice}");

    private static string Ended(int sessions) => sessions switch
    {
        0 => "No other session was open; on other devices",
        1 => "1 other session was ended; on that device",
        _ => sessions.ToString(CultureInfo.InvariantCulture) + " other sessions were ended; on those devices",
    };

    private static string? FullPath(string? path) => path is null ? null : Path.GetFullPath(path);
}
