"""The one ``hazrisk`` command.

Each subcommand lives beside the code it drives, in a module exposing
``register(subparsers) -> None``; the parser it adds sets ``func`` (called with the parsed
arguments, returning the exit code). A run of one command imports only its module
(:data:`COMMANDS`; importing them all cost ~1.2 s of every run, scikit-learn's and Streamlit's
imports included); ``hazrisk --help`` imports them all. A core area that fails to import fails
the whole command loudly (a broken area must never vanish from ``--help`` unnoticed); only a
module listed in :data:`OPTIONAL_COMMAND_MODULES` whose *third-party* dependency is missing
(an extra not installed) is reported as unavailable, naming the extra to install.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

#: Modules that register subcommands, in the order shown by ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "hazrisk.jt808.cli",
    "hazrisk.simulate.cli",
    "hazrisk.store.cli",
    "hazrisk.rates.cli",
    "hazrisk.safety.cli",
    "hazrisk.safety.holds_cli",
    "hazrisk.daily",
    "hazrisk.history.cli",
    "hazrisk.reports.cli",
    "hazrisk.risk.cli",
    "hazrisk.portal.cli",
    "hazrisk.demo",
)

#: Each subcommand's module (``tests/test_cli_surface.py`` checks it against what the modules
#: register).
COMMANDS: dict[str, str] = {
    "decode": "hazrisk.jt808.cli",
    "simulate": "hazrisk.simulate.cli",
    **dict.fromkeys(("ingest", "registry", "retain", "publish", "export"), "hazrisk.store.cli"),
    **dict.fromkeys(("rates", "devices"), "hazrisk.rates.cli"),
    **dict.fromkeys(("detect", "safety"), "hazrisk.safety.cli"),
    "hold": "hazrisk.safety.holds_cli",
    "daily": "hazrisk.daily",
    "history": "hazrisk.history.cli",
    **dict.fromkeys(("report", "lab"), "hazrisk.reports.cli"),
    **dict.fromkeys(("model", "premium"), "hazrisk.risk.cli"),
    "app": "hazrisk.portal.cli",
    "demo": "hazrisk.demo",
}

#: Command modules that need an optional extra: module -> extra of pyproject.toml. Only these
#: may be missing, and only because a package outside hazrisk is not installed.
OPTIONAL_COMMAND_MODULES: dict[str, str] = {}


def _import_command_module(name: str) -> Any | None:
    """The module, or ``None`` (with a note on stderr) when an optional extra is missing."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing = (exc.name or "").split(".")[0]
        extra = OPTIONAL_COMMAND_MODULES.get(name)
        if extra is None or not missing or missing == "hazrisk":
            raise
        sys.stderr.write(f"hazrisk: commands of {name} unavailable: {missing} is not installed "
                         f"(pip install 'hazrisk[{extra}]')\n")
        return None


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, like every other error (exit 2); subcommands inherit it."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser(modules: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser with the subcommands of ``modules`` (default: all of
    :data:`COMMAND_MODULES`)."""
    parser = _Parser(
        prog="hazrisk",
        description=(
            "危险品物流安全管理服务链工作台 / hazmat logistics safety workbench: decode JT/T 808 "
            "dumps, build the DuckDB warehouse, evaluate providers and enterprises, price risk."
        ),
    )
    from hazrisk import __version__

    parser.add_argument("--version", action="version", version=f"hazrisk {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES if modules is None else modules:
        module = _import_command_module(name)
        if module is not None:
            module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_in if not a.startswith("-")), None)
    module = COMMANDS.get(command or "")
    parser = build_parser((module,) if module is not None and args_in[0] == command else None)
    args = parser.parse_args(args_in)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return run_command(func, args)


def _command_name(args: argparse.Namespace) -> str:
    name = getattr(args, "command_name", None)
    return f"hazrisk {name}" if name else "hazrisk"


def run_command(func: Any, args: argparse.Namespace) -> int:
    """Run a subcommand; every error reaches the user as one line with its exit code
    (:mod:`hazrisk.cliutil`). ``HAZRISK_DEBUG=1`` re-raises for developers."""
    from hazrisk.cliutil import EXIT_FAILED, EXIT_USAGE, CliError

    debug = os.environ.get("HAZRISK_DEBUG") == "1"
    try:
        return int(func(args) or 0)
    except BrokenPipeError:  # e.g. `hazrisk decode x | head`
        _quiet_stdout()
        return 0
    except KeyboardInterrupt:
        return 130
    except CliError as exc:
        sys.stderr.write(f"{_command_name(args)}: {exc.message}\n")
        return exc.code
    except OSError as exc:
        if debug:
            raise
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        sys.stderr.write(f"{_command_name(args)}: {where}{exc.strerror or exc}\n")
        return EXIT_FAILED if exc.errno not in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR) else EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the last guard before a user sees a traceback
        if debug:
            raise
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        sys.stderr.write(f"{_command_name(args)}: {type(exc).__name__}: {text} "
                         "(set HAZRISK_DEBUG=1 for details)\n")
        return EXIT_FAILED


def _quiet_stdout() -> None:
    """After a closed pipe, point stdout at devnull so the interpreter's final flush is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
