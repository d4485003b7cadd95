using System.CommandLine;
using Ferry.Cli.Infrastructure;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry completion bash|zsh|fish|pwsh</c>: prints a script that makes the shell complete ferry's commands,
/// options, host aliases (~/.ferry/config) and remote paths of get/ls/rm. Each script asks the ferry being
/// completed (<c>ferry __complete --line LINE</c>, <see cref="CompleteCommand"/>) what fits, so it never goes stale.
/// </summary>
internal static class CompletionCommand
{
    public static readonly string[] Shells = ["bash", "zsh", "fish", "pwsh"];

    public static Command Create(CliContext cli)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh, fish or pwsh" };
        shell.AcceptOnlyFromAmong(Shells);
        var command = new Command("completion",
            "Print a shell completion script: commands, options, host aliases and remote paths (get, ls, rm).\n" +
            "Enable it: bash: add  eval \"$(ferry completion bash)\"  to ~/.bashrc;  zsh: add  eval \"$(ferry completion zsh)\"  to\n" +
            "~/.zshrc (after compinit);  fish: ferry completion fish > ~/.config/fish/completions/ferry.fish;  PowerShell: add\n" +
            "ferry completion pwsh | Out-String | Invoke-Expression  to $PROFILE. Remote paths are listed from the server with\n" +
            "a 2 s limit ($FERRY_COMPLETION_TIMEOUT seconds to change), for servers already trusted (known_hosts), never asking anything.")
        {
            shell,
        };
        command.SetAction(result =>
        {
            cli.Out.Write(result.GetValue(shell) switch
            {
                "bash" => Bash,
                "zsh" => Zsh,
                "fish" => Fish,
                _ => PowerShell,
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    // The program is the word being completed (ferry, ./ferry, ~/bin/ferry), so the script completes whichever ferry
    // is typed. bash splits words at ':' and '=' too (COMP_WORDBREAKS); ferry reads the line itself, and the part of
    // the word before the last ':' is trimmed from its answers, as bash-completion's __ltrim_colon_completions does.
    private const string Bash = """
        # ferry completion for bash. Enable: eval "$(ferry completion bash)"  (in ~/.bashrc)
        _ferry_complete() {
            local program="${COMP_WORDS[0]}"
            [[ "$program" == "~/"* ]] && program="$HOME/${program#\~/}"
            local line="${COMP_LINE:0:COMP_POINT}"
            local word="${line##*[[:space:]]}"
            local IFS=$'\n'
            COMPREPLY=($("$program" __complete --line "$line" 2>/dev/null))
            if [[ "$word" == *:* && "$COMP_WORDBREAKS" == *:* ]]; then
                local colon="${word%"${word##*:}"}"
                local i
                for i in "${!COMPREPLY[@]}"; do COMPREPLY[$i]="${COMPREPLY[$i]#"$colon"}"; done
            fi
            if [[ ${#COMPREPLY[@]} -eq 1 && "${COMPREPLY[0]}" == */ ]]; then compopt -o nospace 2>/dev/null; fi
            return 0
        }
        complete -o default -o bashdefault -F _ferry_complete ferry ./ferry

        """;

    private const string Zsh = """
        # ferry completion for zsh. Enable: eval "$(ferry completion zsh)"  (in ~/.zshrc, after compinit)
        _ferry() {
            local -a found folders others
            found=("${(@f)$(${~words[1]} __complete --line "${(j: :)${(@q)words[1,CURRENT-1]}} ${(q)PREFIX}" 2>/dev/null)}")
            found=(${found:#})
            if (( ${#found} == 0 )); then _files; return; fi
            folders=(${(M)found:#*/})
            others=(${found:#*/})
            (( ${#folders} )) && compadd -Q -S '' -- $folders
            (( ${#others} )) && compadd -Q -- $others
        }
        compdef _ferry ferry

        """;

    private const string Fish = """
        # ferry completion for fish. Enable: ferry completion fish > ~/.config/fish/completions/ferry.fish
        function __ferry_complete
            set -l program (commandline -opc)[1]
            set -l found ($program __complete --line (commandline -cp) 2>/dev/null)
            if test (count $found) -eq 0
                __fish_complete_path (commandline -ct)
            else
                printf '%s\n' $found
            end
        end
        complete -c ferry -f -a '(__ferry_complete)'

        """;

    private const string PowerShell = """
        # ferry completion for PowerShell. Enable: ferry completion pwsh | Out-String | Invoke-Expression  (in $PROFILE)
        Register-ArgumentCompleter -Native -CommandName ferry -ScriptBlock {
            param($wordToComplete, $commandAst, $cursorPosition)
            $text = $commandAst.Extent.Text
            $upTo = $cursorPosition - $commandAst.Extent.StartOffset
            $line = if ($upTo -gt $text.Length) { $text + (' ' * ($upTo - $text.Length)) } else { $text.Substring(0, $upTo) }
            $program = $commandAst.CommandElements[0].ToString()
            & $program __complete --line $line 2>$null | ForEach-Object {
                [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
            }
        }

        """;
}
