"""`aeforecast` as a real subprocess, as an operator runs it, and the calls most tests make."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Cli:
    """The command in `cwd`, on `database_url`, with no AEF_* setting leaking from outside."""

    database_url: str
    cwd: Path

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AEF_")}
        env.update(AEF_DATABASE_URL=self.database_url, AEF_MODEL_DIR=str(self.cwd / "models"))
        return env

    def __call__(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "aeforecast.cli", *args]
        return subprocess.run(
            command, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=timeout
        )


def run_ok(cli: Cli, *args: str) -> str:
    """stdout of a command that must succeed; its output in the failure message otherwise."""
    done = cli(*args)
    assert done.returncode == 0, f"aeforecast {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def new_key(cli: Cli, scope: str, *trusts: str) -> str:
    """A new API key of `scope`, limited to `trusts` when any are given."""
    limits = [arg for code in trusts for arg in ("--trust", code)]
    created = run_ok(cli, "keys", "create", "--name", f"e2e {scope}", "--scope", scope, *limits)
    return created.strip()
