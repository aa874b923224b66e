"""`import affiliates` and `export affiliates` end to end: the real process, real files, exit codes 0 and 2."""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("AFFILIATE_DESK_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args], capture_output=True, text=True, env=env, timeout=120
    )


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def table_dump(db: Path) -> dict[str, list[tuple[object, ...]]]:
    tables = ("affiliate", "social_profile", "coupon_code", "tag", "affiliate_tag", "status_change")
    with sqlite3.connect(db) as conn:
        return {name: conn.execute(f"SELECT * FROM {name} ORDER BY 1, 2").fetchall() for name in tables}


def imported(db: Path, path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    result = run("--db", str(db), "import", "affiliates", str(path), *extra)
    assert_no_traceback(result)
    return result


GOOD = [
    ["code", "name", "email", "coupon_codes", "instagram", "instagram_followers"],
    ["ANNA", "Anna", "anna@example.com", "ANNA10", "@anna", "12,300"],
    ["BEN", "Ben", "", "", "", ""],
]


def test_import_prints_the_summary_and_a_reimport_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    path = write_csv(tmp_path / "affiliates.csv", GOOD)
    result = imported(db, path)
    assert result.returncode == 0, result.stderr
    assert "2 new, 0 updated, 0 unchanged" in result.stdout
    before = table_dump(db)
    assert len(before["affiliate"]) == 2
    again = imported(db, path)
    assert again.returncode == 0 and "0 new, 0 updated, 2 unchanged" in again.stdout
    assert table_dump(db) == before


def test_dry_run_reports_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    path = write_csv(tmp_path / "affiliates.csv", GOOD)
    result = imported(db, path, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "2 new, 0 updated, 0 unchanged" in result.stdout and "nothing was written" in result.stdout
    assert table_dump(db)["affiliate"] == []
    bad = write_csv(tmp_path / "bad.csv", [["code", "name", "status"], ["X", "Xena", "retired"]])
    refused = imported(db, bad, "--dry-run")
    assert refused.returncode == 2
    assert "bad.csv, line 2, column 'status': unknown status 'retired'" in refused.stderr


def test_bad_file_exits_2_with_one_problem_per_line_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    assert imported(db, write_csv(tmp_path / "first.csv", GOOD)).returncode == 0
    before = table_dump(db)
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            ["code", "name", "status", "coupon_codes", "joined_on"],
            ["ANNA", "Anna B.", "paused", "", ""],  # fine on its own: must not be applied either
            ["NEW", "New one", "retired", "anna10", "2024-13-01"],
            ["anna", "Again", "", "", ""],
        ],
    )
    result = imported(db, bad)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines == [
        "bad.csv, line 3, column 'status': unknown status 'retired'; use one of: prospect, applied, screening, "
        "active, paused, terminated, rejected",
        "bad.csv, line 3, column 'joined_on': '2024-13-01' is not a date; write it as YYYY-MM-DD",
        "bad.csv, line 4, column 'code': code 'anna' is on lines 2 and 4; codes must be unique",
        "affiliate-desk: 3 problem(s) in " + str(bad) + "; nothing was imported",
    ]
    assert result.stdout == ""
    assert table_dump(db) == before


def test_coupon_of_another_affiliate_and_unknown_column(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    assert imported(db, write_csv(tmp_path / "first.csv", GOOD)).returncode == 0
    before = table_dump(db)
    taken = imported(db, write_csv(tmp_path / "taken.csv", [["code", "name", "coupon_codes"], ["CY", "Cy", "anna10"]]))
    assert taken.returncode == 2
    assert "taken.csv, line 2, column 'coupon_codes': coupon 'anna10' already belongs to affiliate ANNA" in taken.stderr
    unknown = imported(db, write_csv(tmp_path / "cols.csv", [["code", "name", "shoe size"], ["CY", "Cy", "44"]]))
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("cols.csv, line 1, column 'shoe size': unknown column 'shoe size'")
    missing = imported(db, tmp_path / "missing.csv")
    assert missing.returncode == 2 and "missing.csv: cannot be opened" in missing.stderr
    assert table_dump(db) == before


def test_export_then_import_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    assert imported(db, write_csv(tmp_path / "first.csv", GOOD)).returncode == 0
    before = table_dump(db)
    for name in ("out.csv", "out.xlsx"):
        out = tmp_path / name
        result = run("--db", str(db), "export", "affiliates", "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert "2 affiliates written" in result.stdout
        again = imported(db, out)
        assert again.returncode == 0 and "0 new, 0 updated, 2 unchanged" in again.stdout, again.stderr
    assert table_dump(db) == before
    header = [cell.value for cell in next(load_workbook(tmp_path / "out.xlsx").active.iter_rows(max_row=1))]
    assert header[:3] == ["code", "name", "email"]
    only = run("--db", str(db), "export", "affiliates", "-o", str(tmp_path / "paused.csv"), "--status", "paused")
    assert only.returncode == 0 and "0 affiliates written" in only.stdout
    wrong = run("--db", str(db), "export", "affiliates", "-o", str(tmp_path / "w.csv"), "--status", "gone")
    assert wrong.returncode == 2 and "unknown status 'gone'" in wrong.stderr
    assert_no_traceback(wrong)


def test_usage_errors(tmp_path: Path) -> None:
    for args in (("import",), ("import", "affiliates"), ("export", "affiliates")):
        result = run("--db", str(tmp_path / "x.sqlite3"), *args)
        assert result.returncode == 2
        assert_no_traceback(result)
