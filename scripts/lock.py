"""Pin every installed package: write constraints.txt and the same versions into environment.yml.

Run by `make lock` with the interpreter of a fresh virtual environment into which pyproject.toml's
ranges were just installed (no constraints), so the pins are the newest versions those ranges allow
on the day. `make test` and `make reproduce` then install exactly these (`pip install -c`);
tests/test_environment.py checks that pyproject.toml, constraints.txt, environment.yml and the
installed environment agree.

    python scripts/lock.py            # from the environment's own python
"""

from __future__ import annotations

import platform
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints.txt"
ENVIRONMENT = ROOT / "environment.yml"
#: An environment.yml dependency line: "  - name<spec>" (a conda match spec).
CONDA_LINE = re.compile(r"^(?P<indent>\s*-\s*)(?P<name>[A-Za-z0-9_.\-]+)(?P<spec>[<>=!~][^#]*?)?(?P<comment>\s+#.*)?$")
#: environment.yml sections pinned from the lock; the bench extra is not installed by `make venv`, so it keeps ranges.
UNPINNED_SECTION = "# benchmarks"


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def freeze() -> dict[str, str]:
    """name -> version of every distribution installed in this interpreter's environment, pip included."""
    out = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"],
                         check=True, capture_output=True, text=True).stdout
    pins = {}
    for line in out.splitlines():
        if "==" in line and not line.startswith(("#", "-e")):
            name, version = line.split("==", 1)
            pins[normalise(name)] = version.strip()
    return pins


def write_constraints(pins: dict[str, str]) -> None:
    header = [
        "# Exact versions of every package `make venv` installs (pip install -c constraints.txt).",
        f"# Made by `make lock` on {date.today().isoformat()} with Python {platform.python_version()} "
        f"({platform.system()} {platform.machine()}).",
        "# The committed figures, tables and notebook outputs were made with these versions.",
    ]
    CONSTRAINTS.write_text("\n".join(header + [f"{name}=={pins[name]}" for name in sorted(pins)]) + "\n")


def pin_environment_yml(pins: dict[str, str]) -> None:
    """Replace the version spec of every environment.yml package that the lock has (bench section excepted)."""
    lines, pinning = [], True
    for line in ENVIRONMENT.read_text().splitlines():
        if line.strip().startswith(UNPINNED_SECTION):
            pinning = False
        match = CONDA_LINE.match(line)
        if pinning and match and normalise(match["name"]) in pins:
            line = f"{match['indent']}{match['name']}=={pins[normalise(match['name'])]}{match['comment'] or ''}"
        lines.append(line)
    ENVIRONMENT.write_text("\n".join(lines) + "\n")


def main() -> int:
    pins = freeze()
    write_constraints(pins)
    pin_environment_yml(pins)
    print(f"constraints.txt: {len(pins)} packages pinned; environment.yml updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
