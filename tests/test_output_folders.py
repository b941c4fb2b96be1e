"""`demo --out` and `simulate --out` never destroy what they did not make (issue 17)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from hazrisk import cliutil
from hazrisk.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


SIM = ("--vehicles", "2", "--days", "1", "--no-progress")


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, err = _run(capsys, "demo", "--out", ".")
    assert code == 2 and err.count("\n") == 1 and "--force" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_demo_bad_start_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, "demo", "--out", str(tmp_path / "d"), "--start", "2026-02-30")
    assert code == 2 and "2026-02-30" in err and err.count("\n") == 1
    assert not (tmp_path / "d").exists()


def test_simulate_refuses_files_and_foreign_folders(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "a.txt"
    f.write_text("x", encoding="utf-8")
    code, err = _run(capsys, "simulate", "--out", str(f), *SIM)
    assert code == 2 and "is a file" in err and f.read_text(encoding="utf-8") == "x"
    code, err = _run(capsys, "simulate", "--out", str(f / "sub"), *SIM)
    assert code == 2 and err.count("\n") == 1
    foreign = tmp_path / "foreign"
    (foreign / "dumps").mkdir(parents=True)
    (foreign / "dumps" / "theirs.bin").write_bytes(b"\x7e")
    code, err = _run(capsys, "simulate", "--out", str(foreign), *SIM)
    assert code == 2 and "not made by hazrisk simulate" in err
    assert (foreign / "dumps" / "theirs.bin").exists()


def test_simulate_reuses_its_own_folder_and_force_keeps_other_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sim"
    assert _run(capsys, "simulate", "--out", str(out), *SIM)[0] == 0
    assert _run(capsys, "simulate", "--out", str(out), *SIM)[0] == 0  # its own manifest
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    assert _run(capsys, "simulate", "--out", str(other), *SIM, "--force")[0] == 0
    assert (other / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (other / "manifest.json").exists()


def test_unwritable_folder_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    # Root writes into a chmod 555 folder, so the refusal of the file system is simulated at
    # the one place the check writes (the probe file).
    real = Path.write_bytes

    def refuse(self: Path, data: bytes) -> int:
        if self.name.startswith(".hazrisk-write-probe"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", refuse)
    code, err = _run(capsys, "simulate", "--out", str(tmp_path / "ro"), *SIM)
    assert code == 2 and "cannot write here" in err and "Permission denied" in err
    with pytest.raises(cliutil.CliError):
        cliutil.prepare_output_dir(tmp_path / "ro2", made_by_us=lambda _p: False)


def test_demo_reuse_removes_only_its_own_outputs(tmp_path: Path) -> None:
    from hazrisk import demo

    out = tmp_path / "demo"
    out.mkdir()
    (out / demo.MARKER).write_text("", encoding="utf-8")
    (out / "sim").mkdir()
    (out / "sim" / "old.bin").write_bytes(b"")
    (out / "hazrisk.duckdb").write_bytes(b"")
    (out / "report.xlsx").write_bytes(b"user's")
    made = cliutil.prepare_output_dir(out, made_by_us=lambda p: (p / demo.MARKER).is_file())
    demo._remove_outputs(made)
    assert sorted(p.name for p in out.iterdir()) == [demo.MARKER, "report.xlsx"]
