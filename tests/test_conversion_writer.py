"""Big SQLite imports are written by a second process: the same result, and still all or nothing."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from test_conversion_support import affiliates as make_affiliates
from test_conversion_support import dump, generic, orders, program

from desktop.db import Database, open_database
from desktop.services import bulk_writer, conversion_import
from desktop.services.bulk_writer import WriterFailed, WriterProcess
from desktop.services.conversion_import import import_conversions
from desktop.services.conversion_store import ConversionStore
from desktop.services.errors import BadInput

ROWS = [
    ["W-1", "2026-10-03T14:05:00+02:00", "100.00", "1", "TENT-1", "", "jane10"],
    ["W-1", "", "20.50", "2", "HAT-1"],
    ["W-2", "2026-10-04 09:00", "1,234.50", "", "", "TOM"],
    ["W-3", "2026-10-05", "30.00", "", "", "", "", "", "refunded"],
    ["W-4", "2026-10-06T08:00:00Z", "40.00", "", "", "", "", "", "approved", "15.00"],
    ["W-5", "2026-10-07", "55.00", "3", "BAG-20", "", "NOBODY5"],
]
CHANGED = [
    ["W-1", "2026-10-03T14:05:00+02:00", "100.00", "1", "TENT-1", "", "jane10", "", "refunded", "100.00"],
    ["W-2", "2026-10-04 09:00", "1,234.50", "", "", "TOM"],
    ["W-6", "2026-10-08", "12.00", "", "", "ANNA"],
]


@pytest.fixture
def writers(monkeypatch: pytest.MonkeyPatch) -> list[WriterProcess]:
    """Every import goes through the writer process; the processes started are kept to look at."""
    started: list[WriterProcess] = []

    class Recorded(WriterProcess):
        def __init__(self, path: Path) -> None:
            super().__init__(path)
            started.append(self)

    monkeypatch.setattr(conversion_import, "WRITER_FROM_ROWS", 0)
    monkeypatch.setattr(conversion_import, "WriterProcess", Recorded)
    return started


def shop(path: Path) -> Database:
    db = open_database(path)
    program(db, currency="USD", timezone="Europe/Berlin")
    make_affiliates(db, {"JANE": ["JANE10"], "TOM": [], "ANNA": ["ANNA5"]})
    return db


def history(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        sql = ("SELECT c.order_id, h.from_status, h.to_status, h.from_refunded, h.to_refunded, h.note "
               "FROM conversion_status_change h JOIN conversion c ON c.id = h.conversion_id ORDER BY h.id")  # fmt: skip
        return [tuple(row) for row in conn.execute(text(sql))]


def imported_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Database, Database]:
    first = generic(tmp_path / "orders.csv", *ROWS)
    second = generic(tmp_path / "orders-again.csv", *CHANGED)
    here = shop(tmp_path / "here.sqlite3")
    for path in (first, second):
        import_conversions(here, path)
    monkeypatch.setattr(conversion_import, "WRITER_FROM_ROWS", 0)
    there = shop(tmp_path / "there.sqlite3")
    for path in (first, second):
        import_conversions(there, path)
    return here, there


def test_the_writer_process_stores_exactly_what_this_process_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, there = imported_both_ways(tmp_path, monkeypatch)
    try:
        assert orders(there) == orders(here)
        assert len(orders(there)) == 6
        assert orders(there)["W-1"]["lines"] == [("TENT-1", None, 1, 10000)]  # the re-import has one line
        assert history(there) == history(here) and history(there)[0][:3] == ("W-1", "approved", "refunded")
        with here.engine.connect() as a, there.engine.connect() as b:
            batches = "SELECT kind, file_name, preset, rows, new, updated, unchanged FROM import_batch ORDER BY id"
            assert a.execute(text(batches)).all() == b.execute(text(batches)).all()
            assert b.execute(text(batches)).all()[1][3:] == (3, 1, 1, 1)
            schema = "SELECT name, sql FROM sqlite_master WHERE tbl_name LIKE 'conversion%' ORDER BY name"
            assert a.execute(text(schema)).all() == b.execute(text(schema)).all()  # deferred indexes rebuilt
            assert b.execute(text("PRAGMA foreign_key_check")).all() == []
            assert b.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        here.dispose()
        there.dispose()


def test_a_file_with_problems_leaves_nothing_and_no_process(tmp_path: Path, writers: list[WriterProcess]) -> None:
    db = shop(tmp_path / "desk.sqlite3")
    before = dump(db)
    path = generic(tmp_path / "bad.csv", *ROWS, ["W-9", "2026-10-09", "12,34,5", "", "", "NOBODY"])
    with pytest.raises(BadInput) as excinfo:
        import_conversions(db, path)
    assert "no affiliate has the code 'NOBODY'" in str(excinfo.value)
    assert dump(db) == before
    assert len(writers) == 1 and writers[0]._process.poll() == 0  # ended, having committed nothing
    db.dispose()


def test_a_cancel_leaves_nothing(tmp_path: Path, writers: list[WriterProcess]) -> None:
    db = shop(tmp_path / "desk.sqlite3")
    before = dump(db)
    rows = [[f"C-{n}", "2026-10-03", "10.00", "1", "HAT-1", "JANE"] for n in range(25_000)]
    path = generic(tmp_path / "big.csv", *rows)

    def cancel(done: int, total: int, what: str) -> None:
        if done > 20_000:
            raise KeyboardInterrupt("cancelled")

    with pytest.raises(KeyboardInterrupt):
        import_conversions(db, path, progress=cancel)
    assert dump(db) == before
    assert writers[0]._process.poll() is not None
    result = import_conversions(db, path)  # the lock is free again
    assert result.summary.new == 25_000 and len(orders(db)) == 25_000
    db.dispose()


def test_an_error_in_the_writer_is_raised_and_nothing_is_kept(
    tmp_path: Path, writers: list[WriterProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = shop(tmp_path / "desk.sqlite3")
    import_conversions(db, generic(tmp_path / "first.csv", ROWS[2]))
    before = dump(db)
    monkeypatch.setattr(ConversionStore, "_reserve_ids", lambda self, count: [1] * count)  # ids already taken
    with pytest.raises(WriterFailed, match="UNIQUE constraint failed"):
        import_conversions(db, generic(tmp_path / "second.csv", ROWS[0]))
    assert dump(db) == before
    db.dispose()


def test_the_writer_rolls_back_unless_told_to_commit(tmp_path: Path) -> None:
    db = shop(tmp_path / "desk.sqlite3")
    db.dispose()
    path = tmp_path / "desk.sqlite3"
    insert = ("INSERT INTO import_batch (kind, file_name, imported_at, imported_by, rows, new, updated, unchanged) "
              "VALUES (?, ?, ?, ?, 0, 0, 0, 0)")  # fmt: skip
    with WriterProcess(path) as writer:
        writer.begin()
        writer.many(insert, [("clicks", "a.csv", "2026-10-01 00:00:00.000000", "me")])
        assert writer.scalar("SELECT COUNT(*) FROM import_batch") == 1
    assert writer._process.returncode == 0
    with WriterProcess(path) as writer:
        writer.begin()
        writer.many(insert, [("clicks", "b.csv", "2026-10-01 00:00:00.000000", "me")])
        writer.commit()  # returns at once; the process checkpoints the log and ends on its own
    assert writer._process.wait(timeout=30) == 0
    db = open_database(path)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT file_name FROM import_batch")).scalars().all() == ["b.csv"]
    db.dispose()
    with WriterProcess(path) as writer, pytest.raises(WriterFailed, match="no such table"):
        writer.begin()
        writer.many("INSERT INTO nowhere VALUES (?)", [(1,)])
        writer.commit()


def test_the_bundle_starts_the_writer_through_its_own_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    commands: list[list[str]] = []

    class Popen:
        def __init__(self, command: list[str], **_: Any) -> None:
            commands.append(command)
            raise OSError("not started in this test")

    monkeypatch.setattr(bulk_writer.sys, "frozen", True, raising=False)
    monkeypatch.setattr(bulk_writer.subprocess, "Popen", Popen)
    with pytest.raises(OSError):
        WriterProcess(Path("desk.sqlite3"))
    assert commands[0][1:] == [bulk_writer.CHILD_FLAG, "desk.sqlite3"]
    main = (Path(bulk_writer.__file__).parent.parent / "__main__.py").read_text(encoding="utf-8")
    assert f'sys.argv[1] == "{bulk_writer.CHILD_FLAG}"' in main


def test_order_lines_are_stored_by_order_and_line_number(tmp_path: Path) -> None:
    """One B-tree per line on SQLite (WITHOUT ROWID), in a new database and in one upgraded from the first schema."""
    from shutil import copyfile

    data = Path(__file__).resolve().parent / "data" / "v0001.sqlite3"
    copyfile(data, tmp_path / "old.sqlite3")
    for name in ("new.sqlite3", "old.sqlite3"):
        db = open_database(tmp_path / name)
        with db.engine.connect() as conn:
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'conversion_line'")).scalar()
            indexes = conn.execute(text("SELECT name FROM sqlite_master WHERE tbl_name = 'conversion_line' "
                                        "AND type = 'index'")).scalars().all()  # fmt: skip
        assert "WITHOUT ROWID" in sql and "PRIMARY KEY (conversion_id, line_no)" in sql
        assert indexes == []
        db.dispose()


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_is_for_the_importer_to_handle(tmp_path: Path) -> None:
    """Ctrl+C goes to the whole process group; the writer leaves it to the importer (which rolls back)."""
    shop(tmp_path / "desk.sqlite3").dispose()
    with WriterProcess(tmp_path / "desk.sqlite3") as writer:
        writer.begin()
        os.kill(writer._process.pid, signal.SIGINT)
        assert writer.scalar("SELECT COUNT(*) FROM affiliate") == 3


def test_columns_reach_the_writer_exactly_whatever_their_texts_hold(tmp_path: Path) -> None:
    """Text columns travel joined into one text; one that holds the joining character, or anything but texts,
    travels as it is. The rows stored are the ones given either way."""
    path = tmp_path / "desk.sqlite3"
    shop(path).dispose()
    sent: list[Any] = []
    columns = [
        [1, 2, 3, 4],
        ["plain", "", "with\x00zero", "ünïcode"],  # the separator inside: sent as a list
        ["a", "", "b", "c"],  # joined
        ["x", None, "y", "z"],  # not all texts: as it is
    ]
    with WriterProcess(path) as writer:
        original = writer._send

        def recording(message: tuple[Any, ...]) -> None:
            sent.append(message)
            original(message)

        writer._send = recording  # type: ignore[method-assign]
        writer.begin()
        writer.execute("CREATE TEMP TABLE seen (n INTEGER, a TEXT, b TEXT, c TEXT)")
        writer.many_columns("INSERT INTO seen VALUES (?, ?, ?, ?)", columns)
        assert writer.scalar("SELECT json_group_array(json_array(n, a, b, c)) FROM seen") == (
            '[[1,"plain","a","x"],[2,"","",null],[3,"with\\u0000zero","b","y"],[4,"ünïcode","c","z"]]'
        )
    packed = next(message[2] for message in sent if message[0] == "columns")
    assert [type(column) for column in packed] == [list, list, tuple, list]
    assert packed[2] == ("a\x00\x00b\x00c",)
