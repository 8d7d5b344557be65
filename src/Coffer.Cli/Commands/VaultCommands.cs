using System.CommandLine;
using System.Text.Json;
using Coffer.Cli.Agent;

namespace Coffer.Cli.Commands;

/// <summary><c>vault list|create|show|share|unshare|rotate</c>, through the agent's library of the account.</summary>
internal static class VaultCommands
{
    private static readonly ItemJsonContext Json = ItemsClient.Json;

    public static Command Build() =>
        new("vault", "Your vaults: list, create, show, share with members and groups, take access away, rotate the key")
        {
            List(), Create(), Show(), Share(), Unshare(), Rotate(),
        };

    private static Command List()
    {
        Command command = new("list", "The vaults you can open, and what your access allows");
        CofferCli.SetAction(command, async (c, ct) =>
        {
            JsonElement value = await ItemsClient.AskAsync(c, new VaultListCall(), ct).ConfigureAwait(false);
            IReadOnlyList<VaultView> vaults = value.Deserialize(Json.IReadOnlyListVaultView)!;
            c.Output.Table(value, ["Vault", "Kind", "Items", "Your access", "Key", "Id"],
                vaults.Select(v => new[] { v.Name, v.Kind, ItemsClient.Number(v.Items), ItemsClient.Access(v.Permissions), ItemsClient.Number(v.KeySerial), v.Id }));
        });
        return command;
    }

    private static Command Create()
    {
        Argument<string> name = new("name") { Description = "The vault's name (sealed: the server never sees it)" };
        Option<bool> travel = new("--safe-for-travel") { Description = "Keep it on devices in travel mode" };
        Command command = new("create", "Create a shared vault (you can share it and manage it)") { name, travel };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            JsonElement value = await ItemsClient.AskAsync(c, new VaultCreateCall(c.Parse.GetValue(name)!, c.Parse.GetValue(travel)), ct).ConfigureAwait(false);
            VaultView vault = value.Deserialize(Json.VaultView)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(value);
                return;
            }
            c.Output.Line($"Created vault \"{vault.Name}\" ({vault.Id}).");
        });
        return command;
    }

    private static Command Show()
    {
        Argument<string> vault = VaultArgument();
        Command command = new("show", "A vault, and (if you manage it) who may open it") { vault };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            JsonElement value = await ItemsClient.AskAsync(c, new VaultShowCall(c.Parse.GetValue(vault)!), ct).ConfigureAwait(false);
            VaultDetails details = value.Deserialize(Json.VaultDetails)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(value);
                return;
            }
            VaultView v = details.Vault;
            c.Output.Details(value,
            [
                ("Vault", v.Name), ("Kind", v.Kind), ("Items", ItemsClient.Number(v.Items)), ("Your access", string.Join(", ", v.Permissions)),
                ("Key serial", ItemsClient.Number(v.KeySerial)), ("Safe for travel", v.SafeForTravel ? "yes" : "no"), ("Id", v.Id),
            ]);
            if (details.Grants is IReadOnlyList<GrantView> grants)
            {
                c.Output.Line("");
                c.Output.Table(value, ["Who", "Kind", "Access", "Key", "Id"],
                    grants.Select(g => new[] { g.Name ?? g.Id, g.Kind, ItemsClient.Access(g.Permissions), ItemsClient.Number(g.KeySerial), g.Id }));
            }
        });
        return command;
    }

    private static Command Share()
    {
        Argument<string> vault = VaultArgument();
        Option<string?> member = new("--member") { Description = "A member, by email or id" };
        Option<string?> group = new("--group") { Description = "A group, by name or id" };
        Option<string?> role = new("--role") { Description = "viewer (default), editor or manager" };
        Option<string[]> permission = new("--permission")
        {
            Description = "A permission to grant (repeat, or separate with commas): view_items, view_and_copy_passwords, view_item_history, "
                + "create_items, edit_items, archive_items, delete_items, import_items, export_items, copy_and_share, manage_vault",
            AllowMultipleArgumentsPerToken = false,
        };
        role.AcceptOnlyFromAmong("viewer", "editor", "manager");
        Command command = new("share", "Share a vault with a member or a group (their keys verified to your organisation first)")
        {
            vault, member, group, role, permission,
        };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            IReadOnlyList<string> permissions = VaultRoles.Resolve(c.Parse.GetValue(role), c.Parse.GetValue(permission) ?? []);
            JsonElement value = await ItemsClient.AskAsync(c, new VaultShareCall(c.Parse.GetValue(vault)!, c.Parse.GetValue(member), c.Parse.GetValue(group),
                permissions), ct).ConfigureAwait(false);
            GrantView grant = value.Deserialize(Json.GrantView)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(value);
                return;
            }
            c.Output.Line($"Shared \"{c.Parse.GetValue(vault)}\" with {grant.Name ?? grant.Id} ({grant.Kind}): {string.Join(", ", grant.Permissions)}.");
        });
        return command;
    }

    private static Command Unshare()
    {
        Argument<string> vault = VaultArgument();
        Option<string?> member = new("--member") { Description = "A member, by email or id" };
        Option<string?> group = new("--group") { Description = "A group, by name or id" };
        Command command = new("unshare", "Take a member's or group's access away; the vault key is rotated at once") { vault, member, group };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            JsonElement value = await ItemsClient.AskAsync(c, new VaultUnshareCall(c.Parse.GetValue(vault)!, c.Parse.GetValue(member), c.Parse.GetValue(group)),
                ct).ConfigureAwait(false);
            UnshareResult result = value.Deserialize(Json.UnshareResult)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(value);
                return;
            }
            string who = result.Removed.Name ?? result.Removed.Id;
            if (!result.Rotated)
            {
                c.Output.Line($"You removed your own access to \"{result.Vault}\"; another manager of it must rotate its key (`coffer vault rotate`).");
                return;
            }
            c.Output.Line($"Removed {who}'s access to \"{result.Vault}\" and rotated its key (now key {ItemsClient.Number(result.KeySerial)}): "
                + "nothing written from now on opens with a key they held.");
            if (result.ItemsTheyCouldRead > 0)
            {
                c.Output.Line($"They could read {ItemsClient.Number(result.ItemsTheyCouldRead)} item(s) until now: change the passwords they may have kept "
                    + $"(`coffer item list --vault {result.VaultId}`).");
            }
        });
        return command;
    }

    private static Command Rotate()
    {
        Argument<string> vault = VaultArgument();
        Command command = new("rotate", "Rotate a vault's key: a new key, re-wrapped to everyone who still has access") { vault };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            JsonElement value = await ItemsClient.AskAsync(c, new VaultRotateCall(c.Parse.GetValue(vault)!), ct).ConfigureAwait(false);
            VaultView rotated = value.Deserialize(Json.VaultView)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(value);
                return;
            }
            c.Output.Line($"Rotated the key of \"{rotated.Name}\" (now key {ItemsClient.Number(rotated.KeySerial)}).");
        });
        return command;
    }

    private static Argument<string> VaultArgument() => new("vault") { Description = "The vault, by name or id" };
}
