"""The ``rnnlm`` command line.

Each topic module that has commands defines ``register_cli(subparsers)``, which adds its
sub-commands with ``set_defaults(func=handler)``; handlers take the parsed ``argparse.Namespace``
and return an exit status. Heavy imports (torch, nbgrader) happen inside handlers, so
``rnnlm --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules that contribute sub-commands, in the order they appear in --help.
_COMMAND_MODULES = ("rnnlm.data", "rnnlm.ngram", "rnnlm.train", "rnnlm.tag", "rnnlm.course")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every available module's sub-commands."""
    from rnnlm import __version__

    parser = argparse.ArgumentParser(
        prog="rnnlm", description="Course kit for recurrent neural network language models."
    )
    parser.add_argument("--version", action="version", version=f"rnnlm {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a topic module not written yet
            if exc.name == name:
                continue
            raise
        register = getattr(module, "register_cli", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rnnlm`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        status = func(args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"rnnlm {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
