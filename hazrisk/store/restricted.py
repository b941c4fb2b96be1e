"""The restricted publication: personal data an authorised portal role may see unmasked.

The published snapshot (:mod:`hazrisk.store.publish`) masks names, phones and ID numbers for
every reader: notebooks, reports, consultants and the portal's public pages read it. An
enterprise's safety manager, however, works with its own drivers by name and phone (who
repeats a violation, whom to remind). ``hazrisk publish`` therefore writes, beside
``<name>.duckdb``, a second file ``<name>.restricted.duckdb``:

- schema ``restricted`` (``sql/restricted.sql``): ``drivers`` (driver id, enterprise, name,
  phone) and ``vehicles`` (vehicle id, valid from, enterprise, owner name, operator phone),
  unmasked; no ID numbers and no terminal SIM numbers; ``restricted._published`` marks it;
- mode 0600 (readable by the publishing account only, i.e. the account that serves the
  portal), built inside a private 0700 folder and renamed into place, so no other account can
  read it at any moment; never exported to Parquet; :func:`hazrisk.snapshot.open_snapshot`
  and ``hazrisk app --snapshot`` refuse it;
- only the portal's data module opens it (:mod:`hazrisk.portal.personal`), and only for the
  logged-in enterprise's own rows (bound ``$enterprise``).

``hazrisk publish --no-restricted`` writes none and removes one an earlier publish wrote (so
no stale personal data outlives its registry); a file of that name that publish did not write
is never replaced or removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from importlib import resources
from pathlib import Path

import duckdb

from hazrisk.store.connect import StoreError

SUFFIX = ".restricted"
#: File mode of the restricted publication: owner read/write only.
MODE = 0o600


def restricted_path(snapshot: str | os.PathLike[str]) -> Path:
    """``published.duckdb`` -> ``published.restricted.duckdb`` (same folder)."""
    p = Path(snapshot)
    return p.with_name(f"{p.stem}{SUFFIX}{p.suffix}")


def check_restricted_target(path: Path) -> None:
    """Refuse a restricted target that exists and was not written by ``hazrisk publish``."""
    if path.is_dir():
        raise StoreError(f"{path}: is a folder; the restricted publication needs that name")
    if path.exists():
        from hazrisk.cliutil import is_restricted_publication

        if not is_restricted_publication(path):
            raise StoreError(f"{path}: exists and is not a restricted publication written by "
                             "hazrisk publish; not replaced (move it, or publish with "
                             "--no-restricted)")


def _private_prefix(out: Path) -> str:
    return f".{out.name}.restricted-"


def remove_stale(out: Path) -> None:
    """Remove private build folders of publish runs that no longer run (killed)."""
    from hazrisk.store.publish import _alive

    prefix = _private_prefix(out)
    for folder in out.parent.glob(prefix + "*"):
        pid = folder.name[len(prefix):].split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def build(db_path: Path, out: Path, published_at: str) -> Path:
    """Write the restricted publication of the warehouse ``db_path`` for the snapshot ``out``
    into a fresh private folder (mode 0700); returns the finished file (mode 0600), which the
    caller renames into place (:func:`restricted_path`) and whose folder it removes."""
    remove_stale(out)
    folder = out.parent / f"{_private_prefix(out)}{os.getpid()}.d"
    shutil.rmtree(folder, ignore_errors=True)
    os.mkdir(folder, 0o700)
    os.chmod(folder, 0o700)  # whatever the umask
    tmp = folder / "build.duckdb"  # not restricted.duckdb: the catalog would shadow the schema
    try:
        _write(db_path, out, tmp, published_at)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return tmp


def _write(db_path: Path, out: Path, tmp: Path, published_at: str) -> None:
    con = duckdb.connect(str(tmp))
    try:
        try:
            con.execute("ATTACH $p AS src (READ_ONLY)", {"p": str(db_path)})
        except duckdb.Error as exc:
            raise StoreError(f"{db_path}: cannot open for reading ({exc})") from exc
        con.execute(resources.files("hazrisk.store").joinpath("sql", "restricted.sql")
                    .read_text(encoding="utf-8"))
        con.execute("CREATE TABLE restricted._published AS SELECT $at::TIMESTAMPTZ AS "
                    "published_at, $src AS source_db, $snapshot AS snapshot",
                    {"at": published_at, "src": db_path.name, "snapshot": out.name})
        con.execute("DETACH src")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.chmod(tmp, MODE)


def discard(staged: Path | None) -> None:
    """Remove a private build folder (after its file was renamed into place, or on failure)."""
    if staged is not None:
        shutil.rmtree(staged.parent, ignore_errors=True)


def remove_published(path: Path) -> bool:
    """Remove the restricted publication at ``path`` when publish wrote it; True if removed."""
    from hazrisk.cliutil import is_restricted_publication

    if path.is_file() and is_restricted_publication(path):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return True
    return False
