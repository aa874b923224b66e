"""What happens after data comes in: fraud rules run on an import, attribution follows coupon changes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from desktop.db import Database
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
