"""The users file: bcrypt hashes only, roles and scopes validated, the CLI adds/lists/removes."""

from __future__ import annotations

import io
import json
import stat

import pytest

from hazrisk.cli import main
from hazrisk.portal.users import UsersError, add_user, authenticate, list_users, remove_user


def test_password_stored_as_bcrypt_hash_only(tmp_path):
    f = tmp_path / "users.json"
    add_user("ent1", "s3cret-pass", "enterprise", scope="E0001", path=f)
    text = f.read_text(encoding="utf-8")
    assert "s3cret-pass" not in text
    rec = json.loads(text)["users"]["ent1"]
    assert rec["password_hash"].startswith("$2b$")
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    user = authenticate("ent1", "s3cret-pass", f)
    assert user is not None and (user.role, user.scope) == ("enterprise", "E0001")
    assert authenticate("ent1", "wrong-pass", f) is None
    assert authenticate("nobody", "s3cret-pass", f) is None


@pytest.mark.parametrize(("login", "role", "scope", "message"), [
    ("e1", "enterprise", "", "needs --scope"),
    ("ev", "evaluator", "E0001", "has no scope"),
    ("xx", "admin", "", "role"),
    ("bad login", "evaluator", "", "login"),
    ("ok", "operator", "P 01", "party id"),
])
def test_invalid_users_refused(tmp_path, login, role, scope, message):
    with pytest.raises(UsersError, match=message):
        add_user(login, "long-enough", role, scope=scope, path=tmp_path / "u.json")
    assert not (tmp_path / "u.json").exists()


def test_short_password_and_duplicate_login_refused(tmp_path):
    f = tmp_path / "u.json"
    with pytest.raises(UsersError, match="too short"):
        add_user("ev", "short", "evaluator", path=f)
    add_user("ev", "long-enough", "evaluator", path=f)
    with pytest.raises(UsersError, match="exists"):
        add_user("ev", "other-pass", "evaluator", path=f)
    add_user("ev", "other-pass", "evaluator", path=f, replace=True)
    assert authenticate("ev", "other-pass", f) is not None
    remove_user("ev", f)
    assert list_users(f) == []
    with pytest.raises(UsersError, match="no user"):
        remove_user("ev", f)


def test_plain_text_password_in_file_is_refused(tmp_path):
    f = tmp_path / "u.json"
    f.write_text(json.dumps({"users": {"a": {"role": "evaluator", "password": "x"}}}))
    with pytest.raises(UsersError, match="no bcrypt password hash"):
        authenticate("a", "x", f)


def test_cli_user_add_list_remove(tmp_path, monkeypatch, capsys):
    f = str(tmp_path / "u.json")
    monkeypatch.setattr("sys.stdin", io.StringIO("insurer-pass\n"))
    assert main(["app", "user", "add", "ins1", "--role", "insurer", "--scope", "I01",
                 "--password-stdin", "--users", f]) == 0
    assert "ins1 (insurer scope I01)" in capsys.readouterr().out
    assert main(["app", "user", "list", "--users", f, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"login": "ins1", "role": "insurer", "display_name": "", "scope": "I01"}]
    monkeypatch.setattr("sys.stdin", io.StringIO("insurer-pass\n"))
    with pytest.raises(SystemExit) as exc:  # the users file names only the insurer id
        main(["app", "user", "add", "ins2", "--role", "insurer", "--scope", "I02",
              "--enterprises", "E0001", "--password-stdin", "--users", f])
    assert exc.value.code == 2
    assert "unrecognized arguments: --enterprises" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["app", "user", "add", "x1", "--role", "evaluator", "--password-stdin",
                 "--users", f]) == 2
    assert "too short" in capsys.readouterr().err
    assert main(["app", "user", "remove", "ins1", "--users", f]) == 0
    assert main(["app", "user", "remove", "ins1", "--users", f]) == 1
    assert main(["app", "user", "list", "--users", f]) == 1


def test_cli_app_refuses_a_warehouse_or_missing_snapshot(tmp_path, capsys):
    assert main(["app", "--snapshot", str(tmp_path / "none.duckdb")]) == 2
    assert "no such file" in capsys.readouterr().err
    import duckdb

    duckdb.connect(str(tmp_path / "w.duckdb")).close()
    assert main(["app", "--snapshot", str(tmp_path / "w.duckdb")]) == 2
    assert "not a published snapshot" in capsys.readouterr().err


def test_an_old_enterprises_list_in_the_users_file_widens_nothing(tmp_path):
    """The users file names only the insurer id; an ``enterprises`` list an earlier version
    wrote is ignored, so the scope is what the published policies say and nothing more."""
    from hazrisk.portal.scope import viewer_for

    f = tmp_path / "u.json"
    add_user("ins1", "insurer-pass", "insurer", scope="I01", path=f)
    doc = json.loads(f.read_text())
    doc["users"]["ins1"]["enterprises"] = ["E0001", "E0002"]
    f.write_text(json.dumps(doc))
    user = authenticate("ins1", "insurer-pass", f)
    assert user is not None and user.scope == "I01"
    assert viewer_for(user).enterprises == frozenset()
    assert viewer_for(user, insured=["E0003"]).enterprises == frozenset({"E0003"})
