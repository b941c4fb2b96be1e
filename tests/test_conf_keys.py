"""Every key of ``conf/rules.toml`` is read by the package, and its value is not repeated as a
module-level constant (one definition per rule, issue 15)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from hazrisk.config import DEFAULT_RULES, ConfigError, load_rules

PACKAGE = Path(__file__).resolve().parents[1] / "hazrisk"
#: Known and still open (issue 15): the registry file parsers keep a module default equal to
#: the conf's. Fixing it must shrink this; every key is read (KNOWN_UNREAD is empty).
KNOWN_UNREAD: list[str] = []
KNOWN_SHADOWED = ["registry.max_cell_chars"]


def _code() -> str:
    files = [p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".sql")]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def _keys() -> list[tuple[str, str, object]]:
    with open(DEFAULT_RULES, "rb") as fh:
        data = tomllib.load(fh)
    return [(sec, key, value) for sec, entries in data.items() for key, value in entries.items()
            if key != "sources"]


def unread_keys(code: str, keys: list[tuple[str, str, object]]) -> list[str]:
    """``section.key`` of every key whose name never appears as a word in the package."""
    return [f"{s}.{k}" for s, k, _ in keys if not re.search(rf"\b{re.escape(k)}\b", code)]


def shadowed_keys(code: str, keys: list[tuple[str, str, object]]) -> list[str]:
    """Keys whose numeric value sits in an upper-case module constant named after the key."""
    out = []
    for s, k, v in keys:
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        pat = rf"^{re.escape(k.upper())}\w*\s*(?::[^=\n]+)?=\s*{re.escape(str(v))}(?:\.0)?\b"
        if re.search(pat, code, re.M):
            out.append(f"{s}.{k}")
    return out


def test_every_conf_key_is_read() -> None:
    assert unread_keys(_code(), _keys()) == KNOWN_UNREAD


def test_no_conf_key_has_a_second_default() -> None:
    assert shadowed_keys(_code(), _keys()) == KNOWN_SHADOWED


@pytest.mark.parametrize("extra", ["never_read_anywhere_s"])
def test_an_unread_key_fails(extra: str) -> None:
    keys = [*_keys(), ("handling", extra, 1)]
    assert unread_keys(_code(), keys) == [*KNOWN_UNREAD, f"handling.{extra}"]


def test_a_shadowing_constant_fails() -> None:
    code = _code() + "\nREPEAT_WINDOW_S = 3600.0\n"
    assert "handling.repeat_window_s" in shadowed_keys(code, _keys())


def test_an_override_of_another_kind_is_refused_naming_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[validity]\ngps_speed_max_kmh = "fast"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"validity\.gps_speed_max_kmh = 'fast' must be a number"):
        load_rules(bad)
    ok = tmp_path / "ok.toml"  # an integer for a float default is a number too
    ok.write_text("[validity]\ngps_speed_max_kmh = 100\n", encoding="utf-8")
    assert load_rules(ok).validity["gps_speed_max_kmh"] == 100


def test_the_time_zone_is_not_set_by_a_rules_file(tmp_path: Path) -> None:
    tz = tmp_path / "tz.toml"
    tz.write_text('[period]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="period.timezone 'Europe/Berlin' cannot be set"):
        load_rules(tz)
    same = tmp_path / "same.toml"
    same.write_text('[period]\ntimezone = "Asia/Shanghai"\n', encoding="utf-8")
    assert load_rules(same).period.timezone == "Asia/Shanghai"
