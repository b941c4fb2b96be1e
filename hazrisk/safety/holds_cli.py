"""``hazrisk hold set|release|list``: legal holds (封存) that keep raw data from retention.

After an accident the vehicle's dynamic data is sealed until the investigation releases it
(道路运输车辆动态监督管理办法, research §3); ``hazrisk retain`` keeps every row of a held
vehicle / enterprise and period whatever its age (:mod:`hazrisk.safety.records`).
"""

from __future__ import annotations

import argparse
from typing import Any

from hazrisk.cliutil import (
    EXIT_FAILED,
    add_db_argument,
    add_format_argument,
    add_period_arguments,
    emit,
    fail,
    open_warehouse,
    output_format,
    period_from_args,
    usage,
)

COLUMNS = ("hold_id", "vehicle_id", "enterprise_id", "first_day", "last_day", "active",
           "reason", "set_at", "released_at", "release_reason")


def register(subparsers: Any) -> None:
    """Add ``hold`` with ``set``, ``release`` and ``list``."""
    hold = subparsers.add_parser(
        "hold", help="legal holds (封存): keep a vehicle's or enterprise's data from retention",
        description="封存 legal holds: `hazrisk retain` keeps every record of a held vehicle or "
                    "enterprise in the held days until the hold is released.")
    hold.set_defaults(command_name="hold", func=lambda _a: usage(
        "give a hold command: set, release or list"))
    sub = hold.add_subparsers(title="hold commands", metavar="COMMAND")

    s = _command(sub, "set", "hold a vehicle's or enterprise's data of a period", cmd_set)
    who = s.add_mutually_exclusive_group()
    who.add_argument("--vehicle", metavar="ID", help="vehicle id (core.vehicles)")
    who.add_argument("--enterprise", metavar="ID", help="enterprise id (all its vehicles)")
    add_period_arguments(s)
    s.add_argument("--reason", required=True, help="why (e.g. the accident reference) / 封存原因")
    s.add_argument("--by", help="who sets it / 操作人")

    r = _command(sub, "release", "release a hold (its data becomes subject to retention)",
                 cmd_release)
    r.add_argument("hold_id", type=int, help="the hold's id (hazrisk hold list)")
    r.add_argument("--reason", required=True, help="why (e.g. the investigation closed) / 解封原因")
    r.add_argument("--by", help="who releases it / 操作人")

    ls = _command(sub, "list", "list holds (active and released)", cmd_list)
    ls.add_argument("--active", action="store_true", help="active holds only")


def _command(sub: Any, name: str, text: str, func: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=text, description=text)
    add_db_argument(p)
    add_format_argument(p)
    p.set_defaults(func=func, command_name=f"hold {name}")
    return p


def _show(con: Any, args: argparse.Namespace, hold_id: int | None = None) -> int:
    from hazrisk.safety.records import list_holds

    rows = list_holds(con, active_only=getattr(args, "active", False))
    if hold_id is not None:
        rows = [r for r in rows if r["hold_id"] == hold_id]
    emit(rows, output_format(args), columns=COLUMNS)
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from hazrisk.safety.records import HoldError, set_hold

    if not (args.vehicle or args.enterprise):
        usage("give --vehicle ID or --enterprise ID")
    period = period_from_args(args)
    assert period is not None
    con = open_warehouse(args.db)
    try:
        hold_id = set_hold(con, start=period.start, end=period.end, reason=args.reason,
                           vehicle=args.vehicle, enterprise=args.enterprise, by=args.by)
    except HoldError as exc:
        fail(str(exc), EXIT_FAILED)
    return _show(con, args, hold_id)


def cmd_release(args: argparse.Namespace) -> int:
    from hazrisk.safety.records import HoldError, release_hold

    con = open_warehouse(args.db)
    try:
        release_hold(con, args.hold_id, reason=args.reason, by=args.by)
    except HoldError as exc:
        fail(str(exc), EXIT_FAILED)
    return _show(con, args, args.hold_id)


def cmd_list(args: argparse.Namespace) -> int:
    con = open_warehouse(args.db, read_only=False)
    return _show(con, args)
