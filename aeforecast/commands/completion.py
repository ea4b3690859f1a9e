"""`aeforecast completion bash|zsh`: a shell completion script, made from the parser itself.

Nothing to install: the script lists every command, action and option as this version has
them, so it never drifts from `--help`. Load it from a shell's start-up file:

    eval "$(aeforecast completion bash)"      # ~/.bashrc
    eval "$(aeforecast completion zsh)"       # ~/.zshrc (through bashcompinit)
"""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=["bash", "zsh"], help="the shell to complete in")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from aeforecast.cli import build_parser

    print(script(build_parser(), args.shell))
    return 0


def words(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """What may follow each command path: `""` -> commands, `"keys"` -> actions and options,
    `"keys create"` -> options."""
    table: dict[str, list[str]] = {}

    def walk(path: str, current: argparse.ArgumentParser) -> None:
        options = [o for action in current._actions for o in action.option_strings]
        subcommands: list[str] = []
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    subcommands.append(name)
                    walk(f"{path} {name}".strip(), child)
        table[path] = sorted(subcommands) + sorted(options)

    walk("", parser)
    return table


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    table = words(parser)
    cases = "\n".join(f'        "{path}") words="{" ".join(options)}" ;;'
                      for path, options in sorted(table.items()))
    known = "|".join(sorted(table))
    body = f"""_aeforecast() {{
    local cur path word words next known="|{known}|"
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    path=""
    for word in "${{COMP_WORDS[@]:1:COMP_CWORD-1}}"; do
        next="${{path:+$path }}$word"  # a command word moves on; an option's value does not
        [[ "$known" == *"|$next|"* ]] && path="$next"
    done
    case "$path" in
{cases}
        *) words="" ;;
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -o default -F _aeforecast aeforecast"""
    if shell == "zsh":
        body = "autoload -U +X bashcompinit && bashcompinit\n" + body
    return body
