using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Data;

namespace Coffer.Server.Features.Audit;

/// <summary>
/// <c>coffer-server audit verify [--organisation-fingerprint=&lt;fingerprint&gt;] [settings]</c>: opens the configured database
/// without starting the web host, verifies the activity log against the audit key in the data directory and the root's
/// certificates of audit keys (docs/adr/0016), prints a report and exits 0 when the log is intact, 1 when it is not
/// (naming the first bad seq, or a certificate that does not verify), 2 when it cannot run. An audit key no Owner has
/// certified yet is a warning with exit 0: the chain is intact, only nobody has vouched for the key. The organisation
/// fingerprint from the Emergency Kit, when given, must be the root the database holds.
/// </summary>
internal static class AuditCommand
{
    public static bool Matches(string[] args) =>
        args.Length >= 2 && args[0] == "audit" && args[1] == "verify";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        string[] settings = args[2..];
        IConfigurationRoot configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables("COFFER_")
            .AddCommandLine(settings)
            .Build();
        CofferOptions options = new();
        configuration.GetSection(CofferOptions.Section).Bind(options);

        string keyPath = AuditKey.PathIn(options.DataDirectory);
        byte[] trusted;
        using (AuditKey? key = AuditKey.Load(keyPath))
        {
            if (key is null)
            {
                await error.WriteLineAsync($"coffer-server: no audit key at {keyPath}; point Coffer:DataDirectory at the server's data directory.");
                return 2;
            }
            trusted = key.PublicKey.ExportSpki();
        }
        Fingerprint? expectedRoot = null;
        if (configuration["organisation-fingerprint"] is { } pinned)
        {
            if (!Fingerprint.TryParse(pinned, out Fingerprint parsed))
            {
                await error.WriteLineAsync("coffer-server: --organisation-fingerprint is not a fingerprint (52 base32 characters, as on the Emergency Kit).");
                return 2;
            }
            expectedRoot = parsed;
        }
        await using IDatabase database = DatabaseServices.Create(options);
        AuditVerifyReport report = await new AuditVerifier(new AuditStore(database)).VerifyAsync(trusted, expectedRoot, CancellationToken.None);
        TextWriter to = report.Intact ? output : error;
        string where = report.FirstBadSeq is { } seq ? $" at seq {seq}" : "";
        await to.WriteLineAsync(report.Intact ? "audit verify: OK" : $"audit verify: FAILED{where} ({report.Fault})");
        await to.WriteLineAsync("  " + report.Message);
        await to.WriteLineAsync(
            $"  chain starts after seq {report.StartSeq}; verified through seq {report.HeadSeq}; {report.EventsChecked} events, " +
            $"{report.CheckpointsChecked} checkpoints, {report.CountersignaturesChecked} countersignatures checked");
        if (report.RootFingerprint is { } root)
        {
            await to.WriteLineAsync($"  organisation root {Fingerprint.Parse(root).ToDisplayString()} (compare with the Emergency Kit)");
            await to.WriteLineAsync($"  audit key in the key file: {Describe(report.KeyCertification)}; {report.KeyCertificatesChecked} root certificates of " +
                $"audit keys verified; {report.CheckpointsByCertifiedKey} checkpoints by a certified key, {report.CheckpointsByUncertifiedKey} by an uncertified one");
        }
        foreach (string warning in report.Warnings)
        {
            await to.WriteLineAsync("  WARNING: " + warning);
        }
        return report.Intact ? 0 : 1;
    }

    private static string Describe(AuditKeyCertification certification) => certification switch
    {
        AuditKeyCertification.Certified => "certified by the organisation root",
        AuditKeyCertification.Superseded => "SUPERSEDED (a newer certificate names another key)",
        AuditKeyCertification.Uncertified => "NOT certified by the organisation root",
        _ => "no organisation yet",
    };
}
