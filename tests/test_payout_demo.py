"""Demo payouts: past months approved and paid, the last complete month a draft with a thank-you bonus."""

from __future__ import annotations

from datetime import date

import pytest
from test_payout_helpers import add_affiliate, add_order, setup_program, standard_plan

from desktop.db import Database
from desktop.services.errors import RefusedByState
from desktop.services.payout_demo import demo_periods, load_demo_payouts
from desktop.services.payouts import get_sheet, sheet_info

TODAY = date(2026, 11, 20)


def test_months_from_the_first_order_to_the_last_complete_one() -> None:
    assert demo_periods(date(2026, 7, 30), TODAY) == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert demo_periods(date(2026, 11, 2), TODAY) == []


def test_past_months_are_paid_and_the_last_complete_one_is_a_draft(db: Database) -> None:
    assert load_demo_payouts(db, TODAY) == []  # no orders yet: nothing to pay
    setup_program(db)
    plan = standard_plan(db)
    anna, ben = add_affiliate(db, "ANNA", plan_id=plan), add_affiliate(db, "BEN", plan_id=plan)
    for month in (7, 8, 9, 10, 11):
        add_order(db, anna, f"A{month}", date(2026, month, 12), [("TENT", "800.00")])
        add_order(db, ben, f"B{month}", date(2026, month, 14), [("HAT", "300.00")])
    sheets = load_demo_payouts(db, TODAY)
    assert [(s.period, s.state) for s in sheets] == [
        ("2026-10", "draft"),
        ("2026-09", "paid"),
        ("2026-08", "paid"),
        ("2026-07", "paid"),
    ]
    july = sheet_info(db, "2026-07")
    assert (july.paid_on, july.paid_reference, july.as_of) == (date(2026, 8, 8), "PAYPAL-202607-0001", date(2026, 8, 3))
    august = {row.affiliate_code: row for row in get_sheet(db, "2026-08")}
    assert august["BEN"].carried_in == 30 and august["BEN"].payable == 60  # below the threshold, then paid
    october = sheet_info(db, "2026-10")
    assert october.changes and october.changes[0].affiliate_code == "ANNA"
    assert {row.affiliate_code: row.bonuses for row in get_sheet(db, "2026-10")}["ANNA"] == 50
    with pytest.raises(RefusedByState):
        load_demo_payouts(db, TODAY)
