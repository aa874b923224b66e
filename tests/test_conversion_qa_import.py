"""Importing orders, from QA: what the summary counts for orders frozen on a sheet, its words, files of only a
header."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update
from test_conversion_support import GENERIC, dump, generic, orders, program, write_csv

from desktop.cli import main
from desktop.cli_imports import conversion_summary_lines
from desktop.db import Database, open_database
from desktop.models import Affiliate
from desktop.services.affiliates import AffiliateInput, create_affiliate
from desktop.services.attribution import organic_detail, recompute_attribution
from desktop.services.conversion_import import import_conversions, preview_conversions
from desktop.services.errors import BadInput
from desktop.services.payout_build import build_payout_sheet
from desktop.services.payout_state import approve_sheet
from desktop.services.plans import PlanInput, create_plan


@pytest.fixture
def approved(db: Database, tmp_path: Path) -> Database:
    """October's orders on an approved sheet: F-1 came by Carl's referral code, F-2 by Alice's coupon."""
    program(db)
    create_plan(db, PlanInput("Ten", sale_rate=Decimal("0.10")))
    create_affiliate(db, AffiliateInput(code="ALICE", name="Alice", coupon_codes=("ALICE10",)))
    create_affiliate(db, AffiliateInput(code="CARL", name="Carl"))
    import_conversions(db, generic(tmp_path / "october.csv",
                                   ["F-1", "2026-10-03 10:00", "100.00", "", "", "CARL", "", "", "approved"],
                                   ["F-2", "2026-10-04 10:00", "50.00", "", "", "", "ALICE10", "", "approved"]),
                       check_fraud=False)  # fmt: skip
    build_payout_sheet(db, "2026-10", as_of=date(2026, 12, 31))
    approve_sheet(db, "2026-10")
    return db


def again(tmp_path: Path, amount: str = "50.00", refund: str = "") -> Path:
    """October once more: F-1 now carries Alice's coupon too (coupon priority: the file says Alice's)."""
    return generic(tmp_path / "october-again.csv",
                   ["F-1", "2026-10-03 10:00", "100.00", "", "", "CARL", "ALICE10", "", "approved"],
                   ["F-2", "2026-10-04 10:00", amount, "", "", "", "ALICE10", "", "approved", refund])  # fmt: skip


def test_orders_on_an_approved_sheet_are_counted_and_shown_as_they_are_kept(approved: Database, tmp_path: Path) -> None:
    path = again(tmp_path)
    preview = preview_conversions(approved, path)
    assert dict(preview.summary.by_attribution) == {"coupon": 1, "referral": 1, "click": 0, "organic": 0}
    shown = {o.order_id: (o.affiliate_code, o.attribution, o.attribution_detail) for o in preview.sample}
    assert shown["F-1"] == ("CARL", "referral", "referral code CARL")
    result = import_conversions(approved, path, check_fraud=False)
    assert result.summary.by_attribution == preview.summary.by_attribution
    assert (result.summary.updated, result.summary.paid_orders_changed) == (1, 1)
    stored = orders(approved)["F-1"]
    assert (stored["affiliate"], stored["attribution"], stored["coupon"]) == ("CARL", "referral", None)
    unchanged = import_conversions(approved, path, check_fraud=False).summary  # the same file once more
    assert unchanged.unchanged == 2
    assert dict(unchanged.by_attribution) == {"coupon": 1, "referral": 1, "click": 0, "organic": 0}


def test_an_order_frozen_by_an_approved_sheet_is_not_called_paid(approved: Database, tmp_path: Path) -> None:
    summary = import_conversions(approved, again(tmp_path), check_fraud=False).summary
    lines = conversion_summary_lines(summary, dry_run=False)
    assert "1 changed order on an approved or paid payout sheet: only status and refund were taken." in lines
    with pytest.raises(BadInput) as excinfo:
        import_conversions(approved, again(tmp_path, "100.00", "60.00"), check_fraud=False)  # its amount is kept
    assert [str(p) for p in excinfo.value.problems] == [
        "october-again.csv, line 3: order F-2 is on an approved or paid payout sheet with the amount 50.00; its "
        "refund 60.00 cannot be more than that"
    ]


def test_an_organic_order_says_what_it_had(db: Database, tmp_path: Path) -> None:
    """Not "no coupon ...: organic (coupon NOPE5 belongs to no affiliate)": the read the record way (the first
    orders of a file) and the quick way say the same."""
    program(db)
    create_affiliate(db, AffiliateInput(code="TOM", name="Tom"))
    rows = [[f"N-{n}", "2026-10-03 10:00", "10.00", "1", "TENT", "", "NOPE5", "", "approved", "0.00"]
            for n in range(1, 121)]  # fmt: skip
    import_conversions(db, write_csv(tmp_path / "orders.csv", GENERIC, rows), check_fraud=False)
    stored = orders(db)
    expected = "organic: coupon NOPE5 belongs to no affiliate, and no referral code or click"
    assert stored["N-1"]["detail"] == stored["N-120"]["detail"] == expected == organic_detail("NOPE5")


def test_an_order_whose_referral_code_is_gone_says_so_once(db: Database, tmp_path: Path) -> None:
    program(db)
    create_affiliate(db, AffiliateInput(code="TOM", name="Tom"))
    import_conversions(db, generic(tmp_path / "orders.csv",
                                   ["R-1", "2026-10-03 10:00", "10.00", "", "", "TOM", "NOPE5"],
                                   ["R-2", "2026-10-03 11:00", "10.00", "", "", "TOM"]),
                       check_fraud=False)  # fmt: skip
    with db.write() as session:  # behind the program's back: no re-attribution comes with it
        session.execute(update(Affiliate).values(code="TOMMY"))
    assert recompute_attribution(db) == 2
    stored = orders(db)
    assert stored["R-1"]["detail"] == (
        "organic: coupon NOPE5 belongs to no affiliate, referral code TOM is no affiliate's now, and no click"
    )
    assert stored["R-2"]["detail"] == "organic: referral code TOM is no affiliate's now, and no coupon or click"
    assert recompute_attribution(db) == 0


def test_a_file_of_only_a_header_is_refused_and_writes_nothing(
    db: Database, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program(db)
    path = tmp_path / "headeronly.csv"
    path.write_text("order_id,occurred_at,amount\n\n", encoding="utf-8")
    before = dump(db)
    preview = preview_conversions(db, path)
    assert [str(p) for p in preview.problems] == ["headeronly.csv: has no orders: only a header"]
    for dry_run in (True, False):
        with pytest.raises(BadInput, match="headeronly.csv: has no orders: only a header"):
            import_conversions(db, path, dry_run=dry_run)
    assert dump(db) == before
    db.dispose()
    assert main(["--db", str(db_path), "import", "conversions", str(path)]) == 2
    assert capsys.readouterr().err == "affiliate-desk: headeronly.csv: has no orders: only a header\n"
    reopened = open_database(db_path)
    assert dump(reopened) == before  # no import_batch row either
    reopened.dispose()
