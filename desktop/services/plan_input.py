"""A commission plan as the user writes it: its values, their validation, its one-line description, the demo plans."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desktop.money import ZERO, format_money, format_rate
from desktop.services.commission_engine import (
    BASIS_REVENUE,
    BASIS_SALES,
    MODE_ALL,
    MODE_MARGINAL,
    PlanTerms,
    ProductRule,
    Tier,
    validate_plan,
)

TIER_BASES = (BASIS_REVENUE, BASIS_SALES)
TIER_MODES = (MODE_ALL, MODE_MARGINAL)
NAME_MAX = 100  # CommissionPlan.name and PlanProductRule.sku_glob are String(100)
AMOUNT_LIMIT = Decimal("1000000000")  # far above any real commission; keeps cents inside the integer column
RATE_STEP = Decimal("0.000001")  # the Rate column keeps millionths of the fraction: 12.3456 %


@dataclass(frozen=True)
class TierInput:
    min_value: Decimal  # revenue, or a whole number of sales
    sale_rate: Decimal | None = None  # fraction: Decimal("0.12") is 12 %
    sale_amount: Decimal | None = None  # flat per order


@dataclass(frozen=True)
class ProductInput:
    sku_glob: str
    sale_rate: Decimal | None = None
    sale_amount: Decimal | None = None  # flat per unit


@dataclass(frozen=True)
class PlanInput:
    name: str
    sale_rate: Decimal | None = None
    sale_amount: Decimal | None = None
    lead_amount: Decimal = ZERO
    signup_amount: Decimal = ZERO
    tier_basis: str = BASIS_REVENUE
    tier_mode: str = MODE_ALL
    cap: Decimal | None = None
    tiers: tuple[TierInput, ...] = ()
    products: tuple[ProductInput, ...] = ()


# --- validation ----------------------------------------------------------------------------------------


def _probe(**terms: Any) -> list[str]:
    """The engine's words about one part of a plan, every other part set to something sound."""
    return validate_plan(PlanTerms(**{"name": "plan", "sale_rate": ZERO, **terms}))


def _minus(messages: list[str], known: list[str]) -> list[str]:
    return list((Counter(messages) - Counter(known)).elements())


def _extra_problems(rate: Decimal | None, *amounts: Decimal | None) -> list[str]:
    """What the engine accepts but the database cannot keep."""
    if isinstance(rate, Decimal) and rate.is_finite() and rate % RATE_STEP != 0:
        return ["A rate has at most four decimals, like 12.3456 %."]
    for amount in amounts:
        if isinstance(amount, Decimal) and amount.is_finite() and abs(amount) >= AMOUNT_LIMIT:
            return [f"Amounts stop below {format_money(AMOUNT_LIMIT)}."]
    return []


def terms_problems(data: PlanInput) -> dict[str, str]:
    """Everything wrong with a plan's terms, keyed by field: name, sale, lead_amount, signup_amount, cap,
    tier_basis, tier_mode, tiers[i].min, tiers[i].sale, products[i].sku, products[i].sale."""
    errors: dict[str, str] = {}
    seen: list[str] = []

    def put(key: str, messages: list[str]) -> None:
        seen.extend(messages)
        if messages:
            errors.setdefault(key, messages[0])

    put("name", _probe(name=data.name))
    if "name" not in errors and len(data.name.strip()) > NAME_MAX:
        errors["name"] = f"At most {NAME_MAX} characters."
    put("sale", _probe(sale_rate=data.sale_rate, sale_amount=data.sale_amount))
    put("sale", _extra_problems(data.sale_rate, data.sale_amount))
    put("lead_amount", _probe(lead_amount=data.lead_amount) + _extra_problems(None, data.lead_amount))
    put("signup_amount", _probe(signup_amount=data.signup_amount) + _extra_problems(None, data.signup_amount))
    put("cap", _probe(cap=data.cap) + _extra_problems(None, data.cap))
    put("tier_basis", _probe(tier_basis=data.tier_basis))
    put("tier_mode", _probe(tier_mode=data.tier_mode))

    basis = data.tier_basis if data.tier_basis in TIER_BASES else BASIS_REVENUE
    previous: tuple[Tier, list[str]] | None = None  # the last tier with a usable threshold, and its problems
    for index, tier in enumerate(data.tiers):
        threshold = Tier(tier.min_value, sale_rate=ZERO)
        alone = _probe(tier_basis=basis, tiers=(threshold,))
        min_problems = alone + _extra_problems(None, tier.min_value)
        usable = isinstance(tier.min_value, Decimal) and tier.min_value.is_finite() and tier.min_value >= 0
        if previous is not None and usable:
            pair = _probe(tier_basis=basis, tiers=(previous[0], threshold))
            min_problems += _minus(pair, alone + previous[1])  # "tiers must go up"
        put(f"tiers[{index}].min", min_problems)
        whole = _probe(tier_basis=basis, tiers=(Tier(tier.min_value, tier.sale_rate, tier.sale_amount),))
        put(f"tiers[{index}].sale", _minus(whole, alone) + _extra_problems(tier.sale_rate, tier.sale_amount))
        if usable:
            previous = (threshold, alone)

    globs: set[str] = set()
    for index, rule in enumerate(data.products):
        glob = rule.sku_glob.strip()
        if not glob:
            put(f"products[{index}].sku", _probe(products=(ProductRule(glob, sale_rate=ZERO),)))
            continue
        if len(glob) > NAME_MAX:
            errors.setdefault(f"products[{index}].sku", f"At most {NAME_MAX} characters.")
        elif glob.casefold() in globs:
            errors.setdefault(f"products[{index}].sku", f"{glob} has a rule above; the first matching rule wins.")
        globs.add(glob.casefold())
        earning = _probe(products=(ProductRule(glob, rule.sale_rate, rule.sale_amount),))
        put(f"products[{index}].sale", earning + _extra_problems(rule.sale_rate, rule.sale_amount))

    # Rules about the plan as a whole (marginal tiers by revenue need rates) belong to the tier mode.
    for message in _minus(validate_plan(to_terms(data)), seen):
        errors.setdefault("tier_mode", message)
    return errors


# --- words ----------------------------------------------------------------------------------------------


def _pct(fraction: Decimal) -> str:
    return format_rate(fraction)[:-1] + " %"


def _earns(rate: Decimal | None, amount: Decimal | None, per: str) -> str:
    if rate is not None:
        return f"{_pct(rate)} of sales"
    return f"{format_money(amount or ZERO)} per {per}"


def describe_plan(data: PlanInput) -> str:
    """One line for lists: "10 % of sales · tiers from 2,000.00 · lead 2.00 · cap 1,000.00"."""
    parts = [_earns(data.sale_rate, data.sale_amount, "order")]
    if data.tiers:
        first = data.tiers[0].min_value
        start = f"{first.normalize():f} sales" if data.tier_basis == BASIS_SALES else format_money(first)
        mode = "marginal tiers" if data.tier_mode == MODE_MARGINAL else "tiers"
        parts.append(f"{mode} from {start}")
    if data.products:
        parts.append("1 product rule" if len(data.products) == 1 else f"{len(data.products)} product rules")
    if data.lead_amount:
        parts.append(f"lead {format_money(data.lead_amount)}")
    if data.signup_amount:
        parts.append(f"signup {format_money(data.signup_amount)}")
    if data.cap is not None:
        parts.append(f"cap {format_money(data.cap)}")
    return " · ".join(parts)


def to_terms(data: PlanInput, version: int = 1) -> PlanTerms:
    return PlanTerms(
        name=data.name.strip(),
        version=version,
        sale_rate=data.sale_rate,
        sale_amount=data.sale_amount,
        lead_amount=data.lead_amount,
        signup_amount=data.signup_amount,
        tier_basis=data.tier_basis,
        tier_mode=data.tier_mode,
        tiers=tuple(Tier(t.min_value, t.sale_rate, t.sale_amount) for t in data.tiers),
        products=tuple(ProductRule(p.sku_glob.strip(), p.sale_rate, p.sale_amount) for p in data.products),
        cap=data.cap,
    )


# --- demo ----------------------------------------------------------------------------------------------


def demo_plans() -> list[PlanInput]:
    """Three plans a small shop could really run: the first is the default."""
    d = Decimal
    return [
        PlanInput(
            name="Standard",
            sale_rate=d("0.10"),
            lead_amount=d("2.00"),
            tiers=(TierInput(d("2000.00"), sale_rate=d("0.12")), TierInput(d("5000.00"), sale_rate=d("0.15"))),
        ),
        PlanInput(
            name="Creators",
            sale_rate=d("0.12"),
            tier_basis=BASIS_SALES,
            tier_mode=MODE_MARGINAL,
            cap=d("1000.00"),
            tiers=(TierInput(d("20"), sale_rate=d("0.15")),),
            products=(
                ProductInput("GIFT-*", sale_rate=d("0")),
                ProductInput("BUNDLE-*", sale_amount=d("5.00")),
            ),
        ),
        PlanInput(name="Coupon partners", sale_amount=d("4.00")),
    ]
