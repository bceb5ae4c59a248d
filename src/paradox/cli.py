"""The `paradox` command line.

Each subcommand lives with the code it runs; a module offers it through
`register(subparsers)`, which adds its parser and sets `run=function(args) -> int`.
Bad input (an InputError) prints one clear message and exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from paradox import __version__
from paradox.errors import EXIT_BAD_INPUT, InputError

#: Modules that offer subcommands, in the order --help lists them.
COMMAND_MODULES = ("paradox.simulate", "paradox.analysis", "paradox.meta")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paradox",
        description="Bayesian tests of the service recovery paradox on survey data.",
    )
    parser.add_argument("--version", action="version", version=f"paradox {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a subcommand not built yet
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except InputError as exc:
        print(f"paradox {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
