using System.CommandLine;
using Coffer.Cli.Agent;

namespace Coffer.Cli.Commands;

/// <summary>The hidden <c>coffer agent</c>: the agent process itself, started by other commands.</summary>
internal static class AgentCommand
{
    public static Command Build()
    {
        Command command = new("agent", "Run the agent (coffer starts it; not for typing)") { Hidden = true };
        command.SetAction(async (parse, _) =>
        {
            TimeSpan idle = CliContext.ParseDuration(parse.GetValue(GlobalOptions.IdleTimeout)) ?? CliContext.DefaultIdleTimeout;
            return await AgentServer.RunAsync(State.CofferHome.Resolve(), idle).ConfigureAwait(false);
        });
        return command;
    }
}
