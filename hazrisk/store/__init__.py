"""The DuckDB warehouse: schema, ingest, registry import, retention, publish and export.

See ``hazrisk/store/SCHEMA.md`` for every table. Entry points:

- :func:`connect` - open (and create or migrate) a warehouse file;
- :func:`ingest_paths` - dumps into the warehouse (idempotent, atomic per file);
- :func:`import_registry` - registry CSV/GeoJSON files;
- :func:`retain` - retention per conf ``[retention]``;
- :func:`publish` - the masked mart as a read-only snapshot; :func:`mask_pii`;
- :func:`export` - core tables to partitioned Parquet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hazrisk.store.connect import StoreError, connect
from hazrisk.store.publish import mask_pii, open_published, publish

if TYPE_CHECKING:
    from hazrisk.store.export import export
    from hazrisk.store.ingest import ingest_paths
    from hazrisk.store.registry_import import import_registry
    from hazrisk.store.retention import retain

__all__ = [
    "StoreError",
    "connect",
    "export",
    "import_registry",
    "ingest_paths",
    "mask_pii",
    "open_published",
    "publish",
    "retain",
]

_LAZY = {
    "export": "hazrisk.store.export",
    "ingest_paths": "hazrisk.store.ingest",
    "import_registry": "hazrisk.store.registry_import",
    "retain": "hazrisk.store.retention",
}


def __getattr__(name: str) -> Any:
    """Heavier entry points (they import the codec) load on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hazrisk.store' has no attribute {name!r}")
