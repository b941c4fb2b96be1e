"""``hazrisk app``: start the portal; ``hazrisk app user add|list|remove``: its users file."""

from __future__ import annotations

import argparse
import getpass
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hazrisk.cliutil import (
    EXIT_FAILED,
    add_format_argument,
    emit,
    fail,
    is_published_snapshot,
    output_format,
    require_path,
    usage,
)

DEFAULT_SNAPSHOT = Path("data/local/demo/published.duckdb")
DEFAULT_REPORTS = Path("reports")
APP_FILE = Path(__file__).resolve().parents[2] / "apps" / "app.py"


def register(sub: Any) -> None:
    """Add ``app`` and ``app user ...`` to the ``hazrisk`` parser."""
    p = sub.add_parser(
        "app",
        help="start the association's portal (服务门户, Streamlit) over a published snapshot",
        description=(
            "Serve the portal on http://ADDRESS:PORT over the snapshot `hazrisk publish` "
            "wrote (read-only; a newer snapshot is picked up without a restart). Binds "
            "127.0.0.1 unless --address says otherwise. `hazrisk app user add` creates logins."),
    )
    p.add_argument("--snapshot", metavar="FILE", default=None,
                   help=f"published snapshot (default {DEFAULT_SNAPSHOT})")
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    p.add_argument("--address", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; 0.0.0.0 exposes it)")
    p.add_argument("--users", metavar="FILE", default=None,
                   help="users file (default $HAZRISK_USERS or data/local/portal_users.json)")
    p.add_argument("--reports", metavar="DIR", default=None,
                   help=f"generated reports folder (default {DEFAULT_REPORTS})")
    p.set_defaults(func=cmd_app, command_name="app")
    usub = p.add_subparsers(title="app commands", metavar="COMMAND")
    u = usub.add_parser("user", help="manage portal logins (用户管理)")
    uu = u.add_subparsers(title="user commands", metavar="COMMAND")
    u.set_defaults(func=lambda args: usage("give `hazrisk app user add|list|remove`"),
                   command_name="app user")

    add = uu.add_parser(
        "add", help="add a login (password asked twice, or one line on stdin)",
        description=("Roles: evaluator (协会, sees everything), enterprise (--scope ENTERPRISE_ID),"
                     " operator (--scope PROVIDER_ID), insurer (--scope INSURER_ID; it sees the "
                     "enterprises its policies in the snapshot name). Passwords are stored as "
                     "bcrypt hashes only."))
    add.add_argument("login")
    add.add_argument("--role", required=True, choices=("evaluator", "enterprise", "operator",
                                                       "insurer"))
    add.add_argument("--scope", default="", metavar="ID",
                     help="the enterprise, provider or insurer id the role is limited to")
    add.add_argument("--name", default="", help="display name (shown after login)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of stdin")
    add.add_argument("--replace", action="store_true", help="replace an existing login")
    add.add_argument("--users", metavar="FILE", default=None)
    add.set_defaults(func=cmd_user_add, command_name="app user add")

    ls = uu.add_parser("list", help="list logins (no secrets)")
    ls.add_argument("--users", metavar="FILE", default=None)
    add_format_argument(ls)
    ls.set_defaults(func=cmd_user_list, command_name="app user list")

    rm = uu.add_parser("remove", help="remove a login")
    rm.add_argument("login")
    rm.add_argument("--users", metavar="FILE", default=None)
    rm.set_defaults(func=cmd_user_remove, command_name="app user remove")


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            usage("--password-stdin: nothing on stdin")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        usage("no terminal to ask the password on; use --password-stdin")
    first = getpass.getpass("密码 password: ")
    if getpass.getpass("再次输入 again: ") != first:
        usage("the two passwords differ")
    return first


def cmd_user_add(args: argparse.Namespace) -> int:
    from hazrisk.portal.users import UsersError, add_user, users_path

    password = _read_password(args)
    try:
        user = add_user(args.login, password, args.role, scope=args.scope,
                        display_name=args.name, path=args.users, replace=args.replace)
    except UsersError as exc:
        usage(str(exc))
    scope = f" scope {user.scope}" if user.scope else ""
    sys.stdout.write(f"user {user.login} ({user.role}{scope}) saved in {users_path(args.users)}\n")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from hazrisk.portal.users import UsersError, list_users

    try:
        users = list_users(args.users)
    except UsersError as exc:
        usage(str(exc))
    rows = [u.to_public() for u in users]
    emit(rows, output_format(args), columns=["login", "role", "scope", "display_name"])
    return 0 if rows else EXIT_FAILED


def cmd_user_remove(args: argparse.Namespace) -> int:
    from hazrisk.portal.users import UsersError, remove_user

    try:
        remove_user(args.login, args.users)
    except UsersError as exc:
        fail(str(exc))
    sys.stdout.write(f"user {args.login} removed\n")
    return 0


def streamlit_command(app: Path, *, port: int, address: str) -> list[str]:
    """The ``streamlit run`` command line the portal is served with."""
    return [sys.executable, "-m", "streamlit", "run", str(app),
            "--server.address", address, "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal"]


def portal_environment(snapshot: Path, users: str | None, reports: str | None) -> dict[str, str]:
    """Environment variables through which the app learns its snapshot, users and reports."""
    from hazrisk.portal.users import users_path

    env = dict(os.environ)
    env["HAZRISK_SNAPSHOT"] = str(snapshot.resolve())
    env["HAZRISK_USERS"] = str(users_path(users).resolve())
    env["HAZRISK_REPORTS"] = str(Path(reports or DEFAULT_REPORTS).resolve())
    return env


def cmd_app(args: argparse.Namespace) -> int:
    snapshot = require_path(args.snapshot or DEFAULT_SNAPSHOT, "--snapshot")
    if not is_published_snapshot(snapshot):
        usage(f"{snapshot}: not a published snapshot (write one with `hazrisk publish`)")
    if not 0 < args.port < 65536:
        usage(f"--port {args.port}: expected 1-65535")
    if not APP_FILE.exists():
        fail(f"{APP_FILE}: the portal's app file is missing (install from the repository)")
    env = portal_environment(snapshot, args.users, args.reports)
    sys.stderr.write(f"hazrisk app: serving {snapshot} on http://{args.address}:{args.port}\n")
    from hazrisk.store.restricted import restricted_path

    if not restricted_path(snapshot).is_file():
        sys.stderr.write(f"hazrisk app: no {restricted_path(snapshot).name} beside the snapshot; "
                         "enterprises see their own drivers masked\n")
    return subprocess.call(streamlit_command(APP_FILE, port=args.port, address=args.address),
                           env=env)
