"""An import killed half-way through a big file leaves the database unchanged and intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from test_conversion_support import affiliates as make_affiliates
from test_conversion_support import dump, generic, program

from desktop.db import open_database
from desktop.services.conversion_import import import_conversions

ROOT = Path(__file__).resolve().parent.parent
IMPORTER = """
import sys
from desktop.db import open_database
from desktop.services.conversion_import import import_conversions

def progress(done, total, what):
    print("progress", done, flush=True)

import_conversions(open_database(sys.argv[1]), sys.argv[2], progress=progress)
print("finished", flush=True)
"""


@pytest.mark.slow
def test_killing_the_import_half_way_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"
    db = open_database(path)
    program(db, timezone="Europe/Berlin")
    make_affiliates(db, {"JANE": ["JANE10"], "TOM": []})
    import_conversions(db, generic(tmp_path / "before.csv", ["OLD-1", "2026-09-01", "10.00", "", "", "TOM"]))
    before = dump(db)
    db.dispose()
    rows = []
    for n in range(150_000):
        rows.append([f"K-{n}", f"2026-10-{n % 28 + 1:02d}T12:{n % 60:02d}:00+02:00", "19.90", "1", "HAT-1", "JANE"])
        if n % 3 == 0:
            rows.append([f"K-{n}", "", "5.00", "2", "SOCK-3"])
    big = generic(tmp_path / "big.csv", *rows)  # 200,000 lines
    wal = Path(f"{path}-wal")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", IMPORTER, str(path), str(big)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env
    )
    assert child.stdout is not None
    reports = 0
    written = 0
    try:
        for line in child.stdout:
            assert line.startswith("progress"), line  # killed long before it finishes
            reports += 1
            written = wal.stat().st_size if wal.exists() else 0
            if reports >= 8 and written > 1_000_000:  # 80,000 rows read, megabytes of the transaction written
                break
        child.kill()  # SIGKILL: no clean-up of any kind in the child
    finally:
        child.wait(timeout=60)
    assert child.returncode == (-signal.SIGKILL if os.name == "posix" else 1)
    assert reports >= 8 and written > 1_000_000
    time.sleep(0.1)
    db = open_database(path)
    try:
        assert dump(db) == before
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            indexes = {
                name for (name,) in conn.execute(text("SELECT name FROM sqlite_master WHERE tbl_name = 'conversion'"))
            }
            assert {"ix_conversion_affiliate_date", "ix_conversion_date"} <= indexes
        result = import_conversions(db, big)  # and the file imports fine afterwards
        assert result.summary.orders == 150_000
    finally:
        db.dispose()
