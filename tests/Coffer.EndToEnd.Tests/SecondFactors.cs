using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Coffer.Protocol.Otp;
using Coffer.Sdk.Mfa;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Each person's authenticator app, as the tests hold it: the SDK's <see cref="TotpAuthenticator"/> (the one TOTP
/// implementation), loaded from the <c>otpauth://</c> URI the real coffer command printed at enrolment and keyed by the
/// email in its label, with the backup codes the command printed. Shared by the CLI runs and the SDK sign-ins of a person,
/// so no time step is offered twice.
/// </summary>
internal static partial class SecondFactors
{
    private static readonly ConcurrentDictionary<string, TotpAuthenticator> ByEmail = new(StringComparer.OrdinalIgnoreCase);
    private static readonly ConcurrentDictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The note the command writes when it reads the code from stdin: the harness answers it.</summary>
    public const string StdinNote = "Reading the one-time code from standard input.";

    /// <summary>The authenticator of <paramref name="email"/> at <paramref name="server"/> (test classes run in parallel, each with its own server and Owner).</summary>
    public static TotpAuthenticator For(Uri server, string email) => For(ServerOf(server.ToString()), email);

    public static TotpAuthenticator For(string? server, string email) =>
        ByEmail.TryGetValue(Key(server, email), out TotpAuthenticator? authenticator) ? authenticator
            : throw new InvalidOperationException("No authenticator was enrolled for " + email);

    /// <summary>The person's email changed: the same authenticator app signs in under the new one.</summary>
    public static void EmailChanged(Uri server, string from, string to) =>
        ByEmail[Key(ServerOf(server.ToString()), to)] = For(server, from);

    public static TotpAuthenticator? Find(string? server, string? email) =>
        email is not null && ByEmail.TryGetValue(Key(server, email), out TotpAuthenticator? authenticator) ? authenticator : null;

    /// <summary>Another address of the same server (a proxy in front of it): people's authenticators are the same there.</summary>
    public static void Alias(Uri alias, Uri server) => Aliases[ServerOf(alias.ToString())!] = ServerOf(server.ToString())!;

    private static string Key(string? server, string email) =>
        (server is not null && Aliases.TryGetValue(server, out string? real) ? real : server) + "|" + email;

    /// <summary>scheme://host:port of a server address or a link to it; null when it is not one.</summary>
    public static string? ServerOf(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https" ? uri.GetLeftPart(UriPartial.Authority) : null;

    /// <summary>Takes an enrolment URI the command printed for an account at <paramref name="server"/>; returns the email it is for.</summary>
    public static string Enrolled(string? server, string uri)
    {
        string email;
        using (OtpAuthUri parsed = OtpAuthUri.Parse(uri))
        {
            email = parsed.AccountName;
        }
        TotpAuthenticator authenticator = ByEmail.GetOrAdd(Key(server, email), _ => new TotpAuthenticator());
        authenticator.Load(uri);
        return email;
    }

    /// <summary>Backup codes in a command's stderr (<c>xxxx-xxxx-xxxx-xxxx</c>, indented).</summary>
    public static IReadOnlyList<string> BackupCodesIn(string stderr) =>
        [.. BackupCode().Matches(stderr).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"^\s+([A-Za-z2-7]{4}-[A-Za-z2-7]{4}-[A-Za-z2-7]{4}-[A-Za-z2-7]{4})\s*$", RegexOptions.Multiline)]
    private static partial Regex BackupCode();
}
