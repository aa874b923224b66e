"""Commission of one affiliate for one period under a plan's terms: pure Decimal arithmetic, no DB, no Qt."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fnmatch import translate
from functools import lru_cache
from operator import attrgetter
from typing import Any

from desktop.money import ZERO, format_money, format_rate, round_money

BASIS_REVENUE = "revenue"
BASIS_SALES = "sales"
MODE_ALL = "all"
MODE_MARGINAL = "marginal"
LINE_TYPES = ("sale", "lead", "signup")

_SKU_MEMO_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class Tier:
    """Reached when the period's basis is >= min."""

    min: Decimal  # revenue amount (basis "revenue") or number of sales (basis "sales")
    sale_rate: Decimal | None = None  # fraction: Decimal("0.12") for 12 %
    sale_amount: Decimal | None = None  # flat per order


@dataclass(frozen=True, slots=True)
class ProductRule:
    sku_glob: str  # fnmatch-style, case-insensitive: "GIFT-*"
    sale_rate: Decimal | None = None
    sale_amount: Decimal | None = None  # flat per unit (times quantity)


@dataclass(frozen=True, slots=True)
class PlanTerms:
    name: str
    version: int = 1
    sale_rate: Decimal | None = None  # base percentage of the sale
    sale_amount: Decimal | None = None  # or base flat amount per order
    lead_amount: Decimal = Decimal("0.00")
    signup_amount: Decimal = Decimal("0.00")
    tier_basis: str = BASIS_REVENUE  # or "sales"
    tier_mode: str = MODE_ALL  # or "marginal"
    tiers: tuple[Tier, ...] = ()
    products: tuple[ProductRule, ...] = ()
    cap: Decimal | None = None  # most conversion commission per affiliate per period
    # Added to every percentage rate (a "better rate next period" reward), except a product rule's 0 %: that
    # product is excluded on purpose (gift cards), and a reward must not make it earn. A flat amount takes none.
    rate_boost: Decimal = Decimal("0")


@dataclass(frozen=True, slots=True)
class OrderLine:
    order_id: str
    line_no: int
    occurred_at: datetime
    type: str  # "sale" | "lead" | "signup"
    amount: Decimal  # commissionable: after discounts and after its share of a partial refund
    quantity: int = 1
    sku: str | None = None


@dataclass(frozen=True, slots=True)
class LineCommission:
    order_id: str
    line_no: int
    amount: Decimal
    rule: str  # "base", "tier ≥ 2,000.00", "product GIFT-*", "lead", "signup", "base + tier ≥ 200.00"
    trace: str  # "Standard v2 · tier ≥ 2,000.00 (all) · 12 % of 150.00 = 18.00"


@dataclass(frozen=True, slots=True)
class PeriodCommission:
    lines: tuple[LineCommission, ...]  # in time order (occurred_at, order_id, line_no)
    gross: Decimal  # sum of the rounded lines
    over_cap: Decimal  # cut by the cap (>= 0)
    commission: Decimal  # gross - over_cap
    sales: int  # distinct sale orders
    sales_revenue: Decimal  # sum of the sale lines' amounts
    leads: int  # distinct lead orders
    signups: int  # distinct signup orders
    tier_reached: Tier | None  # highest tier the whole period's basis reached


class PlanError(ValueError):
    """A plan whose terms cannot be computed; `messages` are the ones validate_plan() gives."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


# ----------------------------------------------------------------------------------------------------
# Validation


def _pct(fraction: Decimal) -> str:
    return format_rate(fraction)[:-1] + " %"


def _money_problem(where: str, value: object, *, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, Decimal) or not value.is_finite():
        return f"{where} must be an amount like 12.50."
    if value < 0:
        return f"{where} must not be negative."
    if value != round_money(value):
        return f"{where} has more than two decimals."
    return None


def _rate_problem(where: str, value: object) -> str | None:
    if not isinstance(value, Decimal) or not value.is_finite():
        return f"{where} must be a percentage like 12 %."
    if not 0 <= value <= 1:
        return f"{where} must be between 0 % and 100 %."
    return None


def _earning_problems(where: str, rate: Decimal | None, amount: Decimal | None, per: str, boost: object) -> list[str]:
    if (rate is None) == (amount is None):
        return [f"{where} needs either a rate or a flat amount {per}, exactly one of the two."]
    if amount is not None:
        problem = _money_problem(f"{where}: the flat amount", amount)
        return [problem] if problem else []
    problem = _rate_problem(f"{where}: the rate", rate)
    if problem:
        return [problem]
    if isinstance(boost, Decimal) and boost.is_finite() and rate is not None and rate + boost > 1:
        return [f"{where}: the rate plus the boost of {_pct(boost)} goes past 100 %."]
    return []


def _tier_name(tier_min: object, by_sales: bool) -> str:
    if isinstance(tier_min, Decimal) and tier_min.is_finite():
        if by_sales:
            return f"tier ≥ {tier_min.normalize():f} sales"
        return f"tier ≥ {format_money(tier_min)}"
    return f"tier ≥ {tier_min!r}"


def validate_plan(plan: PlanTerms) -> list[str]:
    """Everything wrong with a plan's terms, in words for the plan editor; an empty list when it is sound."""
    problems: list[str] = []
    if not plan.name.strip():
        problems.append("The plan needs a name.")
    if plan.version < 1:
        problems.append("The plan version must be 1 or more.")
    boost_problem = _rate_problem("The rate boost", plan.rate_boost)
    if boost_problem:
        problems.append(boost_problem)
    problems += _earning_problems("The base commission", plan.sale_rate, plan.sale_amount, "per order", plan.rate_boost)
    for where, value in (("The lead amount", plan.lead_amount), ("The signup amount", plan.signup_amount)):
        problem = _money_problem(where, value)
        if problem:
            problems.append(problem)
    problem = _money_problem("The cap", plan.cap, allow_none=True)
    if problem:
        problems.append(problem)

    basis_ok = plan.tier_basis in (BASIS_REVENUE, BASIS_SALES)
    if not basis_ok:
        problems.append(f"Tiers are counted by revenue or by sales, not {plan.tier_basis!r}.")
    if plan.tier_mode not in (MODE_ALL, MODE_MARGINAL):
        problems.append(f"The tier mode is all or marginal, not {plan.tier_mode!r}.")
    by_sales = plan.tier_basis == BASIS_SALES
    previous: Decimal | None = None
    for tier in plan.tiers:
        name = _tier_name(tier.min, by_sales).capitalize()
        if not isinstance(tier.min, Decimal) or not tier.min.is_finite() or tier.min < 0:
            problems.append(f"{name}: the threshold must be a number, 0 or more.")
            continue
        if by_sales and tier.min != tier.min.to_integral_value():
            problems.append(f"{name}: a number of sales is a whole number.")
        elif not by_sales and tier.min != round_money(tier.min):
            problems.append(f"{name}: the threshold has more than two decimals.")
        if previous is not None and tier.min <= previous:
            problems.append(f"{name}: tiers must go up, each threshold above the one before.")
        previous = tier.min
        problems += _earning_problems(name, tier.sale_rate, tier.sale_amount, "per order", plan.rate_boost)
    any_flat = plan.sale_amount is not None or any(tier.sale_amount is not None for tier in plan.tiers)
    if plan.tier_mode == MODE_MARGINAL and plan.tier_basis == BASIS_REVENUE and plan.tiers and any_flat:
        problems.append(
            "Marginal tiers by revenue split an order's amount between rates, "
            "so the base and every tier need a rate, not a flat amount per order."
        )

    for rule in plan.products:
        if not rule.sku_glob.strip():
            problems.append("A product rule needs a SKU pattern such as GIFT-*.")
            continue
        where = f"Product {rule.sku_glob}"
        problems += _earning_problems(where, rule.sale_rate, rule.sale_amount, "per unit", plan.rate_boost)
    return problems


def takes_rate_boost(plan: PlanTerms) -> bool:
    """Whether a rate boost can change what the plan pays for a sale: its base or a tier pays a percentage.

    A plan that pays a flat amount per order has no rate to raise, so a "better rate" reward would change nothing.
    """
    return plan.sale_rate is not None or any(tier.sale_rate is not None for tier in plan.tiers)


# ----------------------------------------------------------------------------------------------------
# The plan made ready to compute: globs compiled, tiers looked up by bisection, trace words written once.


@dataclass(frozen=True, slots=True)
class _Earning:
    """One way a line can earn (base, a tier, a product rule), with the words its trace starts with."""

    rule: str  # "tier ≥ 2,000.00"
    head: str  # "Standard v2 · tier ≥ 2,000.00 (all) · "
    rate: Decimal | None  # boost included
    rate_text: str  # "13 % (12 % + 1 % boost)"
    flat: Decimal | None
    flat_text: str  # "flat 10.00"


@dataclass(frozen=True, slots=True)
class _CompiledPlan:
    prefix: str
    by_sales: bool
    marginal: bool
    base: _Earning
    tiers: tuple[Tier, ...]
    tier_mins: tuple[Decimal, ...]
    tier_earnings: tuple[_Earning, ...]
    products: tuple[tuple[Callable[[str], object], _Earning], ...]
    sku_memo: dict[str, _Earning | None]  # sku -> first matching product rule, filled as SKUs are met
    lead: Decimal
    signup: Decimal
    cap: Decimal | None
    pays_per_order: bool  # the base or a tier is a flat amount per order

    def earning_at(self, basis: Decimal | int) -> _Earning:
        """The base, or the highest tier whose min the basis reaches."""
        index = bisect_right(self.tier_mins, basis) - 1
        return self.base if index < 0 else self.tier_earnings[index]

    def tier_at(self, basis: Decimal | int) -> Tier | None:
        index = bisect_right(self.tier_mins, basis) - 1
        return None if index < 0 else self.tiers[index]

    def product_for(self, sku: str) -> _Earning | None:
        memo = self.sku_memo
        try:
            return memo[sku]
        except KeyError:
            pass
        found = next((earning for matches, earning in self.products if matches(sku)), None)
        if len(memo) >= _SKU_MEMO_LIMIT:
            memo.clear()
        memo[sku] = found
        return found


def _earning(
    prefix: str,
    rule: str,
    label: str,
    rate: Decimal | None,
    amount: Decimal | None,
    boost: Decimal,
    *,
    excluded: bool = False,
) -> _Earning:
    """`excluded`: a product rule at 0 %, which keeps its 0 % whatever the boost (and its trace says so)."""
    rate_text = flat_text = ""
    effective: Decimal | None = None
    if rate is not None and excluded:
        effective = rate
        rate_text = f"{_pct(rate)} (excluded: the {_pct(boost)} boost does not apply)" if boost else _pct(rate)
    elif rate is not None:
        effective = rate + boost
        rate_text = f"{_pct(effective)} ({_pct(rate)} + {_pct(boost)} boost)" if boost else _pct(rate)
    flat = round_money(amount) if amount is not None else None
    if flat is not None:
        flat_text = f"flat {format_money(flat)}"
    return _Earning(rule, f"{prefix}{label} · ", effective, rate_text, flat, flat_text)


@lru_cache(maxsize=128)
def _compile(plan: PlanTerms) -> _CompiledPlan:
    problems = validate_plan(plan)
    if problems:
        raise PlanError(problems)
    prefix = f"{plan.name} v{plan.version} · "
    by_sales = plan.tier_basis == BASIS_SALES
    boost = plan.rate_boost
    tier_earnings = []
    for tier in plan.tiers:
        rule = _tier_name(tier.min, by_sales)
        label = f"{rule} ({plan.tier_mode})"
        tier_earnings.append(_earning(prefix, rule, label, tier.sale_rate, tier.sale_amount, boost))
    products = []
    for product in plan.products:
        rule = f"product {product.sku_glob}"
        matches = re.compile(translate(product.sku_glob), re.IGNORECASE).match
        excluded = product.sale_rate is not None and product.sale_rate == 0
        earning = _earning(prefix, rule, rule, product.sale_rate, product.sale_amount, boost, excluded=excluded)
        products.append((matches, earning))
    return _CompiledPlan(
        prefix=prefix,
        by_sales=by_sales,
        marginal=plan.tier_mode == MODE_MARGINAL,
        base=_earning(prefix, "base", "base", plan.sale_rate, plan.sale_amount, boost),
        tiers=plan.tiers,
        tier_mins=tuple(tier.min for tier in plan.tiers),
        tier_earnings=tuple(tier_earnings),
        products=tuple(products),
        sku_memo={},
        lead=round_money(plan.lead_amount),
        signup=round_money(plan.signup_amount),
        cap=plan.cap,
        pays_per_order=plan.sale_amount is not None or any(t.sale_amount is not None for t in plan.tiers),
    )


_by_identity: dict[int, tuple[PlanTerms, _CompiledPlan]] = {}  # a payout run passes one plan 10,000 times


def _compiled(plan: PlanTerms) -> _CompiledPlan:
    """_compile() without hashing the whole plan again when the very same object comes back."""
    known = _by_identity.get(id(plan))
    if known is not None and known[0] is plan:
        return known[1]
    terms = _compile(plan)
    if len(_by_identity) >= 128:
        _by_identity.clear()
    _by_identity[id(plan)] = (plan, terms)  # holding the plan keeps its id from being reused
    return terms


# ----------------------------------------------------------------------------------------------------
# One line's commission


def _rate_line(earning: _Earning, line: OrderLine, rate: Decimal) -> LineCommission:
    amount = round_money(rate * line.amount)
    trace = f"{earning.head}{earning.rate_text} of {line.amount:,.2f} = {amount:,.2f}"
    return LineCommission(line.order_id, line.line_no, amount, earning.rule, trace)


def _unit_line(earning: _Earning, line: OrderLine, flat: Decimal) -> LineCommission:
    amount = round_money(flat * line.quantity)
    trace = f"{earning.head}{earning.flat_text} per unit × {line.quantity} = {amount:,.2f}"
    return LineCommission(line.order_id, line.line_no, amount, earning.rule, trace)


def _once_per_order(rule: str, head: str, line: OrderLine, flat: Decimal, per: str, paid_on: int) -> LineCommission:
    """A flat amount an order earns once, on its lowest line; its other lines say where it went."""
    if line.line_no == paid_on:
        trace = f"{head}flat {flat:,.2f} per {per} = {flat:,.2f}"
        return LineCommission(line.order_id, line.line_no, flat, rule, trace)
    trace = f"{head}flat {flat:,.2f} per {per}, paid on line {paid_on} = 0.00"
    return LineCommission(line.order_id, line.line_no, ZERO, rule, trace)


def _marginal_parts(terms: _CompiledPlan, start: Decimal, amount: Decimal) -> list[tuple[Decimal, _Earning]]:
    """The pieces of revenue [start, start + amount) that fall under each tier (revenue basis, marginal)."""
    mins = terms.tier_mins
    index = bisect_right(mins, start) - 1
    end = start + amount
    parts: list[tuple[Decimal, _Earning]] = []
    while index + 1 < len(mins) and mins[index + 1] < end:
        threshold = mins[index + 1]
        if threshold > start:
            parts.append((threshold - start, terms.base if index < 0 else terms.tier_earnings[index]))
            start = threshold
        index += 1
    parts.append((end - start, terms.base if index < 0 else terms.tier_earnings[index]))
    return parts


def _marginal_line(terms: _CompiledPlan, line: OrderLine, revenue_before: Decimal) -> LineCommission:
    parts = _marginal_parts(terms, revenue_before, line.amount)
    if len(parts) == 1:
        earning = parts[0][1]
        return _rate_line(earning, line, earning.rate or ZERO)
    amount = round_money(sum((part * (earning.rate or ZERO) for part, earning in parts), ZERO))
    pieces = " + ".join(f"{part:,.2f} at {earning.rate_text}" for part, earning in parts)
    rule = " + ".join(earning.rule for _, earning in parts)
    return LineCommission(
        line.order_id, line.line_no, amount, rule, f"{terms.prefix}marginal: {pieces} = {amount:,.2f}"
    )


# ----------------------------------------------------------------------------------------------------
# The period

_TIME_ORDER = attrgetter("occurred_at", "order_id", "line_no")
_UNSEEN: Any = object()


def _lowest_line(first: dict[str, int], order_id: str, line_no: int) -> None:
    known = first.get(order_id)
    if known is None or line_no < known:
        first[order_id] = line_no


def compute_period(plan: PlanTerms, lines: Iterable[OrderLine]) -> PeriodCommission:
    """Commission of the APPROVED lines of one affiliate in one period.

    Raises PlanError for a plan validate_plan() rejects and ValueError for a line of unknown type or with a
    negative amount or quantity.
    """
    terms = _compiled(plan)
    ordered = sorted(lines, key=_TIME_ORDER)
    has_products = bool(terms.products)
    sku_memo = terms.sku_memo
    pays_per_order = terms.pays_per_order

    # Pass 1: the period's basis, each sale line's product rule, and the line of each order that carries the
    # order's flat amount (its lowest sale line without a product rule; a lead's or signup's lowest line).
    revenue = ZERO
    sale_orders: set[str] = set()
    product_of: list[_Earning | None] = []
    flat_on: dict[str, int] = {}
    leads_on: dict[str, int] = {}
    signups_on: dict[str, int] = {}
    for line in ordered:
        kind = line.type
        if kind == "sale":
            if line.amount < 0 or line.quantity < 0:
                raise ValueError(f"order {line.order_id} line {line.line_no}: negative amount or quantity")
            revenue += line.amount
            sale_orders.add(line.order_id)
            product = None
            if has_products and line.sku is not None:
                product = sku_memo.get(line.sku, _UNSEEN)
                if product is _UNSEEN:
                    product = terms.product_for(line.sku)
            product_of.append(product)
            if product is None and pays_per_order:
                _lowest_line(flat_on, line.order_id, line.line_no)
        elif kind == "lead":
            product_of.append(None)
            _lowest_line(leads_on, line.order_id, line.line_no)
        elif kind == "signup":
            product_of.append(None)
            _lowest_line(signups_on, line.order_id, line.line_no)
        else:
            raise ValueError(f"order {line.order_id} line {line.line_no}: unknown type {kind!r}")

    basis: Decimal | int = len(sale_orders) if terms.by_sales else revenue
    period_earning = terms.earning_at(basis)
    marginal_revenue = terms.marginal and not terms.by_sales and bool(terms.tier_mins)
    marginal_sales = terms.marginal and terms.by_sales

    # Pass 2: each line's commission, in time order (marginal tiers depend on what came before).
    results: list[LineCommission] = []
    running = ZERO
    order_no: dict[str, int] = {}
    prefix = terms.prefix
    append = results.append
    for line, product in zip(ordered, product_of, strict=True):
        kind = line.type
        if kind == "sale":
            if product is not None:
                earning = product
            elif marginal_revenue:
                append(_marginal_line(terms, line, running))
                running += line.amount
                continue
            elif marginal_sales:
                earning = terms.earning_at(order_no.setdefault(line.order_id, len(order_no) + 1))
            else:
                earning = period_earning
            if marginal_sales and product is not None:
                order_no.setdefault(line.order_id, len(order_no) + 1)  # product lines count as sales too
            running += line.amount
            rate = earning.rate
            if rate is not None:  # the common case, written out here: this loop runs for every line of a payout
                amount = line.amount
                value = round_money(rate * amount)
                trace = f"{earning.head}{earning.rate_text} of {amount:,.2f} = {value:,.2f}"
                append(LineCommission(line.order_id, line.line_no, value, earning.rule, trace))
            elif product is not None:
                append(_unit_line(product, line, product.flat or ZERO))
            else:
                paid_on = flat_on[line.order_id]
                append(_once_per_order(earning.rule, earning.head, line, earning.flat or ZERO, "order", paid_on))
        elif kind == "lead":
            paid_on = leads_on[line.order_id]
            append(_once_per_order("lead", f"{prefix}lead · ", line, terms.lead, "lead", paid_on))
        else:
            paid_on = signups_on[line.order_id]
            append(_once_per_order("signup", f"{prefix}signup · ", line, terms.signup, "signup", paid_on))

    gross = sum((result.amount for result in results), ZERO)
    over_cap = ZERO
    if terms.cap is not None and gross > terms.cap:
        over_cap = gross - terms.cap
    return PeriodCommission(
        lines=tuple(results),
        gross=gross,
        over_cap=over_cap,
        commission=gross - over_cap,
        sales=len(sale_orders),
        sales_revenue=revenue,
        leads=len(leads_on),
        signups=len(signups_on),
        tier_reached=terms.tier_at(basis),
    )


# ----------------------------------------------------------------------------------------------------
# The plan editor's example sentence


def explain_example(
    plan: PlanTerms, order_amount: Decimal, month_revenue_before: Decimal, sales_before: int = 0
) -> str:
    """What one order without a product rule earns, as a sentence for the plan editor (the cap is left out).

    "An order of 150.00 by an affiliate with 2,400.00 this month earns 18.00 — tier ≥ 2,000.00, all actions,
    12 %"
    """
    terms = _compiled(plan)
    if terms.by_sales:
        had = f"{sales_before} sale" if sales_before == 1 else f"{sales_before} sales"
        earning = terms.earning_at(sales_before + 1)  # all and marginal agree: this order is number n + 1
    else:
        had = format_money(month_revenue_before)
        earning = terms.earning_at(month_revenue_before + order_amount)

    mode = ""
    if plan.tiers:
        mode = "all actions, " if not terms.marginal else "marginal, "
    if terms.marginal and not terms.by_sales and plan.tiers:
        parts = _marginal_parts(terms, month_revenue_before, order_amount)
        earned = round_money(sum((part * (e.rate or ZERO) for part, e in parts), ZERO))
        if len(parts) == 1:
            why = f"{parts[0][1].rule}, {mode}{parts[0][1].rate_text}"
        else:
            why = "marginal: " + " + ".join(f"{format_money(part)} at {e.rate_text}" for part, e in parts)
    elif earning.rate is not None:
        earned = round_money(earning.rate * order_amount)
        why = f"{earning.rule}, {mode}{earning.rate_text}"
    else:
        earned = earning.flat or ZERO
        why = f"{earning.rule}, {mode}{earning.flat_text} per order"
    order = format_money(order_amount)
    return f"An order of {order} by an affiliate with {had} this month earns {format_money(earned)} — {why}"
