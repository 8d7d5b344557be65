using System.Globalization;
using System.Text.Json;
using Coffer.Cli.Agent;
using Coffer.Cli.State;

namespace Coffer.Cli.Commands;

/// <summary>What the vault and item commands share: one call to the agent, its notice printed, and how times look.</summary>
internal static class ItemsClient
{
    public static readonly ItemJsonContext Json = ItemJsonContext.Default;

    /// <summary>Sends a call for the selected account; a notice (offline, stale) goes to stderr; returns the result.</summary>
    public static async Task<JsonElement> AskAsync(CliContext c, ItemCall call, CancellationToken cancellationToken)
    {
        StoredAccount account = c.Account();
        JsonElement answer = await c.AskAgentAsync(new ItemsRequest(account.MemberId, call), cancellationToken).ConfigureAwait(false);
        ItemsAnswer reply = answer.Deserialize(Json.ItemsAnswer) ?? throw new CliException("The coffer agent sent an empty answer.");
        if (reply.Notice is string notice)
        {
            c.Output.Note(notice);
        }
        return reply.Value;
    }

    public static string Time(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A permission set in a word when it is one of the presets, else the names.</summary>
    public static string Access(IReadOnlyList<string> permissions)
    {
        foreach ((string name, IReadOnlyList<string> preset) in VaultRoles.Presets)
        {
            if (preset.Count == permissions.Count && preset.All(permissions.Contains))
            {
                return name;
            }
        }
        return string.Join(", ", permissions);
    }
}

/// <summary>Named permission sets for <c>vault share --role</c> (POLICY.md's vault permissions).</summary>
internal static class VaultRoles
{
    public static readonly IReadOnlyList<string> Viewer = ["view_items", "view_and_copy_passwords", "view_item_history"];

    public static readonly IReadOnlyList<string> Editor = [.. Viewer, "create_items", "edit_items", "archive_items", "delete_items"];

    public static readonly IReadOnlyList<string> Manager = Contracts.Vaults.VaultPermissions.All;

    public static IReadOnlyList<(string Name, IReadOnlyList<string> Permissions)> Presets { get; } =
        [("viewer", Viewer), ("editor", Editor), ("manager", Manager)];

    /// <summary>The role's set (default viewer when no permission is named either), plus the named permissions, plus view_items.</summary>
    public static IReadOnlyList<string> Resolve(string? role, IEnumerable<string> permissions)
    {
        List<string> named = [.. permissions.SelectMany(p => p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
        IReadOnlyList<string> preset = role?.Trim().ToLowerInvariant() switch
        {
            null => named.Count == 0 ? Viewer : [],
            "viewer" => Viewer,
            "editor" => Editor,
            "manager" => Manager,
            _ => throw new CliException(ExitCodes.Usage, "A role is viewer, editor or manager."),
        };
        HashSet<string> set = new(StringComparer.Ordinal) { "view_items" };
        set.UnionWith(preset);
        set.UnionWith(named);
        return [.. Contracts.Vaults.VaultPermissions.All.Where(set.Contains), .. set.Where(p => !Contracts.Vaults.VaultPermissions.All.Contains(p))];
    }
}
