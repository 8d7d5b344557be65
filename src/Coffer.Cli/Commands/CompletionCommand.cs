using System.CommandLine;

namespace Coffer.Cli.Commands;

/// <summary>
/// <c>completion bash|zsh</c>: prints a script that asks coffer itself for completions through System.CommandLine's
/// <c>[suggest:&lt;position&gt;]</c> directive, so the completions always match this version's commands and options.
/// </summary>
internal static class CompletionCommand
{
    public const string Bash = """
        # coffer completion for bash: add `source <(coffer completion bash)` to ~/.bashrc
        _coffer_complete() {
            local IFS=$'\n'
            local line="${COMP_LINE:0:$COMP_POINT}"
            local words
            words=$(coffer "[suggest:${#line}]" "$line" 2>/dev/null)
            COMPREPLY=( $(compgen -W "$words" -- "${COMP_WORDS[COMP_CWORD]}") )
        }
        complete -o default -F _coffer_complete coffer
        """;

    public const string Zsh = """
        # coffer completion for zsh: add `source <(coffer completion zsh)` to ~/.zshrc
        _coffer_complete() {
            local line="${BUFFER[1,$CURSOR]}"
            local -a words
            words=("${(@f)$(coffer "[suggest:${#line}]" "$line" 2>/dev/null)}")
            compadd -- $words
        }
        compdef _coffer_complete coffer
        """;

    public static Command Build()
    {
        Argument<string> shell = new("shell") { Description = "bash or zsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        Command command = new("completion", "Print a shell completion script (bash or zsh)") { shell };
        CofferCli.SetAction(command, (c, _) =>
        {
            c.Output.Out.WriteLine(c.Parse.GetValue(shell) == "zsh" ? Zsh : Bash);
            return Task.CompletedTask;
        });
        return command;
    }
}
