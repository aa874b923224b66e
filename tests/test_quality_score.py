"""Traffic quality score (0–100, explained) and the cap change it suggests for a plan."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert
from test_fraud_helpers import OCT, add_affiliate, add_clicks, add_orders, series, setup_program

from desktop.db import Database
from desktop.models import FraudFlag
from desktop.services.plans import PlanInput, create_plan, update_plan
from desktop.services.quality_score import quality_scores, suggested_cap

AS_OF = date(2026, 10, 31)


def add_flags(db: Database, affiliate_id: int, *states: tuple[str, str]) -> None:
    rows = [{"rule": "self_referral", "fingerprint": f"test:{affiliate_id}:{n}", "affiliate_id": affiliate_id,
             "period": "2026-10", "severity": severity, "evidence": "test", "state": state, "raised_at": OCT}
            for n, (state, severity) in enumerate(states)]  # fmt: skip
    with db.write() as session:
        session.execute(insert(FraudFlag), rows)


@pytest.fixture
def partners(db: Database) -> dict[str, int]:
    setup_program(db)
    ids = {code: add_affiliate(db, code) for code in ("CLEAN", "REFUNDS", "FLAGGED", "RATE", "NEW")}
    add_orders(db, series("C", ids["CLEAN"], 10))
    add_clicks(db, ids["CLEAN"], [OCT + timedelta(minutes=n) for n in range(100)])
    rows = series("R", ids["REFUNDS"], 10, amount="100.00")
    for row in rows[:3]:
        row |= {"status": "refunded", "refunded_amount": Decimal("100.00"), "net_amount": Decimal("0.00")}
    add_orders(db, rows)
    add_orders(db, series("F", ids["FLAGGED"], 6))
    add_flags(db, ids["FLAGGED"], ("open", "high"), ("confirmed", "medium"), ("dismissed", "high"))
    add_orders(db, series("T", ids["RATE"], 12))
    add_clicks(db, ids["RATE"], [OCT + timedelta(minutes=n) for n in range(40)])
    add_orders(db, series("N", ids["NEW"], 2))
    add_orders(db, series("OLD", ids["NEW"], 20, start=datetime(2026, 5, 1), status="refunded"))  # long ago
    return ids


def test_scores_with_their_explanation(db: Database, partners: dict[str, int]) -> None:
    scores = quality_scores(db, partners.values(), as_of=AS_OF)
    clean = scores[partners["CLEAN"]]
    assert (clean.score, clean.grade, clean.text) == (100, "good", "100 · good")
    assert clean.explanation == (
        "Refunds: 0 % of sales revenue in the last 90 days, normal",
        "Conversion rate: 10 % of 100 clicks, within 0.02 %–20 %",
        "Fraud flags: none open or confirmed",
    )
    refunds = scores[partners["REFUNDS"]]
    assert (refunds.score, refunds.grade, refunds.refund_rate) == (67, "fair", Decimal("0.3"))
    assert refunds.explanation[0] == "Refunds: 30 % of sales revenue in the last 90 days (−33)"
    assert refunds.explanation[1] == "Conversion rate: not enough link sales and clicks to judge"
    flagged = scores[partners["FLAGGED"]]
    assert (flagged.score, flagged.grade, flagged.open_flags, flagged.confirmed_flags) == (30, "poor", 1, 1)
    assert flagged.explanation[2] == "Fraud flags: 1 open flag and 1 confirmed flag (−70)"
    rate = scores[partners["RATE"]]
    assert (rate.score, rate.conversion_rate) == (80, Decimal("0.3"))
    assert rate.explanation[1] == "Conversion rate: 30 % of 40 clicks, outside the expected 0.02 %–20 % (−20)"
    new = scores[partners["NEW"]]
    assert new.score == 100 and new.explanation[0] == "Refunds: too few sales in the last 90 days to judge (2 sales)"


def test_many_flags_cannot_push_a_score_below_zero(db: Database, partners: dict[str, int]) -> None:
    add_flags(db, partners["REFUNDS"], *[("confirmed", "high")] * 5)
    score = quality_scores(db, [partners["REFUNDS"]], as_of=AS_OF)[partners["REFUNDS"]]
    assert score.score == 0 and score.grade == "poor"  # 100 − 33 refunds − 80 (the most flags can take)
    assert quality_scores(db, []) == {}


def plan_with(db: Database, cap: str | None) -> tuple[int, int, int]:
    setup_program(db)
    plan = create_plan(db, PlanInput(name="Standard", sale_rate=Decimal("0.10"), cap=Decimal(cap) if cap else None))
    good = add_affiliate(db, "GOOD", "Gina Good", plan_id=plan)
    poor = add_affiliate(db, "POOR", "Pete Poor", plan_id=plan)
    add_orders(db, series("G", good, 10, amount="300.00"))  # 3,000.00 in October: 300.00 commission
    add_orders(db, series("P", poor, 5, amount="100.00"))
    return plan, good, poor


def test_poor_traffic_suggests_a_cap_just_above_the_best_honest_month(db: Database) -> None:
    plan, _, poor = plan_with(db, None)
    assert suggested_cap(db, plan, as_of=date(2026, 11, 15)) is None  # nobody poor: no cap needed
    add_flags(db, poor, ("confirmed", "high"))
    advice = suggested_cap(db, plan, as_of=date(2026, 11, 15))
    assert advice is not None
    assert (advice.current_cap, advice.suggested_cap, advice.direction) == (None, Decimal("400.00"), "set")
    assert advice.poor_affiliates == ("Pete Poor (40)",)
    assert advice.reason.startswith("1 partner on this plan has poor traffic quality (Pete Poor (40)). A cap of "
                                    "400.00 limits what bad traffic can cost; your best good-quality partner earned "
                                    "at most 300.00 in a month")  # fmt: skip
    update_plan(db, plan, PlanInput(name="Standard", sale_rate=Decimal("0.10"), cap=Decimal("1500.00")))
    lower = suggested_cap(db, plan, as_of=date(2026, 11, 15))
    assert lower is not None and (lower.direction, lower.current_cap) == ("lower", Decimal("1500.00"))
    update_plan(db, plan, PlanInput(name="Standard", sale_rate=Decimal("0.10"), cap=Decimal("350.00")))
    assert suggested_cap(db, plan, as_of=date(2026, 11, 15)) is None  # already tighter than suggested


def test_good_partners_hitting_the_cap_suggest_raising_it(db: Database) -> None:
    plan, _, _ = plan_with(db, "200.00")
    advice = suggested_cap(db, plan, as_of=date(2026, 11, 15))
    assert advice is not None
    assert (advice.direction, advice.suggested_cap) == ("raise", Decimal("400.00"))
    assert advice.reason.startswith("1 good-quality partner reached the cap of 200.00")
    update_plan(db, plan, PlanInput(name="Standard", sale_rate=Decimal("0.10"), cap=Decimal("1000.00")))
    assert suggested_cap(db, plan, as_of=date(2026, 11, 15)) is None
