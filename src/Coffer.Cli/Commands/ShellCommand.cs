using System.CommandLine;
using System.Text;
using Coffer.Cli.State;

namespace Coffer.Cli.Commands;

/// <summary>
/// <c>coffer shell</c>: coffer commands one per line in one process (like <c>keepassxc-cli open</c>), so a run of lookups
/// pays the start of a .NET process once; every command still goes to the agent, which holds the keys. The prompt
/// <c>coffer&gt; </c> is written before each line is read, also when stdin is not a terminal, so a program driving the
/// shell knows when an answer is complete. Lines are split like a shell's words ('…', "…", backslash escapes); a line that
/// reads a password (<c>unlock --password-stdin</c>) takes it from the next line. <c>exit</c>, <c>quit</c> or the end of
/// input ends the shell with the last command's exit code.
/// </summary>
internal static class ShellCommand
{
    public const string Prompt = "coffer> ";

    public static Command Build(Func<RootCommand> root)
    {
        Command shell = new("shell", "Run coffer commands one per line in one process, each as if after `coffer` (exit, quit or end of input ends it)");
        shell.SetAction(async (parse, cancellationToken) =>
        {
            // One command tree for every line: building it is most of a small command's own cost. One agent connection and
            // one read of accounts.json for every line too (CliSession).
            RootCommand tree = root();
            CofferHome home;
            try
            {
                home = CofferHome.Resolve();
            }
            catch (CliException e)
            {
                await Console.Error.WriteLineAsync("coffer: " + e.Message).ConfigureAwait(false);
                return e.ExitCode;
            }
            using CliSession session = new(home, keepAgentConnection: true);
            CliSession.Current = session;
            TextWriter original = Console.Out;
            if (Console.IsOutputRedirected)
            {
                // Into a pipe or a file, like C's stdio: a command's output is buffered and written with the next prompt, in
                // one write, so the program reading it wakes once per answer (and before any line is read, see RunLinesAsync).
                Console.SetOut(new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 16 * 1024) { AutoFlush = false });
            }
            try
            {
                return await RunLinesAsync(tree, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await Console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                if (!ReferenceEquals(Console.Out, original))
                {
                    Console.SetOut(original);
                }
                CliSession.Current = null;
            }
        });
        return shell;
    }

    private static async Task<int> RunLinesAsync(RootCommand tree, CancellationToken cancellationToken)
    {
        int last = ExitCodes.Ok;
        while (!cancellationToken.IsCancellationRequested)
        {
            await Console.Out.WriteAsync(Prompt).ConfigureAwait(false);
            await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
            string? line = await Console.In.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                break;
            }
            IReadOnlyList<string>? words = Split(line);
            if (words is null)
            {
                await Console.Error.WriteLineAsync("coffer: unbalanced quotes; nothing was run.").ConfigureAwait(false);
                last = ExitCodes.Usage;
                continue;
            }
            if (words.Count == 0)
            {
                continue;
            }
            if (words[0] is "exit" or "quit")
            {
                break;
            }
            if (words[0] is "shell" or "agent")
            {
                await Console.Error.WriteLineAsync($"coffer: `{words[0]}` does not run inside the shell.").ConfigureAwait(false);
                last = ExitCodes.Usage;
                continue;
            }
            last = await CofferCli.RunAsync(tree, [.. words]).ConfigureAwait(false);
        }
        return last;
    }

    /// <summary>A line's words as a POSIX shell splits them (quotes and backslashes; no expansion), or null for an unclosed quote.</summary>
    internal static IReadOnlyList<string>? Split(string line)
    {
        List<string> words = [];
        StringBuilder word = new();
        bool inWord = false;
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote == '\'')
            {
                if (c == '\'')
                {
                    quote = '\0';
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (quote == '"')
            {
                if (c == '"')
                {
                    quote = '\0';
                }
                else if (c == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or '$' or '`')
                {
                    word.Append(line[++i]);
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                inWord = true;
                if (c is '\'' or '"')
                {
                    quote = c;
                }
                else if (c == '\\' && i + 1 < line.Length)
                {
                    word.Append(line[++i]);
                }
                else
                {
                    word.Append(c);
                }
            }
        }
        if (quote != '\0')
        {
            return null;
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }
}
