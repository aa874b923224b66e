"""Commission engine: the worked cases of DESIGN.md §7, traces, validation, properties for any plan."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.money import parse_money, parse_rate
from desktop.services.commission_engine import (
    OrderLine,
    PeriodCommission,
    PlanError,
    PlanTerms,
    ProductRule,
    Tier,
    compute_period,
    explain_example,
    validate_plan,
)

D = Decimal
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def sale(
    order_id: str,
    amount: str,
    *,
    hour: int = 0,
    line_no: int = 1,
    quantity: int = 1,
    sku: str | None = None,
) -> OrderLine:
    return OrderLine(
        order_id, line_no, START + timedelta(hours=hour), "sale", parse_money(amount), quantity, sku
    )


def orders(*amounts: str) -> list[OrderLine]:
    """One single-line order per amount, an hour apart, in that order."""
    return [sale(f"A{i:03}", amount, hour=i) for i, amount in enumerate(amounts)]


def rate_plan(rate: str, **terms: Any) -> PlanTerms:
    return PlanTerms("Standard", sale_rate=parse_rate(rate), **terms)


def tier(minimum: str, rate: str) -> Tier:
    return Tier(D(minimum), sale_rate=parse_rate(rate))


LADDER = (tier("200", "6%"), tier("400", "8%"))  # base 4 % in the worked example


# --- worked cases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "amount", "expected"),
    [
        ("20%", "10.00", "2.00"),
        ("10%", "19.00", "1.90"),
        ("20%", "0.07", "0.01"),  # 0.014 down
        ("10%", "0.15", "0.02"),  # 0.015 half-up, not to even
        ("2.9%", "5.00", "0.15"),  # 0.145 half-up
    ],
)
def test_percentage_of_one_line_rounds_half_up_once(rate: str, amount: str, expected: str) -> None:
    result = compute_period(rate_plan(rate), [sale("A1", amount)])
    assert result.lines[0].amount == D(expected)
    assert str(result.commission) == expected


def test_percentage_of_an_order_of_several_lines() -> None:
    lines = [sale("A1", "50.00", line_no=1), sale("A1", "40.00", line_no=2), sale("A1", "30.00", line_no=3)]
    result = compute_period(rate_plan("25%"), lines)
    assert result.commission == D("30.00")
    assert result.sales == 1
    assert result.sales_revenue == D("120.00")


def test_flat_per_order_is_paid_once_on_the_lowest_line() -> None:
    plan = PlanTerms("Standard", sale_amount=D("10.00"))
    lines = [sale("A1", "5.00", line_no=3), sale("A1", "5.00", line_no=1), sale("A1", "5.00", line_no=2)]
    result = compute_period(plan, lines)
    assert result.commission == D("10.00")
    by_line = {line.line_no: line for line in result.lines}
    assert by_line[1].amount == D("10.00")
    assert by_line[1].trace == "Standard v1 · base · flat 10.00 per order = 10.00"
    assert by_line[2].amount == by_line[3].amount == D("0.00")
    assert by_line[2].trace == "Standard v1 · base · flat 10.00 per order, paid on line 1 = 0.00"


def test_flat_per_product_unit_times_quantity() -> None:
    plan = rate_plan("10%", products=(ProductRule("BOOT-*", sale_amount=D("10.00")),))
    result = compute_period(plan, [sale("A1", "300.00", quantity=3, sku="BOOT-42")])
    assert result.commission == D("30.00")
    assert result.lines[0].trace == "Standard v1 · product BOOT-* · flat 10.00 per unit × 3 = 30.00"
    assert result.lines[0].rule == "product BOOT-*"


def test_product_rule_of_zero_percent_beats_the_tier() -> None:
    plan = rate_plan("10%", tiers=(tier("100", "12%"),), products=(ProductRule("GIFT-*", sale_rate=D(0)),))
    result = compute_period(
        plan, [sale("A1", "100.00", line_no=1), sale("A1", "40.00", line_no=2, sku="GIFT-50")]
    )
    gift = result.lines[1]
    assert gift.amount == D("0.00")
    assert gift.trace == "Standard v1 · product GIFT-* · 0 % of 40.00 = 0.00"
    assert result.lines[0].amount == D("12.00")
    assert result.commission == D("12.00")


def test_tiers_by_revenue_all_mode() -> None:
    result = compute_period(rate_plan("4%", tiers=LADDER), orders(*["100.00"] * 5))
    assert result.commission == D("40.00")
    assert result.tier_reached == LADDER[1]
    assert result.lines[0].trace == "Standard v1 · tier ≥ 400.00 (all) · 8 % of 100.00 = 8.00"


def test_tiers_by_revenue_marginal_mode() -> None:
    result = compute_period(rate_plan("4%", tiers=LADDER, tier_mode="marginal"), orders(*["100.00"] * 5))
    # 200 x 4 % + 200 x 6 % + 100 x 8 %
    assert [line.amount for line in result.lines] == [D("4.00"), D("4.00"), D("6.00"), D("6.00"), D("8.00")]
    assert result.commission == D("28.00")
    assert result.tier_reached == LADDER[1]


def test_tiers_by_number_of_sales_all_mode() -> None:
    plan = rate_plan("20%", tier_basis="sales", tiers=(tier("5", "30%"),))
    result = compute_period(plan, orders(*["100.00"] * 5))
    assert result.commission == D("150.00")
    assert result.lines[0].trace == "Standard v1 · tier ≥ 5 sales (all) · 30 % of 100.00 = 30.00"


def test_tiers_by_number_of_sales_below_the_threshold() -> None:
    plan = rate_plan("20%", tier_basis="sales", tiers=(tier("5", "30%"),))
    result = compute_period(plan, orders(*["100.00"] * 4))
    assert result.commission == D("80.00")
    assert result.tier_reached is None


def test_tiers_by_number_of_sales_marginal_mode() -> None:
    plan = rate_plan("20%", tier_basis="sales", tier_mode="marginal", tiers=(tier("5", "30%"),))
    result = compute_period(plan, orders(*["100.00"] * 6))
    assert [line.amount for line in result.lines] == [D("20.00")] * 4 + [D("30.00")] * 2
    assert result.lines[4].trace == "Standard v1 · tier ≥ 5 sales (marginal) · 30 % of 100.00 = 30.00"


def test_cap_cuts_the_total_and_shows_the_cut() -> None:
    result = compute_period(rate_plan("10%", cap=D("25.00")), orders("100.00", "100.00", "100.00"))
    assert result.gross == D("30.00")
    assert result.over_cap == D("5.00")
    assert result.commission == D("25.00")
    assert sum(line.amount for line in result.lines) == result.gross


def test_cap_not_reached_leaves_no_cut() -> None:
    result = compute_period(rate_plan("10%", cap=D("25.00")), orders("100.00"))
    assert (result.over_cap, result.commission) == (D("0.00"), D("10.00"))


def test_leads_and_signups_earn_their_flat_amounts() -> None:
    plan = rate_plan("10%", lead_amount=D("2.00"), signup_amount=D("0.50"))
    lines = [
        OrderLine("L1", 1, START, "lead", D("0.00")),
        OrderLine("L2", 1, START, "lead", D("0.00")),
        OrderLine("S1", 1, START, "signup", D("0.00")),
        sale("A1", "100.00"),
    ]
    result = compute_period(plan, lines)
    assert (result.leads, result.signups, result.sales) == (2, 1, 1)
    assert result.commission == D("14.50")
    traces = {line.order_id: line.trace for line in result.lines}
    assert traces["L1"] == "Standard v1 · lead · flat 2.00 per lead = 2.00"
    assert traces["S1"] == "Standard v1 · signup · flat 0.50 per signup = 0.50"
    assert result.sales_revenue == D("100.00")  # leads are not revenue


def test_leads_and_signups_count_under_the_cap() -> None:
    plan = rate_plan("10%", lead_amount=D("2.00"), cap=D("3.00"))
    lines = [OrderLine(f"L{i}", 1, START, "lead", D("0.00")) for i in range(3)]
    result = compute_period(plan, lines)
    assert (result.gross, result.over_cap, result.commission) == (D("6.00"), D("3.00"), D("3.00"))


# --- traces and the plan editor's sentence --------------------------------------------------------


def test_trace_of_a_tier_in_all_mode() -> None:
    plan = dataclasses.replace(rate_plan("10%", tiers=(tier("2000.00", "12%"),)), version=2)
    result = compute_period(plan, [sale("A1", "2400.00", hour=0), sale("A2", "150.00", hour=1)])
    assert result.lines[1].trace == "Standard v2 · tier ≥ 2,000.00 (all) · 12 % of 150.00 = 18.00"
    assert result.lines[1].rule == "tier ≥ 2,000.00"


def test_trace_of_a_line_split_across_marginal_tiers() -> None:
    plan = rate_plan("4%", tiers=LADDER, tier_mode="marginal")
    result = compute_period(plan, orders("100.00", "150.00"))
    assert result.lines[0].trace == "Standard v1 · base · 4 % of 100.00 = 4.00"
    assert result.lines[1].trace == "Standard v1 · marginal: 100.00 at 4 % + 50.00 at 6 % = 7.00"
    assert result.lines[1].rule == "base + tier ≥ 200.00"


def test_trace_shows_a_rate_boost() -> None:
    plan = rate_plan("10%", rate_boost=parse_rate("1%"))
    result = compute_period(plan, [sale("A1", "150.00")])
    assert result.lines[0].trace == "Standard v1 · base · 11 % (10 % + 1 % boost) of 150.00 = 16.50"


def test_explain_example_all_mode() -> None:
    plan = rate_plan("10%", tiers=(tier("2000.00", "12%"),))
    assert explain_example(plan, D("150.00"), D("2400.00")) == (
        "An order of 150.00 by an affiliate with 2,400.00 this month earns 18.00"
        " — tier ≥ 2,000.00, all actions, 12 %"
    )


def test_explain_example_reaching_the_tier_with_this_order() -> None:
    plan = rate_plan("10%", tiers=(tier("2000.00", "12%"),))
    assert explain_example(plan, D("150.00"), D("1900.00")).endswith(
        "earns 18.00 — tier ≥ 2,000.00, all actions, 12 %"
    )
    assert explain_example(plan, D("150.00"), D("100.00")).endswith("earns 15.00 — base, all actions, 10 %")


def test_explain_example_marginal_and_sales_and_flat() -> None:
    marginal = rate_plan("4%", tiers=LADDER, tier_mode="marginal")
    assert explain_example(marginal, D("150.00"), D("100.00")) == (
        "An order of 150.00 by an affiliate with 100.00 this month earns 7.00"
        " — marginal: 100.00 at 4 % + 50.00 at 6 %"
    )
    by_sales = rate_plan("20%", tier_basis="sales", tiers=(tier("5", "30%"),))
    assert explain_example(by_sales, D("100.00"), D("400.00"), sales_before=4) == (
        "An order of 100.00 by an affiliate with 4 sales this month earns 30.00"
        " — tier ≥ 5 sales, all actions, 30 %"
    )
    flat = PlanTerms("Standard", sale_amount=D("10.00"))
    assert explain_example(flat, D("150.00"), D("0.00")) == (
        "An order of 150.00 by an affiliate with 0.00 this month earns 10.00 — base, flat 10.00 per order"
    )


# --- edge cases -----------------------------------------------------------------------------------


def test_no_lines_earn_nothing() -> None:
    result = compute_period(rate_plan("10%", tiers=LADDER), [])
    assert result == PeriodCommission((), D("0.00"), D("0.00"), D("0.00"), 0, D("0.00"), 0, 0, None)


def test_basis_exactly_at_the_threshold_reaches_the_tier() -> None:
    result = compute_period(rate_plan("4%", tiers=LADDER), orders("150.00", "50.00"))
    assert result.tier_reached == LADDER[0]
    assert result.commission == D("12.00")


def test_product_rule_lines_count_towards_the_tier() -> None:
    plan = rate_plan("4%", tiers=LADDER, products=(ProductRule("GIFT-*", sale_rate=D(0)),))
    result = compute_period(plan, [sale("A1", "100.00"), sale("A2", "150.00", hour=1, sku="gift-card")])
    assert result.tier_reached == LADDER[0]
    assert result.lines[0].amount == D("6.00")


def test_product_rules_match_case_insensitively_first_rule_wins_and_no_sku_matches_nothing() -> None:
    plan = rate_plan(
        "10%",
        products=(
            ProductRule("gift-*", sale_rate=parse_rate("1%")),
            ProductRule("*", sale_rate=parse_rate("2%")),
        ),
    )
    result = compute_period(
        plan,
        [
            sale("A1", "100.00", sku="GIFT-10"),
            sale("A2", "100.00", hour=1, sku="HAT"),
            sale("A3", "100.00", hour=2),
        ],
    )
    assert [line.amount for line in result.lines] == [D("1.00"), D("2.00"), D("10.00")]


def test_flat_per_order_skips_product_rule_lines() -> None:
    plan = PlanTerms("Standard", sale_amount=D("10.00"), products=(ProductRule("GIFT-*", sale_rate=D(0)),))
    lines = [sale("A1", "20.00", line_no=1, sku="GIFT-1"), sale("A1", "20.00", line_no=2)]
    result = compute_period(plan, lines)
    assert [line.amount for line in result.lines] == [D("0.00"), D("10.00")]
    only_products = compute_period(plan, [sale("A2", "20.00", sku="GIFT-1")])
    assert only_products.commission == D("0.00")
    assert only_products.sales == 1


def test_flat_tier_in_all_mode_pays_every_order_once() -> None:
    plan = PlanTerms(
        "Standard", sale_amount=D("5.00"), tier_basis="sales", tiers=(Tier(D(2), sale_amount=D("8.00")),)
    )
    lines = [*orders("10.00", "10.00"), sale("A000", "10.00", line_no=2)]
    result = compute_period(plan, lines)
    assert result.sales == 2
    assert result.commission == D("16.00")


def test_marginal_line_split_is_rounded_once() -> None:
    # 0.10 at 5 % + 0.10 at 5 % = 0.01 once; rounding each part would give 0.02
    plan = rate_plan("5%", tiers=(tier("0.10", "5%"),), tier_mode="marginal")
    result = compute_period(plan, orders("0.20"))
    assert result.lines[0].amount == D("0.01")
    assert result.lines[0].trace == "Standard v1 · marginal: 0.10 at 5 % + 0.10 at 5 % = 0.01"


def test_marginal_line_across_two_thresholds() -> None:
    result = compute_period(rate_plan("4%", tiers=LADDER, tier_mode="marginal"), orders("500.00"))
    assert result.lines[0].trace == (
        "Standard v1 · marginal: 200.00 at 4 % + 200.00 at 6 % + 100.00 at 8 % = 28.00"
    )


def test_marginal_follows_time_then_order_id_then_line_no_not_input_order() -> None:
    plan = rate_plan("4%", tiers=LADDER, tier_mode="marginal")
    late = sale("A2", "200.00", hour=5)
    early = sale("A1", "200.00", hour=1)
    tie_b = sale("B", "100.00", hour=9)
    tie_a = sale("A", "100.00", hour=9)
    result = compute_period(plan, [late, tie_b, early, tie_a])
    assert [line.order_id for line in result.lines] == ["A1", "A2", "A", "B"]
    assert [line.amount for line in result.lines] == [D("8.00"), D("12.00"), D("8.00"), D("8.00")]


def test_an_order_of_several_lines_is_one_sale() -> None:
    plan = rate_plan("20%", tier_basis="sales", tiers=(tier("2", "30%"),))
    result = compute_period(plan, [sale("A1", "10.00", line_no=1), sale("A1", "10.00", line_no=2)])
    assert result.sales == 1
    assert result.tier_reached is None


def test_invalid_lines_are_refused() -> None:
    plan = rate_plan("10%")
    with pytest.raises(ValueError, match="unknown type"):
        compute_period(plan, [OrderLine("A1", 1, START, "refund", D("1.00"))])
    with pytest.raises(ValueError, match="negative"):
        compute_period(plan, [sale("A1", "-1.00")])


# --- validation -----------------------------------------------------------------------------------


def test_a_sound_plan_has_no_problems() -> None:
    plan = rate_plan(
        "10%",
        lead_amount=D("2.00"),
        cap=D("1000.00"),
        tiers=(tier("2000.00", "12%"),),
        products=(ProductRule("GIFT-*", sale_rate=D(0)),),
    )
    assert validate_plan(plan) == []


@pytest.mark.parametrize(
    ("plan", "fragment"),
    [
        (PlanTerms("Standard"), "either a rate or a flat amount per order"),
        (PlanTerms("Standard", sale_rate=D("0.1"), sale_amount=D("1.00")), "exactly one"),
        (PlanTerms("", sale_rate=D("0.1")), "needs a name"),
        (PlanTerms("Standard", sale_rate=D("1.5")), "between 0 % and 100 %"),
        (PlanTerms("Standard", sale_rate=D("-0.1")), "between 0 % and 100 %"),
        (PlanTerms("Standard", sale_amount=D("1.005")), "more than two decimals"),
        (PlanTerms("Standard", sale_rate=D("0.1"), lead_amount=D("-1.00")), "must not be negative"),
        (PlanTerms("Standard", sale_rate=D("0.1"), cap=D("-1")), "must not be negative"),
        (PlanTerms("Standard", sale_rate=D("0.1"), tier_basis="clicks"), "revenue or by sales"),
        (PlanTerms("Standard", sale_rate=D("0.1"), tier_mode="best"), "all or marginal"),
        (
            PlanTerms("Standard", sale_rate=D("0.1"), tiers=(tier("400", "8%"), tier("200", "6%"))),
            "must go up",
        ),
        (
            PlanTerms("Standard", sale_rate=D("0.1"), tiers=(tier("200", "6%"), tier("200", "8%"))),
            "must go up",
        ),
        (PlanTerms("Standard", sale_rate=D("0.1"), tiers=(Tier(D(200)),)), "Tier ≥ 200.00 needs either"),
        (
            PlanTerms("Standard", sale_rate=D("0.1"), tier_basis="sales", tiers=(tier("2.5", "6%"),)),
            "whole number",
        ),
        (
            PlanTerms("Standard", sale_rate=D("0.1"), products=(ProductRule("GIFT-*"),)),
            "Product GIFT-* needs",
        ),
        (
            PlanTerms("Standard", sale_rate=D("0.1"), products=(ProductRule(" ", sale_rate=D(0)),)),
            "SKU pattern",
        ),
        (PlanTerms("Standard", sale_rate=D("0.995"), rate_boost=D("0.01")), "goes past 100 %"),
        (
            PlanTerms("Standard", sale_amount=D("5.00"), tier_mode="marginal", tiers=(tier("200", "6%"),)),
            "need a rate, not a flat amount",
        ),
    ],
)
def test_validation_messages(plan: PlanTerms, fragment: str) -> None:
    problems = validate_plan(plan)
    assert any(fragment in problem for problem in problems), problems


def test_an_invalid_plan_is_not_computed() -> None:
    with pytest.raises(PlanError) as caught:
        compute_period(PlanTerms("Standard"), orders("10.00"))
    assert caught.value.messages == validate_plan(PlanTerms("Standard"))


def test_marginal_sales_may_use_flat_amounts() -> None:
    plan = PlanTerms(
        "Standard",
        sale_amount=D("5.00"),
        tier_basis="sales",
        tier_mode="marginal",
        tiers=(Tier(D(2), sale_amount=D("8.00")),),
    )
    assert validate_plan(plan) == []
    assert compute_period(plan, orders("1.00", "1.00", "1.00")).commission == D("21.00")


# --- properties -----------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=5_000_00).map(lambda c: D(c).scaleb(-2))
rates = st.integers(min_value=0, max_value=10_000).map(lambda bp: D(bp).scaleb(-4))  # 0.00 % .. 100.00 %


@st.composite
def order_lines(draw: st.DrawFn, max_orders: int = 12) -> list[OrderLine]:
    lines: list[OrderLine] = []
    for number in range(draw(st.integers(min_value=0, max_value=max_orders))):
        kind = draw(st.sampled_from(["sale", "sale", "sale", "lead", "signup"]))
        hour = draw(st.integers(min_value=0, max_value=48))
        for line_no in range(1, draw(st.integers(min_value=1, max_value=3)) + 1):
            sku = draw(st.sampled_from([None, "GIFT-1", "gift-2", "BOOT-9"]))
            amount = draw(cents) if kind == "sale" else D("0.00")
            quantity = draw(st.integers(min_value=0, max_value=5))
            lines.append(
                OrderLine(f"O{number}", line_no, START + timedelta(hours=hour), kind, amount, quantity, sku)
            )
    return lines


@st.composite
def plans(draw: st.DrawFn) -> PlanTerms:
    basis = draw(st.sampled_from(["revenue", "sales"]))
    mode = draw(st.sampled_from(["all", "marginal"]))
    rates_only = basis == "revenue" and mode == "marginal"

    def earning() -> dict[str, Decimal]:
        if rates_only or draw(st.booleans()):
            return {"sale_rate": draw(rates)}
        return {"sale_amount": draw(cents)}

    if basis == "sales":
        mins = draw(st.lists(st.integers(min_value=1, max_value=10), max_size=3, unique=True).map(sorted))
        thresholds = [D(m) for m in mins]
    else:
        thresholds = sorted(draw(st.lists(cents, max_size=3, unique=True)))
    tiers = tuple(Tier(threshold, **earning()) for threshold in thresholds)
    products = tuple(
        ProductRule(
            glob, **({"sale_rate": draw(rates)} if draw(st.booleans()) else {"sale_amount": draw(cents)})
        )
        for glob in draw(st.lists(st.sampled_from(["GIFT-*", "boot-?", "*"]), max_size=2))
    )
    plan = PlanTerms(
        "Prop",
        lead_amount=draw(cents),
        signup_amount=draw(cents),
        tier_basis=basis,
        tier_mode=mode,
        tiers=tiers,
        products=products,
        cap=draw(st.none() | cents),
        **earning(),
    )
    assert validate_plan(plan) == []
    return plan


def assert_consistent(result: PeriodCommission, plan: PlanTerms) -> None:
    assert all(line.amount >= 0 for line in result.lines)
    assert all(line.amount == line.amount.quantize(D("0.01")) for line in result.lines)
    assert sum((line.amount for line in result.lines), D("0.00")) == result.gross
    assert result.over_cap >= 0
    assert result.commission + result.over_cap == result.gross
    assert result.commission >= 0
    if plan.cap is not None:
        assert result.commission <= plan.cap
        assert result.over_cap == max(D("0.00"), result.gross - plan.cap)
    else:
        assert result.over_cap == 0


@given(plans(), order_lines())
@settings(max_examples=300)
def test_any_plan_gives_consistent_non_negative_totals(plan: PlanTerms, lines: list[OrderLine]) -> None:
    result = compute_period(plan, lines)
    assert_consistent(result, plan)
    assert len(result.lines) == len(lines)


@given(plans(), order_lines(), st.randoms(use_true_random=False))
def test_input_order_does_not_matter(plan: PlanTerms, lines: list[OrderLine], rnd: random.Random) -> None:
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    assert compute_period(plan, shuffled) == compute_period(plan, lines)


@given(rates, st.lists(cents, min_size=1, max_size=10), st.data())
def test_flat_rate_commission_never_decreases_when_an_order_grows(
    rate: Decimal, amounts: list[Decimal], data: st.DataObject
) -> None:
    plan = PlanTerms("Flat", sale_rate=rate)
    index = data.draw(st.integers(min_value=0, max_value=len(amounts) - 1))
    grown = list(amounts)
    grown[index] += data.draw(cents)
    before = compute_period(plan, [sale(f"O{i}", str(a), hour=i) for i, a in enumerate(amounts)])
    after = compute_period(plan, [sale(f"O{i}", str(a), hour=i) for i, a in enumerate(grown)])
    assert after.commission >= before.commission


@given(
    st.lists(rates, min_size=1, max_size=4).map(sorted),
    st.sampled_from(["all", "marginal"]),
    st.lists(cents, min_size=1, max_size=10),
    st.data(),
)
def test_rising_tiers_never_pay_less_when_an_order_grows(
    ladder: list[Decimal], mode: str, amounts: list[Decimal], data: st.DataObject
) -> None:
    thresholds = sorted(
        data.draw(st.lists(cents, min_size=len(ladder) - 1, max_size=len(ladder) - 1, unique=True))
    )
    plan = PlanTerms(
        "Rising",
        sale_rate=ladder[0],
        tier_mode=mode,
        tiers=tuple(Tier(m, sale_rate=r) for m, r in zip(thresholds, ladder[1:], strict=True)),
        cap=data.draw(st.none() | cents),
    )
    index = data.draw(st.integers(min_value=0, max_value=len(amounts) - 1))
    grown = list(amounts)
    grown[index] += data.draw(cents)
    before = compute_period(plan, [sale(f"O{i}", str(a), hour=i) for i, a in enumerate(amounts)])
    after = compute_period(plan, [sale(f"O{i}", str(a), hour=i) for i, a in enumerate(grown)])
    assert after.commission >= before.commission


@given(rates, st.lists(cents, max_size=3, unique=True).map(sorted), st.lists(cents, max_size=10))
def test_marginal_with_one_rate_everywhere_equals_all_mode(
    rate: Decimal, thresholds: list[Decimal], amounts: list[Decimal]
) -> None:
    plan = PlanTerms("Same", sale_rate=rate, tiers=tuple(Tier(m, sale_rate=rate) for m in thresholds))
    lines = [sale(f"O{i}", str(a), hour=i) for i, a in enumerate(amounts)]
    all_mode = compute_period(plan, lines)
    marginal = compute_period(dataclasses.replace(plan, tier_mode="marginal"), lines)
    assert [line.amount for line in marginal.lines] == [line.amount for line in all_mode.lines]


def test_marginal_sales_count_orders_of_product_rule_lines_too() -> None:
    plan = rate_plan(
        "20%",
        tier_basis="sales",
        tier_mode="marginal",
        tiers=(tier("2", "30%"),),
        products=(ProductRule("GIFT-*", sale_rate=D(0)),),
    )
    lines = [sale("A1", "100.00", hour=1, sku="GIFT-1"), sale("A2", "100.00", hour=2)]
    result = compute_period(plan, lines)
    assert [line.amount for line in result.lines] == [D("0.00"), D("30.00")]


def test_explain_example_refuses_an_invalid_plan() -> None:
    with pytest.raises(PlanError):
        explain_example(PlanTerms("Standard"), D("10.00"), D("0.00"))
