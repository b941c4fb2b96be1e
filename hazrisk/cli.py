"""The one ``hazrisk`` command.

Each subcommand lives beside the code it drives, in a module exposing
``register(subparsers) -> None``; the parser it adds sets ``func`` (called with the parsed
arguments, returning the exit code). Modules are imported lazily so that ``hazrisk --help``
stays fast and a broken optional area never breaks the others.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Modules that register subcommands, in the order shown by ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "hazrisk.jt808.cli",
    "hazrisk.simulate.cli",
    "hazrisk.store.cli",
    "hazrisk.rates.cli",
    "hazrisk.safety.cli",
    "hazrisk.demo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hazrisk",
        description=(
            "危险品物流安全管理服务链工作台 / hazmat logistics safety workbench: decode JT/T 808 "
            "dumps, build the DuckDB warehouse, evaluate providers and enterprises, price risk."
        ),
    )
    from hazrisk import __version__

    parser.add_argument("--version", action="version", version=f"hazrisk {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:  # one broken area must not take the others down
            sys.stderr.write(f"hazrisk: commands from {name} unavailable: {exc}\n")
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except BrokenPipeError:  # e.g. `hazrisk decode x | head`
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
