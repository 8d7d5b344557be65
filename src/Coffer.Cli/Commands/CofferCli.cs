using System.CommandLine;
using System.CommandLine.Invocation;
using Coffer.Cli.Terminal;

namespace Coffer.Cli.Commands;

/// <summary>The <c>coffer</c> command tree, and how every command reports failure.</summary>
internal static class CofferCli
{
    public static RootCommand Build()
    {
        RootCommand root = new("coffer: end-to-end encrypted passwords for your organisation, from a terminal.");
        GlobalOptions.AddTo(root);
        AccountCommands.AddTo(root);
        AdminCommands.AddTo(root);
        MfaCommands.AddTo(root);
        root.Subcommands.Add(VaultCommands.Build());
        root.Subcommands.Add(ItemCommands.Build());
        OfflineWindowCommand.AddTo(root);
        root.Subcommands.Add(ClipboardGuardCommand.Build());
        root.Subcommands.Add(GenerateCommand.Build());
        root.Subcommands.Add(CompletionCommand.Build());
        root.Subcommands.Add(AgentCommand.Build());
        root.Subcommands.Add(ShellCommand.Build(Build));
        return root;
    }

    public static Task<int> RunAsync(string[] args) => RunAsync(Build(), args);

    /// <summary>Parses and runs one command line on <paramref name="root"/> (the shell runs many on one tree).</summary>
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        ParseResult parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            foreach (System.CommandLine.Parsing.ParseError error in parse.Errors)
            {
                await Console.Error.WriteLineAsync("coffer: " + error.Message).ConfigureAwait(false);
            }
            await Console.Error.WriteLineAsync("Run `coffer --help` for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync().ConfigureAwait(false);
    }

    /// <summary>Wraps a command body: builds the context, and turns a <see cref="CliException"/> into stderr and an exit code.</summary>
    public static void SetAction(Command command, Func<CliContext, CancellationToken, Task> body, bool allowCsv = false)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            Output output = new(string.Equals(parse.GetValue(GlobalOptions.Format), "json", StringComparison.Ordinal));
            try
            {
                if (!allowCsv && string.Equals(parse.GetValue(GlobalOptions.Format), "csv", StringComparison.Ordinal))
                {
                    throw new CliException(ExitCodes.Usage, "--format csv is for `coffer audit export`; this command writes table or json.");
                }
                CliContext context = CliContext.Create(parse, output);
                await body(context, cancellationToken).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            catch (CliException e)
            {
                return output.Fail(e);
            }
        });
    }
}
