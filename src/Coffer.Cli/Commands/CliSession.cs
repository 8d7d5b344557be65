using Coffer.Cli.Agent;
using Coffer.Cli.State;

namespace Coffer.Cli.Commands;

/// <summary>
/// What the commands of one process share: the home, its accounts file (read again only when it changed) and the agent
/// client. A single command makes its own; <c>coffer shell</c> makes one for its whole life (<see cref="Current"/>), so its
/// lines keep one agent connection and read <c>accounts.json</c> once.
/// </summary>
internal sealed class CliSession : IDisposable
{
    public CliSession(CofferHome home, bool keepAgentConnection)
    {
        Home = home;
        Store = new AccountStore(home);
        Agent = new AgentClient(home, keepAgentConnection);
    }

    /// <summary>The shell's session while it runs; null otherwise (each command then makes its own).</summary>
    public static CliSession? Current { get; set; }

    public CofferHome Home { get; }

    public AccountStore Store { get; }

    public AgentClient Agent { get; }

    public void Dispose() => Agent.Dispose();
}
