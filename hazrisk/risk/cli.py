"""``hazrisk model fit`` and ``hazrisk premium``.

- ``hazrisk model fit --db W --train-years 2022-2024 --test-year 2025 [--as-at DATE]
  --out models/NAME [--format table|csv|json]``: fits the frequency / severity / Tweedie /
  GBM models and baselines, validates them out of time and writes the model folder (skops
  pipelines, ``model_card.md`` + ``.json``, ``validation/*.csv``); the card is also stored in
  ``risk.model_cards`` (published as ``mart.model_cards``). Prints the comparison table.
  Refuses to write into an existing folder that is not a model folder.
- ``hazrisk premium --db W --model models/NAME --year 2026 [--enterprise E] [--vehicles]
  [--format table|csv|json]``: premium factors with their parts, written to
  ``risk.premium_factors`` and ``risk.predictions`` (``mart.premium_factors``).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from hazrisk.cliutil import (
    add_db_argument,
    add_format_argument,
    emit,
    fail,
    open_warehouse,
    output_format,
    table_columns,
    usage,
)

FACTOR_COLUMNS = ["enterprise_id", "factor", "claims_record", "behaviour", "management",
                  "data_quality", "trusted", "vehicles"]


def _years(text: str) -> list[int]:
    try:
        if "-" in text:
            a, b = text.split("-", 1)
            out = list(range(int(a), int(b) + 1))
        else:
            out = [int(y) for y in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not years (2022-2024 or 2022,2023): {text!r}") from None
    if not out:
        raise argparse.ArgumentTypeError(f"empty year range: {text!r}")
    return out


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(subparsers: Any) -> None:
    """Add ``model fit`` and ``premium``."""
    mod = subparsers.add_parser("model", help="fit and validate premium-adjustment models (风险模型)",
                                description="Risk models for insurers: fit, validate, model card.")
    msub = mod.add_subparsers(title="model commands", metavar="COMMAND")
    fit = msub.add_parser("fit", help="fit, validate out of time and save a model folder",
                          description="Fit the frequency, severity, Tweedie and GBM "
                                      "models and their baselines, validate them out of time and "
                                      "write the model folder (skops pipelines, model card in "
                                      "Markdown and JSON, validation tables); the card is also "
                                      "stored in risk.model_cards (published as mart.model_cards). "
                                      "Refuses to write into an existing folder that is not a "
                                      "model folder.")
    add_db_argument(fit)
    fit.add_argument("--train-years", type=_years, required=True, metavar="A-B")
    fit.add_argument("--test-year", type=int, required=True, metavar="YEAR")
    fit.add_argument("--as-at", type=_date, metavar="DATE",
                     help="count claims reported by this date (default: the latest report)")
    fit.add_argument("--out", required=True, metavar="DIR", help="model folder, e.g. models/NAME")
    fit.add_argument("--conf", metavar="FILE", help="rules file over the defaults")
    add_format_argument(fit)
    fit.set_defaults(func=cmd_fit, command_name="model fit")
    mod.set_defaults(func=lambda a: usage("give a model command: fit"), command_name="model")

    pre = subparsers.add_parser("premium", help="premium factors with their parts (保费调整系数)",
                                description="Premium factors per enterprise (and "
                                            "vehicle) with their parts (claims record x driving "
                                            "behaviour x management x data quality), written to "
                                            "risk.premium_factors and risk.predictions "
                                            "(published as mart.premium_factors); --what-if "
                                            "writes nothing.")
    add_db_argument(pre)
    pre.add_argument("--model", required=True, metavar="DIR", help="model folder (model fit --out)")
    pre.add_argument("--year", type=int, required=True, help="policy year priced")
    pre.add_argument("--enterprise", metavar="ID", help="one enterprise only (its vehicles too)")
    pre.add_argument("--vehicles", action="store_true", help="list vehicle factors")
    pre.add_argument("--what-if", metavar="FEATURE:PCT", dest="what_if",
                     help="with --enterprise: its factor if it cut FEATURE (e.g. "
                          "speeding_per_100km) by PCT percent; nothing is written")
    pre.add_argument("--conf", metavar="FILE", help="rules file over the defaults")
    add_format_argument(pre)
    pre.set_defaults(func=cmd_premium, command_name="premium")


def _rules(path: str | None) -> Any:
    from hazrisk.config import ConfigError, load_rules

    try:
        return load_rules(path)
    except ConfigError as exc:
        usage(str(exc))


def cmd_fit(args: argparse.Namespace) -> int:
    from hazrisk.risk import persist, workflow
    from hazrisk.risk.features import FeatureError
    from hazrisk.risk.models import Settings

    out = Path(args.out)
    try:
        persist.check_writable(out)
    except persist.ModelFolderError as exc:
        usage(str(exc))
    if args.test_year in args.train_years:
        usage("--test-year must not be one of --train-years (out-of-time validation)")
    settings = Settings.from_rules(_rules(args.conf))
    con = open_warehouse(args.db)
    try:
        res = workflow.fit_and_validate(con, args.train_years, args.test_year, as_at=args.as_at,
                                        settings=settings, name=out.name)
        workflow.save_fit(res, out)
        workflow.store_card(con, res.card)
    except (FeatureError, ValueError) as exc:
        fail(str(exc))
    finally:
        con.close()
    fmt = output_format(args)
    small = [c for c in res.card["caveats"] if c.startswith("Small book")]
    if small:
        sys.stderr.write(f"hazrisk model fit: warning: {small[0]}\n")
    emit(res.comparison.round(4), fmt, columns=table_columns(args, list(res.comparison.columns)))
    return 0


def cmd_premium(args: argparse.Namespace) -> int:
    from hazrisk.risk import persist, workflow
    from hazrisk.risk.features import FeatureError
    from hazrisk.risk.premium import Bounds

    path = Path(args.model)
    try:
        model, state = persist.load(path)
    except persist.ModelFolderError as exc:
        usage(str(exc))
    bounds = Bounds.from_rules(_rules(args.conf))
    if args.what_if:
        return _what_if(args, model, bounds)
    con = open_warehouse(args.db)
    name = str(state.get("name", path.name))
    try:
        ent, veh, pred = workflow.price_year(con, model, args.year, bounds, name=name)
        workflow.store_pricing(con, ent, veh, pred, name=name)
    except (FeatureError, ValueError) as exc:
        fail(str(exc))
    finally:
        con.close()
    rows = veh if args.vehicles else ent
    if args.enterprise:
        rows = rows[rows["enterprise_id"] == args.enterprise]
        if rows.empty:
            fail(f"enterprise {args.enterprise} has no policies priced for {args.year}")
    cols = (["vehicle_id", *FACTOR_COLUMNS[:-1]] if args.vehicles else FACTOR_COLUMNS)
    emit(rows.sort_values("factor", ascending=False).round(4), output_format(args),
         columns=table_columns(args, cols))
    return 0


def _what_if(args: argparse.Namespace, model: Any, bounds: Any) -> int:
    from hazrisk.risk import workflow
    from hazrisk.risk.features import FeatureError
    from hazrisk.risk.premium import what_if

    if not args.enterprise:
        usage("--what-if needs --enterprise")
    feature, _, pct = str(args.what_if).partition(":")
    try:
        cut = float(pct) / 100.0
    except ValueError:
        usage(f"--what-if wants FEATURE:PCT, e.g. speeding_per_100km:20, got {args.what_if!r}")
    if not 0.0 <= cut <= 1.0:
        usage("--what-if percentage must be within 0..100")
    con = open_warehouse(args.db, read_only=True)
    try:
        basis, claims = workflow.pricing_inputs(con, model, args.year)
        if args.enterprise not in set(basis["enterprise_id"]):
            fail(f"enterprise {args.enterprise} has no policies priced for {args.year}")
        res = what_if(model, basis, claims, bounds, args.enterprise, feature=feature, cut=cut)
    except (FeatureError, ValueError) as exc:
        fail(str(exc))
    finally:
        con.close()
    emit([res], output_format(args))
    return 0
