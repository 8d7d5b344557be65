using Coffer.Contracts.Errors;

namespace Coffer.Cli;

/// <summary>
/// A failure to report to the person as one line on stderr and an <see cref="ExitCodes"/> value. Carries the
/// server's problem as received, for <c>--format json</c>. The message never holds a secret.
/// </summary>
internal sealed class CliException : Exception
{
    public CliException()
        : this(ExitCodes.Error, "coffer failed.")
    {
    }

    public CliException(string message)
        : this(ExitCodes.Error, message)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = ExitCodes.Error;
    }

    public CliException(int exitCode, string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    public CliException(int exitCode, string message, ProblemDto? problem = null)
        : base(message)
    {
        ExitCode = exitCode;
        Problem = problem;
    }

    public int ExitCode { get; }

    public ProblemDto? Problem { get; }
}
