"""The command line end to end: real processes, real files, the exit codes of DESIGN.md §5."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import __version__


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    full_env.pop("AFFILIATE_DESK_DB", None)
    if env and "AFFILIATE_DESK_DB" in env:
        full_env["AFFILIATE_DESK_DB"] = env["AFFILIATE_DESK_DB"]
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120
    )


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_demo_then_check(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    demo = run("--db", str(db), "demo", "--affiliates", "25", "--seed", "3")
    assert demo.returncode == 0, demo.stderr
    assert "25 affiliates" in demo.stdout
    check = run("--db", str(db), "check")
    assert check.returncode == 0, check.stderr
    assert "integrity: ok" in check.stdout
    assert "affiliates: 25" in check.stdout


def test_demo_refuses_a_database_with_data(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    assert run("--db", str(db), "demo", "--affiliates", "5").returncode == 0
    again = run("--db", str(db), "demo")
    assert again.returncode == 3
    assert "already has data" in again.stderr
    assert_no_traceback(again)


def test_database_from_environment(tmp_path: Path) -> None:
    db = tmp_path / "env.sqlite3"
    result = run("demo", "--affiliates", "4", env={"AFFILIATE_DESK_DB": str(db)})
    assert result.returncode == 0, result.stderr
    assert db.exists()


def test_bad_db_path_is_exit_2_and_creates_nothing(tmp_path: Path) -> None:
    result = run("--db", str(tmp_path / "missing" / "x.sqlite3"), "check")
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert_no_traceback(result)
    assert not (tmp_path / "missing").exists()


def test_damaged_file_is_refused_and_kept(tmp_path: Path) -> None:
    db = tmp_path / "damaged.sqlite3"
    db.write_bytes(b"garbage" * 1000)
    result = run("--db", str(db), "check")
    assert result.returncode in (2, 3)
    assert "damaged" in result.stderr or "not an Affiliate Desk database" in result.stderr
    assert_no_traceback(result)
    assert db.read_bytes() == b"garbage" * 1000
    gui = run("--db", str(db), "gui", "--exit-after-start")
    assert gui.returncode in (2, 3)
    assert db.read_bytes() == b"garbage" * 1000


def test_program_export_and_import(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    assert run("--db", str(db), "demo", "--affiliates", "3").returncode == 0
    exported = tmp_path / "program.toml"
    result = run("--db", str(db), "program", "export", str(exported))
    assert result.returncode == 0, result.stderr
    assert 'name = "Acme Outdoor Partners"' in exported.read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text("[program]\ncookie_days = -4\n", encoding="utf-8")
    refused = run("--db", str(db), "program", "import", str(bad))
    assert refused.returncode == 2
    assert "bad.toml, line 2, key 'cookie_days'" in refused.stderr
    assert_no_traceback(refused)
    again = run("--db", str(db), "program", "import", str(exported))  # plans and targets refer to its affiliates
    assert again.returncode == 0, again.stderr
    only_program = tmp_path / "only-program.toml"
    text = exported.read_text(encoding="utf-8")
    only_program.write_text(text.split("[[plan]]")[0], encoding="utf-8")
    other = tmp_path / "other.sqlite3"
    imported = run("--db", str(other), "program", "import", str(only_program))
    assert imported.returncode == 0, imported.stderr


def test_backup_and_restore(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    assert run("--db", str(db), "demo", "--affiliates", "7").returncode == 0
    backup = tmp_path / "backup.sqlite3"
    assert run("--db", str(db), "backup", "-o", str(backup)).returncode == 0
    fresh = tmp_path / "fresh.sqlite3"
    restored = run("--db", str(fresh), "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "affiliates: 7" in run("--db", str(fresh), "check").stdout
    not_a_backup = tmp_path / "nope.sqlite3"
    not_a_backup.write_text("hello", encoding="utf-8")
    refused = run("--db", str(fresh), "restore", str(not_a_backup))
    assert refused.returncode == 2
    assert_no_traceback(refused)


@pytest.mark.parametrize("args", [("program",), ("demo", "--affiliates", "x"), ("frobnicate",)])
def test_usage_errors_exit_2(args: tuple[str, ...], tmp_path: Path) -> None:
    result = run("--db", str(tmp_path / "x.sqlite3"), *args)
    assert result.returncode == 2
    assert_no_traceback(result)


def test_gui_exit_after_start(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    result = run("--db", str(db), "gui", "--exit-after-start", env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    assert result.returncode == 0, result.stderr
    assert db.exists()
