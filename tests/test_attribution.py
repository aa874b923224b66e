"""Attribution (DESIGN §7): coupon, referral code or click within the cookie window, and recomputing it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from test_conversion_support import GENERIC, generic, orders, program, write_csv
from test_conversion_support import affiliates as make_affiliates

from desktop.db import Database
from desktop.models import Conversion, CouponCode, PayoutSheet
from desktop.services.attribution import AttributionRules, ClickIndex, attribute, recompute_attribution
from desktop.services.click_import import import_clicks
from desktop.services.conversion_import import import_conversions

CLICKS = ["clicked_at", "affiliate_code", "visitor_id"]


@pytest.fixture
def partners(db: Database) -> dict[str, int]:
    return make_affiliates(db, {"JANE": ["JANE10"], "TOM": [], "ANNA": ["ANNA5"]})


def on_a_sheet(db: Database, order_id: str, period: str, state: str) -> None:
    """Put an order on an approved (or paid) payout sheet of the period, as approving the sheet would."""
    with db.write() as session:
        sheet = PayoutSheet(period=period, state=state, currency="USD", built_at=datetime(2026, 11, 1),
                            built_by="me", settings_json="{}")  # fmt: skip
        session.add(sheet)
        session.flush()
        session.execute(update(Conversion).where(Conversion.order_id == order_id).values(paid_sheet_id=sheet.id))


def one_order(db: Database, tmp_path: Path, *cells: str) -> dict[str, object]:
    import_conversions(db, generic(tmp_path / "order.csv", ["O-1", *cells]))
    return orders(db)["O-1"]


@pytest.mark.parametrize(
    ("priority", "affiliate", "reason", "detail"),
    [
        (True, "ANNA", "coupon", "coupon ANNA5 (coupon priority)"),
        (False, "JANE", "referral", "referral code JANE (coupon priority is off: it beats coupon ANNA5)"),
    ],
)
def test_coupon_against_referral_code(
    db: Database, partners: dict[str, int], tmp_path: Path, priority: bool, affiliate: str, reason: str, detail: str
) -> None:
    program(db, coupon_priority=priority)
    order = one_order(db, tmp_path, "2026-10-10 12:00", "50.00", "", "", "JANE", "anna5")
    assert (order["affiliate"], order["attribution"], order["detail"]) == (affiliate, reason, detail)


@pytest.mark.parametrize(("priority", "affiliate", "reason"), [(True, "ANNA", "coupon"), (False, "TOM", "click")])
def test_coupon_against_click(
    db: Database, partners: dict[str, int], tmp_path: Path, priority: bool, affiliate: str, reason: str
) -> None:
    program(db, coupon_priority=priority)
    import_clicks(db, write_csv(tmp_path / "clicks.csv", CLICKS, [["2026-10-08 09:00", "TOM", "v-1"]]))
    order = one_order(db, tmp_path, "2026-10-10 12:00", "50.00", "", "", "", "ANNA5", "v-1")
    assert (order["affiliate"], order["attribution"]) == (affiliate, reason)


def test_without_coupon_priority_a_coupon_still_counts_when_nothing_else_does(
    db: Database, partners: dict[str, int], tmp_path: Path
) -> None:
    program(db, coupon_priority=False)
    order = one_order(db, tmp_path, "2026-10-10 12:00", "50.00", "", "", "", "ANNA5", "v-none")
    assert (order["affiliate"], order["detail"]) == ("ANNA", "coupon ANNA5 (no referral code or click)")


@pytest.mark.parametrize(
    ("rule", "affiliate", "detail"),
    [
        ("last_click", "TOM", "last click 2026-10-08 09:00 by visitor v-1, 2 days before the order"),
        ("first_click", "JANE", "first click 2026-09-30 18:00 by visitor v-1, 9 days before the order"),
    ],
)
def test_first_or_last_click(
    db: Database, partners: dict[str, int], tmp_path: Path, rule: str, affiliate: str, detail: str
) -> None:
    program(db, attribution=rule)
    clicks = [["2026-09-30 18:00", "JANE", "v-1"], ["2026-10-08 09:00", "TOM", "v-1"], ["2026-10-09", "ANNA", "v-2"]]
    import_clicks(db, write_csv(tmp_path / "clicks.csv", CLICKS, clicks))
    order = one_order(db, tmp_path, "2026-10-10 12:00", "50.00", "", "", "", "", "v-1")
    assert (order["affiliate"], order["attribution"], order["detail"]) == (affiliate, "click", detail)


@pytest.mark.parametrize(
    ("clicked_at", "inside"),
    [
        ("2026-09-10 12:00", False),  # exactly cookie_days before: outside
        ("2026-09-10 12:01", True),  # a minute later: inside
        ("2026-10-10 12:00", True),  # at the moment of the order
        ("2026-10-10 12:01", False),  # after the order
    ],
)
def test_the_cookie_window(
    db: Database, partners: dict[str, int], tmp_path: Path, clicked_at: str, inside: bool
) -> None:
    program(db, cookie_days=30)
    import_clicks(db, write_csv(tmp_path / "clicks.csv", CLICKS, [[clicked_at, "TOM", "v-1"]]))
    order = one_order(db, tmp_path, "2026-10-10 12:00", "50.00", "", "", "", "", "v-1")
    assert order["attribution"] == ("click" if inside else "organic")


def test_the_window_is_counted_in_the_programs_time_zone(
    db: Database, partners: dict[str, int], tmp_path: Path
) -> None:
    program(db, timezone="Europe/Berlin", cookie_days=1)
    # 2026-10-31T23:30-04:00 is 2026-11-01 04:30 in Berlin: the order belongs to November
    import_clicks(db, write_csv(tmp_path / "clicks.csv", CLICKS, [["2026-10-31T05:00:00+01:00", "TOM", "v-1"]]))
    order = one_order(db, tmp_path, "2026-10-31T23:30:00-04:00", "50.00", "", "", "", "", "v-1")
    assert str(order["local_date"]) == "2026-11-01"
    assert (order["affiliate"], order["detail"]) == (
        "TOM", "last click 2026-10-31 05:00 by visitor v-1, less than a day before the order",
    )  # fmt: skip


def test_clicks_imported_later_attribute_orders_again_except_paid_ones(
    db: Database, partners: dict[str, int], tmp_path: Path
) -> None:
    program(db)
    path = generic(
        tmp_path / "orders.csv",
        ["P-1", "2026-10-10 12:00", "50.00", "", "", "", "", "v-1"],
        ["P-2", "2026-10-11 12:00", "60.00", "", "", "", "", "v-2"],
        ["P-3", "2026-10-12 12:00", "70.00", "", "", "", "", "v-3"],
        ["P-4", "2026-10-12 12:00", "80.00", "", "", "JANE", "", "v-1"],
    )
    import_conversions(db, path)
    assert {o["attribution"] for o in orders(db).values()} == {"organic", "referral"}
    on_a_sheet(db, "P-3", "2026-10", "paid")
    clicks = [["2026-10-09 08:00", "TOM", "v-1"], ["2026-10-09 08:00", "ANNA", "v-2"], ["2026-10-09", "TOM", "v-3"]]
    result = import_clicks(db, write_csv(tmp_path / "clicks.csv", CLICKS, clicks))
    assert (result.new, result.reattributed) == (3, 2)
    stored = orders(db)
    assert (stored["P-1"]["affiliate"], stored["P-1"]["attribution"]) == ("TOM", "click")
    assert (stored["P-2"]["affiliate"], stored["P-2"]["attribution"]) == ("ANNA", "click")
    assert stored["P-3"]["attribution"] == "organic"  # on a paid sheet: never changes
    assert stored["P-4"]["attribution"] == "referral"  # a referral code beats the click


def test_recompute_after_a_coupon_changes_hands(db: Database, partners: dict[str, int], tmp_path: Path) -> None:
    program(db)
    path = generic(
        tmp_path / "orders.csv",
        ["Q-1", "2026-09-10 12:00", "50.00", "", "", "", "NEW10"],
        ["Q-2", "2026-10-10 12:00", "50.00", "", "", "", "NEW10"],
    )
    import_conversions(db, path)
    assert orders(db)["Q-1"]["detail"] == (
        "organic: coupon NEW10 belongs to no affiliate, and no referral code or click"
    )
    with db.write() as session:
        session.add(CouponCode(affiliate_id=partners["TOM"], code="NEW10", code_key="NEW10"))
    assert recompute_attribution(db, since=date(2026, 10, 1)) == 1
    stored = orders(db)
    assert (stored["Q-1"]["attribution"], stored["Q-2"]["affiliate"]) == ("organic", "TOM")
    assert recompute_attribution(db) == 1  # now the September one too
    assert recompute_attribution(db) == 0


def test_attribute_is_a_pure_decision() -> None:
    rules = AttributionRules(coupon_priority=True, cookie_days=7, click_rule="last_click")
    when = datetime(2026, 10, 10, 12, 0)
    clicks = ClickIndex([("v-1", datetime(2026, 10, 9, 12, 0), 3), ("v-1", datetime(2026, 10, 1, 12, 0), 4)])
    found = attribute(rules, occurred_at=when, coupon=None, referral=None, visitor_id="v-1", clicks=clicks)
    assert found == ("click", 3, "last click 2026-10-09 12:00 by visitor v-1, 1 day before the order")
    organic = attribute(rules, occurred_at=when, coupon=None, referral=None, visitor_id="v-9", clicks=clicks)
    assert organic.reason == "organic" and organic.affiliate_id is None
    assert len(clicks) == 2


def test_orders_import_uses_clicks_already_there(any_db: Database, tmp_path: Path) -> None:
    program(any_db)
    make_affiliates(any_db, {"TOM": []})
    import_clicks(any_db, write_csv(tmp_path / "clicks.csv", CLICKS, [["2026-10-09 08:00", "TOM", "v-1"]]))
    import_conversions(any_db, write_csv(tmp_path / "orders.csv", GENERIC, [
        ["Z-1", "2026-10-10 12:00", "50.00", "", "", "", "", "v-1", "", ""],
    ]))  # fmt: skip
    assert orders(any_db)["Z-1"]["detail"] == "last click 2026-10-09 08:00 by visitor v-1, 1 day before the order"


def test_new_attribution_rules_move_the_orders_not_on_an_approved_sheet(
    db: Database, partners: dict[str, int], tmp_path: Path
) -> None:
    """Coupon priority off, first click instead of last, a shorter cookie window: saved with the settings, in
    the same transaction; an order on an approved sheet keeps its affiliate."""
    from desktop.services.program_settings import get_program, save_program_and_reattribute

    program(db)
    import_clicks(db, write_csv(tmp_path / "clicks.csv", CLICKS, [["2026-10-01 09:00", "TOM", "v-1"],
                                                                  ["2026-10-08 09:00", "JANE", "v-1"]]))  # fmt: skip
    import_conversions(db, write_csv(tmp_path / "orders.csv", GENERIC, [
        ["B-1", "2026-10-10 12:00", "50.00", "", "", "JANE", "ANNA5", "", "", ""],  # referral against coupon
        ["B-2", "2026-10-10 13:00", "50.00", "", "", "", "", "v-1", "", ""],  # first click TOM, last click JANE
        ["B-3", "2026-09-10 13:00", "50.00", "", "", "JANE", "ANNA5", "", "", ""],  # on an approved sheet
    ]))  # fmt: skip
    on_a_sheet(db, "B-3", "2026-09", "approved")
    assert [orders(db)[o]["affiliate"] for o in ("B-1", "B-2", "B-3")] == ["ANNA", "JANE", "ANNA"]

    settings = get_program(db)
    same, changed = save_program_and_reattribute(db, replace(settings, name="Renamed"))
    assert changed == 0
    _, changed = save_program_and_reattribute(db, replace(same, coupon_priority=False, attribution="first_click"))
    assert changed == 2
    stored = orders(db)
    assert [stored[o]["affiliate"] for o in ("B-1", "B-2", "B-3")] == ["JANE", "TOM", "ANNA"]
    assert stored["B-2"]["detail"].startswith("first click 2026-10-01 09:00 by visitor v-1")
    _, changed = save_program_and_reattribute(db, replace(get_program(db), cookie_days=5))  # TOM's click: 9 days
    assert (changed, orders(db)["B-2"]["affiliate"]) == (1, "JANE")
