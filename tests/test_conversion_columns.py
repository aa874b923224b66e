"""The quick way through a big generic file (a column at a time) stores exactly what the careful way stores."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from test_conversion_support import affiliates as make_affiliates
from test_conversion_support import orders, program, write_csv

from desktop.db import Database, open_database
from desktop.services import conversion_columns, conversion_import, conversion_parse
from desktop.services.click_import import import_clicks
from desktop.services.conversion_import import import_conversions, preview_conversions
from desktop.services.conversion_store import stored_orders
from desktop.services.errors import BadInput

HEADER = ["order_id", "occurred_at", "type", "amount", "quantity", "sku", "product", "currency", "affiliate_code",
          "coupon_code", "visitor_id", "customer_email", "status"]  # fmt: skip
CODES = ["JANE", "TOM", "ANNA", "jane"]
COUPONS = ["JANE10", "jane10", "ANNA5", "FREESHIP", "JANE10, SHIP", ""]


def varied_orders(count: int, seed: int = 7) -> list[list[Any]]:
    """Orders of every ordinary shape: one or more lines, coupons, codes, clicks, types, statuses, time zones."""
    rnd = random.Random(seed)
    rows: list[list[Any]] = []
    for number in range(count):
        day, minute = rnd.randrange(1, 29), rnd.randrange(24 * 60)
        stamp = rnd.choice([
            f"2026-10-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00-04:00",
            f"2026-10-{day:02d} {minute // 60:02d}:{minute % 60:02d}",
            f"2026-10-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:30Z",
            f"2026-10-{day:02d}",
        ])  # fmt: skip
        kind = rnd.choice(["sale"] * 8 + ["", "Sale", "lead", "signup"])
        status = rnd.choice(["approved"] * 6 + ["", "pending", "refunded", "Rejected"])
        code = rnd.choice(CODES + [""] * 4)
        coupon = rnd.choice(COUPONS + [""] * 6)
        visitor = rnd.choice([f"v-{rnd.randrange(40)}", "", ""])
        email = rnd.choice([f"c{number}@example.com", ""])
        currency = rnd.choice(["USD", "usd", ""])
        lines = rnd.choice([1, 1, 1, 2, 3])
        for line in range(lines):
            first = line == 0
            amount = rnd.choice([f"{rnd.randrange(100, 99_999) / 100:.2f}", f"{rnd.randrange(1, 500)}",
                                 f"{rnd.randrange(1, 500)}.5", "1,234.56"])  # fmt: skip
            repeat = first or rnd.random() < 0.3  # later rows may repeat the order's fields
            rows.append([
                f" Q-{number} " if first and rnd.random() < 0.05 else f"Q-{number}",
                stamp if repeat else "", kind if repeat else "", amount, rnd.choice(["", "1", "2", "10"]),
                rnd.choice(["TENT-2P", " HAT-1 ", "", "BAG-20"]), rnd.choice(["", "Tent", "  Big hat  "]),
                currency if repeat else "", code if repeat else "", coupon if repeat else "",
                visitor if repeat else "", email if repeat else "", status if repeat else "",
            ])  # fmt: skip
    return rows


def shop(path: Path, tmp_path: Path) -> Database:
    db = open_database(path)
    program(db, currency="USD", timezone="Europe/Berlin", cookie_days=30)
    make_affiliates(db, {"JANE": ["JANE10"], "TOM": [], "ANNA": ["ANNA5"]})
    clicks = [[f"2026-10-{day:02d} 10:00", ["TOM", "ANNA", "JANE"][day % 3], f"v-{day}"] for day in range(1, 29)]
    import_clicks(db, write_csv(tmp_path / f"clicks-{path.stem}.csv", ["clicked_at", "affiliate_code", "visitor_id"],
                                clicks))  # fmt: skip
    return db


def stored(db: Database) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """The orders, and their fingerprints as a re-import sees them (made from the stored order when missing)."""
    with db.engine.connect() as conn:
        ids = list(conn.execute(text("SELECT order_id FROM conversion ORDER BY id")).scalars())
    with db.read() as session:
        known = stored_orders(session, ids)
    return orders(db), [(order_id, known[order_id].row_hash) for order_id in ids]


def unprinted(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM conversion WHERE row_hash = ''")).scalar() or 0)


def import_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[list[Any]]) -> tuple[Any, Any]:
    path = write_csv(tmp_path / "orders.csv", HEADER, rows)
    quick = shop(tmp_path / "quick.sqlite3", tmp_path)
    quick_result = import_conversions(quick, path)
    with monkeypatch.context() as patch:
        patch.setattr(conversion_columns.ColumnFinisher, "finish", lambda *_: (_ for _ in ()).throw(
            conversion_columns.Unusual()))  # fmt: skip
        careful = shop(tmp_path / "careful.sqlite3", tmp_path)
        careful_result = import_conversions(careful, path)
    try:
        assert quick_result.summary == careful_result.summary
        assert unprinted(careful) == 0 and unprinted(quick) > 2000  # fingerprints made later, when needed
        return stored(quick), stored(careful)
    finally:
        quick.dispose()
        careful.dispose()


def test_both_ways_store_the_same_orders_attributions_lines_and_fingerprints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = varied_orders(3000)
    quick, careful = import_both_ways(tmp_path, monkeypatch, rows)
    assert quick == careful
    orders_by_id, hashes = quick
    assert len(orders_by_id) == 3000 and len(hashes) == 3000
    reasons = {order["attribution"] for order in orders_by_id.values()}
    assert reasons == {"coupon", "referral", "click", "organic"}
    assert any(len(order["lines"]) == 3 for order in orders_by_id.values())
    assert {order["type"] for order in orders_by_id.values()} == {"sale", "lead", "signup"}


def test_the_quick_way_really_reads_most_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without this, the test above could pass with every block going the careful way."""
    calls = {"quick": 0, "careful": 0}
    finish = conversion_columns.ColumnFinisher.finish

    def counted(self: Any, *args: Any) -> Any:
        try:
            batch = finish(self, *args)
        except conversion_columns.Unusual:
            calls["careful"] += 1
            raise
        calls["quick"] += 1
        return batch

    monkeypatch.setattr(conversion_columns.ColumnFinisher, "finish", counted)
    rows = [[f"P-{n}", "2026-10-03T12:00:00-04:00", "sale", "19.90", "1", "HAT-1", "", "USD", "TOM", "", "", "", ""]
            for n in range(5000)]  # fmt: skip
    rows[4000][3] = "12,5,0"  # one bad amount: that block alone goes the careful way, which words the problem
    db = shop(tmp_path / "desk.sqlite3", tmp_path)
    with pytest.raises(BadInput) as excinfo:
        import_conversions(db, write_csv(tmp_path / "orders.csv", HEADER, rows))
    assert [problem.line for problem in excinfo.value.problems] == [4002]
    blocks = -(-5000 // conversion_parse.BLOCK_ROWS) + 1  # each block's last order waits for the next block
    assert calls["careful"] == 1 and calls["quick"] == blocks - 1
    rows[4000][3] = "12.50"
    preview = preview_conversions(db, write_csv(tmp_path / "orders.csv", HEADER, rows))
    assert preview.ok and preview.summary.orders == 5000 and len(preview.sample) == 50
    db.dispose()


def test_problems_anywhere_in_a_big_file_are_found_the_same_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = varied_orders(2500, seed=11)
    rows[100][3] = "-5.00"
    rows[2600][0] = ""
    rows[3000][7] = "EUR"
    rows[3500][8] = "NOBODY"
    path = write_csv(tmp_path / "bad.csv", HEADER, rows)
    found = []
    for careful in (False, True):
        if careful:
            monkeypatch.setattr(conversion_columns.ColumnFinisher, "finish", lambda *_: (_ for _ in ()).throw(
                conversion_columns.Unusual()))  # fmt: skip
        db = shop(tmp_path / f"desk-{careful}.sqlite3", tmp_path)
        with pytest.raises(BadInput) as excinfo:
            import_conversions(db, path)
        found.append([str(problem) for problem in excinfo.value.problems])
        db.dispose()
    assert found[0] == found[1] and len(found[0]) >= 4


def test_the_writer_process_takes_the_quick_batches_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = varied_orders(3000, seed=3)
    path = write_csv(tmp_path / "orders.csv", HEADER, rows)
    here = shop(tmp_path / "here.sqlite3", tmp_path)
    import_conversions(here, path)
    monkeypatch.setattr(conversion_import, "WRITER_FROM_ROWS", 0)
    there = shop(tmp_path / "there.sqlite3", tmp_path)
    import_conversions(there, path)
    try:
        assert stored(here) == stored(there)
        again = import_conversions(there, path)  # a re-import: every order is known and unchanged
        assert (again.summary.new, again.summary.unchanged) == (0, 3000)
    finally:
        here.dispose()
        there.dispose()


def test_orders_stored_without_a_fingerprint_are_compared_when_imported_again(tmp_path: Path) -> None:
    rows = varied_orders(3000, seed=5)
    path = write_csv(tmp_path / "orders.csv", HEADER, rows)
    db = shop(tmp_path / "desk.sqlite3", tmp_path)
    import_conversions(db, path)
    assert unprinted(db) > 2000
    order = [row for row in rows if row[0].strip() == "Q-2999"]  # read the quick way
    status = "pending" if order[0][12].lower() in ("", "approved") else "approved"
    for row in order:
        row[12] = status if row[12] or row is order[0] else ""
    again = import_conversions(db, write_csv(tmp_path / "again.csv", HEADER, rows))
    assert (again.summary.new, again.summary.updated, again.summary.unchanged) == (0, 1, 2999)
    assert again.summary.status_changes == 1
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT status, row_hash FROM conversion WHERE order_id = 'Q-2999'")).one()
    assert row[0] == status and len(row[1]) == 32  # a changed order is stored with its fingerprint
    db.dispose()


def test_the_quick_way_on_any_database(any_db: Database, tmp_path: Path) -> None:
    """PostgreSQL too: batches inserted from columns, and fingerprints made from stored orders on re-import."""
    program(any_db, currency="USD", timezone="Europe/Berlin", cookie_days=30)
    make_affiliates(any_db, {"JANE": ["JANE10"], "TOM": [], "ANNA": ["ANNA5"]})
    rows = varied_orders(1500, seed=9)
    path = write_csv(tmp_path / "orders.csv", HEADER, rows)
    first = import_conversions(any_db, path)
    assert first.summary.new == 1500 and unprinted(any_db) > 500  # all but the first block: the sample
    with any_db.engine.connect() as conn:  # the quick way hands over "" and 0 for what is missing: stored as NULL
        blank, missing = conn.execute(text(
            "SELECT SUM(CASE WHEN coupon_code = '' OR referral_code = '' OR visitor_id = '' OR customer_email = '' "
            "THEN 1 ELSE 0 END), SUM(CASE WHEN affiliate_id IS NULL AND coupon_code IS NULL THEN 1 ELSE 0 END) "
            "FROM conversion")).one()  # fmt: skip
        blank_lines, products = conn.execute(text(
            "SELECT SUM(CASE WHEN sku = '' OR product = '' THEN 1 ELSE 0 END), COUNT(product) FROM conversion_line"
        )).one()  # fmt: skip
    assert (blank, blank_lines) == (0, 0) and missing > 0 and products > 0
    again = import_conversions(any_db, path)
    assert (again.summary.new, again.summary.updated, again.summary.unchanged) == (0, 0, 1500)
    assert len(orders(any_db)) == 1500
