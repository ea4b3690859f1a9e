"""`aeforecast completion bash`: the script completes commands, actions and options in a real
bash, as this version's parser has them (issue 21: shell completion)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

SCRIPT = subprocess.run([sys.executable, "-m", "aeforecast.cli", "completion", "bash"],
                        capture_output=True, text=True, check=True).stdout


def complete(*typed: str) -> list[str]:
    """What bash offers after `aeforecast <typed...>` (the last word is being completed)."""
    words = " ".join(f"'{w}'" for w in ("aeforecast", *typed))
    program = (f"{SCRIPT}\nCOMP_WORDS=({words}); COMP_CWORD={len(typed)}; _aeforecast; "
               'printf "%s\\n" "${COMPREPLY[@]}"')
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash here")
def test_commands_actions_and_options_complete() -> None:
    assert {"batch", "db", "keys", "runs", "serve", "completion"} <= set(complete(""))
    assert complete("ke") == ["keys"]
    assert complete("keys", "cr") == ["create"]
    assert {"--scope", "--expires", "--trust"} <= set(complete("keys", "create", "--"))
    # an option's value does not count as a command word
    assert "--expires" in complete("keys", "create", "--name", "rota", "--ex")
    assert {"upgrade", "status"} <= set(complete("db", ""))
