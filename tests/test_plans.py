"""Commission plans: validation, saving, versions frozen by approved sheets, listing and deleting."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from desktop.db import Database
from desktop.models import Affiliate, PlanVersion
from desktop.services.commission_engine import OrderLine, PlanTerms, Tier, compute_period, explain_example
from desktop.services.errors import RefusedByState, ValidationFailed
from desktop.services.plans import (
    PlanInput,
    ProductInput,
    TierInput,
    create_plan,
    current_version_id,
    default_plan_id,
    delete_plan,
    demo_plans,
    describe_plan,
    freeze_version,
    get_plan,
    list_plans,
    load_demo_plans,
    plan_terms,
    to_terms,
    update_plan,
    validate_plan_input,
)

D = Decimal
STANDARD = PlanInput(
    name="Standard",
    sale_rate=D("0.10"),
    lead_amount=D("2.00"),
    cap=D("1000.00"),
    tiers=(TierInput(D("2000.00"), sale_rate=D("0.12")), TierInput(D("5000.00"), sale_rate=D("0.15"))),
    products=(ProductInput("GIFT-*", sale_rate=D("0")),),
)


def version_rows(db: Database, plan_id: int) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(PlanVersion).where(PlanVersion.plan_id == plan_id)) or 0


def add_affiliate(db: Database, plan_id: int, code: str = "JANE10") -> None:
    with db.write() as session:
        session.add(Affiliate(code=code, name="Jane", status="active", plan_id=plan_id))


# --- validation ----------------------------------------------------------------------------------------


def test_a_sound_plan_has_no_problems(db: Database) -> None:
    assert validate_plan_input(db, STANDARD) == {}
    for plan in demo_plans():
        assert validate_plan_input(db, plan) == {}, plan.name


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"name": "  "}, "name", "The plan needs a name."),
        ({"name": "x" * 101}, "name", "At most 100 characters"),
        ({"sale_rate": None}, "sale", "either a rate or a flat amount per order, exactly one"),
        ({"sale_amount": D("5.00")}, "sale", "exactly one of the two"),
        ({"sale_rate": D("1.01")}, "sale", "between 0 % and 100 %"),
        ({"sale_rate": D("-0.01")}, "sale", "between 0 % and 100 %"),
        ({"sale_rate": D("0.1234567")}, "sale", "at most four decimals"),
        ({"lead_amount": D("-1.00")}, "lead_amount", "The lead amount must not be negative."),
        ({"signup_amount": D("1.005")}, "signup_amount", "The signup amount has more than two decimals."),
        ({"cap": D("-5")}, "cap", "The cap must not be negative."),
        ({"cap": D("1e12")}, "cap", "Amounts stop below"),
        ({"tier_basis": "clicks"}, "tier_basis", "by revenue or by sales"),
        ({"tier_mode": "best"}, "tier_mode", "all or marginal"),
    ],
)
def test_validation_names_the_field_in_the_engines_words(
    db: Database, change: dict[str, object], field: str, words: str
) -> None:
    errors = validate_plan_input(db, replace(STANDARD, **change))  # type: ignore[arg-type]
    assert set(errors) == {field}
    assert words in errors[field]


def test_tier_problems_are_keyed_by_row() -> None:
    from desktop.services.plans import terms_problems

    data = replace(
        STANDARD,
        tier_basis="sales",
        tiers=(
            TierInput(D("20"), sale_rate=D("0.15")),
            TierInput(D("10.5"), sale_rate=D("0.16")),  # half a sale
            TierInput(D("30"), sale_rate=D("0.2"), sale_amount=D("1.00")),  # both
            TierInput(D("30"), sale_rate=D("0.3")),  # does not go up
        ),
        products=(
            ProductInput(" ", sale_rate=D("0.1")),
            ProductInput("GIFT-*", sale_rate=D("0")),
            ProductInput("gift-*", sale_amount=D("1.001")),
        ),
    )
    errors = terms_problems(data)
    assert errors == {
        "tiers[1].min": "Tier ≥ 10.5 sales: a number of sales is a whole number.",
        "tiers[2].sale": "Tier ≥ 30 sales needs either a rate or a flat amount per order, exactly one of the two.",
        "tiers[3].min": "Tier ≥ 30 sales: tiers must go up, each threshold above the one before.",
        "products[0].sku": "A product rule needs a SKU pattern such as GIFT-*.",
        "products[2].sku": "gift-* has a rule above; the first matching rule wins.",
        "products[2].sale": "Product gift-*: the flat amount has more than two decimals.",
    }


def test_marginal_revenue_tiers_need_rates_said_at_the_tier_mode() -> None:
    from desktop.services.plans import terms_problems

    data = PlanInput("Flat", sale_amount=D("4.00"), tier_mode="marginal", tiers=(TierInput(D("100"), D("0.1")),))
    assert list(terms_problems(data)) == ["tier_mode"]


def test_names_are_unique_regardless_of_case(db: Database) -> None:
    plan_id = create_plan(db, STANDARD)
    errors = validate_plan_input(db, replace(STANDARD, name=" standard "))
    assert errors == {"name": "There is already a plan named Standard."}
    assert validate_plan_input(db, replace(STANDARD, name="standard"), plan_id) == {}
    with pytest.raises(ValidationFailed) as info:
        create_plan(db, replace(STANDARD, name="STANDARD"))
    assert set(info.value.errors) == {"name"}


def test_invalid_plans_are_not_saved(db: Database) -> None:
    with pytest.raises(ValidationFailed):
        create_plan(db, replace(STANDARD, sale_rate=None))
    assert list_plans(db) == []


# --- saving and versions -------------------------------------------------------------------------------


def test_create_and_read_back_on_both_databases(any_db: Database) -> None:
    plan_id = create_plan(any_db, replace(STANDARD, name="  Standard "))
    detail = get_plan(any_db, plan_id)
    assert detail.name == "Standard"
    assert detail.version == 1
    assert detail.data == STANDARD
    assert [v.version for v in detail.versions] == [1]
    assert isinstance(detail.versions[0].created_at, datetime)
    assert not detail.frozen
    terms = plan_terms(any_db, plan_id)
    assert terms == replace(to_terms(STANDARD), version=1)
    assert terms.tiers[0] == Tier(D("2000.00"), sale_rate=D("0.12"))


def test_update_in_place_while_not_frozen(any_db: Database) -> None:
    plan_id = create_plan(any_db, STANDARD)
    changed = replace(STANDARD, sale_rate=D("0.11"), tiers=(TierInput(D("3000.00"), sale_amount=D("20.00")),))
    result = update_plan(any_db, plan_id, changed)
    assert (result.version, result.new_version, result.changed) == (1, False, True)
    assert get_plan(any_db, plan_id).data == changed
    assert version_rows(any_db, plan_id) == 1


def test_a_frozen_version_is_kept_and_the_change_becomes_a_new_version(any_db: Database) -> None:
    plan_id = create_plan(any_db, STANDARD)
    freeze_version(any_db, current_version_id(any_db, plan_id))
    assert get_plan(any_db, plan_id).frozen
    changed = replace(STANDARD, sale_rate=D("0.11"))
    result = update_plan(any_db, plan_id, changed)
    assert (result.version, result.new_version) == (2, True)
    detail = get_plan(any_db, plan_id)
    assert detail.version == 2
    assert detail.data == changed
    assert [(v.version, v.frozen) for v in detail.versions] == [(1, True), (2, False)]
    assert plan_terms(any_db, plan_id, version=1) == replace(to_terms(STANDARD), version=1)
    assert plan_terms(any_db, plan_id).sale_rate == D("0.11")
    # The new version is not frozen: editing it again stays in version 2.
    again = update_plan(any_db, plan_id, replace(changed, lead_amount=D("3.00")))
    assert (again.version, again.new_version) == (2, False)
    assert get_plan(any_db, plan_id).version == 2
    assert plan_terms(any_db, plan_id, version=1).lead_amount == D("2.00")


def test_saving_the_same_terms_changes_nothing_even_when_frozen(db: Database) -> None:
    plan_id = create_plan(db, STANDARD)
    freeze_version(db, current_version_id(db, plan_id))
    result = update_plan(db, plan_id, STANDARD)
    assert (result.version, result.new_version, result.changed) == (1, False, False)
    renamed = update_plan(db, plan_id, replace(STANDARD, name="Standard 2026"))
    assert (renamed.version, renamed.new_version, renamed.changed) == (1, False, True)
    assert version_rows(db, plan_id) == 1
    assert get_plan(db, plan_id).name == "Standard 2026"


def test_update_of_a_deleted_plan_is_refused(db: Database) -> None:
    plan_id = create_plan(db, STANDARD)
    delete_plan(db, plan_id)
    with pytest.raises(RefusedByState):
        update_plan(db, plan_id, STANDARD)
    with pytest.raises(RefusedByState):
        get_plan(db, plan_id)
    with pytest.raises(RefusedByState):
        plan_terms(db, plan_id)


# --- listing, default, delete --------------------------------------------------------------------------


def test_list_describes_each_plan_in_one_line(db: Database) -> None:
    ids = load_demo_plans(db)
    add_affiliate(db, ids[1])
    summaries = list_plans(db)
    assert [(s.id, s.name, s.version, s.affiliates) for s in summaries] == [
        (ids[0], "Standard", 1, 0),
        (ids[1], "Creators", 1, 1),
        (ids[2], "Coupon partners", 1, 0),
    ]
    assert [s.description for s in summaries] == [
        "10 % of sales · tiers from 2,000.00 · lead 2.00",
        "12 % of sales · marginal tiers from 20 sales · 2 product rules · cap 1,000.00",
        "4.00 per order",
    ]
    described = describe_plan(replace(STANDARD, products=()))
    assert described == "10 % of sales · tiers from 2,000.00 · lead 2.00 · cap 1,000.00"
    assert default_plan_id(db) == ids[0]


def test_demo_plans_are_loaded_once(db: Database) -> None:
    first = load_demo_plans(db)
    assert load_demo_plans(db) == first
    assert [get_plan(db, plan_id).version for plan_id in first] == [1, 1, 1]


def test_demo_plans_compute_as_described(db: Database) -> None:
    ids = load_demo_plans(db)
    standard = plan_terms(db, ids[0])
    assert explain_example(standard, D("150.00"), D("2400.00")) == (
        "An order of 150.00 by an affiliate with 2,400.00 this month earns 18.00 — tier ≥ 2,000.00, all actions, 12 %"
    )
    creators = plan_terms(db, ids[1])
    line = OrderLine("A1", 1, datetime(2026, 10, 1), "sale", D("40.00"), quantity=2, sku="BUNDLE-TENT")
    assert compute_period(creators, [line]).commission == D("10.00")
    coupons = plan_terms(db, ids[2])
    assert isinstance(coupons, PlanTerms) and coupons.sale_amount == D("4.00")


def test_default_plan_of_an_empty_database(db: Database) -> None:
    assert default_plan_id(db) is None


def test_delete_refused_while_affiliates_use_the_plan(db: Database) -> None:
    plan_id = create_plan(db, STANDARD)
    add_affiliate(db, plan_id)
    with pytest.raises(RefusedByState, match="1 affiliate is on the plan Standard"):
        delete_plan(db, plan_id)
    assert [s.id for s in list_plans(db)] == [plan_id]


def test_delete_refused_once_a_sheet_used_the_plan(db: Database) -> None:
    plan_id = create_plan(db, STANDARD)
    freeze_version(db, current_version_id(db, plan_id))
    update_plan(db, plan_id, replace(STANDARD, sale_rate=D("0.2")))
    with pytest.raises(RefusedByState, match="approved payout sheet"):
        delete_plan(db, plan_id)


def test_delete_an_unused_plan(db: Database) -> None:
    first = create_plan(db, STANDARD)
    second = create_plan(db, replace(STANDARD, name="Creators"))
    delete_plan(db, first)
    assert [s.id for s in list_plans(db)] == [second]
    assert default_plan_id(db) == second
    assert version_rows(db, first) == 0
