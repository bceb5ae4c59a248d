"""The `paradox` command line.

Each subcommand lives with the code it runs; a module offers it through
`register(subparsers)`, which adds its parser and sets `run=function(args) -> int`.
No command shows a user a traceback: bad input (an InputError, or a bad PARADOX_* variable)
prints one clear message and exits with status 2; Ctrl-C prints one line and exits with 130;
anything else is a bug, reported in one line with exit status 1 (PARADOX_DEBUG=1 shows the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys

from paradox import __version__
from paradox.errors import EXIT_BAD_INPUT, InputError
from paradox.interrupt import EXIT_INTERRUPTED, catch_ctrl_c, is_failure
from paradox.settings import SamplerSettings

#: Modules that offer subcommands, in the order --help lists them.
COMMAND_MODULES = ("paradox.simulate", "paradox.fit", "paradox.meta", "paradox.replication", "paradox.planning")
#: Exit status for an unexpected error (a bug, not bad input).
EXIT_INTERNAL_ERROR = 1
#: Smallest value of each PARADOX_* number (settings.py reads them; here they are checked for the commands).
ENV_MINIMUM = {"PARADOX_DRAWS": 1, "PARADOX_TUNE": 0, "PARADOX_CHAINS": 1, "PARADOX_SEED": 0}
#: NUTS implementations pm.sample knows (PARADOX_SAMPLER).
SAMPLERS = ("pymc", "nutpie", "numpyro", "blackjax")


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
    parser.set_defaults(commands=subparsers.choices)
    return parser


def repeated_options(command_parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """Options given twice that keep only their last value (argparse would drop the first without a word)."""
    counts: dict[str, int] = {}
    for token in argv:
        if token == "--":
            break
        option = token.split("=", 1)[0]
        # argparse's table of options (private, stable since Python 2.7): which action each one feeds.
        action = command_parser._option_string_actions.get(option)
        if action is not None and not isinstance(action, (argparse._AppendAction, argparse._HelpAction)):
            counts[action.dest] = counts.get(action.dest, 0) + 1
            if counts[action.dest] == 2:
                counts[option] = -1  # remember the spelling to report
    return [o for o, n in counts.items() if n == -1]


def check_environment(env=None) -> None:
    """Refuse bad PARADOX_* variables with a message naming the variable, before any work."""
    env = os.environ if env is None else env
    for name, minimum in ENV_MINIMUM.items():
        value = env.get(name, "").strip()
        if value and not (value.isdigit() and int(value) >= minimum):
            raise InputError(f"environment variable {name}={env[name]!r} must be a whole number of at least {minimum}")
    try:
        settings = SamplerSettings.from_env(dict(env))
    except ValueError as exc:
        raise InputError(f"environment: {exc}") from None
    sampler = settings.nuts_sampler
    if sampler not in SAMPLERS:
        raise InputError(f"environment variable PARADOX_SAMPLER={sampler!r} must be one of {', '.join(SAMPLERS)}")
    if sampler != "pymc" and importlib.util.find_spec(sampler) is None:
        raise InputError(f"environment variable PARADOX_SAMPLER={sampler}: {sampler} is not installed "
                         "(pip install -e '.[bench]' installs the others)")


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()  # imports pymc: seconds in which Ctrl-C must not give a traceback either
    except KeyboardInterrupt:
        print("paradox: interrupted (Ctrl-C); nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    prefix = f"paradox {args.command}"
    twice = repeated_options(args.commands[args.command], argv)
    if twice:
        print(f"{prefix}: error: {', '.join(twice)} given more than once; give each once", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        with catch_ctrl_c():
            check_environment()
            return int(args.run(args) or 0)
    except InputError as exc:
        print(f"{prefix}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted (Ctrl-C); nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BaseException as exc:
        # A Rust extension's panic is a bug like any other exception here (is_failure), not a reason to
        # leave the user a traceback.
        if os.environ.get("PARADOX_DEBUG") or not is_failure(exc):
            raise
        print(f"{prefix}: internal error: {type(exc).__name__}: {exc}. This is a bug, not your input: please "
              "report it with the command you ran (PARADOX_DEBUG=1 shows the traceback); nothing was written",
              file=sys.stderr)
        return EXIT_INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
