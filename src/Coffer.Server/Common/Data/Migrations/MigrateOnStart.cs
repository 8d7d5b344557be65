namespace Coffer.Server.Common.Data.Migrations;

/// <summary>
/// Applies migrations while the host is starting, before any hosted service starts — Kestrel included — so the
/// server never answers with an unmigrated database. A refusal stops the start-up.
/// </summary>
internal sealed class MigrateOnStart(IDatabase database, ILogger<MigrateOnStart> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => MigrationRunner.ApplyAsync(database, logger, cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
