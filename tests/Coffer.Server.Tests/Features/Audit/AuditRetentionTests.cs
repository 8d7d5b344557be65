using System.Globalization;
using Coffer.Contracts;
using Coffer.Contracts.Policies;
using Coffer.Sdk.Auth;
using Coffer.Server.Features.Audit;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Tests.Features.Audit;

/// <summary>
/// Activity-log retention (POLICY.md "Accounting": at least 6 months, at most 2 years unless overridden with a logged
/// reason; purging keeps the chain verifiable): a daily purge driven by the server's clock.
/// </summary>
public class AuditRetentionTests
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Theory, BothEngines]
    public async Task DailyPurge_EventsOlderThanRetention_AreDeleted_WithACheckpointAtTheCut_AndTheChainVerifies(Engine engine)
    {
        ManualClock clock = new(DateTimeOffset.UtcNow, drivesTimers: true);
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock,
            settings: new Dictionary<string, string?> { ["Coffer:Audit:RetentionDays"] = "200" });
        AuditStore store = new(org.Database.Database);
        AuditLog log = org.Server.Services.GetRequiredService<AuditLog>();
        long start = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await store.AppendAsync([.. Enumerable.Range(0, 4).Select(i => Entry(start + i))], CancellationToken.None);
        long cut = (await store.EventsAsync(0, 100, CancellationToken.None))[^1].Seq;

        clock.Advance(100 * Day);
        long later = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await store.AppendAsync([.. Enumerable.Range(0, 3).Select(i => Entry(later + i))], CancellationToken.None);
        Assert.Null(await store.LatestPurgeAsync(CancellationToken.None));

        // 201 days after the first events: they are past the 200 days kept, the later ones are not.
        clock.Advance(101 * Day);
        AuditPurgeRow purge = await WaitForPurgeAsync(store);

        Assert.Equal(cut, purge.CutSeq);
        List<AuditEventRow> kept = await store.EventsAsync(0, 100, CancellationToken.None);
        Assert.Equal(cut + 1, kept[0].Seq);
        Assert.Equal(later, kept[0].Time);
        Assert.Contains(kept, e => e.Action == AuditActions.AuditPurge);
        Assert.NotNull(await store.CheckpointAsync(cut, CancellationToken.None));
        AuditVerifyReport report = await new AuditVerifier(store).VerifyAsync(log.Key.PublicKey.ExportSpki(), CancellationToken.None);
        Assert.True(report.Intact, report.Message);
        Assert.Equal(cut, report.StartSeq);
    }

    // POLICY.md's retention is a policy setting: administrators shorten it through the policy document, and the next
    // daily purge keeps that many days, with no restart (the configured 730 days only seeded the document).
    [Theory, BothEngines]
    public async Task DailyPurge_PolicyRetentionShortened_KeepsThePolicysDays(Engine engine)
    {
        ManualClock clock = new(DateTimeOffset.UtcNow, drivesTimers: true);
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        AuditStore store = new(org.Database.Database);
        long start = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await store.AppendAsync([.. Enumerable.Range(0, 3).Select(i => Entry(start + i))], CancellationToken.None);
        using (SignInResult owner = await org.SignInOwnerAsync())
        {
            PolicyDocumentResponse current = await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/policy", Json.PolicyDocumentResponse);
            Assert.Equal(730, current.Settings.ActivityLogRetentionDays);
            await owner.Session.SendAsync(HttpMethod.Put, "/api/v1/policy",
                new PolicyUpdateRequest(current.Version, current.Settings with { ActivityLogRetentionDays = 183 }), Json.PolicyUpdateRequest,
                Json.PolicyDocumentResponse);
        }
        await org.Server.Services.GetRequiredService<AuditLog>().FlushAsync(CancellationToken.None);
        long cut = (await store.EventsAsync(0, 1000, CancellationToken.None))[^1].Seq;

        // Past 183 days and far short of 730: only the policy's number can make this purge happen.
        clock.Advance(184 * Day);
        AuditPurgeRow purge = await WaitForPurgeAsync(store);

        Assert.Equal(cut, purge.CutSeq);
        Assert.DoesNotContain(await store.EventsAsync(0, 1000, CancellationToken.None), e => e.Seq <= cut);
    }

    [Theory]
    [InlineData("182")]
    [InlineData("731")]
    [InlineData("0")]
    public void Build_RetentionOutsideThePolicyWithoutAReason_IsRefused(string days)
    {
        ConfigurationException e = Assert.Throws<ConfigurationException>(() => CofferServer.Build([], b =>
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Coffer:Audit:RetentionDays"] = days })));
        Assert.Contains("Coffer:Audit:RetentionDays", e.Message, StringComparison.Ordinal);
    }

    [Theory, BothEngines]
    public async Task Start_RetentionOverriddenWithAReason_LogsItAndRecordsItInTheActivityLog(Engine engine)
    {
        const string Reason = "the records office must keep sign-ins for 5 years (letter 2025-17)";
        CapturedLogs logs = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, configure: b => b.Logging.AddProvider(logs),
            settings: new Dictionary<string, string?>
            {
                ["Coffer:Audit:RetentionDays"] = (5 * 365).ToString(CultureInfo.InvariantCulture),
                ["Coffer:Audit:RetentionOverrideReason"] = Reason,
            });
        await org.Server.Services.GetRequiredService<AuditLog>().FlushAsync(CancellationToken.None);

        AuditEventRow recorded = Assert.Single(await new AuditStore(org.Database.Database).EventsAsync(0, 100, CancellationToken.None),
            e => e.Action == AuditActions.AuditRetentionOverride);
        Assert.Equal(AuditEntry.DetailsOf(("retentionDays", 5 * 365), ("reason", Reason)), recorded.Details);
        Assert.Contains(logs.Lines, l => l.Contains("Warning", StringComparison.Ordinal) && l.Contains(Reason, StringComparison.Ordinal)
            && l.Contains("1825 days", StringComparison.Ordinal));
    }

    private static AuditEntry Entry(long time) => new(time, TestOrganisation.OwnerId, "0190a1b2-0000-7000-8000-00000000d001", null, "192.0.2.7",
        "item.read", "item", "01890a5d-ac96-774b-bcce-b302099a8057", "success");

    private static async Task<AuditPurgeRow> WaitForPurgeAsync(AuditStore store)
    {
        for (int i = 0; i < 300; i++)
        {
            if (await store.LatestPurgeAsync(CancellationToken.None) is { } purge)
            {
                return purge;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("no purge ran after the clock moved past the retention");
    }
}
