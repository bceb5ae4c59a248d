#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter, or fail with a clear message.
# Order: $PYTHON if set, python3.12/python3.13 on PATH, python3 if new enough,
# then pyenv's versions (this project's machines have 3.11 as python3 and 3.12 under pyenv).
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
for name in python3.12 python3.13 python3.14 python3; do
  p=$(command -v "$name" 2>/dev/null) && candidates+=("$p")
done
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for p in "$root"/versions/3.12.*/bin/python "$root"/versions/3.13.*/bin/python "$root"/versions/3.14.*/bin/python; do
  [ -x "$p" ] && candidates+=("$p")
done
for p in "${candidates[@]}"; do
  # pyenv shims may point at 3.11; resolve by asking the interpreter itself.
  if ok "$p"; then "$p" -c 'import sys; print(sys.executable)'; exit 0; fi
done
echo "find_python: no Python >= 3.12 found (tried: ${candidates[*]:-none})." >&2
echo "Install one (e.g. 'pyenv install 3.12') or set PYTHON=/path/to/python3.12." >&2
exit 1
