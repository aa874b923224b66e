"""What-if: a past month replayed under an edited, unsaved plan, from the service and from the plan editor."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from test_payout_helpers import add_affiliate, add_order, rate_reward, setup_program

from desktop.db import Database
from desktop.services.errors import BadInput, RefusedByState, ValidationFailed
from desktop.services.payouts import approve_sheet, build_payout_sheet, mark_paid
from desktop.services.plan_what_if import WhatIfResult, periods_available, what_if
from desktop.services.plans import PlanInput, ProductInput, create_plan, get_plan, update_plan
from desktop.views.plan_what_if_dialog import COL_DIFFERENCE, COL_PAID, WhatIfDialog, WhatIfTableModel
from desktop.views.plans_page import PlansPage

D = Decimal
SAVED = PlanInput(name="Standard", sale_rate=D("0.10"), lead_amount=D("2.00"), cap=D("45.00"))
EDITED = replace(SAVED, sale_rate=D("0.12"), cap=D("55.00"))  # a better rate and a higher cap


@pytest.fixture
def program(db: Database) -> dict[str, int]:
    return make_program(db)


def make_program(db: Database) -> dict[str, int]:
    """Standard (the default plan) with ANNA, BEN and DORA (no plan: she earns by the default); CARL on another plan.

    October 2026 under Standard (10 %, lead 2.00, cap 45.00) and as edited (12 %, cap 55.00):
      ANNA  500.00 of sales (one order refunded in part)  50.00 -> cap 45.00   60.00 -> cap 55.00   +10.00
      BEN   150.00 of sales and a lead                    15.00 + 2.00 = 17.00  18.00 + 2.00 = 20.00  +3.00
      DORA  19.00 of sales                                  1.90                 2.28                +0.38
    """
    setup_program(db, threshold="0.00")
    standard = create_plan(db, SAVED)
    other = create_plan(db, PlanInput(name="Other", sale_rate=D("0.05")))
    ids = {
        "standard": standard,
        "other": other,
        "anna": add_affiliate(db, "ANNA", plan_id=standard),
        "ben": add_affiliate(db, "BEN", plan_id=standard),
        "dora": add_affiliate(db, "DORA"),
        "carl": add_affiliate(db, "CARL", plan_id=other),
    }
    # 300.00 with 30.00 refunded: 90.00 + 180.00 after the spread
    add_order(db, ids["anna"], "A1", date(2026, 10, 3), [("TENT", "100.00"), ("HAT", "200.00")], refunded="30.00")
    add_order(db, ids["anna"], "A2", date(2026, 10, 20), [("BOOT", "230.00")])
    add_order(db, ids["anna"], "A-pending", date(2026, 10, 21), [("BOOT", "900.00")], status="pending")
    add_order(db, ids["anna"], "A-november", date(2026, 11, 2), [("BOOT", "100.00")])
    add_order(db, ids["ben"], "B1", date(2026, 10, 9), [("HAT", "150.00", 3)])
    add_order(db, ids["ben"], "B-lead", date(2026, 10, 9), [(None, "0.00")], kind="lead")
    add_order(db, ids["dora"], "D1", date(2026, 10, 30), [("SOCK", "19.00")])
    add_order(db, ids["carl"], "C1", date(2026, 10, 15), [("TENT", "1000.00")])
    add_order(db, ids["carl"], "C-august", date(2026, 8, 15), [("TENT", "100.00")])
    return ids


def figures(result: WhatIfResult) -> list[tuple[str, int, str, str, str, str]]:
    return [(r.code, r.sales, f"{r.revenue}", f"{r.did_pay}", f"{r.would_pay}", f"{r.difference}") for r in result.rows]


OCTOBER = [
    ("ANNA", 2, "500.00", "45.00", "55.00", "10.00"),
    ("BEN", 1, "150.00", "17.00", "20.00", "3.00"),
    ("DORA", 1, "19.00", "1.90", "2.28", "0.38"),
]


def test_without_a_sheet_the_saved_plan_is_what_it_pays(db: Database, program: dict[str, int]) -> None:
    result = what_if(db, program["standard"], EDITED, "2026-10")
    assert (result.basis, result.sheet_state) == ("current plan, no sheet yet", None)
    assert figures(result) == OCTOBER  # the largest rise first; CARL is on another plan
    assert (result.sales, result.revenue) == (4, D("669.00"))
    assert (result.did_pay, result.would_pay, result.difference) == (D("63.90"), D("77.28"), D("13.38"))
    assert result.change_percent == D("20.9")
    assert result.rows[0].would_over_cap == D("5.00")
    assert result.summary == (
        "Under the edited plan, October 2026 would have paid 77.28 instead of 63.90: +13.38 (+20.9 %) for 3 affiliates"
    )
    assert result.earlier_orders == 0
    assert get_plan(db, program["standard"]).data == SAVED  # nothing was saved


def test_with_a_sheet_what_it_paid_comes_from_the_sheet(db: Database, program: dict[str, int]) -> None:
    build_payout_sheet(db, "2026-10", as_of=date(2026, 11, 10))
    approve_sheet(db, "2026-10")
    mark_paid(db, "2026-10", "PAYPAL-1", date(2026, 11, 12))
    update_plan(db, program["standard"], replace(SAVED, sale_rate=D("0.20")))  # the saved plan is no longer 10 %

    result = what_if(db, program["standard"], EDITED, "2026-10")
    assert (result.basis, result.sheet_state) == ("payout sheet 2026-10 (paid)", "paid")
    assert figures(result) == OCTOBER  # paid after the cap of 45.00, as the sheet says
    assert (result.did_pay, result.would_pay) == (D("63.90"), D("77.28"))


def test_a_draft_sheet_counts_too_and_agrees_with_the_replay_without_it(db: Database, program: dict[str, int]) -> None:
    before = what_if(db, program["standard"], EDITED, "2026-10")
    build_payout_sheet(db, "2026-10", as_of=date(2026, 11, 10))
    after = what_if(db, program["standard"], EDITED, "2026-10")
    assert after.basis == "payout sheet 2026-10 (draft)"
    assert after.rows == before.rows


def test_product_rules_see_the_skus_and_quantities_on_a_sheet_too(db: Database, program: dict[str, int]) -> None:
    hats = replace(EDITED, products=(ProductInput("HAT*", sale_amount=D("1.00")),))  # 1.00 per hat
    expected = [("ANNA", "39.40"), ("BEN", "5.00"), ("DORA", "2.28")]  # ANNA: 10.80 + 1.00 + 27.60; BEN: 3 hats + lead
    before = what_if(db, program["standard"], hats, "2026-10")
    assert sorted((row.code, f"{row.would_pay}") for row in before.rows) == expected
    build_payout_sheet(db, "2026-10", as_of=date(2026, 11, 10))
    after = what_if(db, program["standard"], hats, "2026-10")
    assert after.sheet_state == "draft"
    assert sorted((row.code, f"{row.would_pay}") for row in after.rows) == expected


def test_on_sqlite_and_postgresql(any_db: Database) -> None:
    program = make_program(any_db)
    hats = replace(EDITED, products=(ProductInput("HAT*", sale_amount=D("1.00")),))
    assert figures(what_if(any_db, program["standard"], EDITED, "2026-10")) == OCTOBER
    assert [c.period for c in periods_available(any_db, today=date(2026, 12, 5)).choices] == [
        "2026-11",
        "2026-10",
        "2026-08",
    ]
    build_payout_sheet(any_db, "2026-10", as_of=date(2026, 11, 10))
    assert figures(what_if(any_db, program["standard"], EDITED, "2026-10")) == OCTOBER
    assert what_if(any_db, program["standard"], hats, "2026-10").would_pay == D("46.68")


def test_a_sheet_takes_unpaid_orders_of_earlier_months_and_so_does_the_replay(
    db: Database, program: dict[str, int]
) -> None:
    add_order(db, program["ben"], "B-september", date(2026, 9, 28), [("HAT", "100.00")])  # approved late
    result = what_if(db, program["standard"], EDITED, "2026-10")
    assert result.earlier_orders == 1
    ben = next(row for row in result.rows if row.code == "BEN")
    assert (ben.sales, ben.did_pay, ben.would_pay) == (2, D("27.00"), D("32.00"))


def test_rate_rewards_apply_to_both_plans(db: Database, program: dict[str, int]) -> None:
    rate_reward(db, program["ben"], "2026-10", "0.01")
    ben = next(row for row in what_if(db, program["standard"], EDITED, "2026-10").rows if row.code == "BEN")
    assert (ben.did_pay, ben.would_pay) == (D("18.50"), D("21.50"))  # 11 % and 13 % of 150.00, plus the lead
    rate_reward(db, program["ben"], "2026-10", "0.90")
    with pytest.raises(BadInput, match="BEN.*past 100 %"):
        what_if(db, program["standard"], EDITED, "2026-10")


def test_a_plan_that_does_not_validate_is_refused(db: Database, program: dict[str, int]) -> None:
    with pytest.raises(ValidationFailed):
        what_if(db, program["standard"], replace(EDITED, sale_rate=D("1.5")), "2026-10")
    unnamed = what_if(db, program["standard"], replace(EDITED, name=" "), "2026-10")  # the name is not needed
    assert unnamed.plan_name == "Standard"


def test_a_month_without_orders_of_the_plan(db: Database, program: dict[str, int]) -> None:
    result = what_if(db, program["other"], replace(EDITED, name="Other"), "2026-08")
    assert [row.code for row in result.rows] == ["CARL"]
    empty = what_if(db, program["standard"], EDITED, "2026-07")
    assert empty.rows == () and empty.change_percent is None
    assert empty.summary == "No affiliate on Standard has approved orders in July 2026: there is nothing to replay."


def test_the_months_to_choose_from(db: Database, program: dict[str, int]) -> None:
    periods = periods_available(db, today=date(2026, 12, 5))
    assert [(c.period, c.label, c.sheet_state) for c in periods.choices] == [
        ("2026-11", "November 2026", None),
        ("2026-10", "October 2026", None),
        ("2026-08", "August 2026", None),
    ]
    assert periods.default == "2026-11"  # the last complete month
    assert periods_available(db, today=date(2026, 11, 5)).default == "2026-10"
    assert periods_available(db, today=date(2027, 6, 1)).default == "2026-11"

    build_payout_sheet(db, "2026-10", as_of=date(2026, 11, 10))
    approve_sheet(db, "2026-10")  # it took August's order too: August cannot be replayed alone any more
    periods = periods_available(db, today=date(2026, 12, 5))
    assert [(c.period, c.sheet_state) for c in periods.choices] == [("2026-11", None), ("2026-10", "approved")]
    with pytest.raises(RefusedByState, match="paid on the 2026-10 sheet"):
        what_if(db, program["other"], replace(EDITED, name="Other"), "2026-08")


def test_progress_is_reported_and_a_cancel_stops_the_replay(db: Database, program: dict[str, int]) -> None:
    seen: list[str] = []
    what_if(db, program["standard"], EDITED, "2026-10", progress=lambda done, total, what: seen.append(what))
    assert seen and "October 2026" in seen[0]

    class Stop(Exception):
        pass

    def stop(done: int, total: int, what: str) -> None:
        raise Stop

    with pytest.raises(Stop):
        what_if(db, program["standard"], EDITED, "2026-10", progress=stop)


# --- the table model, without a view ----------------------------------------------------------------------------


def test_the_table_model_sorts_by_raw_values(db: Database, program: dict[str, int]) -> None:
    model = WhatIfTableModel()
    model.set_result(what_if(db, program["standard"], EDITED, "2026-10"))
    assert model.rowCount() == 3
    assert model.index(0, COL_DIFFERENCE).data() == "+10.00"
    assert model.headerData(COL_PAID, Qt.Orientation.Horizontal) == "Saved plan pays"  # no sheet yet
    model.sort(COL_DIFFERENCE, Qt.SortOrder.AscendingOrder)
    assert [model.index(row, 0).data() for row in range(3)] == ["DORA · Dora", "BEN · Ben", "ANNA · Anna"]


# --- from the plan editor ---------------------------------------------------------------------------------------


def test_the_editor_replays_the_unsaved_form(
    db: Database, program: dict[str, int], qtbot: QtBot, tmp_path: Path
) -> None:
    page = PlansPage(db)
    qtbot.addWidget(page)
    page.resize(1200, 900)
    page.show()
    page.refresh()
    editor = page.editor
    editor.load(get_plan(db, program["standard"]))
    assert editor.what_if_button.isEnabled()

    editor.sale_value.selectAll()
    qtbot.keyClicks(editor.sale_value, "150")  # not a rate: no what-if for a form with errors
    assert not editor.what_if_button.isEnabled()
    editor.sale_value.selectAll()
    qtbot.keyClicks(editor.sale_value, "12")
    editor.cap.selectAll()
    qtbot.keyClicks(editor.cap, "55.00")
    assert editor.what_if_button.isEnabled() and editor.is_dirty()

    qtbot.mouseClick(editor.what_if_button, Qt.MouseButton.LeftButton)
    dialog = editor.findChild(WhatIfDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.month.setCurrentIndex(dialog.month.findData("2026-10"))  # the default: the last complete month
    qtbot.waitUntil(lambda: dialog.result is not None and dialog.result.period == "2026-10", timeout=5000)
    assert dialog.summary.text() == (
        "Under the edited plan, October 2026 would have paid 77.28 instead of 63.90: +13.38 (+20.9 %) for 3 affiliates"
    )
    assert "Nothing is saved" in dialog.note.text()
    assert dialog.model.rowCount() == 3
    dialog.resize(900, 460)
    dialog.grab().save(str(tmp_path / "whatif.png"))

    dialog.month.setCurrentIndex(dialog.month.findData("2026-11"))
    qtbot.waitUntil(lambda: dialog.result is not None and dialog.result.period == "2026-11", timeout=5000)
    assert dialog.result.earlier_orders == 5  # no sheet took October yet: a November sheet would take it too
    assert "5 orders of earlier months" in dialog.basis.text()

    dialog.close()
    assert get_plan(db, program["standard"]).data == SAVED  # the database still has the saved plan
    assert editor.is_dirty()  # and the form still has the edit


def test_a_new_plan_has_nothing_to_replay(db: Database, qtbot: QtBot) -> None:
    page = PlansPage(db)
    qtbot.addWidget(page)
    page.show()
    page.editor.load(None)
    qtbot.keyClicks(page.editor.name, "Fresh")
    assert not page.editor.what_if_button.isEnabled()
