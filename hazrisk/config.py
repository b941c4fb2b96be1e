"""Rules configuration: ``conf/rules.toml`` loaded into a frozen, sourced object.

Every value in the file has a source (a ``sources`` table per section); loading fails when a
value has none, so a default can never appear without saying where it comes from.

>>> rules = load_rules()
>>> rules.speed.hazmat_expressway_kmh
80
>>> rules.source("speed.hazmat_expressway_kmh")[:5]
'FOUND'
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

DEFAULT_RULES = Path(__file__).parent / "conf" / "rules.toml"


class ConfigError(ValueError):
    """A rules file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Section(Mapping[str, Any]):
    name: str
    entries: Mapping[str, Any]
    sources: Mapping[str, str]

    def __getattr__(self, key: str) -> Any:
        try:
            return self.entries[key]
        except KeyError:
            raise AttributeError(f"rules section [{self.name}] has no key {key!r}") from None

    def __getitem__(self, key: str) -> Any:
        return self.entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(frozen=True)
class Rules:
    path: str
    sections: Mapping[str, Section]

    def __getattr__(self, name: str) -> Section:
        try:
            return self.sections[name]
        except KeyError:
            raise AttributeError(f"rules have no section [{name}]") from None

    def get(self, dotted: str) -> Any:
        section, key = dotted.split(".", 1)
        return self.sections[section][key]

    def source(self, dotted: str) -> str:
        section, key = dotted.split(".", 1)
        return self.sections[section].sources[key]

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {name: dict(sec.entries) for name, sec in self.sections.items()}


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "a table"


def _check_override(where: str, section: str, key: str, default: Any, value: Any) -> None:
    """One line naming the key when an override has another kind of value than its default,
    or changes what is fixed when hazrisk starts (``[period] timezone``: the one zone of
    :mod:`hazrisk.localtime`, read from the default rules file)."""
    if _kind(value) != _kind(default):
        raise ConfigError(f"{where}: {section}.{key} = {value!r} must be {_kind(default)}, "
                          f"like the default {default!r}")
    if (section, key) == ("period", "timezone") and value != default:
        raise ConfigError(f"{where}: period.timezone {value!r} cannot be set by a rules file: "
                          f"Beijing time ({default!r}) is fixed in {DEFAULT_RULES.name} of "
                          "the installation")


def load_rules(
    path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Rules:
    """Load the defaults, then the file at ``path`` (or ``$HAZRISK_CONF``) over them.

    An override file only needs the keys it changes; a changed value should carry a new
    ``sources`` entry (the association's decision), otherwise the default's source is kept
    and marked ``(overridden)``.
    """
    with open(DEFAULT_RULES, "rb") as fh:
        data = tomllib.load(fh)
    where = str(DEFAULT_RULES)
    path = path or os.environ.get("HAZRISK_CONF")
    extra: dict[str, Any] = {}
    if path:
        try:
            with open(path, "rb") as fh:
                extra = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read rules: {exc}") from exc
        where = str(path)
    for layer in (extra, dict(overrides or {})):
        for sec_name, sec in layer.items():
            if sec_name not in data:
                raise ConfigError(f"{where}: unknown section [{sec_name}]")
            for key in sec:
                if key != "sources" and key not in data[sec_name]:
                    raise ConfigError(f"{where}: unknown key {sec_name}.{key}")
                if key != "sources":
                    _check_override(where, sec_name, key, data[sec_name][key], sec[key])
                if key != "sources" and key not in sec.get("sources", {}):
                    data[sec_name].setdefault("sources", {})
                    old = data[sec_name]["sources"].get(key, "")
                    data[sec_name]["sources"][key] = f"{old} (overridden)"
        data = _merge(data, layer)
    sections: dict[str, Section] = {}
    for sec_name, sec in data.items():
        sources = dict(sec.get("sources", {}))
        values = {k: v for k, v in sec.items() if k != "sources"}
        missing = sorted(set(values) - set(sources))
        if missing:
            raise ConfigError(f"{where}: [{sec_name}] keys without a source: {missing}")
        sections[sec_name] = Section(sec_name, MappingProxyType(values), MappingProxyType(sources))
    return Rules(where, MappingProxyType(sections))
