"""Rewards and numbers of targets: a better rate leaves excluded products at 0 % and is refused on flat plans;
NaN and infinity are refused in words; settling says which draft sheets need "Build again"."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update
from test_metrics import add_affiliate, add_order, setup_program

from desktop.db import Database
from desktop.models import Affiliate
from desktop.money import MoneyError
from desktop.services.commission_engine import OrderLine, PlanTerms, ProductRule, compute_period, takes_rate_boost
from desktop.services.errors import ValidationFailed
from desktop.services.payout_build import build_payout_sheet
from desktop.services.plans import PlanInput, create_plan
from desktop.services.targets import TargetInput, parse_goal, parse_growth, validate_target
from desktop.services.targets_settle import create_target, settle_target, sheets_to_build_again

D = Decimal
NOVEMBER = date(2026, 11, 3)


def sale(order_id: str, amount: str, sku: str) -> OrderLine:
    return OrderLine(order_id, 1, datetime(2026, 12, 3), "sale", D(amount), 1, sku)


def test_a_better_rate_leaves_an_excluded_product_at_zero() -> None:
    plan = PlanTerms("Std", sale_rate=D("0.10"), products=(ProductRule("GIFT-*", sale_rate=D("0")),),
                     rate_boost=D("0.02"))  # fmt: skip
    result = compute_period(plan, [sale("A1", "100.00", "GIFT-50"), sale("A2", "100.00", "BOOT-1")])
    gift, boot = result.lines
    assert (gift.amount, boot.amount, result.gross) == (D("0.00"), D("12.00"), D("12.00"))
    assert gift.trace == "Std v1 · product GIFT-* · 0 % (excluded: the 2 % boost does not apply) of 100.00 = 0.00"
    assert boot.trace == "Std v1 · base · 12 % (10 % + 2 % boost) of 100.00 = 12.00"


def test_a_product_rule_with_a_rate_above_zero_still_gets_the_boost() -> None:
    plan = PlanTerms("Std", sale_rate=D("0.10"), products=(ProductRule("BOOK-*", sale_rate=D("0.05")),),
                     rate_boost=D("0.02"))  # fmt: skip
    [line] = compute_period(plan, [sale("A1", "100.00", "BOOK-1")]).lines
    assert line.amount == D("7.00") and "7 % (5 % + 2 % boost)" in line.trace


def test_which_plans_a_better_rate_can_change() -> None:
    assert takes_rate_boost(PlanTerms("Std", sale_rate=D("0.10")))
    assert not takes_rate_boost(PlanTerms("Coupon", sale_amount=D("4.00")))


@pytest.fixture
def people(db: Database) -> dict[str, int]:
    """JANE and TOM on the 10 % Standard plan, KIM on "Coupon partners" (4.00 per order); JANE sells 400.00."""
    setup_program(db)
    coupon = create_plan(db, PlanInput(name="Coupon partners", sale_amount=D("4.00")))
    ids = {code: add_affiliate(db, code, tags=("blog",)) for code in ("JANE", "TOM", "KIM")}
    with db.write() as session:
        session.execute(update(Affiliate).where(Affiliate.id == ids["KIM"]).values(plan_id=coupon))
    add_order(db, ids["JANE"], date(2026, 10, 2), "400.00")
    return ids


def test_a_better_rate_is_refused_for_a_flat_plan(db: Database, people: dict[str, int]) -> None:
    rate = D("0.02")
    assert validate_target(db, TargetInput("JANE", "sales", "2099-01", goal=D("3"), reward_rate=rate)) == {}
    problems = validate_target(db, TargetInput("KIM", "sales", "2099-01", goal=D("3"), reward_rate=rate))
    assert set(problems) == {"reward_rate"}
    assert "'Coupon partners' pays a flat amount per order" in problems["reward_rate"]
    assert "Give a bonus instead" in problems["reward_rate"]
    group = validate_target(db, TargetInput("tag:blog", "sales", "2099-01", goal=D("3"), reward_rate=rate))
    assert "would change nothing for KIM:" in group["reward_rate"]
    with pytest.raises(ValidationFailed):
        create_target(db, TargetInput("all", "sales", "2099-01", goal=D("3"), reward_rate=rate))
    # a bonus is still fine for them
    assert validate_target(db, TargetInput("KIM", "sales", "2099-01", goal=D("3"), bonus=D("10.00"))) == {}


@pytest.mark.parametrize(
    ("field", "value"),
    [("growth", "NaN"), ("growth", "Infinity"), ("goal", "NaN"), ("goal", "-Infinity"), ("goal", "1e40"),
     ("bonus", "NaN"), ("reward_rate", "sNaN")],
)  # fmt: skip
def test_nan_and_infinity_are_refused_not_crashed_on(db: Database, people: dict[str, int], field: str,
                                                     value: str) -> None:  # fmt: skip
    values = {"goal": D("3"), field: D(value)}
    if field == "growth":
        values["goal"] = None
    problems = validate_target(db, TargetInput("JANE", "sales", "2099-01", **values))  # type: ignore[arg-type]
    key = "goal" if field == "growth" else field
    assert set(problems) == {key}
    assert "not a number" in problems[key] or "too large" in problems[key]


def test_goals_and_growth_are_read_in_words() -> None:
    assert parse_goal("3.5%", "conversion_rate") == D("3.50")
    assert parse_goal("5,000", "revenue") == D("5000.00")
    with pytest.raises(MoneyError, match="a revenue goal is not a percentage"):
        parse_goal("5000%", "revenue")
    with pytest.raises(MoneyError, match="more than two decimals"):
        parse_goal("0.005", "epc")
    with pytest.raises(MoneyError, match="too large"):
        parse_goal("1e40", "revenue")
    assert parse_growth("20 %") == D("0.2")
    for text in ("nan", "nan%", "Infinity", "lots"):
        with pytest.raises(MoneyError, match="is not a percentage"):
            parse_growth(text)


def test_settling_names_the_draft_sheet_built_before(db: Database, people: dict[str, int]) -> None:
    jane = TargetInput("JANE", "revenue", "2026-10", goal=D("300.00"), bonus=D("25.00"))
    target = create_target(db, jane, today=date(2026, 10, 15))
    assert settle_target(db, target, today=NOVEMBER).drafts == ()  # no sheet yet: it will be built with the bonus
    build_payout_sheet(db, "2026-10", as_of=NOVEMBER)
    settled = settle_target(db, target, today=NOVEMBER)
    assert (settled.met, settled.bonuses, settled.drafts) == (1, D("25.00"), ("2026-10",))
    assert sheets_to_build_again(db, target, today=NOVEMBER) == ("2026-10",)
    assert sheets_to_build_again(db, target, today=date(2026, 10, 20)) == ()  # not over: nothing was settled
    recognition = create_target(db, TargetInput("JANE", "sales", "2026-10", goal=D("1"), reward_text="A mug"),
                                today=NOVEMBER)  # fmt: skip
    assert settle_target(db, recognition, today=NOVEMBER).drafts == ()  # no money: no sheet to build again


NAN_FILE = """\
[program]
name = "Test"
currency = "USD"

[[target]]
affiliates = ["JANE"]
metric = "revenue"
period = "2099-01"
growth = "nan%"

[[target]]
affiliates = ["JANE"]
metric = "sales"
period = "2099-01"
goal = "5000%"
bonus = "1e40"
"""


def test_the_command_line_names_bad_numbers_with_their_line(db: Database, db_path: Path, people: dict[str, int],
                                                            tmp_path: Path) -> None:  # fmt: skip
    path = tmp_path / "nan.toml"
    path.write_text(NAN_FILE, encoding="utf-8")
    db.dispose()
    result = subprocess.run([sys.executable, "-m", "desktop", "--db", str(db_path), "program", "import", str(path)],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    assert "nan.toml, line 9, key 'growth': 'nan%' is not a percentage" in result.stderr
    assert "nan.toml, line 15, key 'goal': '5000%': a sales goal is not a percentage" in result.stderr
    assert "nan.toml, line 16, key 'bonus': '1e40' is too large" in result.stderr
