"""The dashboard's data on the hand-worked dataset, its date ranges, one affiliate's performance, and demo targets."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from test_metrics import demo_orders, hand_worked

from desktop.db import Database
from desktop.services.dashboard import (
    affiliate_performance,
    dashboard_charts,
    date_range_for,
    get_dashboard,
)
from desktop.services.demo import load_demo
from desktop.services.demo_targets import load_demo_targets
from desktop.services.metrics import DateRange
from desktop.services.program_settings import get_program, save_program
from desktop.services.targets import TargetInput
from desktop.services.targets_progress import list_targets
from desktop.services.targets_settle import create_target

D = Decimal
TODAY = date(2026, 11, 15)
OCT = DateRange.month("2026-10")


def test_date_ranges_of_the_selector() -> None:
    assert date_range_for("this_month", TODAY) == DateRange(date(2026, 11, 1), TODAY)
    assert date_range_for("last_month", TODAY) == OCT
    assert date_range_for("last_3_months", TODAY) == DateRange.months("2026-08", "2026-10")
    assert date_range_for("last_12_months", TODAY) == DateRange.months("2025-11", "2026-10")
    custom = DateRange(date(2026, 1, 5), date(2026, 2, 7))
    assert date_range_for("custom", TODAY, custom) == custom
    with pytest.raises(ValueError):
        date_range_for("forever", TODAY)


def test_tiles_compare_with_the_month_before(db: Database) -> None:
    ids = hand_worked(db)
    save_program(db, replace(get_program(db), north_star_target=D("1000.00")))
    board = get_dashboard(db, OCT, today=TODAY)
    tiles = {tile.key: tile for tile in board.tiles}
    revenue = tiles["revenue"]
    assert (revenue.value, revenue.previous, revenue.change) == ("400.00", "999.00", "−60.0 %")
    assert tiles["revenue"].good is False
    assert (tiles["sales"].value, tiles["sales"].change, tiles["sales"].good) == ("4", "+300.0 %", True)
    assert (tiles["conversion_rate"].value, tiles["conversion_rate"].change) == ("5.71 %", "−14.29 pt")
    assert (tiles["refund_rate"].change, tiles["refund_rate"].good) == ("+20.00 pt", False)  # more refunds: bad news
    assert (tiles["affiliate_share"].value, tiles["affiliate_share"].previous) == ("44.44 %", "100.00 %")
    assert tiles["epc"].value == "0.61" and "commission ÷ clicks" in tiles["epc"].definition
    assert [(leader.rank, leader.affiliate_id) for leader in board.leaders] == [(1, ids["JANE"]), (2, ids["TOM"])]
    assert board.funnel == (70, 7, 4)
    months = {m.period: (m.affiliate, m.organic) for m in board.months}
    assert len(board.months) == 12 and board.months[-1].period == "2026-10"
    assert months["2026-09"] == (D("999.00"), D("0.00")) and months["2026-10"] == (D("400.00"), D("500.00"))
    star = board.north_star
    assert (star.period, star.actual, star.percent, star.pace) == ("2026-10", D("400.00"), D("40.0"), "")
    assert star.text == "400.00 of 1,000.00 USD"


def test_the_north_star_paces_the_running_month(db: Database) -> None:
    hand_worked(db)
    save_program(db, replace(get_program(db), north_star_metric="sales", north_star_target=D("10")))
    board = get_dashboard(db, DateRange(date(2026, 11, 1), date(2026, 11, 10)), today=date(2026, 11, 10))
    assert board.north_star.text == "1 of 10 sales"
    assert board.north_star.pace == "day 10 of 30: on pace for 3"


def test_another_range_shows_other_numbers(db: Database) -> None:
    hand_worked(db)
    september = get_dashboard(db, DateRange.month("2026-09"), today=TODAY)
    october = get_dashboard(db, OCT, today=TODAY)
    assert september.tiles[0].value == "999.00" != october.tiles[0].value
    assert september.funnel == (5, 1, 1)


def test_target_bars_and_charts(db: Database) -> None:
    ids = hand_worked(db)
    create_target(db, TargetInput("JANE", "revenue", "2026-10", goal=D("250.00")), today=TODAY)
    create_target(db, TargetInput("all", "sales", "2026-10", goal=D("2")), today=TODAY)
    create_target(db, TargetInput("TOM", "revenue", "2026-11", goal=D("100.00")), today=TODAY)
    bars = get_dashboard(db, OCT, today=TODAY).targets
    assert [(b.label, b.percent, b.state) for b in bars] == [
        ("JANE · Revenue · 2026-10", D("120.0"), "met"),
        ("all active · Sales · 2026-10 (2/3 met)", D("100.0"), "missed"),  # ADA sold nothing
    ]
    charts = dashboard_charts(get_dashboard(db, OCT, today=TODAY))
    assert charts["top_affiliates"].labels == ("JANE", "TOM")
    assert charts["top_affiliates"].series["revenue"] == (300.0, 100.0)
    assert charts["funnel"].series["count"] == (70.0, 7.0, 4.0)
    assert charts["targets"].series["percent"] == (120.0, 100.0)
    assert charts["revenue_by_month"].series["organic"][-1] == 500.0
    assert ids


def test_one_affiliates_performance(db: Database) -> None:
    ids = hand_worked(db)
    create_target(db, TargetInput("JANE", "revenue", "2026-10", goal=D("250.00")), today=TODAY)
    found = affiliate_performance(db, ids["JANE"], today=date(2026, 10, 31))
    assert [p for p, _ in found.trend][-2:] == ["2026-09", "2026-10"] and len(found.trend) == 12
    assert found.trend[-1][1].revenue == D("300.00") and found.trend[-2][1].revenue == D("999.00")
    assert found.last_30_days.revenue == D("300.00")  # 2 to 31 October
    assert (found.rank, found.active) == (1, 3)
    assert [t.data.period for t in found.targets] == ["2026-10"]
    assert affiliate_performance(db, ids["TOM"], today=date(2026, 10, 31)).rank == 2


def test_demo_targets_tell_a_story(db: Database) -> None:
    today = date(2026, 11, 20)
    load_demo(db, affiliates=40, today=today)
    demo_orders(db, today)
    ids = load_demo_targets(db, today=today)
    views = list_targets(db, today=today)
    assert len(ids) == len(views) >= 10
    settled = [v for v in views if v.state == "settled"]
    assert {v.data.period for v in settled} == {"2026-08", "2026-09", "2026-10"}
    assert any(v.met for v in settled) and any(v.met < len(v.members) for v in settled)
    assert {v.state for v in views if v.data.period == "2026-11"} == {"running"}
    assert any(v.data.bonus for v in settled if v.met) and any(v.data.growth for v in views)
