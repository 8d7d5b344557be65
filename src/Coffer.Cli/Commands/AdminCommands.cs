using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Coffer.Cli.Agent;
using Coffer.Cli.State;
using Coffer.Contracts.Devices;
using Coffer.Contracts.Members;
using Coffer.Contracts.Sessions;

namespace Coffer.Cli.Commands;

/// <summary>session list|end, device list|revoke, member list|invite.</summary>
internal static class AdminCommands
{
    private static readonly AgentJsonContext Json = AgentJsonContext.Default;

    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Sessions());
        root.Subcommands.Add(Devices());
        root.Subcommands.Add(Members());
        root.Subcommands.Add(MemberAdministration.Groups());
        root.Subcommands.Add(AuditCommands.Build());
    }

    private static Command Sessions()
    {
        Command list = new("list", "Your live sessions (this one is marked)");
        CofferCli.SetAction(list, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new SessionListRequest(account.MemberId), ct).ConfigureAwait(false);
            IReadOnlyList<SessionDto> sessions = answer.Deserialize(Json.IReadOnlyListSessionDto)!;
            c.Output.Table(answer, ["Session", "Device", "Name", "Platform", "Started", "Last used", "This one"],
                sessions.Select(s => new[] { s.SessionId, s.DeviceId, s.DeviceName, s.Platform, Time(s.CreatedAt), Time(s.LastUsedAt), s.Current ? "*" : "" }));
        });
        Argument<string> id = new("session-id") { Description = "The session to end (from `coffer session list`)" };
        Command end = new("end", "End one of your sessions") { id };
        CofferCli.SetAction(end, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new SessionEndRequest(account.MemberId, c.Parse.GetValue(id)!), ct).ConfigureAwait(false);
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line("Session ended.");
        });
        return new Command("session", "Your sessions") { list, end };
    }

    private static Command Devices()
    {
        Option<string?> member = new("--member") { Description = "Another member's devices (needs manage_members)" };
        Command list = new("list", "Devices that signed in to your account (or another member's)") { member };
        CofferCli.SetAction(list, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new DeviceListRequest(account.MemberId, c.Parse.GetValue(member)), ct).ConfigureAwait(false);
            IReadOnlyList<DeviceDto> devices = answer.Deserialize(Json.IReadOnlyListDeviceDto)!;
            c.Output.Table(answer, ["Device", "Name", "Platform", "Version", "First seen", "Last seen", "Sessions", "State", "This one"],
                devices.Select(d => new[]
                {
                    d.DeviceId, d.Name, d.Platform, d.ClientVersion, Time(d.CreatedAt), Time(d.LastSeenAt),
                    d.ActiveSessions.ToString(CultureInfo.InvariantCulture), d.RevokedAt is long r ? "deauthorised " + Time(r) : "authorised",
                    d.Current ? "*" : "",
                }));
        });
        Argument<string> id = new("device-id") { Description = "The device to deauthorise (from `coffer device list`)" };
        Command revoke = new("revoke", "Deauthorise a device: its sessions end and it wipes its Coffer data at its next contact") { id, GlobalOptions.OtpStdin };
        CofferCli.SetAction(revoke, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new DeviceRevokeRequest(account.MemberId, c.Parse.GetValue(id)!), ct).ConfigureAwait(false);
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line("Device deauthorised.");
        });
        return new Command("device", "Your devices") { list, revoke };
    }

    private static Command Members()
    {
        Command list = new("list", "The organisation's members");
        CofferCli.SetAction(list, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            JsonElement answer = await c.AskAgentAsync(new MemberListRequest(account.MemberId), ct).ConfigureAwait(false);
            IReadOnlyList<MemberDto> members = answer.Deserialize(Json.IReadOnlyListMemberDto)!;
            c.Output.Table(answer, ["Member", "Name", "Email", "Role", "State", "Groups"],
                members.Select(m => new[] { m.Id, m.Name, m.Email, AgentHandlers.RoleOf(m), m.State, string.Join(", ", m.Groups.Select(g => g.Name)) }));
        });
        Argument<string> email = new("email") { Description = "The person's email" };
        Option<string?> name = new("--name") { Description = "Their name (default: the part of the email before the @)" };
        Option<bool> guest = new("--guest") { Description = "Invite as a Guest (no personal vault, sees only what is shared) instead of a Team Member" };
        Command invite = new("invite", "Invite a person by email (needs manage_members); the server mails them the link") { email, name, guest };
        CofferCli.SetAction(invite, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            string address = c.Parse.GetValue(email)!.Trim();
            string display = c.Parse.GetValue(name) ?? address.Split('@')[0];
            string baseGroup = c.Parse.GetValue(guest) ? "guests" : "team_members";
            JsonElement answer = await c.AskAgentAsync(new MemberInviteRequest(account.MemberId, address, display, baseGroup), ct).ConfigureAwait(false);
            InvitationResponse invited = answer.Deserialize(Json.InvitationResponse)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
                return;
            }
            c.Output.Line($"Invited {address} (member {invited.MemberId}); the link works until {Time(invited.ExpiresAt)}.");
        });
        return new Command("member", "The organisation's members")
        {
            list, invite, MemberAdministration.Confirm(), MemberAdministration.Lifecycle("suspend", "Suspend a member: their sessions end and they cannot sign in until reactivated"),
            MemberAdministration.Lifecycle("reactivate", "Reactivate a suspended member"),
            MemberAdministration.Lifecycle("unlock", "Release a member's account locked after too many failed sign-ins or codes"),
            MemberAdministration.Lifecycle("remove", "Remove a member from the organisation (prints the vaults and groups whose keys to rotate)"),
        };
    }

    internal static string Time(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
