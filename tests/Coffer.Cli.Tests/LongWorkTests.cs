using Coffer.Cli.Terminal;

namespace Coffer.Cli.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class LongWorkTests
{
    [Theory]
    [InlineData(false, true, true)]
    [InlineData(true, true, false)]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    public void Shows_OnlyForTablesOnATerminal(bool json, bool errorIsTerminal, bool shown) => Assert.Equal(shown, LongWork.Shows(json, errorIsTerminal));

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public async Task RunAsync_JsonOrNotATerminal_WritesNothing_EvenForSlowWork(bool json, bool errorIsTerminal)
    {
        using StringWriter stdout = new();
        using StringWriter stderr = new();
        LongWork progress = new(new Output(json, stdout, stderr), stderr, errorIsTerminal);

        int result = await progress.RunAsync("Verifying the activity log", async () =>
        {
            await Task.Delay(LongWork.ShowAfter * 2);
            return 42;
        });

        Assert.Equal(42, result);
        Assert.Equal("", stdout.ToString());
        Assert.Equal("", stderr.ToString());
    }

    [Fact]
    public async Task RunAsync_TablesOnATerminal_NamesTheWorkOnStderrOnly()
    {
        using StringWriter stdout = new();
        using StringWriter stderr = new();
        LongWork progress = new(new Output(false, stdout, stderr), stderr, errorIsTerminal: true);

        int result = await progress.RunAsync("Verifying the activity log", async () =>
        {
            await Task.Delay(LongWork.ShowAfter * 3);
            return 42;
        });

        Assert.Equal(42, result);
        Assert.Equal("", stdout.ToString());
        Assert.Contains("Verifying the activity log", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_WorkThatBlocksItsThread_StillNamesTheWork()
    {
        // The agent call blocks on its socket until the answer comes (AgentClient): the display must not wait for it.
        using StringWriter stderr = new();
        LongWork progress = new(new Output(false, TextWriter.Null, stderr), stderr, errorIsTerminal: true);

        int result = await progress.RunAsync("Rotating the vault key", () =>
        {
            Thread.Sleep(LongWork.ShowAfter * 3);
            return Task.FromResult(42);
        });

        Assert.Equal(42, result);
        Assert.Contains("Rotating the vault key", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_QuickWork_DrawsNothingEvenOnATerminal()
    {
        using StringWriter stderr = new();
        LongWork progress = new(new Output(false, TextWriter.Null, stderr), stderr, errorIsTerminal: true);

        Assert.Equal(7, await progress.RunAsync("Syncing your vaults", () => Task.FromResult(7)));
        Assert.Equal("", stderr.ToString());
    }
}
