using Coffer.Contracts.Vaults;
using Coffer.Sdk.Vaults;

namespace Coffer.Sdk.Tests.Vaults;

public sealed class ItemUsageReporterTests
{
    private const string VaultId = "0190a1b2-0000-7000-8000-0000000000a1";

    private static ItemUsageDto Use(int n) => new(VaultId, $"0190a1b2-0000-7000-8000-{n:D12}", ItemUsageActions.Reveal, "password", 1_900_000_000_000 + n);

    [Fact]
    public async Task Add_WhileAReportIsInFlight_TheNextReportCarriesEverythingAddedMeanwhile()
    {
        List<IReadOnlyList<ItemUsageDto>> sent = [];
        TaskCompletionSource firstMayFinish = new(TaskCreationOptions.RunContinuationsAsynchronously);
        TaskCompletionSource firstStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        ItemUsageReporter reporter = new(async (uses, _) =>
        {
            lock (sent)
            {
                sent.Add(uses);
            }
            if (sent.Count == 1)
            {
                firstStarted.SetResult();
                await firstMayFinish.Task;
            }
        });

        reporter.Add(Use(1));
        await firstStarted.Task;
        reporter.Add(Use(2));
        reporter.Add(Use(3));
        firstMayFinish.SetResult();
        bool flushed = await reporter.FlushAsync();

        Assert.True(flushed);
        Assert.Equal([[Use(1)], [Use(2), Use(3)]], sent);
        Assert.Equal(0, reporter.Waiting);
    }

    [Fact]
    public async Task UsesThatKeepComing_WaitForTheSpacing_AFlushSendsThemAtOnce()
    {
        // A script reading secrets in a loop: one report per spacing (an hour here, so the wait is unmistakable), not one per use.
        List<IReadOnlyList<ItemUsageDto>> sent = [];
        TaskCompletionSource firstSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
        ItemUsageReporter reporter = new((uses, _) =>
        {
            lock (sent)
            {
                sent.Add(uses);
            }
            firstSent.TrySetResult();
            return Task.CompletedTask;
        }, spacing: TimeSpan.FromHours(1));

        reporter.Add(Use(1));
        await firstSent.Task;
        reporter.Add(Use(2));
        reporter.Add(Use(3));
        await Task.Delay(200);
        int waitingBeforeFlush = reporter.Waiting;
        bool flushed = await reporter.FlushAsync();

        Assert.Equal(2, waitingBeforeFlush);
        Assert.True(flushed);
        Assert.Equal([[Use(1)], [Use(2), Use(3)]], sent);
    }

    [Fact]
    public async Task FailedReport_KeepsItsUsesInOrder_TheNextFlushSendsThem_AtMostAHundredAtATime()
    {
        bool online = false;
        List<IReadOnlyList<ItemUsageDto>> sent = [];
        ItemUsageReporter reporter = new((uses, _) =>
        {
            if (!online)
            {
                throw new HttpRequestException("offline");
            }
            sent.Add(uses);
            return Task.CompletedTask;
        });

        for (int i = 0; i < 150; i++)
        {
            reporter.Add(Use(i));
        }
        bool whileOffline = await reporter.FlushAsync();
        int waiting = reporter.Waiting;
        online = true;
        bool once = await reporter.FlushAsync();

        Assert.False(whileOffline);
        Assert.Equal(150, waiting);
        Assert.True(once);
        Assert.Equal([100, 50], sent.Select(s => s.Count));
        Assert.Equal(Enumerable.Range(0, 150).Select(Use), sent.SelectMany(s => s));
    }

    [Fact]
    public async Task SenderThrowingAnything_FlushSaysFalseWithoutThrowing_AndTheReporterKeepsWorking()
    {
        // Say the agent's re-sign-in needs a person: the sender throws something no network error looks like.
        bool needsPerson = true;
        List<ItemUsageDto> sent = [];
        ItemUsageReporter reporter = new((uses, _) =>
        {
            if (needsPerson)
            {
                throw new UnauthorizedAccessException("a second factor is needed");
            }
            sent.AddRange(uses);
            return Task.CompletedTask;
        });

        reporter.Add(Use(1));
        bool first = await reporter.FlushAsync();
        int waiting = reporter.Waiting;
        needsPerson = false;
        reporter.Add(Use(2));
        bool second = await reporter.FlushAsync();

        Assert.False(first);
        Assert.Equal(1, waiting);
        Assert.True(second);
        Assert.Equal([Use(1), Use(2)], sent);
    }

    [Fact]
    public async Task BeyondCapacity_TheOldestUsesAreDroppedAndCounted()
    {
        bool online = false;
        List<ItemUsageDto> sent = [];
        ItemUsageReporter reporter = new((uses, _) =>
        {
            if (!online)
            {
                throw new HttpRequestException("offline");
            }
            sent.AddRange(uses);
            return Task.CompletedTask;
        });

        for (int i = 0; i < ItemUsageReporter.Capacity + 5; i++)
        {
            reporter.Add(Use(i));
        }
        await reporter.FlushAsync();
        (int waiting, int dropped) = (reporter.Waiting, reporter.Dropped);
        online = true;
        await reporter.FlushAsync();

        Assert.Equal((ItemUsageReporter.Capacity, 5), (waiting, dropped));
        Assert.Equal(Enumerable.Range(5, ItemUsageReporter.Capacity).Select(Use), sent);
    }
}
