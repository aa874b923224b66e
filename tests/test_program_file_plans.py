"""The program TOML file's [[plan]] tables: import, export, round trip, and bad files named to the line."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from desktop.db import Database, open_database
from desktop.services.errors import BadInput
from desktop.services.plan_toml import toml_key_line, toml_table_line
from desktop.services.plans import (
    PlanInput,
    ProductInput,
    TierInput,
    create_plan,
    current_version_id,
    freeze_version,
    get_plan,
    list_plans,
    load_demo_plans,
)
from desktop.services.program_settings import (
    ProgramSettings,
    export_program_file,
    get_program,
    import_program_file,
    save_program,
)

D = Decimal

# DESIGN.md §6 "Program TOML", verbatim down to the end of its [[plan]] (the [[target]] table is another screen's).
DESIGN_EXAMPLE = """\
[program]
name = "Acme Outdoor"
currency = "USD"
timezone = "Europe/Berlin"     # optional; default the computer's
cookie_days = 30
attribution = "last_click"     # or "first_click"
coupon_priority = true         # a coupon beats a referral code or a click
payout_threshold = "50.00"
hold_days = 0                  # conversions younger than this when a sheet is built wait for the next one

[[plan]]
name = "Standard"
sale_rate = "10%"              # or sale_amount = "5.00" (flat per order)
lead_amount = "2.00"
signup_amount = "0.00"
tier_basis = "revenue"         # or "sales" (number of approved sales in the period)
tier_mode = "all"              # "all": the reached tier's rate for the whole period; "marginal": only past each threshold
cap = "1000.00"                # optional: most conversion commission per affiliate per period

  [[plan.tier]]
  min = "2000.00"              # reached when the basis is >= min
  sale_rate = "12%"

  [[plan.product]]
  sku = "GIFT-*"               # glob
  sale_rate = "0%"             # or sale_amount = "3.00" (flat per unit: times quantity)
"""  # noqa: E501 (verbatim)

DESIGN_STANDARD = PlanInput(
    name="Standard",
    sale_rate=D("0.10"),
    lead_amount=D("2.00"),
    signup_amount=D("0.00"),
    tier_basis="revenue",
    tier_mode="all",
    cap=D("1000.00"),
    tiers=(TierInput(D("2000.00"), sale_rate=D("0.12")),),
    products=(ProductInput("GIFT-*", sale_rate=D("0")),),
)

GOOD = ProgramSettings(name="Acme Outdoor", currency="EUR", timezone="Europe/Berlin", payout_threshold=D("25.00"))


def write(tmp_path: Path, text: str, name: str = "program.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(db: Database) -> tuple[object, ...]:
    """Everything an import may change: the program, and every plan with all its versions."""
    plans = tuple((s, get_plan(db, s.id)) for s in list_plans(db))
    return get_program(db), plans


def test_the_design_example_imports(any_db: Database, tmp_path: Path) -> None:
    settings = import_program_file(any_db, write(tmp_path, DESIGN_EXAMPLE))
    assert (settings.name, settings.timezone) == ("Acme Outdoor", "Europe/Berlin")
    assert settings.payout_threshold == D("50.00")
    [summary] = list_plans(any_db)
    assert summary.name == "Standard"
    assert get_plan(any_db, summary.id).data == DESIGN_STANDARD


def test_export_writes_plans_as_the_design_says(db: Database, tmp_path: Path) -> None:
    save_program(db, GOOD)
    load_demo_plans(db)
    text = export_program_file(db, tmp_path / "out.toml").read_text(encoding="utf-8")
    assert "[[plan]]" in text and "[[plan.tier]]" in text and "[[plan.product]]" in text
    plans = tomllib.loads(text)["plan"]
    assert plans[0] == {
        "name": "Standard",
        "sale_rate": "10%",
        "lead_amount": "2.00",
        "signup_amount": "0.00",
        "tier_basis": "revenue",
        "tier_mode": "all",
        "tier": [{"min": "2000.00", "sale_rate": "12%"}, {"min": "5000.00", "sale_rate": "15%"}],
    }
    assert plans[1]["tier"] == [{"min": "20", "sale_rate": "15%"}]
    assert plans[1]["cap"] == "1000.00"
    assert plans[1]["product"] == [{"sku": "GIFT-*", "sale_rate": "0%"}, {"sku": "BUNDLE-*", "sale_amount": "5.00"}]
    assert plans[2] == {
        "name": "Coupon partners",
        "sale_amount": "4.00",
        "lead_amount": "0.00",
        "signup_amount": "0.00",
        "tier_basis": "revenue",
        "tier_mode": "all",
    }


def test_round_trip_into_another_database(db: Database, tmp_path: Path) -> None:
    save_program(db, GOOD)
    load_demo_plans(db)
    create_plan(db, PlanInput("Fine rates", sale_rate=D("0.123456"), signup_amount=D("1.50")))
    path = export_program_file(db, tmp_path / "out.toml")
    other = open_database(tmp_path / "other.sqlite3")
    try:
        import_program_file(other, path)
        assert [get_plan(other, s.id).data for s in list_plans(other)] == [
            get_plan(db, s.id).data for s in list_plans(db)
        ]
        assert [s.description for s in list_plans(other)] == [s.description for s in list_plans(db)]
    finally:
        other.dispose()


def test_round_trip_into_the_same_database_changes_nothing(db: Database, tmp_path: Path) -> None:
    save_program(db, GOOD)
    ids = load_demo_plans(db)
    freeze_version(db, current_version_id(db, ids[1]))  # even a frozen plan gets no new version
    before = snapshot(db)
    path = export_program_file(db, tmp_path / "out.toml")
    import_program_file(db, path)
    assert snapshot(db) == before
    assert export_program_file(db, tmp_path / "again.toml").read_text(encoding="utf-8") == path.read_text(
        encoding="utf-8"
    )


def test_import_updates_known_plans_and_creates_new_ones(any_db: Database, tmp_path: Path) -> None:
    ids = load_demo_plans(any_db)
    freeze_version(any_db, current_version_id(any_db, ids[0]))  # "Standard" was used by an approved sheet
    text = DESIGN_EXAMPLE.replace('name = "Standard"', 'name = "standard"') + (
        '\n[[plan]]\nname = "Newsletter"\nsale_amount = "3.00"\n'
    )
    import_program_file(any_db, write(tmp_path, text))
    plans = {s.name: s for s in list_plans(any_db)}
    assert list(plans) == ["standard", "Creators", "Coupon partners", "Newsletter"]
    standard = get_plan(any_db, ids[0])
    assert standard.version == 2
    assert [(v.version, v.frozen) for v in standard.versions] == [(1, True), (2, False)]
    assert standard.data == replace(DESIGN_STANDARD, name="standard")
    assert get_plan(any_db, ids[1]).version == 1  # not in the file: left alone
    assert get_plan(any_db, plans["Newsletter"].id).data == PlanInput("Newsletter", sale_amount=D("3.00"))


def test_a_file_of_plans_alone_leaves_the_program_alone(db: Database, tmp_path: Path) -> None:
    import_program_file(db, write(tmp_path, '[[plan]]\nname = "Only"\nsale_rate = "5%"\n'))
    assert not get_program(db).configured
    assert [s.name for s in list_plans(db)] == ["Only"]


BAD = """\
[program]
name = "Shop"

[[plan]]
name = "Standard"
sale_rate = 0.1

  [[plan.tier]]
  min = "2000.00"
  sale_rate = "12%"

[[plan]]
name = "Creators"
sale_rate = "12%"
tier_basis = "sales"

  [[plan.tier]]
  min = 20
  sale_rate = "15%"

  [[plan.tier]]
  min = 40
  sale_rate = "150%"
  colour = "red"

  [[plan.product]]
  sku = ""
  sale_amount = "5.00"

[[plan]]
name = "creators"
sale_amount = "4.00"
tier_mode = "marginal"
cap = "-1.00"

  [[plan.tier]]
  min = "10.00"
  sale_rate = "5%"

  [[plan.tier]]
  min = "5.00"
  sale_rate = "6%"
"""


def test_bad_plans_are_named_by_line_and_key_and_nothing_changes(db: Database, tmp_path: Path) -> None:
    save_program(db, GOOD)
    load_demo_plans(db)
    before = snapshot(db)
    with pytest.raises(BadInput) as info:
        import_program_file(db, write(tmp_path, BAD, "bad.toml"))
    problems = info.value.problems
    expected = [
        "bad.toml, line 6, key 'sale_rate': write rates as text with a percent sign",
        "bad.toml, line 23, key 'sale_rate': '150%' must be between 0% and 100%",
        "bad.toml, line 24, key 'colour': unknown key",
        "bad.toml, line 27, key 'sku': A product rule needs a SKU pattern such as GIFT-*.",
        "bad.toml, line 31, key 'name': a [[plan]] above has this name already",
        "bad.toml, line 33, key 'tier_mode': Marginal tiers by revenue split",
        "bad.toml, line 34, key 'cap': The cap must not be negative.",
        "bad.toml, line 41, key 'min': Tier ≥ 5.00: tiers must go up",
    ]
    for start in expected:
        assert sum(str(p).startswith(start) for p in problems) == 1, (start, problems)
    assert len(problems) == len(expected), problems
    assert snapshot(db) == before


def test_program_and_plan_problems_are_listed_together(db: Database, tmp_path: Path) -> None:
    text = '[program]\ncookie_days = "thirty"\n\n[[plan]]\nname = "A"\n'
    with pytest.raises(BadInput) as info:
        import_program_file(db, write(tmp_path, text, "p.toml"))
    assert [str(p) for p in info.value.problems] == [
        "p.toml, line 2, key 'cookie_days': must be a whole number of days",
        "p.toml, line 4, [[plan]]: The base commission needs either a rate or a flat amount per order, "
        "exactly one of the two.",
    ]
    assert list_plans(db) == []
    assert not get_program(db).configured


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[plan]\nname = "A"\nsale_rate = "5%"\n', "p.toml, line 1, [[plan]]: write each plan as its own [[plan]]"),
        (
            '[[plan]]\nname = "A"\nsale_rate = "5%"\n[plan.tier]\nmin = "1.00"\n',
            "p.toml, line 1, [[plan]], key 'tier': write each tier as its own [[plan.tier]] table",
        ),
        ('[[plan]]\nname = "A"\nsale_amount = 4.5\n', "p.toml, line 3, key 'sale_amount': write amounts as text"),
        ('[[plan]]\nname = "A"\nsale_rate = 10\n', "p.toml, line 3, key 'sale_rate': write rates as text"),
        ('[[plan]]\nname = 7\nsale_rate = "5%"\n', "p.toml, line 2, key 'name': must be text"),
        (
            '[[plan]]\nname = "A"\nsale_rate = "5%"\n\n[[plan.tier]]\nsale_rate = "6%"\n',
            "p.toml, line 5, [[plan.tier]]: a tier needs min",
        ),
        (
            '[[plan]]\nname = "A"\nsale_rate = "5%"\ntier_basis = "clicks"\n',
            "p.toml, line 4, key 'tier_basis': Tiers are counted",
        ),
        ('[[plan]]\nname = "A"\nsale_rate = "5%"\nbonus = "1.00"\n', "p.toml, line 4, key 'bonus': unknown key"),
        ('[[plan]]\nsale_rate = "5%"\n', "p.toml, line 1, [[plan]]: The plan needs a name."),
    ],
)
def test_bad_plan_tables(db: Database, tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BadInput) as info:
        import_program_file(db, write(tmp_path, text, "p.toml"))
    assert any(str(p).startswith(message) for p in info.value.problems), info.value.problems
    assert list_plans(db) == []


def test_key_lines_are_counted_per_parent_table() -> None:
    text = BAD
    assert toml_key_line(text, (("plan", 1), ("tier", 1)), "sale_rate") == 23
    assert toml_key_line(text, (("plan", 2), ("tier", 1)), "min") == 41
    assert toml_key_line(text, (("plan", 2), ("tier", 2)), "min") is None
    assert toml_key_line(text, (("plan", 1), ("product", 0)), "sku") == 27
    assert toml_key_line(text, (("plan", 2),), "cap") == 34
    assert toml_key_line(text, (("plan", 2),), "min") is None  # the tier's key is not the plan's
    assert toml_table_line(text, (("plan", 2), ("tier", 0))) == 36
    assert toml_table_line('[[ plan ]]\nname = "A"\n', (("plan", 0),)) == 1
