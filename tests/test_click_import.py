"""Importing click logs and daily click counts: all or nothing, idempotent, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from test_conversion_support import affiliates as make_affiliates
from test_conversion_support import dump, program, write_csv

from desktop.db import Database
from desktop.models import Click, DailyClicks
from desktop.services.click_import import import_clicks
from desktop.services.errors import BadInput

HEADER = ["clicked_at", "affiliate_code", "visitor_id", "ip", "landing_url", "referrer"]


@pytest.fixture
def shop(any_db: Database) -> Database:
    program(any_db, timezone="Europe/Berlin")
    make_affiliates(any_db, {"JANE": [], "TOM": []})
    return any_db


def test_click_log_is_imported_once(shop: Database, tmp_path: Path) -> None:
    rows = [
        ["2026-10-03T12:00:00Z", "JANE", "v-1", "203.0.113.9", "https://shop.example/tents", "https://blog.example"],
        ["2026-10-03 15:00", "jane", "", "", "", ""],  # no visitor: kept, matched regardless of case
        ["2026-10-04 09:30", "TOM", "v-2", "", "", ""],
    ]
    path = write_csv(tmp_path / "clicks.csv", [*HEADER, "campaign"], [[*row, "autumn"] for row in rows])
    result = import_clicks(shop, path)
    assert (result.shape, result.rows, result.new, result.unchanged) == ("clicks", 3, 3, 0)
    assert result.ignored_columns == ("campaign",)
    assert (str(result.first_day), str(result.last_day)) == ("2026-10-03", "2026-10-04")
    with shop.read() as session:
        stored = session.scalars(select(Click).order_by(Click.clicked_at)).all()
        first = stored[0]
        assert (str(first.clicked_at), str(first.local_date), first.visitor_id, first.ip) == (
            "2026-10-03 14:00:00", "2026-10-03", "v-1", "203.0.113.9",
        )  # fmt: skip
        assert first.landing_url == "https://shop.example/tents" and stored[1].visitor_id is None
    again = import_clicks(shop, path)
    assert (again.new, again.unchanged, again.reattributed) == (0, 3, 0)
    with shop.read() as session:
        assert len(session.scalars(select(Click)).all()) == 3


def test_a_bad_click_file_changes_nothing_and_names_every_line(shop: Database, tmp_path: Path) -> None:
    import_clicks(shop, write_csv(tmp_path / "ok.csv", HEADER[:3], [["2026-10-01", "JANE", "v-0"]]))
    rows = [
        ["2026-10-03 12:00", "NOBODY", "v-1"],
        ["soon", "JANE", "v-2"],
        ["2026-10-03 12:00", "", "v-3"],
        ["2026-10-03 12:00", "TOM", "v" * 101],
    ]
    before = dump(shop)
    with pytest.raises(BadInput) as excinfo:
        import_clicks(shop, write_csv(tmp_path / "clicks.csv", HEADER[:3], rows))
    assert [str(p) for p in excinfo.value.problems] == [
        "clicks.csv, line 2, column 'affiliate_code': no affiliate has the code 'NOBODY'",
        "clicks.csv, line 3, column 'clicked_at': 'soon' is not a date or date-time; write it like 2026-10-03 or "
        "2026-10-03T14:05:00+02:00",
        "clicks.csv, line 4, column 'affiliate_code': an affiliate code is required",
        "clicks.csv, line 5, column 'visitor_id': is longer than 100 characters",
    ]
    assert dump(shop) == before


def test_daily_counts_replace_the_stored_day(shop: Database, tmp_path: Path) -> None:
    header = ["date", "affiliate_code", "clicks"]
    rows = [["2026-10-01", "JANE", "120"], ["2026-10-01", "TOM", "7"], ["2026-10-02", "JANE", "1,300"]]
    first = import_clicks(shop, write_csv(tmp_path / "daily.csv", header, rows))
    assert (first.shape, first.new, first.updated, first.unchanged) == ("daily", 3, 0, 0)
    later = [
        ["2026-10-01", "JANE", "125"],
        ["2026-10-01", "TOM", "7"],
        ["2026-10-03", "TOM", "2"],
        ["2026-10-03", "TOM", "3"],
    ]
    second = import_clicks(shop, write_csv(tmp_path / "daily-later.csv", header, later))
    assert (second.new, second.updated, second.unchanged) == (1, 1, 1)
    with shop.read() as session:
        stored = {(d.affiliate_id, str(d.day)): d.clicks for d in session.scalars(select(DailyClicks))}
    assert sorted(stored.values()) == [5, 7, 125, 1300]  # rows of one affiliate and day in a file add up
    with pytest.raises(BadInput, match="'1.5' is not a whole number of clicks"):
        import_clicks(shop, write_csv(tmp_path / "bad.csv", header, [["2026-10-04", "JANE", "1.5"]]))


def test_dry_run_counts_and_changes_nothing(shop: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clicks.csv", HEADER[:3], [["2026-10-03 12:00", "JANE", "v-1"]])
    before = dump(shop)
    result = import_clicks(shop, path, dry_run=True)
    assert (result.new, result.dry_run, result.batch_id) == (1, True, None)
    assert dump(shop) == before


def test_an_unknown_shape_is_refused(shop: Database, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="needs a 'clicked_at' column"):
        import_clicks(shop, write_csv(tmp_path / "x.csv", ["when", "who"], [["2026-10-01", "JANE"]]))


def test_cancelling_a_click_import_keeps_nothing(db: Database, tmp_path: Path) -> None:
    program(db)
    make_affiliates(db, {"JANE": []})
    rows = [
        [f"2026-10-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z", "JANE", f"v-{n}"] for n in range(25_000)
    ]
    path = write_csv(tmp_path / "clicks.csv", HEADER[:3], rows)
    before = dump(db)

    def cancel(done: int, total: int, what: str) -> None:
        if done > 20_000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_clicks(db, path, progress=cancel)
    assert dump(db) == before


def test_dates_day_or_month_first_as_the_file_shows_or_as_said(shop: Database, tmp_path: Path) -> None:
    daily = write_csv(tmp_path / "daily.csv", ["date", "affiliate_code", "clicks"],
                      [["03/10/2026", "JANE", "40"], ["04/10/2026", "JANE", "35"]])  # fmt: skip
    before = dump(shop)
    with pytest.raises(BadInput) as excinfo:
        import_clicks(shop, daily)
    assert [str(p) for p in excinfo.value.problems] == [
        "daily.csv, line 2, column 'date': '03/10/2026' could be day first or month first (3 October 2026 or "
        "10 March 2026), and no date in the file shows which: say how the file writes dates (in the import "
        "window, 'Dates are written'; on the command line, --dates dmy or --dates mdy)"
    ]
    assert dump(shop) == before
    result = import_clicks(shop, daily, date_order="dmy")
    assert (str(result.first_day), str(result.last_day)) == ("2026-10-03", "2026-10-04")
    assert "Dates other than ISO 8601 read as day/month/year (as asked)." in result.lines()

    log = write_csv(tmp_path / "log.csv", HEADER, [["10/03/2026 9:00 AM", "TOM", "v-9", "", "", ""],
                                                   ["10/13/2026 2:30 PM", "TOM", "v-9", "", "", ""]])  # fmt: skip
    result = import_clicks(shop, log)
    assert (result.date_order, result.date_reason) == ("mdy", "'10/13/2026 2:30 PM' on line 3 shows it")
    assert (str(result.first_day), str(result.last_day)) == ("2026-10-03", "2026-10-13")
    with pytest.raises(BadInput, match="unknown date order 'ydm'"):
        import_clicks(shop, log, date_order="ydm")


def test_a_column_given_twice_is_refused_not_read_from_the_first(db: Database, tmp_path: Path) -> None:
    program(db)
    make_affiliates(db, {"JANE": [], "TOM": []})
    path = write_csv(tmp_path / "clicks.csv", ["clicked_at", "affiliate_code", "visitor_id", "Affiliate_Code"],
                     [["2026-10-03T10:00:00", "JANE", "v1", "TOM"]])  # fmt: skip
    with pytest.raises(BadInput) as refused:
        import_clicks(db, path)
    assert str(refused.value) == (
        "clicks.csv, line 1: the column 'affiliate_code' is given twice (columns 2 and 4): keep one, or rename "
        "the other"
    )
    with db.read() as session:
        assert session.scalars(select(Click)).all() == []
