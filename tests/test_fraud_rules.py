"""Every fraud rule: a case it must flag, with the evidence in words, and a near miss it must leave alone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from test_fraud_helpers import (
    OCT,
    add_affiliate,
    add_clicks,
    add_daily_clicks,
    add_orders,
    order,
    series,
    setup_program,
)

from desktop.db import Database
from desktop.services.errors import BadInput
from desktop.services.fraud import FlagSummary, scan
from desktop.services.fraud_queue import flag_detail
from desktop.services.fraud_rules import FraudSettings, Scope, parse_period, percent, period_bounds
from desktop.services.fraud_rules_email import edit_distance, how_close, is_disposable, normalize_email


@pytest.fixture
def program(db: Database) -> Database:
    setup_program(db)
    return db


def flags(db: Database, rule: str, period: str | None = "2026-10", **settings: object) -> list[FlagSummary]:
    result = scan(db, period, rules=[rule], settings=FraudSettings(**settings))  # type: ignore[arg-type]
    return [flag for flag in result.flags if flag.rule == rule]


def orders_of(db: Database, flag: FlagSummary) -> list[str]:
    return [o.order_id for o in flag_detail(db, flag.id).orders]


# --- self-referral -------------------------------------------------------------------------------------------


def test_addresses_are_normalised_for_case_dots_and_tags() -> None:
    assert normalize_email("Jane.Doe+1@GMail.com") == "janedoe@gmail.com"
    assert normalize_email("j.a.n.e.doe@googlemail.com") == "janedoe@gmail.com"
    assert normalize_email("not an address") is None
    assert edit_distance("janedoe@gmail.com", "janedoa@gmail.com", 1) == 1
    assert edit_distance("janedoe@gmail.com", "janedoe@gmial.com", 1) is None  # a swap is two edits
    assert edit_distance("janedoe@gmail.com", "janedoe@gmial.com", 2) == 2
    assert edit_distance("abc", "abcdef", 2) is None


def test_how_close_says_how_an_address_relates() -> None:
    settings = FraudSettings()
    assert how_close("JANE.DOE@gmail.com", "jane.doe@gmail.com", settings) == ("which is {whose}", "high")
    assert how_close("jane.doe+1@gmail.com", "jane.doe@gmail.com", settings) == (
        "which is {whose} with a +tag", "high")  # fmt: skip
    assert how_close("janedoe@googlemail.com", "jane.doe@gmail.com", settings) == (
        "which is {whose} without its dots and at googlemail.com instead of gmail.com", "high")  # fmt: skip
    assert how_close("jane.dou@gmail.com", "jane.doe@gmail.com", settings) == (
        "1 character away from {whose} jane.doe@gmail.com", "medium")  # fmt: skip
    assert how_close("jane.smith@gmail.com", "jane.doe@gmail.com", settings) is None


def test_self_referral_with_a_tag_is_flagged_with_its_orders(program: Database) -> None:
    jane = add_affiliate(program, "JANE10", "Jane Doe", email="jane.doe@gmail.com")
    add_orders(program, series("J", jane, 7, customer_email="jane.doe+1@gmail.com"))
    add_orders(program, series("K", jane, 3))  # other customers
    [flag] = flags(program, "self_referral")
    assert flag.evidence == "7 orders from jane.doe+1@gmail.com, which is Jane Doe's own address with a +tag"
    assert (flag.severity, flag.period, flag.affiliate_code, flag.orders) == ("high", "2026-10", "JANE10", 7)
    assert orders_of(program, flag) == [f"J-{n:03d}" for n in range(7)]


def test_self_referral_through_the_payee_address_and_a_typo(program: Database) -> None:
    tom = add_affiliate(program, "TOM", "Tom Novak", email="tom@novak.example", payee_email="payouts.novak@pay.example")
    add_orders(program, [
        order("P1", tom, customer_email="Payouts.Novak@pay.example"),
        order("P2", tom, OCT + timedelta(days=2), customer_email="payouts.nowak@pay.example"),
    ])  # fmt: skip
    [flag] = flags(program, "self_referral")
    assert flag.severity == "high"
    assert "1 order from payouts.novak@pay.example, which is Tom Novak's payee address" in flag.evidence
    assert ("1 order from payouts.nowak@pay.example, 1 character away from Tom Novak's payee address "
            "payouts.novak@pay.example") in flag.evidence  # fmt: skip


def test_self_referral_near_misses(program: Database) -> None:
    jane = add_affiliate(program, "JANE", "Jane Doe", email="jane.doe@gmail.com")
    rob = add_affiliate(program, "ROB", "Rob", email="rob@mail.example")
    add_orders(program, [
        order("N1", jane, customer_email="jane.doe.smith@gmail.com"),  # a longer name: someone else
        order("N2", jane, customer_email="janedoe@yahoo.com"),  # the same name at another provider
        order("N3", rob, customer_email="bob@mail.example"),  # one letter off, but too short a name to tell
        order("N4", jane, customer_email="jane.doe@gmail.com", status="rejected"),  # already dealt with
        order("N5", jane, datetime(2026, 9, 30, 23, 0), customer_email="jane.doe@gmail.com"),
    ])  # fmt: skip
    assert flags(program, "self_referral") == []
    assert len(flags(program, "self_referral", "2026-09")) == 1  # the September order is September's business


# --- duplicate orders ----------------------------------------------------------------------------------------


def test_repeated_orders_minutes_apart_are_flagged(program: Database) -> None:
    tom = add_affiliate(program, "TOM", "Tom Novak")
    rows = [order(f"D-{n}", tom, OCT + timedelta(minutes=2 * n), "49.90", customer_email="Buyer@Example.com")
            for n in range(3)]  # fmt: skip
    add_orders(program, rows)
    [flag] = flags(program, "duplicate_orders")
    assert flag.evidence == ("3 orders of 49.90 USD from buyer@example.com within 4 minutes on 05 Oct 2026 "
                             "(#D-0, #D-1, #D-2)")  # fmt: skip
    assert flag.orders == 3 and flag.severity == "medium"


def test_repeat_customers_are_not_duplicates(program: Database) -> None:
    tom = add_affiliate(program, "TOM", "Tom Novak")
    add_orders(program, [
        order("R-1", tom, OCT, "49.90", customer_email="buyer@example.com"),
        order("R-2", tom, OCT + timedelta(hours=2), "49.90", customer_email="buyer@example.com"),  # later that day
        order("R-3", tom, OCT + timedelta(minutes=1), "19.90", customer_email="buyer@example.com"),  # other amount
        order("R-4", tom, OCT + timedelta(minutes=1), "49.90", customer_email="other@example.com"),  # other person
    ])  # fmt: skip
    assert flags(program, "duplicate_orders") == []
    assert len(flags(program, "duplicate_orders", duplicate_window_minutes=180)) == 1


# --- click floods ----------------------------------------------------------------------------------------------


def test_a_click_flood_from_one_ip_is_flagged_with_the_orders_it_brought(program: Database) -> None:
    amy = add_affiliate(program, "AMY", "Amy Berg")
    start = datetime(2026, 10, 3, 14, 2)
    add_clicks(program, amy, [start + timedelta(seconds=2 * n) for n in range(25)], ip="198.51.100.7")
    add_orders(program, [order("F-1", amy, start + timedelta(minutes=5), visitor_id=f"v{amy}-3", attribution="click"),
                         order("F-2", amy, start + timedelta(days=3), visitor_id="elsewhere")])  # fmt: skip
    [flag] = flags(program, "click_flood")
    assert flag.evidence == ("25 clicks from IP 198.51.100.7 within 60 seconds on 03 Oct 2026 at 14:02 (more than 10 "
                             "in 60 seconds is a flood); 1 order came from those visitors")  # fmt: skip
    assert orders_of(program, flag) == ["F-1"] and flag.severity == "medium"


def test_one_visitor_clicking_too_often_is_a_flood_too(program: Database) -> None:
    amy = add_affiliate(program, "AMY", "Amy Berg")
    start = datetime(2026, 10, 3, 9, 0)
    times = [start + timedelta(seconds=4 * n) for n in range(12)]
    add_clicks(program, amy, times, visitor="bot-1")
    [flag] = flags(program, "click_flood")
    assert flag.evidence.startswith("12 clicks from visitor bot-1 within 60 seconds")


def test_busy_but_human_traffic_is_no_flood(program: Database) -> None:
    amy = add_affiliate(program, "AMY", "Amy Berg")
    start = datetime(2026, 10, 3, 9, 0)
    add_clicks(program, amy, [start + timedelta(seconds=6 * n) for n in range(10)], ip="192.0.2.1")  # 10 in 60 s
    later = start + timedelta(hours=1)
    add_clicks(program, amy, [later + timedelta(minutes=5 * n) for n in range(40)], ip="192.0.2.1", prefix="w")
    assert flags(program, "click_flood") == []


# --- conversion rate ---------------------------------------------------------------------------------------------


def test_too_high_a_conversion_rate_is_flagged(program: Database) -> None:
    ben = add_affiliate(program, "BEN", "Ben Kim")
    add_orders(program, series("B", ben, 12))
    add_clicks(program, ben, [OCT + timedelta(minutes=n) for n in range(40)])
    [flag] = flags(program, "conversion_rate")
    assert flag.evidence == ("12 sales from 40 clicks in October 2026: a conversion rate of 30 %, above the expected "
                             "0.02 %–20 %; typical of faked clicks or orders (coupon sales not counted)")  # fmt: skip


def test_too_low_a_conversion_rate_is_flagged(program: Database) -> None:
    ben = add_affiliate(program, "BEN", "Ben Kim")
    add_orders(program, series("B", ben, 10))
    add_daily_clicks(program, ben, date(2026, 10, 4), 100_000)
    [flag] = flags(program, "conversion_rate")
    assert "a conversion rate of 0.01 %, below the expected 0.02 %–20 %; typical of bought or robot" in flag.evidence


def test_conversion_rate_near_misses(program: Database) -> None:
    few = add_affiliate(program, "FEW", "Few Sales")
    fine = add_affiliate(program, "FINE", "Fine Rate")
    coupons = add_affiliate(program, "COUP", "Coupon Star")
    add_orders(program, series("F", few, 9))  # 9 of 10 clicks, but fewer than 10 sales: no judgement yet
    add_clicks(program, few, [OCT + timedelta(minutes=n) for n in range(10)])
    add_orders(program, series("G", fine, 12))  # 12 %
    add_clicks(program, fine, [OCT + timedelta(minutes=n) for n in range(100)])
    add_orders(program, series("C", coupons, 12) + series("D", coupons, 30, attribution="coupon"))
    add_clicks(program, coupons, [OCT + timedelta(minutes=n) for n in range(100)])  # coupon sales need no click
    assert flags(program, "conversion_rate") == []


def test_link_sales_without_any_click_are_flagged_only_when_the_shop_sends_clicks(program: Database) -> None:
    ben = add_affiliate(program, "BEN", "Ben Kim")
    other = add_affiliate(program, "OTHER", "Other")
    add_orders(program, series("B", ben, 10))
    assert flags(program, "conversion_rate") == []  # no click data this month: nothing to compare with
    add_clicks(program, other, [OCT])
    [flag] = flags(program, "conversion_rate")
    assert "10 sales through their links in October 2026 but not one click recorded for them" in flag.evidence


# --- refund rate ---------------------------------------------------------------------------------------------------


def test_a_high_refund_rate_is_flagged_with_the_refunded_orders(program: Database) -> None:
    rae = add_affiliate(program, "RAE", "Rae Costa")
    rows = series("R", rae, 8, amount="100.00")
    rows[1] |= {"status": "refunded", "refunded_amount": Decimal("100.00"), "net_amount": Decimal("0.00")}
    rows[4] |= {"status": "refunded", "refunded_amount": Decimal("100.00"), "net_amount": Decimal("0.00")}
    rows[6] |= {"refunded_amount": Decimal("20.00"), "net_amount": Decimal("80.00")}
    add_orders(program, rows)
    [flag] = flags(program, "refund_rate")
    assert flag.evidence == ("3 of 8 sales in October 2026 refunded: 220.00 of 800.00 USD, a refund rate of 27.5 % "
                             "(the limit is 25 %)")  # fmt: skip
    assert orders_of(program, flag) == ["R-001", "R-004", "R-006"]


def test_refund_rate_near_misses(program: Database) -> None:
    rae = add_affiliate(program, "RAE", "Rae Costa")
    few = add_affiliate(program, "FEW", "Few Sales")
    rows = series("R", rae, 8, amount="100.00")
    rows[0] |= {"status": "refunded", "refunded_amount": Decimal("100.00"), "net_amount": Decimal("0.00")}
    rows[1] |= {"refunded_amount": Decimal("80.00"), "net_amount": Decimal("20.00")}  # 22.5 % in all
    small = series("S", few, 4, amount="100.00", status="refunded")  # all refunded, but only 4 sales
    add_orders(program, rows + small)
    assert flags(program, "refund_rate") == []


# --- coupon leakage ------------------------------------------------------------------------------------------------


def _coupon_history(db: Database, affiliate_id: int, per_month: int) -> None:
    for month in (7, 8, 9):
        start = datetime(2026, month, 3, 10, 0)
        add_orders(db, series(f"H{month}-{affiliate_id}", affiliate_id, per_month, start=start, attribution="coupon",
                              coupon_code="JANE10"))  # fmt: skip


def test_a_coupon_spike_without_clicks_is_flagged(program: Database) -> None:
    jane = add_affiliate(program, "JANE", "Jane Doe")
    _coupon_history(program, jane, 2)
    add_orders(program, series("L", jane, 15, every=timedelta(hours=20), attribution="coupon", coupon_code="JANE10"))
    [flag] = flags(program, "coupon_leakage")
    assert flag.evidence == ("15 coupon orders in October 2026, 7.5 times their usual 2.0 a month; 15 of them never "
                             "clicked their links: the code JANE10 may be on a coupon or deal site")  # fmt: skip
    assert flag.orders == 15 and flag.severity == "medium"


def test_coupon_orders_that_came_through_clicks_or_as_usual_are_fine(program: Database) -> None:
    jane = add_affiliate(program, "JANE", "Jane Doe")
    steady = add_affiliate(program, "STEADY", "Steady Coupons")
    _coupon_history(program, jane, 2)
    _coupon_history(program, steady, 15)
    rows = series("L", jane, 15, attribution="coupon", coupon_code="JANE10")
    for n, row in enumerate(rows[:12]):
        row["visitor_id"] = f"fan-{n}"
    add_orders(program, rows)
    add_clicks(program, jane, [OCT - timedelta(hours=n) for n in range(12)], prefix="x")
    with program.write() as session:  # the clicks were by the very visitors who ordered
        from sqlalchemy import update

        from desktop.models import Click

        for n in range(12):
            session.execute(update(Click).where(Click.visitor_id == f"x{jane}-{n}").values(visitor_id=f"fan-{n}"))
    add_orders(program, series("S", steady, 16, attribution="coupon", coupon_code="STEADY15"))
    assert flags(program, "coupon_leakage") == []


# --- shared payee details ------------------------------------------------------------------------------------------


def test_partners_sharing_a_payee_address_or_bank_account_are_flagged(program: Database) -> None:
    add_affiliate(program, "ANA", "Ana Silva", email="ana@example.com", payee_email="Wallet@Pay.example")
    add_affiliate(program, "BOB", "Bob Stone", email="wallet@pay.example", status="terminated")
    add_affiliate(program, "CY", "Cy Berg", email="cy@example.com", iban="DE89 3704 0044 0532 0130 00")
    add_affiliate(program, "DI", "Di Lund", email="di@example.com", iban="DE89370400440532013000")
    found = {flag.affiliate_code: flag for flag in flags(program, "shared_payee", None)}
    assert set(found) == {"ANA", "BOB", "CY", "DI"}
    assert found["ANA"].evidence == ("The payee e-mail wallet@pay.example of Ana Silva is also the payee e-mail of "
                                     "Bob Stone (BOB), terminated: one person may be collecting commission through "
                                     "several accounts")  # fmt: skip
    assert found["ANA"].severity == "high" and found["CY"].severity == "medium"
    assert "The bank account DE…3000 of Cy Berg is also the bank account of Di Lund (DI)" in found["CY"].evidence
    assert found["CY"].period is None


def test_payee_near_misses(program: Database) -> None:
    add_affiliate(program, "ANA", "Ana Silva", email="ana@example.com", payee_email="wallet@pay.example")
    add_affiliate(program, "NEW", "New Prospect", email="wallet@pay.example", status="prospect")  # never paid
    add_affiliate(program, "CY", "Cy Berg", email="cy@example.com", payee_email="cy.wallet@pay.example")
    assert flags(program, "shared_payee", None) == []


# --- orders for inactive affiliates ---------------------------------------------------------------------------------


def test_orders_after_a_partner_was_paused_are_flagged(program: Database) -> None:
    history = [(datetime(2026, 1, 1), "applied"), (datetime(2026, 1, 5), "active"), (datetime(2026, 10, 10), "paused")]
    tom = add_affiliate(program, "TOM", "Tom Novak", status="paused", history=history)
    add_orders(program, [order("T-1", tom, datetime(2026, 10, 5)), order("T-2", tom, datetime(2026, 10, 12)),
                         order("T-3", tom, datetime(2026, 10, 15), "30.00")])  # fmt: skip
    [flag] = flags(program, "inactive_affiliate")
    assert flag.evidence == ("2 orders (80.00 USD) in October 2026 credited to Tom Novak after they stopped being "
                             "active on 10 Oct 2026 (status now: paused)")  # fmt: skip
    assert orders_of(program, flag) == ["T-2", "T-3"] and flag.severity == "medium"


def test_orders_for_someone_never_approved_are_flagged(program: Database) -> None:
    eve = add_affiliate(program, "EVE", "Eve Rossi", status="rejected",
                        history=[(datetime(2026, 9, 1), "applied"), (datetime(2026, 9, 3), "rejected")])  # fmt: skip
    add_orders(program, [order("E-1", eve)])
    [flag] = flags(program, "inactive_affiliate")
    assert "credited to Eve Rossi, who was never an active partner (status: rejected)" in flag.evidence
    assert flag.severity == "high"


def test_orders_while_active_are_fine(program: Database) -> None:
    history = [(datetime(2026, 1, 5), "active"), (datetime(2026, 10, 20), "paused"), (datetime(2026, 10, 25), "active")]
    ann = add_affiliate(program, "ANN", "Ann Back", history=history)  # back from a break: active again
    old = add_affiliate(program, "OLD", "Old Partner", status="terminated",
                        history=[(datetime(2026, 1, 5), "active"), (datetime(2026, 11, 2), "terminated")])  # fmt: skip
    add_orders(program, [order("A-1", ann, datetime(2026, 10, 22)), order("O-1", old, datetime(2026, 10, 30))])
    assert flags(program, "inactive_affiliate") == []


# --- disposable e-mail domains ---------------------------------------------------------------------------------------


def test_the_shipped_list_knows_the_common_throwaway_domains() -> None:
    for address in ("a@mailinator.com", "b@10minutemail.com", "c@guerrillamail.com", "d@YOPMAIL.com",
                    "e@eu.mailinator.com"):  # fmt: skip
        assert is_disposable(address), address
    for address in ("a@gmail.com", "b@mailinator.company.example", "c@proton.me", "nonsense"):
        assert not is_disposable(address), address


def test_orders_from_throwaway_addresses_are_flagged(program: Database) -> None:
    zoe = add_affiliate(program, "ZOE", "Zoe Kim")
    add_orders(program, [order("Z-1", zoe, customer_email="trailfan88@mailinator.com"),
                         order("Z-2", zoe, OCT + timedelta(days=1), customer_email="x@eu.Mailinator.com"),
                         order("Z-3", zoe, customer_email="real.person@gmail.com")])  # fmt: skip
    [flag] = flags(program, "disposable_email")
    assert flag.evidence == ("2 orders from trailfan88@mailinator.com and x@eu.mailinator.com: throwaway addresses "
                             "made to be used once, common with fake or self-made orders")  # fmt: skip
    assert (flag.severity, flag.orders) == ("low", 2)


def test_lookalike_domains_are_not_throwaway(program: Database) -> None:
    zoe = add_affiliate(program, "ZOE", "Zoe Kim")
    add_orders(program, [order("Z-1", zoe, customer_email="a@mailinator.company.example"),
                         order("Z-2", zoe, customer_email="b@notyopmail.example"),
                         order("Z-3", None, customer_email="c@mailinator.com")])  # organic: nobody to flag  # fmt: skip
    assert flags(program, "disposable_email") == []


# --- periods ---------------------------------------------------------------------------------------------------


def test_periods_are_checked_and_bounded() -> None:
    assert parse_period(" 2026-10 ") == "2026-10"
    assert period_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    for bad in ("2026-13", "2026-1", "October"):
        with pytest.raises(BadInput, match="YYYY-MM"):
            parse_period(bad)
    assert Scope(("2026-10",)).within("2026-10") and not Scope(("2026-10",)).within("2026-09")
    assert percent(Decimal("0.2")) == "20 %" and percent(Decimal("0.0001")) == "0.01 %"
