using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization;
using Coffer.Cli.State;

namespace Coffer.Cli.Commands;

/// <summary>
/// <c>account offline-window [&lt;duration&gt;|off]</c>: whether, and for how long after an online unlock, this device may
/// unlock the account from its local cache when the server cannot be reached (read-only). It is a setting of this device, off
/// by default, and never reaches past the organisation's window (the policy's <c>offlineWindowDays</c>, 0 by default: POLICY.md
/// "offline access only within the org's window"). The next online unlock records the shorter of the two, sealed, in the cache;
/// the offline unlock then enforces it.
/// </summary>
internal static class OfflineWindowCommand
{
    private static readonly TimeSpan Longest = TimeSpan.FromDays(30);

    /// <summary>Adds the command under <c>account</c>.</summary>
    public static void AddTo(RootCommand root) =>
        root.Subcommands.Single(c => c.Name == "account").Subcommands.Add(Build());

    private static Command Build()
    {
        Argument<string?> window = new("window")
        {
            Description = "How long after an online unlock: 12h, 3d (at most 30d), or off; leave it out to see the setting",
            Arity = ArgumentArity.ZeroOrOne,
        };
        Command command = new("offline-window", "Allow unlocking from this device's cache, read-only, when the server cannot be reached (default: off)")
        {
            window,
        };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            StoredAccount account = c.Account();
            string? text = c.Parse.GetValue(window);
            if (text is not null)
            {
                TimeSpan chosen = Parse(text);
                account = account with { OfflineWindowSeconds = chosen == TimeSpan.Zero ? null : (long)chosen.TotalSeconds };
                await c.Store.ReplaceAsync(account, ct).ConfigureAwait(false);
            }
            long seconds = account.OfflineWindowSeconds ?? 0;
            OfflineWindowResult result = new(account.Shorthand, seconds);
            if (c.Output.Json)
            {
                c.Output.WriteJson(result, OfflineWindowJsonContext.Default.OfflineWindowResult);
                return;
            }
            c.Output.Line(seconds == 0
                ? $"Offline access for {account.Email} on this device: off."
                : string.Create(CultureInfo.InvariantCulture, $"Offline access for {account.Email} on this device: up to {seconds / 3600.0:0.#} hours after each online unlock, read-only")
                    + (text is null ? "." : "; it takes effect at the next online `coffer unlock`."));
        });
        return command;
    }

    /// <summary>"off", "0", or a positive duration with s, m, h or d, at most 30 days.</summary>
    internal static TimeSpan Parse(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t is "off" or "0" or "none")
        {
            return TimeSpan.Zero;
        }
        (string number, double unit) = t.Length == 0 ? ("", 0) : t[^1] switch
        {
            's' => (t[..^1], 1.0),
            'm' => (t[..^1], 60.0),
            'h' => (t[..^1], 3600.0),
            'd' => (t[..^1], 86_400.0),
            _ => (t, 3600.0),
        };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) || value <= 0
            || value * unit > Longest.TotalSeconds)
        {
            throw new CliException(ExitCodes.Usage, "An offline window is a duration such as 12h or 3d (at most 30d), or off.");
        }
        return TimeSpan.FromSeconds(Math.Ceiling(value * unit));
    }
}

internal sealed record OfflineWindowResult(string Account, long OfflineWindowSeconds);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(OfflineWindowResult))]
internal sealed partial class OfflineWindowJsonContext : JsonSerializerContext;
