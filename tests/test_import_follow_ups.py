"""What happens after data comes in: fraud rules run on an import, attribution follows coupon changes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from desktop.db import Database
from desktop.services.affiliate_files import import_affiliates
from desktop.services.affiliates import AffiliateInput, create_affiliate, get_affiliate, update_affiliate
from desktop.services.conversion_import import import_conversions
from desktop.services.conversions_list import ConversionFilter, list_conversions
from desktop.services.fraud_queue import list_flags


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_an_import_runs_the_fraud_rules(db: Database, tmp_path: Path) -> None:
    create_affiliate(db, AffiliateInput(code="GONE", name="Paused Partner", status="paused"))
    assert list_flags(db) == []
    orders = write(tmp_path / "o.csv", "order_id,occurred_at,amount,affiliate_code\nP-1,2026-10-02,50.00,GONE\n")
    import_conversions(db, orders)
    flags = list_flags(db)  # an order for a paused affiliate is flagged right after the import
    assert [(f.rule, f.affiliate_code, f.period, f.orders) for f in flags] == [
        ("inactive_affiliate", "GONE", "2026-10", 1)
    ]


def test_a_new_coupon_takes_over_organic_orders(db: Database, tmp_path: Path) -> None:
    jane = create_affiliate(db, AffiliateInput(code="JANE", name="Jane Brooks"))
    orders = write(tmp_path / "o.csv", "order_id,occurred_at,amount,coupon_code\nC-1,2026-10-02,80.00,SUMMER20\n")
    import_conversions(db, orders)
    assert list_conversions(db, ConversionFilter())[0].attribution == "organic"
    data = get_affiliate(db, jane).data
    update_affiliate(db, jane, replace(data, coupon_codes=("SUMMER20",)))
    row = list_conversions(db, ConversionFilter())[0]
    assert (row.attribution, row.affiliate_code) == ("coupon", "JANE")


def attributions(db: Database) -> dict[str, tuple[str, str | None]]:
    return {row.order_id: (row.attribution, row.affiliate_code) for row in list_conversions(db, ConversionFilter())}


def test_a_changed_code_moves_only_the_orders_that_name_it(any_db: Database, tmp_path: Path) -> None:
    """Renaming a code or moving a coupon re-attributes the orders that mention it, in the same save; on
    PostgreSQL too (the search for coupon cells that name a code is SQL)."""
    jane = create_affiliate(any_db, AffiliateInput(code="JANE", name="Jane Brooks", coupon_codes=("SUM_20",)))
    create_affiliate(any_db, AffiliateInput(code="TOM", name="Tom Reyes"))
    orders = write(tmp_path / "o.csv", "order_id,occurred_at,amount,affiliate_code,coupon_code\n"
                                       "R-1,2026-10-02,80.00,JANE,\n"
                                       "R-2,2026-10-03,80.00,TOM,\n"
                                       "C-1,2026-10-04,80.00,,\"ship, sum_20\"\n"
                                       "C-2,2026-10-05,80.00,,SUMX20\n")  # fmt: skip
    import_conversions(any_db, orders)
    assert attributions(any_db) == {"R-1": ("referral", "JANE"), "R-2": ("referral", "TOM"),
                                    "C-1": ("coupon", "JANE"), "C-2": ("organic", None)}  # fmt: skip
    data = get_affiliate(any_db, jane).data
    update_affiliate(any_db, jane, replace(data, code="JANEB", coupon_codes=()))
    assert attributions(any_db) == {"R-1": ("organic", None), "R-2": ("referral", "TOM"),
                                    "C-1": ("organic", None), "C-2": ("organic", None)}  # fmt: skip
    detail = {row.order_id: row for row in list_conversions(any_db, ConversionFilter())}["R-1"]
    assert detail.attribution == "organic"
    create_affiliate(any_db, AffiliateInput(code="jane", name="Another Jane", coupon_codes=("Sum_20",)))
    assert attributions(any_db)["R-1"] == ("referral", "jane") and attributions(any_db)["C-1"] == ("coupon", "jane")


def test_the_save_and_the_new_attribution_are_one_transaction(db: Database, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import desktop.services.attribution as attribution

    jane = create_affiliate(db, AffiliateInput(code="JANE", name="Jane Brooks"))
    import_conversions(
        db, write(tmp_path / "o.csv", "order_id,occurred_at,amount,coupon_code\nC-1,2026-10-02,80.00,NEW\n")
    )

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(attribution, "recompute_in_session", broken)
    data = get_affiliate(db, jane).data
    with pytest.raises(RuntimeError):
        update_affiliate(db, jane, replace(data, coupon_codes=("NEW",)))
    assert get_affiliate(db, jane).data.coupon_codes == () and attributions(db)["C-1"] == ("organic", None)


def test_an_affiliates_file_that_adds_coupons_takes_over_their_orders(db: Database, tmp_path: Path) -> None:
    create_affiliate(db, AffiliateInput(code="JANE", name="Jane Brooks"))
    orders = write(tmp_path / "o.csv", "order_id,occurred_at,amount,coupon_code\n"
                                       "C-1,2026-10-02,80.00,NEW10\nC-2,2026-10-02,80.00,FALL5\n")  # fmt: skip
    import_conversions(db, orders)
    people = write(tmp_path / "affiliates.csv", "code,name,email,coupon_codes\n"
                                               "JANE,Jane Brooks,jane@example.com,NEW10\n"
                                               "ANNA,Anna Berg,anna@example.com,FALL5\n")  # fmt: skip
    import_affiliates(db, people)
    assert attributions(db) == {"C-1": ("coupon", "JANE"), "C-2": ("coupon", "ANNA")}


def test_importing_again_after_a_new_time_zone_dates_the_orders_in_it(db: Database, tmp_path: Path) -> None:
    """What the Program page promises when the time zone changes: times with an offset move to the new zone;
    times without one are the shop's wall time either way."""
    from desktop.services.program_settings import get_program, save_program

    save_program(db, replace(get_program(db), timezone="UTC"))
    orders = write(tmp_path / "o.csv", "order_id,occurred_at,amount\n"
                                       "Z-1,2026-11-01T02:30:00Z,10.00\nZ-2,2026-11-01 02:30,10.00\n")  # fmt: skip
    import_conversions(db, orders)
    save_program(db, replace(get_program(db), timezone="America/New_York"))
    result = import_conversions(db, orders)
    assert (result.summary.updated, result.summary.unchanged) == (1, 1)
    days = {row.order_id: (f"{row.occurred_at:%Y-%m-%d %H:%M}", row.local_date.isoformat())
            for row in list_conversions(db, ConversionFilter())}  # fmt: skip
    assert days == {"Z-1": ("2026-10-31 22:30", "2026-10-31"), "Z-2": ("2026-11-01 02:30", "2026-11-01")}
