"""Fraud scans on SQLite and PostgreSQL: every rule in one pass, rescans, stale flags, the scan after an import."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update
from test_fraud_helpers import OCT, add_affiliate, add_clicks, add_orders, order, series, setup_program

from desktop.db import Database, open_database
from desktop.models import Conversion, FraudFlag, FraudFlagConversion, ImportBatch
from desktop.services import fraud
from desktop.services.fraud import run_after_import, scan
from desktop.services.fraud_queue import dismiss, list_flags


def plant_everything(db: Database) -> None:
    """One case for each rule, in October 2026."""
    setup_program(db)
    jane = add_affiliate(db, "JANE", "Jane Doe", email="jane.doe@gmail.com", payee_email="jd.wallet@pay.example")
    add_affiliate(db, "TWIN", "Twin Account", email="jd.wallet@pay.example")
    tom = add_affiliate(db, "TOM", "Tom Novak", status="paused",
                        history=[(datetime(2026, 1, 5), "active"), (datetime(2026, 10, 1), "paused")])  # fmt: skip
    rae = add_affiliate(db, "RAE", "Rae Costa")
    amy = add_affiliate(db, "AMY", "Amy Berg")
    rows = series("SELF", jane, 3, customer_email="jane.doe+x@gmail.com")
    rows += [order(f"DUP-{n}", rae, OCT + timedelta(minutes=n), "49.90", customer_email="twice@example.com")
             for n in range(2)]  # fmt: skip
    rows += series("REF", rae, 6, status="refunded", refunded_amount="50.00")
    rows += [order("OFF-1", tom, datetime(2026, 10, 9))]
    rows += [order("TMP-1", amy, customer_email="x@yopmail.com")]
    rows += series("CPN", amy, 12, attribution="coupon", coupon_code="AMY20", every=timedelta(hours=30))
    rows += series("RATE", jane, 10, start=datetime(2026, 10, 20))
    rows += [order("JUNE", None, datetime(2026, 6, 1))]  # the data reaches back far enough to judge coupon volume
    add_orders(db, rows)
    add_clicks(db, amy, [datetime(2026, 10, 2, 8, 0) + timedelta(seconds=n) for n in range(15)], ip="203.0.113.9")
    add_clicks(db, jane, [datetime(2026, 10, 3, 8, 0) + timedelta(minutes=5 * n) for n in range(20)])


ALL_RULES = {"self_referral", "duplicate_orders", "click_flood", "conversion_rate", "refund_rate", "coupon_leakage",
             "shared_payee", "inactive_affiliate", "disposable_email"}  # fmt: skip


def test_every_rule_fires_the_same_on_both_databases(any_db: Database) -> None:
    plant_everything(any_db)
    result = scan(any_db, "2026-10")
    assert {flag.rule for flag in result.flags} == ALL_RULES
    assert result.new == len(result.flags) == 10  # shared payee: one flag per partner sharing
    assert [f.severity for f in result.flags] == sorted((f.severity for f in result.flags),
                                                        key=["high", "medium", "low"].index)  # fmt: skip
    for flag in result.flags:
        assert "\n" not in flag.evidence and flag.line.startswith(flag.severity.upper())
    assert scan(any_db).new == 0  # all data finds the same October flags again


def test_rules_running_side_by_side_find_what_one_at_a_time_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = {}
    for workers in (1, 4):
        monkeypatch.setattr(fraud, "SCAN_WORKERS", workers)
        db = open_database(tmp_path / f"workers-{workers}.sqlite3")
        plant_everything(db)
        result = scan(db, "2026-10")
        found[workers] = [(f.rule, f.affiliate_code, f.period, f.severity, f.evidence, f.orders) for f in result.flags]
        db.dispose()
    assert found[1] == found[4] and len(found[1]) == 10


def test_a_stopped_scan_stops_at_once_and_stores_nothing(db: Database) -> None:
    plant_everything(db)
    seen: list[str] = []

    def stop_at_the_third(done: int, total: int, what: str) -> None:
        seen.append(what)
        if len(seen) == 3:
            raise RuntimeError("Cancel")

    with pytest.raises(RuntimeError, match="Cancel"):
        scan(db, "2026-10", progress=stop_at_the_third)
    assert seen == ["Checking: Self-referral", "Checking: Duplicate orders", "Checking: Click flood"]
    assert list_flags(db) == []


def test_a_rescan_never_duplicates_and_never_reopens(any_db: Database) -> None:
    plant_everything(any_db)
    first = scan(any_db, "2026-10")
    self_flag = next(f for f in first.flags if f.rule == "self_referral")
    dismiss(any_db, self_flag.id, "Jane's partner buys for the family; agreed with her")
    again = scan(any_db, "2026-10")
    assert (again.new, again.updated, again.removed, again.kept_dismissed) == (0, 0, 0, 1)
    with any_db.read() as session:
        assert session.scalar(select(func.count()).select_from(FraudFlag)) == len(first.flags)
    assert next(f for f in again.flags if f.rule == "self_referral").state == "dismissed"
    assert self_flag.id not in {f.id for f in list_flags(any_db)}


def test_new_orders_update_an_open_flag_and_vanished_evidence_removes_it(db: Database) -> None:
    setup_program(db)
    jane = add_affiliate(db, "JANE", "Jane Doe", email="jane.doe@gmail.com")
    add_orders(db, series("S", jane, 2, customer_email="jane.doe+1@gmail.com"))
    [flag] = scan(db, "2026-10").flags
    add_orders(db, [order("S-late", jane, datetime(2026, 10, 28), customer_email="jane.doe+1@gmail.com")])
    result = scan(db, "2026-10")
    assert (result.new, result.updated) == (0, 1)
    assert result.flags[0].id == flag.id and result.flags[0].orders == 3
    assert result.flags[0].evidence.startswith("3 orders from jane.doe+1@gmail.com")
    with db.write() as session:  # the shop corrected the customer's address on re-import
        session.execute(update(Conversion).values(customer_email="someone@else.example"))
    gone = scan(db, "2026-10")
    assert (gone.removed, gone.flags) == (1, ())
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(FraudFlagConversion)) == 0


def test_a_scan_of_one_month_leaves_other_months_flags_alone(db: Database) -> None:
    setup_program(db)
    jane = add_affiliate(db, "JANE", "Jane Doe", email="jane.doe@gmail.com")
    add_orders(db, [order("SEP", jane, datetime(2026, 9, 10), customer_email="jane.doe@gmail.com")])
    assert len(scan(db, "2026-09").flags) == 1
    with db.write() as session:
        session.execute(update(Conversion).values(customer_email="other@example.com"))
    assert scan(db, "2026-10").removed == 0
    assert len(list_flags(db)) == 1  # September's flag waits for a scan of September
    assert scan(db).removed == 1


def test_the_scan_after_an_import_covers_the_months_the_import_touched(db: Database) -> None:
    setup_program(db)
    jane = add_affiliate(db, "JANE", "Jane Doe", email="jane.doe@gmail.com")
    with db.write() as session:
        session.execute(insert(ImportBatch), [{"kind": "conversions", "file_name": f"{n}.csv", "imported_at": OCT,
                                               "imported_by": "test"} for n in (1, 2)])  # fmt: skip
    sep = order("SEP", jane, datetime(2026, 9, 10), customer_email="jane.doe@gmail.com", batch_id=1)
    octo = order("OCT", jane, datetime(2026, 10, 10), customer_email="jane.doe@gmail.com", batch_id=2)
    add_orders(db, [sep, octo])
    result = run_after_import(db)
    assert result.periods == ("2026-10",)
    assert [f.period for f in result.flags] == ["2026-10"]
    assert run_after_import(db, batch_id=1).periods == ("2026-09",)
    assert run_after_import(db, batch_id=99).flags == ()  # a batch that wrote no orders: payee check only


def test_money_in_the_evidence_is_exact(db: Database) -> None:
    setup_program(db)
    rae = add_affiliate(db, "RAE", "Rae Costa")
    rows = series("R", rae, 5, amount="33.33")
    rows[0] |= {"status": "refunded", "refunded_amount": Decimal("33.33"), "net_amount": Decimal("0.00")}
    rows[1] |= {"status": "refunded", "refunded_amount": Decimal("33.33"), "net_amount": Decimal("0.00")}
    add_orders(db, rows)
    [flag] = scan(db, "2026-10", rules=["refund_rate"]).flags
    assert "66.66 of 166.65 USD, a refund rate of 40 %" in flag.evidence
