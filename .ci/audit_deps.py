"""Audit the locked dependencies (requirements.lock) against PyPI's vulnerability data.

What `pip-audit -r requirements.lock --strict` does with its default PyPI service, with a
fallback for registries that, like the one our CI reaches, serve a project's JSON but not the
per-version JSON pip-audit asks for: then a pin is audited when it is the project's newest
release (whose vulnerabilities the project JSON lists). The run fails, loudly, saying what to
do, on a registry that cannot be reached, on a vulnerability not accepted in SECURITY.md
("Accepted findings", one `- ID: reason` line each) and on a pin it could not audit that
SECURITY.md does not list, with its reason, under "Not auditable here" (`- name==version: ...`).

The registry moves: a pin that was the newest release when `make lock` wrote the lock stops being
auditable here the day its project publishes another. Within GRACE_DAYS of the lock's date (its
`# locked YYYY-MM-DD` first line) such a pin is reported, with the release it is behind and the
day by which to re-lock, and does not fail the run; after that it does.

    .venv/bin/python .ci/audit_deps.py [requirements.lock]
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYPI = "https://pypi.org/pypi"
ACCEPTED = re.compile(r"^- `?([A-Z]+-[\w-]+)`?:", re.MULTILINE)
UNAUDITABLE = re.compile(r"^- `?([\w.-]+==[\w.+!-]+)`?:", re.MULTILINE)
LOCKED_ON = re.compile(r"^# locked (\d{4}-\d{2}-\d{2})", re.MULTILINE)
GRACE_DAYS = 14


def pins(lock: Path) -> list[tuple[str, str]]:
    found = []
    for line in lock.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            if not sep:
                sys.exit(f"audit: {lock.name}: '{line}' is not pinned as name==version")
            found.append((name.strip(), version.strip()))
    return found


def fetch(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def locked_on(lock: Path) -> date | None:
    found = LOCKED_ON.search(lock.read_text())
    return date.fromisoformat(found.group(1)) if found else None


def vulnerabilities(name: str, version: str) -> tuple[list[dict[str, Any]] | None, str]:
    """The release's known vulnerabilities (None when no data covers it) and the newest release."""
    release = fetch(f"{PYPI}/{name}/{version}/json")
    if release is None:
        project = fetch(f"{PYPI}/{name}/json")
        info = project.get("info") if project else None
        newest = str(info.get("version")) if isinstance(info, dict) else "unknown"
        if newest != version:
            return None, newest
        release = project
    found = [v for v in release.get("vulnerabilities") or [] if not v.get("withdrawn")]
    return found, version


def main() -> int:
    lock = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "requirements.lock"
    notes = (ROOT / "SECURITY.md").read_text()
    accepted, excused = set(ACCEPTED.findall(notes)), set(UNAUDITABLE.findall(notes))
    pinned = pins(lock)
    try:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda pin: vulnerabilities(*pin), pinned))
    except (urllib.error.URLError, TimeoutError) as exc:
        print(f"audit FAILED: PyPI's vulnerability data unreachable ({exc})", file=sys.stderr)
        return 1
    unaudited: list[str] = []
    findings: list[str] = []
    ignored: list[str] = []
    newest: dict[str, str] = {}
    for (name, version), (found, latest) in zip(pinned, results, strict=True):
        if found is None:
            unaudited.append(f"{name}=={version}")
            newest[f"{name}=={version}"] = latest
            continue
        for vuln in found:
            ids = {str(vuln.get("id")), *map(str, vuln.get("aliases") or [])}
            line = f"{name}=={version}: {vuln.get('id')} (fixed in {vuln.get('fixed_in')})"
            (ignored if ids & accepted else findings).append(line)
    unexcused = [pin for pin in unaudited if pin not in excused]
    print(f"audit: {len(pinned) - len(unaudited)} of {len(pinned)} pins audited, "
          f"{len(findings)} vulnerabilities, {len(ignored)} accepted, "
          f"{len(unaudited) - len(unexcused)} not auditable here (SECURITY.md)")
    for line in ignored:
        print(f"  accepted: {line}")
    for pin in sorted(set(unaudited) - set(unexcused)):
        print(f"  NOT AUDITED (SECURITY.md says why): {pin}")
    for line in findings:
        print(f"  VULNERABLE: {line}", file=sys.stderr)
    locked = locked_on(lock)
    if unexcused and locked is not None and date.today() <= locked + timedelta(GRACE_DAYS):
        relock_by = locked + timedelta(GRACE_DAYS)
        for pin in unexcused:
            print(f"  BEHIND: {pin} (newest {newest[pin]}), not auditable here; the lock of "
                  f"{locked} has until {relock_by} to be regenerated (make lock)")
        unexcused = []
    if unexcused:
        print("audit FAILED: no vulnerability data for " + ", ".join(unexcused) + "\n  (this "
              "registry has data for a project's newest release only: regenerate the lock with "
              "`make lock` (SECURITY.md), audit elsewhere with pip-audit, or list the pin with its "
              "reason under 'Not auditable here' in SECURITY.md)", file=sys.stderr)
    return 1 if findings or unexcused else 0


if __name__ == "__main__":
    sys.exit(main())
