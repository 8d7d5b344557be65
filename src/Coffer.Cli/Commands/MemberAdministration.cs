using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coffer.Cli.Agent;
using Coffer.Cli.State;
using Coffer.Cli.Terminal;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Members;

namespace Coffer.Cli.Commands;

/// <summary>member confirm | suspend | reactivate | unlock | remove; group list | create | add | remove.</summary>
internal static class MemberAdministration
{
    private static readonly AgentJsonContext Json = AgentJsonContext.Default;

    /// <summary>
    /// Confirming a member (PROTOCOL.md §5.1 "First contact", §8): the fingerprints of the keys the server holds for them are
    /// shown, and — when the organisation's policy asks (POLICY.md <c>confirm_with_sas</c>: by default for confirmations that
    /// make an administrator) or <c>--sas</c> says so — the six words their own coffer shows (<c>coffer whoami --sas</c>),
    /// compared in person or by phone. Only the keys shown are certified: the agent refuses if they changed meanwhile.
    /// </summary>
    public static Command Confirm()
    {
        Argument<string> who = new("member") { Description = "The member's email or id" };
        Option<bool> admin = new("--admin") { Description = "Also make them an Administrator (gives them the Administrators group's key; the SAS is compared)" };
        Option<bool> sas = new("--sas") { Description = "Compare the short authentication string even when the policy does not ask for it" };
        Option<string?> words = new("--sas-words")
        {
            Description = "The six words the member read out from their coffer (for scripts; compared with the ones computed here)",
        };
        Option<bool> yes = new("--yes") { Description = "Confirm without asking (after comparing the fingerprints another way)" };
        Command command = new("confirm", "Confirm a member who accepted an invitation: certify their keys after comparing fingerprints")
        {
            who, admin, sas, words, yes, GlobalOptions.OtpStdin,
        };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement shown = await c.AskAgentAsync(new MemberPendingRequest(account.MemberId, c.Parse.GetValue(who)!), ct).ConfigureAwait(false);
            PendingMemberResult pending = shown.Deserialize(Json.PendingMemberResult)!;
            bool administrator = c.Parse.GetValue(admin);
            bool compareSas = administrator || c.Parse.GetValue(sas) || c.Parse.GetValue(words) is not null;
            TextWriter screen = c.Output.Json ? c.Output.Error : c.Output.Out;
            screen.WriteLine($"{pending.Name} <{pending.Email}> ({pending.MemberId}), {Group(pending.BaseGroup)}");
            screen.WriteLine($"  Encryption key: {pending.EncryptionFingerprint}");
            screen.WriteLine($"  Signing key:    {pending.SigningFingerprint}");
            if (compareSas)
            {
                screen.WriteLine($"  Short authentication string: {string.Join(' ', pending.ShortAuthenticationString)}");
                CompareSas(c, pending, c.Parse.GetValue(words));
            }
            if (!c.Parse.GetValue(yes))
            {
                if (!Input.Interactive)
                {
                    throw new CliException(ExitCodes.Usage, "No terminal to ask whether to confirm: pass --yes once you have compared the fingerprints.");
                }
                if (!c.Input.Confirm($"Certify these keys as {pending.Email}'s{(administrator ? " and make them an Administrator" : "")}?"))
                {
                    throw new CliException(ExitCodes.Usage, "Nothing was confirmed.");
                }
            }
            JsonElement answer = await c.AskAgentAsync(new MemberConfirmRequest(account.MemberId, pending.MemberId, pending.EncryptionFingerprint,
                pending.SigningFingerprint, administrator), ct).ConfigureAwait(false);
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line($"Confirmed {pending.Email}{(administrator ? " as an Administrator (they request their issuer key at their next unlock)" : "")}: they can unlock now.");
        });
        return command;
    }

    private static void CompareSas(CliContext c, PendingMemberResult pending, string? given)
    {
        if (given is not null)
        {
            string[] theirs = given.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(w => w.ToLowerInvariant()).ToArray();
            if (!theirs.SequenceEqual(pending.ShortAuthenticationString, StringComparer.Ordinal))
            {
                throw new CliException(ExitCodes.Refused,
                    $"Refused for your safety: the words {pending.Email}'s coffer shows are not the ones for the keys the server holds. Nothing was confirmed; tell your security contact.");
            }
            c.Output.Note("The six words match.");
            return;
        }
        if (!Input.Interactive)
        {
            throw new CliException(ExitCodes.Usage, "The short authentication string must be compared: pass --sas-words with the six words the member's `coffer whoami --sas` shows.");
        }
        if (!c.Input.Confirm($"Does {pending.Name}'s coffer (`coffer whoami --sas`) show exactly these six words?"))
        {
            throw new CliException(ExitCodes.Refused, "The words differ: nothing was confirmed. The server may hold keys that are not theirs; tell your security contact.");
        }
    }

    public static Command Lifecycle(string action, string description)
    {
        Argument<string> who = new("member") { Description = "The member's email or id" };
        Option<bool> yes = new("--yes") { Description = "Do not ask for confirmation" };
        Command command = new(action, description) { who };
        if (action == "remove")
        {
            command.Options.Add(yes);
        }
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            string target = c.Parse.GetValue(who)!;
            if (action == "remove" && !c.Parse.GetValue(yes))
            {
                if (!Input.Interactive)
                {
                    throw new CliException(ExitCodes.Usage, "No terminal to ask whether to remove them: pass --yes.");
                }
                if (!c.Input.Confirm($"Remove {target} from the organisation? Their sessions end and their devices are deauthorised."))
                {
                    throw new CliException(ExitCodes.Usage, "Nothing was changed.");
                }
            }
            JsonElement answer = await c.AskAgentAsync(new MemberLifecycleRequest(account.MemberId, target, action), ct).ConfigureAwait(false);
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            if (action == "unlock")
            {
                MemberUnlockResponse released = answer.Deserialize(Json.MemberUnlockResponse)!;
                string failures = string.Create(CultureInfo.InvariantCulture, $"{released.FailuresCleared} failed attempt(s) cleared");
                c.Output.Line(released.WasLocked
                    ? $"Released the lock on {released.Member.Email} ({failures}): they can sign in from a new device again."
                    : $"{released.Member.Email} was not locked ({failures}).");
                return;
            }
            (JsonElement lifecycle, List<JsonElement> retirements) = TakeRetirements(answer);
            MemberLifecycleResponse result = lifecycle.Deserialize(Json.MemberLifecycleResponse)!;
            string done = action switch
            {
                "suspend" => "Suspended",
                "reactivate" => "Reactivated",
                _ => "Removed",
            };
            c.Output.Line($"{done} {result.Member.Email}" + (result.SessionsEnded > 0 ? $"; {result.SessionsEnded} session(s) ended." : "."));
            RetirementLines(c.Output, retirements, result.Member.Email);
            RotationLines(c.Output, result, action);
        });
        return command;
    }

    /// <summary>
    /// Splits the agent's answer into the server's part and the issuer retirements the agent added (docs/adr/0027): a removed
    /// or demoted administrator's issuers are revoked after what they certified was re-certified.
    /// </summary>
    private static (JsonElement Answer, List<JsonElement> Retirements) TakeRetirements(JsonElement answer)
    {
        JsonObject rest = JsonObject.Create(answer)!;
        List<JsonElement> retirements = [];
        if (answer.TryGetProperty(AdminHandlers.RetirementField, out JsonElement one))
        {
            retirements.Add(one);
            rest.Remove(AdminHandlers.RetirementField);
        }
        if (answer.TryGetProperty(AdminHandlers.RetirementsField, out JsonElement many))
        {
            retirements.AddRange(many.EnumerateArray());
            rest.Remove(AdminHandlers.RetirementsField);
        }
        using JsonDocument document = JsonDocument.Parse(rest.ToJsonString());
        return (document.RootElement.Clone(), retirements);
    }

    private static void RetirementLines(Output output, List<JsonElement> retirements, string who)
    {
        foreach (JsonElement retirement in retirements)
        {
            int members = retirement.GetProperty("recertifiedMemberIds").GetArrayLength();
            int groups = retirement.GetProperty("recertifiedGroupIds").GetArrayLength();
            string[] revoked = [.. retirement.GetProperty("revokedIssuerIds").EnumerateArray().Select(e => e.GetString()!)];
            string version = retirement.GetProperty("revocationListVersion").GetInt64().ToString(CultureInfo.InvariantCulture);
            output.Line(string.Create(CultureInfo.InvariantCulture,
                $"Re-certified {members} member(s) and {groups} group(s) that {who}'s issuer key had certified, with yours."));
            output.Line(revoked.Length == 0
                ? $"{who} held no issuer key that was not already revoked."
                : $"Revoked {who}'s issuer key(s) {string.Join(", ", revoked)} (revocation list version {version}): nothing they sign is trusted from now on.");
        }
    }

    /// <summary>What the member could read: the keys to rotate so they cannot read what is written from now on.</summary>
    private static void RotationLines(Output output, MemberLifecycleResponse result, string action)
    {
        if (result.Vaults.Count == 0 && result.Groups.Count == 0)
        {
            return;
        }
        output.Line(action == "remove"
            ? "They could read the following: rotate these keys so they cannot read anything written from now on."
            : "They could read the following; if they should not come back, rotate these keys:");
        foreach (ReadableVaultDto vault in result.Vaults)
        {
            string how = vault.Direct ? "shared with them" : "through group " + string.Join(", ", vault.ThroughGroups);
            output.Line(string.Create(CultureInfo.InvariantCulture,
                $"  vault {vault.VaultId} (key serial {vault.KeySerial}, {vault.ItemIds.Count} item(s), {how})"));
            foreach (string item in vault.ItemIds)
            {
                output.Line("    item " + item);
            }
        }
        foreach (string group in result.Groups)
        {
            output.Line("  group " + group + " (its key: `coffer group remove` rotates it)");
        }
    }

    public static Command Groups()
    {
        Command list = new("list", "The organisation's groups");
        CofferCli.SetAction(list, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new GroupListRequest(account.MemberId), ct).ConfigureAwait(false);
            IReadOnlyList<GroupSummaryDto> groups = answer.Deserialize(Json.IReadOnlyListGroupSummaryDto)!;
            c.Output.Table(answer, ["Group", "Name", "Kind", "Members", "Key serial", "Permissions"],
                groups.Select(g => new[]
                {
                    g.Id, g.Name, g.Kind, g.MemberCount.ToString(CultureInfo.InvariantCulture), g.KeySerial.ToString(CultureInfo.InvariantCulture),
                    string.Join(", ", g.Permissions),
                }));
        });

        Argument<string> name = new("name") { Description = "The new group's name" };
        Option<string[]> permissions = new("--permission")
        {
            Description = "A permission its members get (repeat it): manage_members, manage_groups, view_activity_log, create_vaults, …",
            AllowMultipleArgumentsPerToken = false,
        };
        Command create = new("create", "Create a custom group (its key is made and certified here)") { name, permissions };
        CofferCli.SetAction(create, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new GroupCreateRequest(account.MemberId, c.Parse.GetValue(name)!, c.Parse.GetValue(permissions) ?? []), ct)
                .ConfigureAwait(false);
            GroupResult result = answer.Deserialize(Json.GroupResult)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line($"Created group {result.Name} ({result.GroupId}).");
        });

        return new Command("group", "The organisation's groups") { list, create, Membership(remove: false), Membership(remove: true) };
    }

    private static Command Membership(bool remove)
    {
        Argument<string> group = new("group") { Description = "The group's name, kind or id" };
        Argument<string[]> members = new("members") { Description = "Members' emails or ids", Arity = ArgumentArity.OneOrMore };
        Command command = remove
            ? new("remove", "Remove members from a group: its key is rotated, so they cannot read what is shared with it from now on") { group, members }
            : new("add", "Add members to a group (its key is wrapped to their certified keys)") { group, members, GlobalOptions.OtpStdin };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new GroupMembersRequest(account.MemberId, c.Parse.GetValue(group)!, c.Parse.GetValue(members)!, remove), ct)
                .ConfigureAwait(false);
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            (JsonElement rest, List<JsonElement> retirements) = TakeRetirements(answer);
            GroupResult result = rest.Deserialize(Json.GroupResult)!;
            c.Output.Line(remove
                ? $"Removed {result.Members.Count} member(s) from {result.Name}; its key was rotated."
                : $"Added {result.Members.Count} member(s) to {result.Name}.");
            foreach (JsonElement retirement in retirements)
            {
                RetirementLines(c.Output, [retirement], retirement.GetProperty("holderId").GetString()!);
            }
        });
        return command;
    }

    private static string Group(string kind) => kind switch
    {
        "guests" => "invited as a Guest",
        "team_members" => "invited as a Team Member",
        _ => kind,
    };
}
