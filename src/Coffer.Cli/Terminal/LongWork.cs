using System.Globalization;
using Spectre.Console;

namespace Coffer.Cli.Terminal;

/// <summary>
/// A progress display for work that takes a while (the agent deriving keys at setup, sign-in and unlock, a first sync of a
/// large vault, re-sealing items at a vault-key rotation, exporting or verifying the activity log): a spinner naming the
/// work and the time spent, on stderr, drawn only when stderr is a terminal and the output is not JSON, and only once the
/// work has lasted <see cref="ShowAfter"/> (quick commands, scripts and tests see no byte of it). The work happens in the
/// agent, which reports no fractions, so the display counts time rather than filling a bar. It stops for good before the
/// person is asked anything (a second factor), so a prompt never shares the line with it.
/// </summary>
internal sealed class LongWork
{
    public static readonly TimeSpan ShowAfter = TimeSpan.FromMilliseconds(400);

    private readonly TextWriter _error;
    private readonly bool _shown;
    private readonly object _gate = new();
    private TaskCompletionSource? _stop;
    private Task? _display;

    public LongWork(Output output, TextWriter? error = null, bool? errorIsTerminal = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        _error = error ?? output.Error;
        _shown = Shows(output.Json, errorIsTerminal ?? !Console.IsErrorRedirected);
    }

    /// <summary>Only for a person at a terminal reading tables: never in JSON output, never into a pipe or a file.</summary>
    public static bool Shows(bool json, bool errorIsTerminal) => !json && errorIsTerminal;

    /// <summary>Runs <paramref name="work"/>, with the display named <paramref name="activity"/> while it lasts longer than <see cref="ShowAfter"/>.</summary>
    public async Task<T> RunAsync<T>(string activity, Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!_shown)
        {
            return await work().ConfigureAwait(false);
        }
        // The agent call blocks its thread on the socket until the answer comes (AgentClient): the display needs this one.
        Task<T> running = Task.Run(work);
        using (CancellationTokenSource wait = new())
        {
            if (await Task.WhenAny(running, Task.Delay(ShowAfter, wait.Token)).ConfigureAwait(false) == running)
            {
                await wait.CancelAsync().ConfigureAwait(false);
                return await running.ConfigureAwait(false);
            }
        }
        TaskCompletionSource stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
        bool drawing = false;
        lock (_gate)
        {
            // Not when stopped before it began (a prompt came first) or another display is up.
            if (_stop is null)
            {
                drawing = true;
                _stop = stop;
                // Shown only on a terminal, which draws ANSI.
                IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
                {
                    Out = new AnsiConsoleOutput(_error),
                    Ansi = AnsiSupport.Yes,
                    Interactive = InteractionSupport.Yes,
                });
                _display = console.Status().Spinner(Spinner.Known.Dots).StartAsync(activity + "…", async status =>
                {
                    System.Diagnostics.Stopwatch elapsed = System.Diagnostics.Stopwatch.StartNew();
                    while (await Task.WhenAny(running, stop.Task, Task.Delay(250)).ConfigureAwait(false) is Task t && t != running && t != stop.Task)
                    {
                        status.Status(string.Create(CultureInfo.InvariantCulture, $"{activity}… {elapsed.Elapsed.TotalSeconds:F0} s"));
                    }
                });
            }
        }
        if (!drawing)
        {
            return await running.ConfigureAwait(false);
        }
        try
        {
            return await running.ConfigureAwait(false);
        }
        finally
        {
            StopShowing();
        }
    }

    /// <summary>Takes the display off the terminal (before a prompt) and waits until it is gone; it does not come back.</summary>
    public void StopShowing()
    {
        Task? display;
        lock (_gate)
        {
            _stop ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _stop.TrySetResult();
            display = _display;
        }
        display?.Wait(TimeSpan.FromSeconds(2));
    }
}
