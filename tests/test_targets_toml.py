"""The program file's [[target]] tables: DESIGN.md's example, a round trip, updates, and bad files named to the line."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from test_metrics import add_affiliate, add_order, setup_program

from desktop.db import Database, open_database
from desktop.services.errors import BadInput
from desktop.services.program_settings import export_program_file, import_program_file
from desktop.services.targets_progress import list_targets

D = Decimal

DESIGN_TARGET = """\
[[target]]
affiliates = ["JANE10"]        # codes, "tag:NAME", or "all"
metric = "revenue"             # revenue|sales|leads|signups|clicks|conversion_rate|epc
period = "2026-10"
goal = "5000.00"               # or growth = "20%" over the previous period's actual
bonus = "100.00"               # into that period's payout sheet when met
"""

MORE = """
[[target]]
affiliates = ["tag:blog", "all"]
metric = "sales"
period = "2099-01"
growth = "20%"
reward_rate = "1.5%"
reward = "A shout-out in the newsletter"

[[target]]
affiliates = "TOM"
metric = "conversion_rate"
period = "2099-01"
goal = "3.5%"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "program.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def people(db: Database) -> Database:
    setup_program(db)
    add_affiliate(db, "JANE10", tags=("blog",))
    add_affiliate(db, "TOM")
    return db


def test_the_design_example_imports(people: Database, tmp_path: Path) -> None:
    import_program_file(people, write(tmp_path, DESIGN_TARGET + MORE))
    views = {(v.scope_label, v.data.metric): v.data for v in list_targets(people, today=date(2026, 10, 15))}
    assert views[("Jane10 Person (JANE10)", "revenue")].goal == D("5000.00")
    assert views[("Jane10 Person (JANE10)", "revenue")].bonus == D("100.00")
    assert views[("Tag blog", "sales")].growth == D("0.2")
    assert views[("All active affiliates", "sales")].reward_rate == D("0.015")
    assert views[("Tom Person (TOM)", "conversion_rate")].goal == D("3.50")
    assert len(views) == 4


def test_round_trip_and_import_again_changes_nothing(people: Database, tmp_path: Path) -> None:
    import_program_file(people, write(tmp_path, DESIGN_TARGET + MORE))
    exported = export_program_file(people, tmp_path / "out.toml").read_text(encoding="utf-8")
    tables = tomllib.loads(exported)["target"]
    assert tables[0] == {"affiliates": ["JANE10"], "metric": "revenue", "period": "2026-10", "goal": "5000.00",
                         "bonus": "100.00"}  # fmt: skip
    assert tables[1]["affiliates"] == ["tag:blog", "all"]  # targets alike but for whom share one table
    before = list_targets(people, today=date(2026, 10, 15))
    import_program_file(people, tmp_path / "out.toml")
    assert list_targets(people, today=date(2026, 10, 15)) == before


def test_the_same_affiliate_metric_and_month_updates(people: Database, tmp_path: Path) -> None:
    import_program_file(people, write(tmp_path, DESIGN_TARGET))
    import_program_file(people, write(tmp_path, DESIGN_TARGET.replace('"5000.00"', '"6000.00"')))
    [view] = list_targets(people, today=date(2026, 10, 15))
    assert view.data.goal == D("6000.00")


def test_an_ended_month_is_settled_on_import(people: Database, tmp_path: Path) -> None:
    jane = add_affiliate(people, "JANE")
    add_order(people, jane, date(2020, 3, 3), "80.00")
    import_program_file(people, write(tmp_path, DESIGN_TARGET.replace("JANE10", "JANE").replace("2026-10", "2020-03")
                                      .replace("5000.00", "50.00")))  # fmt: skip
    [view] = list_targets(people)
    assert (view.state, view.met) == ("settled", 1)


def test_bad_targets_are_named_to_the_line_and_nothing_changes(people: Database, tmp_path: Path) -> None:
    text = (
        "[program]\n"
        'name = "Changed"\n'
        "\n[[target]]\n"
        'affiliates = ["NOBODY"]\n'  # line 5
        'metric = "revenue"\n'
        'period = "2026-10"\n'
        "goal = 12.5\n"  # line 8: a float
        "\n[[target]]\n"
        'affiliates = ["TOM"]\n'
        'metric = "fame"\n'  # line 12
        'period = "2026-1"\n'  # line 13
        'goal = "1"\n'
        'growth = "5%"\n'
        "colour = 1\n"  # line 16
    )
    with pytest.raises(BadInput) as caught:
        import_program_file(people, write(tmp_path, text))
    problems = caught.value.problems
    assert any(p.startswith("program.toml, line 5, key 'affiliates'") and "NOBODY" in p for p in problems)
    assert any(p.startswith("program.toml, line 8, key 'goal'") for p in problems)
    assert any(p.startswith("program.toml, line 12, key 'metric'") for p in problems)
    assert any(p.startswith("program.toml, line 13, key 'period'") for p in problems)
    assert any(p.startswith("program.toml, line 16, key 'colour'") for p in problems)
    assert list_targets(people) == []


def test_a_target_table_with_two_brackets_only(people: Database, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"\[\[target\]\]"):
        import_program_file(people, write(tmp_path, '[target]\nmetric = "sales"\n'))


def test_targets_need_their_affiliates_in_the_other_database(people: Database, tmp_path: Path) -> None:
    import_program_file(people, write(tmp_path, DESIGN_TARGET))
    path = export_program_file(people, tmp_path / "out.toml")
    other = open_database(tmp_path / "other.sqlite3")
    try:
        with pytest.raises(BadInput, match="no affiliate with the code 'JANE10'"):
            import_program_file(other, path)
    finally:
        other.dispose()
