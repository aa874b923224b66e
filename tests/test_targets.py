"""Targets on hand-worked data: progress while the month runs, settlement, growth goals, rewards, frozen sheets."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from test_metrics import add_affiliate, add_clicks, add_order, setup_program

from desktop.db import Database
from desktop.models import Adjustment, PayoutSheet, RateReward, TargetResult
from desktop.services.errors import RefusedByState, ValidationFailed
from desktop.services.targets import TargetInput, grown_goal, validate_target
from desktop.services.targets_progress import affiliate_targets, get_target, list_targets
from desktop.services.targets_settle import (
    create_target,
    delete_target,
    settle_due_targets,
    settle_target,
    update_target,
)

D = Decimal
MID_OCTOBER = date(2026, 10, 15)
NOVEMBER = date(2026, 11, 3)


@pytest.fixture
def program(db: Database) -> dict[str, int]:
    """JANE sells 300.00 in September and 400.00 in October; TOM 100.00 in October; ADA is paused."""
    setup_program(db)
    ids = {
        "JANE": add_affiliate(db, "JANE", tags=("blog",)),
        "TOM": add_affiliate(db, "TOM", tags=("blog",)),
        "ADA": add_affiliate(db, "ADA", status="paused", tags=("blog",)),
    }
    add_order(db, ids["JANE"], date(2026, 9, 10), "300.00")
    add_order(db, ids["JANE"], date(2026, 10, 2), "150.00")
    add_order(db, ids["JANE"], date(2026, 10, 20), "250.00")
    add_order(db, ids["TOM"], date(2026, 10, 5), "100.00")
    add_order(db, ids["ADA"], date(2026, 10, 5), "900.00")
    add_clicks(db, ids["JANE"], date(2026, 10, 1), 100, daily=True)
    return ids


def revenue(scope: str, goal: str | None = None, **more: object) -> TargetInput:
    return TargetInput(scope=scope, metric="revenue", period="2026-10", goal=D(goal) if goal else None, **more)  # type: ignore[arg-type]


def test_validation_names_each_field(db: Database, program: dict[str, int]) -> None:
    assert validate_target(db, revenue("JANE", "500.00")) == {}
    assert validate_target(db, revenue(" tag:BLOG ", "500.00")) == {}  # tags ignore case
    problems = validate_target(
        db, TargetInput("NOBODY", "fame", "2026-13", goal=D("1"), growth=D("0.1"), bonus=D("-1"), reward_rate=D("2"))
    )
    assert set(problems) == {"scope", "metric", "period", "goal", "bonus", "reward_rate"}
    half_a_sale = TargetInput("all", "sales", "2026-10", goal=D("2.5"))
    assert validate_target(db, half_a_sale)["goal"] == "A whole number of sales"
    assert "tag" in validate_target(db, revenue("tag:vlog", "1.00"))["scope"]
    with pytest.raises(ValidationFailed):
        create_target(db, revenue("JANE"))


def test_progress_while_the_month_runs(db: Database, program: dict[str, int]) -> None:
    target_id = create_target(db, revenue("JANE", "500.00", bonus=D("50.00")), today=MID_OCTOBER)
    view = get_target(db, target_id, today=MID_OCTOBER)
    assert (view.state, view.day, view.days, view.scope_label) == ("running", 15, 31, "Jane Person (JANE)")
    [jane] = view.members
    assert (jane.goal, jane.actual, jane.met, jane.percent) == (D("500.00"), D("400.00"), False, D("80.0"))
    assert get_target(db, target_id, today=date(2026, 9, 1)).state == "upcoming"
    assert get_target(db, target_id, today=NOVEMBER).state == "ended"  # over, not settled yet
    with pytest.raises(RefusedByState, match="not over"):
        settle_target(db, target_id, today=MID_OCTOBER)


def test_settling_a_met_target_writes_the_bonus_and_the_better_rate(db: Database, program: dict[str, int]) -> None:
    jane = program["JANE"]
    target_id = create_target(
        db, revenue("JANE", "350.00", bonus=D("100.00"), reward_rate=D("0.02"), reward_text="Trail shoes"),
        today=MID_OCTOBER,
    )  # fmt: skip
    done = settle_target(db, target_id, today=NOVEMBER)
    assert (done.members, done.met, done.bonuses, done.rate_rewards) == (1, 1, D("100.00"), 1)
    with db.read() as session:
        [bonus] = session.scalars(select(Adjustment)).all()
        [rate] = session.scalars(select(RateReward)).all()
        assert (bonus.affiliate_id, bonus.kind, bonus.period) == (jane, "target_bonus", "2026-10")
        assert bonus.amount == D("100.00")
        assert bonus.reason.startswith("Target met: Revenue 350.00 in 2026-10 (actual 400.00)")
        assert (rate.affiliate_id, rate.period, rate.rate_boost) == (jane, "2026-11", D("0.02"))
    view = get_target(db, target_id, today=NOVEMBER)
    assert (view.state, view.met, view.reward_text) == ("settled", 1, "bonus 100.00, +2% rate in 2026-11, Trail shoes")

    settle_target(db, target_id, today=NOVEMBER)  # again: the same rows, updated, never doubled
    with db.read() as session:
        assert len(session.scalars(select(Adjustment)).all()) == 1
        assert len(session.scalars(select(RateReward)).all()) == 1
        assert len(session.scalars(select(TargetResult)).all()) == 1

    update_target(db, target_id, revenue("JANE", "450.00", bonus=D("100.00")), today=NOVEMBER)  # now missed
    with db.read() as session:
        assert session.scalars(select(Adjustment)).all() == []
        assert session.scalars(select(RateReward)).all() == []
        [result] = session.scalars(select(TargetResult)).all()
        assert (result.goal_value, result.actual, result.met) == (D("450.00"), D("400.00"), False)


def test_growth_over_the_previous_month(db: Database, program: dict[str, int]) -> None:
    # September 300.00 + 20 % = 360.00; October brought 400.00. TOM had nothing in September: any sale is growth.
    target_id = create_target(db, revenue("tag:blog", growth=D("0.2"), bonus=D("25.00")), today=NOVEMBER)
    view = get_target(db, target_id, today=NOVEMBER)
    assert view.state == "settled"  # a month already over is settled when the target is made
    by_code = {m.code: m for m in view.members}
    assert set(by_code) == {"JANE", "TOM"}  # ADA is paused: a group counts its active affiliates
    assert (by_code["JANE"].goal, by_code["JANE"].actual, by_code["JANE"].met) == (D("360.00"), D("400.00"), True)
    assert (by_code["TOM"].goal, by_code["TOM"].met) == (D("0.01"), True)
    assert view.goal_text == "+20% over 2026-09"
    with db.read() as session:
        assert sorted(a.amount for a in session.scalars(select(Adjustment))) == [D("25.00"), D("25.00")]


def test_grown_goals_round_up_to_the_unit() -> None:
    assert grown_goal("sales", D("10"), D("0.15")) == D("12")  # 11.5 sales: 12 are needed for 15 %
    assert grown_goal("revenue", D("333.33"), D("0.1")) == D("366.67")
    assert grown_goal("conversion_rate", D("2.00"), D("0.5")) == D("3.00")
    assert grown_goal("clicks", None, D("0.5")) == D("1")


def test_all_active_and_rates(db: Database, program: dict[str, int]) -> None:
    target_id = create_target(db, TargetInput("all", "conversion_rate", "2026-10", goal=D("1.50")), today=NOVEMBER)
    by_code = {m.code: m for m in get_target(db, target_id, today=NOVEMBER).members}
    assert (by_code["JANE"].actual, by_code["JANE"].met) == (D("2.00"), True)  # 2 sales in 100 clicks
    assert (by_code["TOM"].actual, by_code["TOM"].met) == (D("0.00"), False)  # no clicks: no rate
    assert "ADA" not in by_code


def test_settle_due_targets_once(db: Database, program: dict[str, int]) -> None:
    old = create_target(db, revenue("JANE", "100.00"), today=MID_OCTOBER)
    create_target(db, replace(revenue("TOM", "100.00"), period="2026-11"), today=MID_OCTOBER)
    assert [s.target_id for s in settle_due_targets(db, today=NOVEMBER)] == [old]
    assert settle_due_targets(db, today=NOVEMBER) == []
    assert [v.state for v in list_targets(db, today=NOVEMBER)] == ["running", "settled"]


def test_an_approved_sheet_freezes_its_targets(db: Database, program: dict[str, int]) -> None:
    target_id = create_target(db, revenue("JANE", "100.00", bonus=D("10.00")), today=NOVEMBER)
    with db.write() as session:
        session.add(PayoutSheet(period="2026-10", state="approved", currency="USD", built_at=datetime(2026, 11, 2),
                                built_by="t", settings_json="{}"))  # fmt: skip
    assert get_target(db, target_id, today=NOVEMBER).frozen
    for attempt in (
        lambda: settle_target(db, target_id, today=NOVEMBER),
        lambda: update_target(db, target_id, revenue("JANE", "90.00"), today=NOVEMBER),
        lambda: delete_target(db, target_id),
        lambda: create_target(db, revenue("TOM", "1.00"), today=NOVEMBER),
    ):
        with pytest.raises(RefusedByState, match="2026-10 is approved"):
            attempt()
    assert settle_due_targets(db, today=NOVEMBER) == []


def test_delete_takes_the_rewards_along(db: Database, program: dict[str, int]) -> None:
    target_id = create_target(db, revenue("JANE", "100.00", bonus=D("10.00"), reward_rate=D("0.01")), today=NOVEMBER)
    delete_target(db, target_id)
    with db.read() as session:
        assert session.scalars(select(Adjustment)).all() == [] and session.scalars(select(RateReward)).all() == []
    assert list_targets(db, today=NOVEMBER) == []


def test_an_affiliate_sees_the_targets_that_count_for_them(db: Database, program: dict[str, int]) -> None:
    create_target(db, revenue("JANE", "100.00"), today=MID_OCTOBER)
    create_target(db, revenue("tag:blog", "1000.00"), today=MID_OCTOBER)
    create_target(db, revenue("TOM", "50.00"), today=MID_OCTOBER)
    mine = affiliate_targets(db, program["JANE"], today=MID_OCTOBER)
    assert sorted(v.scope_label for v in mine) == ["Jane Person (JANE)", "Tag blog"]
    assert all(len(v.members) == 1 and v.members[0].code == "JANE" for v in mine)


def test_a_met_targets_bonus_lands_on_the_payout_sheet(db: Database, program: dict[str, int]) -> None:
    from desktop.services import payouts
    jane = program["JANE"]
    target_id = create_target(db, revenue("JANE", "350.00", bonus=D("100.00"), reward_rate=D("0.02")), today=NOVEMBER)
    assert get_target(db, target_id, today=NOVEMBER).met == 1
    payouts.build_payout_sheet(db, "2026-10", as_of=NOVEMBER)
    with db.read() as session:
        from desktop.models import PayoutLine

        line = session.scalar(select(PayoutLine).where(PayoutLine.affiliate_id == jane))
        assert line is not None and line.bonuses == D("100.00")
        assert line.commission == D("70.00")  # 10 % of 700.00 (September waited for the first sheet); bonus on top
    add_order(db, jane, date(2026, 11, 2), "100.00")
    payouts.approve_sheet(db, "2026-10")
    payouts.build_payout_sheet(db, "2026-11", as_of=date(2026, 12, 1))
    with db.read() as session:
        from desktop.models import CommissionLine

        traces = list(session.scalars(select(CommissionLine.trace).where(CommissionLine.affiliate_id == jane)))
    assert any("boost" in trace and "12" in trace for trace in traces)  # the better rate, in the trace


def test_settlement_on_both_databases(any_db: Database) -> None:
    setup_program(any_db)
    jane = add_affiliate(any_db, "JANE", tags=("blog",))
    tom = add_affiliate(any_db, "TOM", tags=("blog",))
    add_order(any_db, jane, date(2026, 9, 10), "100.00")
    add_order(any_db, jane, date(2026, 10, 2), "130.00")
    add_order(any_db, tom, date(2026, 10, 3), "50.00")
    target_id = create_target(any_db, revenue("tag:blog", growth=D("0.25"), bonus=D("30.00"), reward_rate=D("0.01")),
                              today=NOVEMBER)  # fmt: skip
    settle_target(any_db, target_id, today=NOVEMBER)  # again: nothing doubles
    by_code = {m.code: m for m in get_target(any_db, target_id, today=NOVEMBER).members}
    assert (by_code["JANE"].goal, by_code["JANE"].met) == (D("125.00"), True)
    assert (by_code["TOM"].goal, by_code["TOM"].met) == (D("0.01"), True)
    with any_db.read() as session:
        bonuses = sorted((a.affiliate_id, a.amount) for a in session.scalars(select(Adjustment)))
        rates = sorted((r.affiliate_id, r.period) for r in session.scalars(select(RateReward)))
    assert bonuses == [(jane, D("30.00")), (tom, D("30.00"))]
    assert rates == [(jane, "2026-11"), (tom, "2026-11")]
    delete_target(any_db, target_id)
    with any_db.read() as session:
        assert session.scalars(select(Adjustment)).all() == []


def _partner(db: Database, code: str, created: datetime, joined: date | None, history: list[tuple[datetime, str]],
             tags: tuple[str, ...] = ()) -> int:  # fmt: skip
    """An affiliate with a dated status history, as the recruiting pipeline or an import with dates leaves it."""
    from sqlalchemy import insert

    from desktop.models import Affiliate, StatusChange, Tag, affiliate_tag

    with db.write() as session:
        row = {"code": code, "name": f"{code.title()} Person", "status": history[-1][1], "joined_on": joined,
               "created_at": created, "updated_at": created, "total_followers": 0}  # fmt: skip
        affiliate_id = session.execute(insert(Affiliate).returning(Affiliate.id), [row]).scalar_one()
        changes, left = [], None
        for at, status in history:
            changes.append({"affiliate_id": affiliate_id, "changed_at": at, "from_status": left, "to_status": status,
                            "changed_by": "test"})  # fmt: skip
            left = status
        session.execute(insert(StatusChange), changes)
        for name in tags:
            tag_id = session.scalar(select(Tag.id).where(Tag.name == name))
            session.execute(insert(affiliate_tag), [{"affiliate_id": affiliate_id, "tag_id": tag_id}])
    return affiliate_id


def test_a_group_counts_those_active_in_its_month(any_db: Database) -> None:
    """DIEGO applied on 24 Sep and was approved on 7 Oct: September's "all active" target is none of his business
    (he was shown "Missed" for it). MAY was paused mid-September; LATE was entered in November, joined 1 Nov."""
    setup_program(any_db)
    jane = add_affiliate(any_db, "JANE", tags=("blog",))  # entered today as active, no date: counted as before
    diego = _partner(any_db, "DIEGO", datetime(2026, 9, 24, 17), date(2026, 10, 7),
                     [(datetime(2026, 9, 24, 17), "applied"), (datetime(2026, 9, 29, 18), "screening"),
                      (datetime(2026, 10, 7, 17), "active")], tags=("blog",))  # fmt: skip
    may = _partner(any_db, "MAY", datetime(2026, 1, 5), date(2026, 1, 5),
                   [(datetime(2026, 1, 5), "active"), (datetime(2026, 9, 15), "paused")], tags=("blog",))  # fmt: skip
    late = _partner(any_db, "LATE", datetime(2026, 11, 2, 9), date(2026, 11, 1), [(datetime(2026, 11, 2, 9), "active")])
    for who, day in ((jane, date(2026, 9, 10)), (diego, date(2026, 10, 9)), (may, date(2026, 9, 3))):
        add_order(any_db, who, day, "100.00")
    sales = {period: create_target(any_db, TargetInput("all", "sales", period, goal=D("1")), today=NOVEMBER)
             for period in ("2026-09", "2026-10", "2026-11")}  # fmt: skip
    blog = create_target(any_db, TargetInput("tag:blog", "sales", "2026-09", goal=D("1")), today=NOVEMBER)

    def codes(target_id: int) -> list[str]:
        return sorted(m.code for m in get_target(any_db, target_id, today=NOVEMBER).members)

    assert codes(sales["2026-09"]) == ["JANE", "MAY"] == codes(blog)  # settled: DIEGO has no result for September
    assert codes(sales["2026-10"]) == ["DIEGO", "JANE"]  # MAY paused all October; LATE joined after it
    assert codes(sales["2026-11"]) == ["DIEGO", "JANE", "LATE"]  # running: the same rule
    with any_db.read() as session:
        results = session.execute(select(TargetResult.target_id, TargetResult.affiliate_id, TargetResult.met)).all()
    assert (sales["2026-09"], diego, False) not in results and (sales["2026-09"], may, True) in results
    assert [v.data.period for v in affiliate_targets(any_db, diego, today=NOVEMBER)] == ["2026-11", "2026-10"]
    assert [v.data.period for v in affiliate_targets(any_db, late, today=NOVEMBER)] == ["2026-11"]
