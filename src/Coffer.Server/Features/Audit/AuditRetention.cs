using System.Globalization;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Time;
using Coffer.Server.Features.Policies;
using Microsoft.Extensions.Options;

namespace Coffer.Server.Features.Audit;

/// <summary>
/// Activity-log retention (POLICY.md "Accounting": at least 6 months, at most 2 years unless overridden with a logged
/// reason). Once at start-up and then every <see cref="Interval"/> by the server's <see cref="TimeProvider"/>, it
/// purges events older than the policy document's <c>activityLogRetentionDays</c> (whose default is
/// <c>Coffer:Audit:RetentionDays</c>; a configured override outside the range wins) through <see cref="AuditLog.PurgeAsync"/>, which signs a
/// checkpoint at the cut so the rest still verifies. Every node runs it: the purge locks the chain head and is
/// idempotent. An override is logged and recorded in the activity log at every start-up.
/// </summary>
internal sealed partial class AuditRetention(AuditLog audit, PolicyStore policies, IOptions<CofferOptions> options, TimeProvider clock,
    ILogger<AuditRetention> log)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromDays(1);

    private const int MaxReasonLength = 500;

    /// <summary>Refuses a retention outside POLICY.md's bounds without a reason, and a reason nobody can read.</summary>
    public static void Validate(AuditOptions audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        string? reason = audit.RetentionOverrideReason?.Trim();
        if (audit.RetentionDays < 1)
        {
            throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"Coffer:Audit:RetentionDays is {audit.RetentionDays}; it must be a number of days, 1 or more."));
        }
        if (reason is { Length: > MaxReasonLength } || (reason is not null && reason.Any(char.IsControl)))
        {
            throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"Coffer:Audit:RetentionOverrideReason must be one line of at most {MaxReasonLength} characters."));
        }
        if (IsOverride(audit) && string.IsNullOrEmpty(reason))
        {
            throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"Coffer:Audit:RetentionDays is {audit.RetentionDays}, outside the policy's {AuditOptions.MinimumRetentionDays}..{AuditOptions.MaximumRetentionDays} days (POLICY.md: at least 6 months, at most 2 years). To go outside them, also set Coffer:Audit:RetentionOverrideReason to why; it is logged and recorded in the activity log."));
        }
    }

    private static bool IsOverride(AuditOptions audit) =>
        audit.RetentionDays is < AuditOptions.MinimumRetentionDays or > AuditOptions.MaximumRetentionDays;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        AuditOptions settings = options.Value.Audit;
        using PeriodicTimer timer = new(Interval, clock);
        try
        {
            if (IsOverride(settings))
            {
                string reason = settings.RetentionOverrideReason!.Trim();
                LogOverride(log, settings.RetentionDays, AuditOptions.MinimumRetentionDays, AuditOptions.MaximumRetentionDays, reason);
                await audit.RecordAsync(new AuditEntry(clock.NowMs(), null, null, null, null, AuditActions.AuditRetentionOverride, null, null,
                    AuditOutcomes.Success, AuditEntry.DetailsOf(("retentionDays", settings.RetentionDays), ("reason", reason))), stoppingToken);
            }
            do
            {
                try
                {
                    int days = await RetentionDaysAsync(settings, stoppingToken);
                    long deleted = await audit.PurgeAsync(clock.NowMs() - (long)TimeSpan.FromDays(days).TotalMilliseconds, stoppingToken);
                    if (deleted > 0)
                    {
                        LogPurged(log, deleted, days);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(log, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// The retention in force at this purge: a configured override (outside POLICY.md's range, with its logged reason) wins;
    /// otherwise the policy document's <c>activityLogRetentionDays</c>, which administrators change without a restart and
    /// which starts from the configured value.
    /// </summary>
    private async Task<int> RetentionDaysAsync(AuditOptions settings, CancellationToken ct) =>
        IsOverride(settings) ? settings.RetentionDays : (await policies.CurrentAsync(ct)).Settings.ActivityLogRetentionDays;

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Activity-log retention is {Days} days, outside the policy's {Minimum}..{Maximum}, by override: {Reason}")]
    private static partial void LogOverride(ILogger logger, int days, int minimum, int maximum, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} activity-log events older than {Days} days; a signed checkpoint marks the cut")]
    private static partial void LogPurged(ILogger logger, long count, int days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Activity-log retention purge failed; it runs again within a day")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
