"""Importing a generic orders file: the rules of DESIGN §4/§6, all or nothing, re-imports, progress and cancel."""

from __future__ import annotations

from decimal import Decimal
from operator import itemgetter
from pathlib import Path

import pytest
from sqlalchemy import select, text
from test_conversion_support import GENERIC, dump, generic, orders, program, write_csv
from test_conversion_support import affiliates as make_affiliates

from desktop.db import Database
from desktop.models import Affiliate, ConversionStatusChange, FraudFlag, ImportBatch
from desktop.services.conversion_import import FraudCheck, import_conversions, preview_conversions
from desktop.services.errors import BadInput


@pytest.fixture
def shop(db: Database) -> Database:
    program(db, currency="USD", timezone="Europe/Berlin")
    make_affiliates(db, {"JANE": ["JANE10"], "TOM": [], "ANNA": ["ANNA5"]})
    return db


def problems_of(excinfo: pytest.ExceptionInfo[BadInput]) -> list[str]:
    return [str(problem) for problem in excinfo.value.problems]


def test_generic_file_is_imported_with_lines_and_attribution(any_db: Database, tmp_path: Path) -> None:
    program(any_db, currency="USD", timezone="Europe/Berlin")
    make_affiliates(any_db, {"JANE": ["JANE10"], "TOM": []})
    path = generic(
        tmp_path / "orders.csv",
        ["A-1", "2026-10-03T14:05:00+02:00", "100.00", "1", "TENT-1", "", "jane10"],
        ["A-1", "", "20.50", "2", "HAT-1"],
        ["A-2", "2026-10-04 09:00", "1,234.50", "", "", "TOM"],
        ["A-3", "2026-10-05", "30.00", "", "", "", "", "", "refunded"],
        ["A-4", "2026-10-06T08:00:00Z", "40.00", "", "", "", "", "", "approved", "15.00"],
    )
    result = import_conversions(any_db, path)
    summary = result.summary
    assert (summary.preset, summary.orders, summary.rows, summary.new) == ("generic", 4, 5, 4)
    assert dict(summary.by_attribution) == {"coupon": 1, "referral": 1, "click": 0, "organic": 2}
    stored = orders(any_db)
    assert stored["A-1"]["amount"] == 12050 and stored["A-1"]["net"] == 12050
    assert stored["A-1"]["lines"] == [("TENT-1", None, 1, 10000), ("HAT-1", None, 2, 2050)]
    assert (stored["A-1"]["affiliate"], stored["A-1"]["attribution"]) == ("JANE", "coupon")
    assert stored["A-1"]["detail"] == "coupon JANE10 (coupon priority)"
    assert str(stored["A-1"]["occurred_at"])[:19] == "2026-10-03 14:05:00"
    assert (stored["A-2"]["affiliate"], stored["A-2"]["amount"]) == ("TOM", 123450)
    assert stored["A-2"]["detail"] == "referral code TOM"
    assert (stored["A-3"]["status"], stored["A-3"]["refunded"], stored["A-3"]["net"]) == ("refunded", 3000, 0)
    assert stored["A-3"]["detail"] == "no coupon, referral code or click: organic"
    assert (stored["A-4"]["refunded"], stored["A-4"]["net"]) == (1500, 2500)
    assert str(stored["A-4"]["occurred_at"])[:19] == "2026-10-06 10:00:00"  # UTC -> Berlin summer time
    with any_db.read() as session:
        batch = session.scalars(select(ImportBatch)).one()
        assert (batch.kind, batch.preset, batch.rows, batch.new, batch.file_name) == (
            "conversions", "generic", 5, 4, "orders.csv",
        )  # fmt: skip
        assert result.batch_id == batch.id


def test_preview_says_what_would_happen_and_writes_nothing(shop: Database, tmp_path: Path) -> None:
    path = generic(
        tmp_path / "orders.csv",
        ["A-1", "2026-10-03", "1,234.50", "", "", "JANE"],
        ["A-2", "2026-10-04", "10.00", "", "", "", "SAVE5"],
        ["A-3", "2026-10-04", "10.00", "", "", "", "save5"],
    )
    before = dump(shop)
    preview = preview_conversions(shop, path)
    assert dump(shop) == before
    summary = preview.summary
    assert preview.ok and preview.problems == ()
    assert summary.preset == "generic" and "order_id" in summary.preset_reason
    assert summary.decimal_separator == "." and "'1,234.50' on line 2" in summary.decimal_reason
    assert (summary.new, summary.updated, summary.unchanged, summary.organic) == (3, 0, 0, 2)
    assert summary.unknown_coupons == (("SAVE5", 2),)
    assert summary.amount == Decimal("1254.50")
    assert [order.order_id for order in preview.sample] == ["A-1", "A-2", "A-3"]
    assert preview.sample[0].affiliate_code == "JANE" and preview.sample[0].change == "new"
    assert ("affiliate_code", "affiliate_code") in summary.columns


def test_every_problem_is_listed_with_its_line_and_the_database_is_unchanged(shop: Database, tmp_path: Path) -> None:
    generic(tmp_path / "good.csv", ["OK-1", "2026-10-01", "10.00", "", "", "JANE"])
    import_conversions(shop, tmp_path / "good.csv")
    path = generic(
        tmp_path / "bad.csv",
        ["B-1", "2026-10-03", "10.00", "", "", "NOBODY"],  # line 2: unknown affiliate code
        ["B-2", "yesterday", "10.00"],  # line 3: not a date
        ["B-3", "2026-10-03", "ten"],  # line 4: not an amount
        ["B-4", "2026-10-03", "10.00", "", "", "", "", "", "approved", "12.00"],  # line 5: refund above amount
        ["B-5", "2026-10-03", "", "", "", ""],  # line 6: a sale without amount
        ["B-6", "2026-10-03", "10.00", "x"],  # line 7: quantity
        ["B-7", "2026-10-03", "10.00", "", "", "", "", "", "paid"],  # line 8: status
        ["B-8", "2026-10-03", "10.00"],
        ["B-9", "2026-10-03", "10.00"],
        ["B-8", "2026-10-03", "5.00"],  # line 11: the rows of B-8 are apart
        ["B-10", "2026-10-03", "-5.00"],  # line 12: negative
        ["B-11", "2026-10-03", "5.00", "", "", "TOM"],
        ["B-11", "2026-10-03", "5.00", "", "", "JANE"],  # line 14: differs within the order
    )
    before = dump(shop)
    with pytest.raises(BadInput) as excinfo:
        import_conversions(shop, path)
    assert dump(shop) == before
    listed = problems_of(excinfo)
    expected = [
        "bad.csv, line 2, column 'affiliate_code': no affiliate has the code 'NOBODY'",
        "bad.csv, line 3, column 'occurred_at': 'yesterday' is not a date or date-time",
        "bad.csv, line 4, column 'amount': 'ten' is not an amount",
        "bad.csv, line 5, column 'refunded_amount': the refund 12.00 is more than the order's amount 10.00",
        "bad.csv, line 6, column 'amount': an amount is required for a sale",
        "bad.csv, line 7, column 'quantity': 'x' is not a whole number of items",
        "bad.csv, line 8, column 'status': 'paid' is not a status",
        "bad.csv, line 11, column 'order_id': order B-8 appeared before",
        "bad.csv, line 12, column 'amount': '-5.00' is negative",
        "bad.csv, line 14, column 'affiliate_code': 'JANE' differs from 'TOM' on line 13",
    ]
    for start in expected:
        assert any(problem.startswith(start) for problem in listed), (start, listed)
    assert len(listed) == len(expected)


def test_a_currency_other_than_the_programs_is_an_error(shop: Database, tmp_path: Path) -> None:
    path = generic(
        tmp_path / "eur.csv",
        ["E-1", "2026-10-03", "10.00", "", "", "", "", "", "", "", "EUR"],
        ["E-2", "2026-10-03", "10.00", "", "", "", "", "", "", "", "usd"],
        header=[*GENERIC, "currency"],
    )
    before = dump(shop)
    with pytest.raises(BadInput) as excinfo:
        import_conversions(shop, path)
    assert problems_of(excinfo) == ["eur.csv, line 2, column 'currency': EUR is not the program's currency USD"]
    assert dump(shop) == before


def test_a_missing_column_or_an_unknown_file_changes_nothing(shop: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", ["order_id", "amount"], [["A", "1.00"]])
    with pytest.raises(BadInput) as excinfo:
        import_conversions(shop, path)
    assert problems_of(excinfo) == ["x.csv, line 1: the required column 'occurred_at' is missing"]
    other = write_csv(tmp_path / "y.csv", ["when", "what"], [["2026-10-01", "1.00"]])
    with pytest.raises(BadInput, match="cannot tell which export this is"):
        import_conversions(shop, other)
    assert dump(shop)["conversion"] == []


@pytest.mark.parametrize(
    ("amounts", "cents"),
    [
        (["1,234.50", "99"], [123450, 9900]),  # dot decimal, comma thousands
        (["1.234,50", "12,5"], [123450, 1250]),  # comma decimal, dot thousands
        (["399,00", "1.234"], [39900, 123400]),  # "1.234" read by the file's convention: a thousand
        (["1,234", "2,500"], [123400, 250000]),  # only ambiguous cells: the program's dot convention
        (["12.5", "1 234.50"], [1250, 123450]),  # a space as thousands separator
    ],
)
def test_amounts_follow_the_files_convention(
    shop: Database, tmp_path: Path, amounts: list[str], cents: list[int]
) -> None:
    rows = [[f"C-{n}", "2026-10-03", amount] for n, amount in enumerate(amounts)]
    import_conversions(shop, generic(tmp_path / "amounts.csv", *rows))
    stored = orders(shop)
    assert [stored[f"C-{n}"]["amount"] for n in range(len(amounts))] == cents


def test_a_cell_against_the_files_convention_is_an_error_not_a_guess(shop: Database, tmp_path: Path) -> None:
    path = generic(tmp_path / "mixed.csv", ["M-1", "2026-10-03", "1,234.50"], ["M-2", "2026-10-03", "12,50"])
    with pytest.raises(BadInput) as excinfo:
        import_conversions(shop, path)
    (problem,) = problems_of(excinfo)
    assert problem.startswith("mixed.csv, line 3, column 'amount': '12,50' is not an amount written with a dot")
    assert "'1,234.50' on line 2 shows it" in problem


def test_times_with_offsets_are_converted_and_naive_ones_are_program_local(shop: Database, tmp_path: Path) -> None:
    path = generic(
        tmp_path / "times.csv",
        ["T-1", "2026-10-31T23:30:00-04:00", "1.00"],  # New York evening: already 1 November in Berlin
        ["T-2", "2026-10-31 23:30", "1.00"],  # naive: Berlin wall time
        ["T-3", "2026-03-29", "1.00"],  # date only: midnight
        ["T-4", "2026-10-25T00:30:00Z", "1.00"],  # the night Berlin leaves summer time
    )
    import_conversions(shop, path)
    stored = orders(shop)
    assert (str(stored["T-1"]["occurred_at"])[:19], str(stored["T-1"]["local_date"])) == (
        "2026-11-01 04:30:00",
        "2026-11-01",
    )
    assert (str(stored["T-2"]["occurred_at"])[:19], str(stored["T-2"]["local_date"])) == (
        "2026-10-31 23:30:00",
        "2026-10-31",
    )
    assert str(stored["T-3"]["occurred_at"])[:19] == "2026-03-29 00:00:00"
    assert str(stored["T-4"]["occurred_at"])[:19] == "2026-10-25 02:30:00"


def test_reimport_is_idempotent_and_a_refund_update_keeps_history(shop: Database, tmp_path: Path) -> None:
    first = generic(
        tmp_path / "october.csv",
        ["R-1", "2026-10-03", "100.00", "", "", "JANE"],
        ["R-2", "2026-10-04", "50.00", "", "", "TOM", "", "", "pending"],
    )
    import_conversions(shop, first)
    before = dump(shop)
    again = import_conversions(shop, first)
    assert (again.summary.new, again.summary.updated, again.summary.unchanged) == (0, 0, 2)
    after = dump(shop)
    assert after["conversion"] == before["conversion"] and after["conversion_line"] == before["conversion_line"]
    assert len(after["import_batch"]) == 2  # the second import is on record, with its counts

    later = generic(
        tmp_path / "october-later.csv",
        ["R-1", "2026-10-03", "100.00", "", "", "JANE", "", "", "approved", "30.00"],
        ["R-2", "2026-10-04", "50.00", "", "", "TOM", "", "", "approved"],
    )
    result = import_conversions(shop, later)
    assert (result.summary.new, result.summary.updated, result.summary.status_changes) == (0, 2, 2)
    stored = orders(shop)
    assert (stored["R-1"]["refunded"], stored["R-1"]["net"], stored["R-2"]["status"]) == (3000, 7000, "approved")
    assert len(dump(shop)["conversion"]) == 2
    with shop.read() as session:
        history = session.scalars(select(ConversionStatusChange).order_by(ConversionStatusChange.id)).all()
        assert [(h.from_status, h.to_status, h.from_refunded, h.to_refunded) for h in history] == [
            ("approved", "approved", Decimal("0.00"), Decimal("30.00")),
            ("pending", "approved", Decimal("0.00"), Decimal("0.00")),
        ]
        assert all(h.batch_id == result.batch_id and "october-later.csv" in (h.note or "") for h in history)


def test_texts_reach_the_database_unchanged(shop: Database, tmp_path: Path) -> None:
    product = 'Zelt „Alpen" 2-Personen \u26fa\U0001f3d5 — 50 % off, C:\\tmp\ttab'
    path = generic(
        tmp_path / "texts.csv",
        ["Ü-1", "2026-10-03", "10.00", "1", "SKU-ß", "", "", "visitor «1»", "", "", product],
        header=[*GENERIC, "product"],
    )
    import_conversions(shop, path)
    stored = orders(shop)["Ü-1"]
    assert stored["lines"] == [("SKU-ß", product, 1, 1000)]


def test_a_changed_order_gets_its_new_lines(shop: Database, tmp_path: Path) -> None:
    import_conversions(
        shop, generic(tmp_path / "a.csv", ["L-1", "2026-10-03", "10.00", "", "A"], ["L-1", "", "5.00", "", "B"])
    )
    import_conversions(shop, generic(tmp_path / "b.csv", ["L-1", "2026-10-03", "12.00", "", "C"]))
    stored = orders(shop)["L-1"]
    assert stored["lines"] == [("C", None, 1, 1200)] and stored["amount"] == 1200


def test_dry_run_checks_everything_and_changes_nothing(shop: Database, tmp_path: Path) -> None:
    path = generic(tmp_path / "orders.csv", ["D-1", "2026-10-03", "10.00", "", "", "JANE"])
    before = dump(shop)
    result = import_conversions(shop, path, dry_run=True)
    assert (result.dry_run, result.batch_id, result.summary.new) == (True, None, 1)
    assert dump(shop) == before
    bad = generic(tmp_path / "bad.csv", ["D-2", "2026-10-03", "10.00", "", "", "NOBODY"])
    with pytest.raises(BadInput, match="no affiliate has the code 'NOBODY'"):
        import_conversions(shop, bad, dry_run=True)


def big_file(path: Path, orders_count: int) -> Path:
    rows = []
    for n in range(orders_count):
        rows.append([f"BIG-{n}", f"2026-10-{n % 28 + 1:02d}T10:{n % 60:02d}:00+02:00", "19.90", "1", "HAT-1", "JANE"])
        if n % 3 == 0:
            rows.append([f"BIG-{n}", "", "5.00", "2", "SOCK-3"])
    return generic(path, *rows)


def test_progress_is_reported_and_a_raising_callback_cancels_everything(shop: Database, tmp_path: Path) -> None:
    path = big_file(tmp_path / "big.csv", 60_000)  # big enough for the index work of large files
    before = dump(shop)
    calls: list[tuple[int, int, str]] = []

    def cancel_at_the_fourth(done: int, total: int, what: str) -> None:
        calls.append((done, total, what))
        if len(calls) == 4:
            raise KeyboardInterrupt("cancelled")

    with pytest.raises(KeyboardInterrupt):
        import_conversions(shop, path, progress=cancel_at_the_fourth)
    assert dump(shop) == before
    assert [done for done, _, _ in calls] == [10_001, 20_001, 30_001, 40_001]  # the line of every 10,000th row
    assert all(total == 80_001 for _, total, _ in calls)
    with shop.engine.connect() as conn:
        indexes = {row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE tbl_name = 'conversion'"))}
        assert {"ix_conversion_affiliate_date", "ix_conversion_date"} <= indexes
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"

    seen: list[tuple[int, str]] = []
    result = import_conversions(shop, path, progress=lambda done, total, what: seen.append((done, what)))
    reading = [what for what in map(itemgetter(1), seen) if "fraud" not in what]
    assert result.summary.orders == 60_000 and len(reading) == 10  # 8 on the way, saving, done
    assert reading[-2:] == ["Saving 60,000 orders…", "big.csv: 60,000 orders read"]
    fraud = [what for what in map(itemgetter(1), seen) if "fraud" in what]  # then the fraud rules, with their own
    assert fraud[0] == "60,000 orders saved. Looking for fraud: Self-referral" and len(fraud) == 11
    with shop.engine.connect() as conn:
        indexes = {row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE tbl_name = 'conversion'"))}
        assert {"ix_conversion_affiliate_date", "ix_conversion_date"} <= indexes
        count = conn.execute(text("SELECT COUNT(*) FROM conversion_line")).scalar()
        assert count == 80_000


def test_the_fraud_rules_look_at_what_came_in_and_stopping_them_keeps_the_orders(
    shop: Database, tmp_path: Path
) -> None:
    with shop.write() as session:
        session.add(Affiliate(code="GONE", name="Gone Partner", status="paused"))  # never active
    first = generic(tmp_path / "first.csv", ["G-1", "2026-10-05T10:00:00", "19.90", "1", "HAT-1", "GONE"],
                    ["J-1", "2026-10-06T10:00:00", "25.00", "1", "HAT-1", "JANE"])  # fmt: skip
    result = import_conversions(shop, first)
    assert result.fraud == FraudCheck(("2026-10",), new_flags=1, open_flags=1)
    with shop.read() as session:
        (evidence,) = session.scalars(select(FraudFlag.evidence).where(FraudFlag.rule == "inactive_affiliate"))
    assert evidence.startswith("1 order ")

    def stop_at_the_fraud_check(done: int, total: int, what: str) -> None:
        if "Looking for fraud" in what:
            raise RuntimeError("Cancel")  # what the window does is raise its Cancelled

    second = generic(tmp_path / "second.csv", ["G-2", "2026-10-07T10:00:00", "30.00", "1", "HAT-1", "GONE"])
    result = import_conversions(shop, second, progress=stop_at_the_fraud_check)
    assert result.fraud == FraudCheck((), 0, 0, stopped=True) and result.summary.new == 1
    assert len(orders(shop)) == 3  # the orders are saved; the check was not made, so the flag is as it was
    with shop.read() as session:
        assert list(session.scalars(select(FraudFlag.evidence))) == [evidence]
    assert import_conversions(shop, second, dry_run=True).fraud is None


def test_a_mapping_reads_any_file(shop: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "shop.csv",
        ["Order Number", "Date", "Total", "Partner", "Product code", "Note"],
        [["900", "2026-10-03 10:00", "25.00", "JANE", "HAT-1", "gift wrap"]],
    )
    mapping = {"order_id": "Order Number", "occurred_at": "Date", "amount": "Total", "affiliate_code": "Partner",
               "sku": "Product code"}  # fmt: skip
    preview = preview_conversions(shop, path, mapping=mapping)
    assert preview.ok, preview.problems
    assert preview.summary.preset == "mapping" and preview.summary.ignored_columns == ("Note",)
    import_conversions(shop, path, mapping=mapping)
    stored = orders(shop)["900"]
    assert (stored["amount"], stored["affiliate"], stored["lines"][0][0]) == (2500, "JANE", "HAT-1")
    with pytest.raises(BadInput, match="reads amount from a column 'Sum' that the file does not have"):
        import_conversions(shop, path, mapping={**mapping, "amount": "Sum"})


def test_an_xlsx_file_is_read_like_a_csv(shop: Database, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["order_id", "occurred_at", "amount", "affiliate_code"])
    sheet.append(["X-1", "2026-10-03 10:00", 19.9, "JANE"])
    sheet.append(["X-2", "2026-10-04", 250, ""])
    book.save(tmp_path / "orders.xlsx")
    result = import_conversions(shop, tmp_path / "orders.xlsx")
    assert result.summary.new == 2
    stored = orders(shop)
    assert (stored["X-1"]["amount"], stored["X-2"]["amount"]) == (1990, 25000)


def test_blank_rows_are_skipped_and_broken_rows_reported(shop: Database, tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(
        "\n"
        "order_id,occurred_at,amount\n"
        "G-1,2026-10-03,10.00\n"
        ",,\n"
        "\n"
        "G-2,2026-10-03,5.00,,\n"  # empty cells past the header are fine
        "G-3,2026-10-03,5.00,oops\n",
        encoding="utf-8",
    )
    with pytest.raises(BadInput) as excinfo:
        import_conversions(shop, path)
    assert problems_of(excinfo) == [
        "ragged.csv, line 7: the row has 4 cells but the header has only 3 columns "
        "(is there an unquoted ',' in a value?)"
    ]
    path.write_text(path.read_text(encoding="utf-8").replace(",oops", ""), encoding="utf-8")
    assert import_conversions(shop, path).summary.orders == 3
    quote = tmp_path / "quote.csv"
    quote.write_text('order_id,occurred_at,amount\nQ-1,2026-10-03,"10.00\nQ-2,2026-10-03,5.00\n', encoding="utf-8")
    with pytest.raises(BadInput, match="quote.csv, line 2: a quote opened here is never closed"):
        import_conversions(shop, quote)
    assert preview_conversions(shop, quote).problem_count == 1


def test_orders_dated_after_today_are_pointed_out(db: Database, tmp_path: Path) -> None:
    """A mistyped year (2027 for 2026) imports fine and lands in a month nobody looks at: the summary says so."""
    from datetime import date, timedelta

    from desktop.cli_imports import conversion_summary_lines

    program(db, timezone="UTC")
    later = date.today() + timedelta(days=400)
    path = write_csv(tmp_path / "orders.csv", ["order_id", "occurred_at", "amount"],
                     [["F1", later.isoformat(), "10.00"], ["F2", "2026-10-01", "12.00"]])  # fmt: skip
    summary = preview_conversions(db, path).summary
    assert summary.future_note.startswith(f"The latest order is dated {later.isoformat()}, after today")
    assert summary.future_note in conversion_summary_lines(summary, dry_run=True)
    past = write_csv(tmp_path / "past.csv", ["order_id", "occurred_at", "amount"], [["P1", "2026-10-01", "1.00"]])
    assert preview_conversions(db, past).summary.future_note == ""
