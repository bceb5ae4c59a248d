"""Reading the package's YAML files (analysis configs, design files) strictly.

PyYAML keeps the last of two equal keys without a word: `items:` given twice would run the
analysis on the second list only. Here a repeated key is an error naming both lines.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from paradox.errors import InputError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key; SafeLoader reports it itself
                break
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice (lines {first} and {key_node.start_mark.line + 1}); "
                    "only one can count, so keep one", key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load_yaml(path: str | Path, what: str) -> object:
    """The YAML document in `path` (a `what`, e.g. "config file"), or an InputError naming the problem."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"is a folder, not a {what}", file=path)
    if not path.is_file():
        raise InputError(f"no such {what}", file=path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"is not a UTF-8 text file; is it the {what} you meant?", file=path) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.constructor.ConstructorError as exc:
        raise InputError(f"{exc.problem}", file=path) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        hint = " (YAML does not allow tabs for indentation; use spaces)" if "\t" in text else ""
        raise InputError(f"not valid YAML{where}: {exc.problem or exc.context}{hint}", file=path) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {' '.join(str(exc).split())}", file=path) from None
