using System.Text;

namespace Coffer.Cli.Terminal;

/// <summary>
/// What the person types. Secrets come only from a prompt that does not echo, or from stdin when the command says so
/// (<c>--password-stdin</c>, <c>--secret-key-stdin</c>): never from argv or the environment, which land in shell
/// history and /proc. Prompts go to stderr, so stdout carries only results.
/// </summary>
internal sealed class Input(TextReader? stdin = null, TextWriter? prompts = null)
{
    private readonly TextReader _stdin = stdin ?? Console.In;
    private readonly TextWriter _prompts = prompts ?? Console.Error;

    public static bool Interactive => !Console.IsInputRedirected;

    /// <summary>One line from stdin (without its line ending).</summary>
    public string ReadStdinLine(string what)
    {
        // Inside `coffer shell` into a pipe, stdout is buffered: what came before is written before this waits for input.
        Console.Out.Flush();
        string? line = _stdin.ReadLine();
        if (line is null)
        {
            throw new CliException(ExitCodes.Usage, $"Expected {what} on standard input, one per line.");
        }
        return line.TrimEnd('\r');
    }

    /// <summary>A visible answer (an email, a name); <paramref name="option"/> names the flag that avoids the prompt.</summary>
    public string Ask(string label, string option)
    {
        if (!Interactive)
        {
            throw new CliException(ExitCodes.Usage, $"No terminal to ask for it: pass {option}.");
        }
        while (true)
        {
            _prompts.Write(label);
            string? answer = Console.ReadLine();
            if (answer is null)
            {
                throw new CliException(ExitCodes.Usage, "No answer.");
            }
            if (!string.IsNullOrWhiteSpace(answer))
            {
                return answer.Trim();
            }
        }
    }

    /// <summary>A secret typed at a terminal without echo.</summary>
    public string AskHidden(string label, string option)
    {
        if (!Interactive)
        {
            throw new CliException(ExitCodes.Usage, $"No terminal to ask for it without echo: pass {option} and write it to standard input.");
        }
        _prompts.Write(label);
        StringBuilder typed = new();
        try
        {
            while (true)
            {
                ConsoleKeyInfo key = Console.ReadKey(intercept: true);
                if (key.Key == ConsoleKey.Enter)
                {
                    break;
                }
                if (key.Key == ConsoleKey.Backspace)
                {
                    if (typed.Length > 0)
                    {
                        typed.Length--;
                    }
                    continue;
                }
                if (!char.IsControl(key.KeyChar))
                {
                    typed.Append(key.KeyChar);
                }
            }
            _prompts.WriteLine();
            return typed.ToString();
        }
        finally
        {
            typed.Clear();
        }
    }

    public bool Confirm(string question)
    {
        if (!Interactive)
        {
            return false;
        }
        _prompts.Write(question + " [y/N] ");
        string? answer = Console.ReadLine();
        return answer is not null && (answer.Trim().Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Trim().Equals("yes", StringComparison.OrdinalIgnoreCase));
    }
}
