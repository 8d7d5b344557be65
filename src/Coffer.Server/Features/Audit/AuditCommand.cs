using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Data;

namespace Coffer.Server.Features.Audit;

/// <summary>
/// <c>coffer-server audit verify [settings]</c>: opens the configured database without starting the web host,
/// verifies the activity log against the audit key in the data directory, prints a report and exits 0 when the log is
/// intact, 1 when it is not (naming the first bad seq), 2 when it cannot run.
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
        await using IDatabase database = DatabaseServices.Create(options);
        AuditVerifyReport report = await new AuditVerifier(new AuditStore(database)).VerifyAsync(trusted, CancellationToken.None);
        TextWriter to = report.Intact ? output : error;
        await to.WriteLineAsync(report.Intact ? "audit verify: OK" : $"audit verify: FAILED at seq {report.FirstBadSeq} ({report.Fault})");
        await to.WriteLineAsync("  " + report.Message);
        await to.WriteLineAsync(
            $"  chain starts after seq {report.StartSeq}; verified through seq {report.HeadSeq}; {report.EventsChecked} events, " +
            $"{report.CheckpointsChecked} checkpoints, {report.CountersignaturesChecked} countersignatures checked");
        return report.Intact ? 0 : 1;
    }
}
