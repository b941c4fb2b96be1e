"""The portal's local users file: who may log in, with which role and scope.

One JSON file (default ``data/local/portal_users.json``, ``HAZRISK_USERS`` or ``--users`` to
choose another) holding, per login, the role, the scope the role is limited to and a bcrypt
hash of the password. Passwords are never stored or printed in clear; the file is written
atomically with mode 0600.

Roles (:data:`ROLES`): ``evaluator`` (协会评价人员, everything), ``enterprise`` (企业, one
enterprise: ``scope`` = enterprise id), ``operator`` (平台服务商, one provider: ``scope`` =
provider id), ``insurer`` (保险公司, ``scope`` = insurer id only: the enterprises it insures
come from the published policies, ``mart.insured_enterprises``). The public role needs no
login. An ``enterprises`` list in a record written by an earlier version is ignored (it could
only widen what the insurer sees beyond its policies).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

DEFAULT_USERS_FILE = Path("data/local/portal_users.json")

#: Roles that log in, with their Chinese names. ``public`` is the role of a visitor.
ROLES: dict[str, str] = {
    "evaluator": "协会评价人员",
    "enterprise": "企业安全管理员",
    "operator": "平台服务商",
    "insurer": "保险公司",
}
PUBLIC = "public"
#: Roles whose scope names one party (the id of an enterprise, provider or insurer).
SCOPED = {"enterprise": "enterprise_id", "operator": "provider_id", "insurer": "insurer_id"}

_LOGIN = re.compile(r"^[A-Za-z0-9_.@\-]{2,64}$")
_PARTY = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")
MIN_PASSWORD = 8
#: bcrypt cost (2^12 rounds: ~0.3 s a check on the project machine).
BCRYPT_ROUNDS = 12
_FORMAT = 1


class UsersError(ValueError):
    """A users file or a user record that cannot be used (one-line message)."""


@dataclass(frozen=True)
class User:
    """One login. ``scope`` is the party id the role is limited to (empty for evaluators)."""

    login: str
    role: str
    display_name: str = ""
    scope: str = ""

    def to_public(self) -> dict[str, Any]:
        """The record without any secret (for listings)."""
        return asdict(self)


def users_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The users file: ``path``, else ``$HAZRISK_USERS``, else the default."""
    if path:
        return Path(path)
    env = os.environ.get("HAZRISK_USERS")
    return Path(env) if env else DEFAULT_USERS_FILE


def _read(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsersError(f"{path}: not a readable users file ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("users"), dict):
        raise UsersError(f"{path}: expected a JSON object with a 'users' object")
    users: dict[str, dict[str, Any]] = doc["users"]
    for login, rec in users.items():
        if not isinstance(rec, dict) or not str(rec.get("password_hash", "")).startswith("$2"):
            raise UsersError(f"{path}: user {login!r} has no bcrypt password hash")
        if rec.get("role") not in ROLES:
            raise UsersError(f"{path}: user {login!r} has unknown role {rec.get('role')!r}")
    return users


def _write(path: Path, users: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"format": _FORMAT, "users": users}, fh, ensure_ascii=False, indent=2,
                  sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)


def _user(login: str, rec: dict[str, Any]) -> User:
    return User(login=login, role=str(rec["role"]), display_name=str(rec.get("display_name", "")),
                scope=str(rec.get("scope", "")))


def list_users(path: str | os.PathLike[str] | None = None) -> list[User]:
    """Every user of the file (no secrets), sorted by login."""
    users = _read(users_path(path))
    return [_user(k, users[k]) for k in sorted(users)]


def _hash(password: str) -> str:
    import bcrypt

    if len(password) < MIN_PASSWORD:
        raise UsersError(f"password too short (at least {MIN_PASSWORD} characters)")
    if len(password.encode("utf-8")) > 72:  # bcrypt's limit: longer input is an error in bcrypt 5
        raise UsersError("password too long (at most 72 bytes)")
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=BCRYPT_ROUNDS)).decode("ascii")


def add_user(login: str, password: str, role: str, *, scope: str = "", display_name: str = "",
             path: str | os.PathLike[str] | None = None, replace: bool = False) -> User:
    """Add (or with ``replace`` update) a user; the password is stored as a bcrypt hash."""
    if not _LOGIN.match(login):
        raise UsersError(f"login {login!r}: 2-64 characters of A-Z a-z 0-9 _ . @ -")
    if role not in ROLES:
        raise UsersError(f"role {role!r}: one of {', '.join(ROLES)}")
    if role in SCOPED and not scope:
        raise UsersError(f"role {role} needs --scope ({SCOPED[role]})")
    if role not in SCOPED and scope:
        raise UsersError(f"role {role} has no scope (it sees every party)")
    if scope and not _PARTY.match(scope):
        raise UsersError(f"party id {scope!r}: 1-32 characters of A-Z a-z 0-9 _ -")
    p = users_path(path)
    users = _read(p)
    if login in users and not replace:
        raise UsersError(f"user {login!r} exists (use --replace to change it)")
    rec: dict[str, Any] = {"role": role, "scope": scope, "display_name": display_name,
                           "password_hash": _hash(password)}
    users[login] = rec
    _write(p, users)
    return _user(login, rec)


def remove_user(login: str, path: str | os.PathLike[str] | None = None) -> None:
    """Remove a user; an unknown login is an error."""
    p = users_path(path)
    users = _read(p)
    if login not in users:
        raise UsersError(f"no user {login!r} in {p}")
    del users[login]
    _write(p, users)


def authenticate(login: str, password: str,
                 path: str | os.PathLike[str] | None = None) -> User | None:
    """The user when ``password`` matches its hash, else ``None`` (also for unknown logins:
    a dummy hash is checked so that timing does not reveal which logins exist)."""
    import bcrypt

    users = _read(users_path(path))
    rec = users.get(login)
    stored = rec["password_hash"] if rec else _DUMMY_HASH
    try:
        ok = bcrypt.checkpw(password.encode("utf-8"), stored.encode("ascii"))
    except ValueError:  # over-long password or malformed hash
        ok = False
    return _user(login, rec) if ok and rec else None


#: bcrypt hash of a random string, compared against for unknown logins.
_DUMMY_HASH = "$2b$12$sdTV1OvbznKhl/1V6naaB.RvMH8EstS0VoLh/F3cqATM5DVLCvIba"
