"""The performance review's data, worked out by hand: KPIs against last month and the program, targets, rank,
feedback, rewards, next month's targets and the six-month trend chart."""

from __future__ import annotations

import struct
from datetime import date
from decimal import Decimal

import pytest
from test_report_helpers import FORMULA_REASON, TODAY, build_world

from desktop.db import Database
from desktop.services.errors import BadInput
from desktop.services.report_review import change_text, iter_reviews, plain_reason, review_data

D = Decimal


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    return build_world(db)


def test_key_figures_against_last_month_and_the_program_average(db: Database, world: dict[str, int]) -> None:
    review = review_data(db, world["JANE"], "2026-10", today=TODAY)
    assert (review.program_name, review.name, review.code, review.period_label) == (
        "Acme Outdoor", "Jane Griffin", "JANE", "October 2026")  # fmt: skip
    assert review.previous_label == "September 2026" and review.next_label == "November 2026"
    assert not review.in_progress
    rows = {k.metric: (k.value_text, k.previous_text, k.change, k.good, k.average_text) for k in review.kpis}
    # Jane: 150 + 250 + (600 - 100 refunded) = 900.00 from 100 clicks; Tom 100.00 from 40; Ada is paused.
    assert rows["revenue"] == ("900.00", "300.00", "+200.0 %", True, "500.00")
    assert rows["sales"] == ("3", "1", "+200.0 %", True, "2.0")
    assert rows["clicks"] == ("100", "50", "+100.0 %", True, "70.0")
    assert rows["conversion_rate"] == ("3.00 %", "2.00 %", "+1.00 pt", True, "2.86 %")  # 4 sales / 140 clicks
    assert rows["aov"] == ("300.00", "300.00", "±0", None, "250.00")
    assert rows["commission"] == ("90.00", "30.00", "+200.0 %", True, "50.00")  # the draft sheet's lines
    assert rows["epc"][:2] == ("0.90", "0.60")
    assert "leads" not in rows  # the program has no leads: no empty rows
    assert (review.rank, review.ranked) == (1, 2)
    assert review.rank_text == "1 of 2 active affiliates by revenue (top 50 %)"


def test_targets_met_and_missed_with_the_rewards_earned(db: Database, world: dict[str, int]) -> None:
    review = review_data(db, world["JANE"], "2026-10", today=TODAY)
    targets = {t.metric_label: (t.goal_text, t.actual_text, t.state, t.result, t.scope) for t in review.targets}
    assert targets == {
        "Revenue": ("800.00", "900.00", "met", "Met", "Personal target"),
        "Sales": ("2", "3", "met", "Met", "All active affiliates"),
        "Clicks": ("150", "100", "missed", "Missed", "Personal target"),
    }
    assert review.targets_met == 2
    rewards = [(r.kind, r.text, r.amount) for r in review.rewards]
    assert ("Bonus", "Target met: Revenue 800.00 in 2026-10 (actual 900.00)", D("50.00")) in rewards  # no "[target 1]"
    assert ("Bonus", "Target met: Sales 2 in 2026-10 (actual 3)", D("10.00")) in rewards
    assert ("Bonus", FORMULA_REASON, D("25.00")) in rewards  # a manual bonus of the month
    assert ("Better rate", "+2% commission rate in November 2026", None) in rewards
    assert ("Reward", "Trail shoes (Revenue target met)", None) in rewards
    tom = review_data(db, world["TOM"], "2026-10", today=TODAY)
    assert [(t.metric_label, t.result) for t in tom.targets] == [("Sales", "Missed")]
    assert tom.rewards == () and tom.rank == 2


def test_feedback_of_the_month_and_next_months_targets(db: Database, world: dict[str, int]) -> None:
    review = review_data(db, world["JANE"], "2026-10", today=TODAY)
    assert [(f.kind_label, f.written_on.day) for f in review.feedback] == [("Praise", 12), ("Coaching", 20)]
    upcoming = {t.metric_label: (t.goal_text, t.basis, t.reward, t.scope) for t in review.next_targets}
    assert upcoming == {
        "Revenue": ("990.00", "+10% over October 2026", "no reward", "Personal target"),  # 900.00 + 10 %
        "Sales": ("3", "", "A shout-out in the newsletter", "All active affiliates"),
    }
    assert review_data(db, world["ADA"], "2026-10", today=TODAY).next_targets == ()  # paused: not in "all"


def test_six_month_trend_chart_at_print_resolution(db: Database, world: dict[str, int]) -> None:
    review = review_data(db, world["JANE"], "2026-10", today=TODAY)
    assert [p for p, _, _ in review.trend_points] == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09",
                                                     "2026-10"]  # fmt: skip
    assert review.trend_points[-2:] == (("2026-09", D("300.00"), D("30.00")), ("2026-10", D("900.00"), D("90.00")))
    png = review.trend.png
    assert png.startswith(b"\x89PNG")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (round(review.trend.width_in * 300), round(review.trend.height_in * 300))
    assert review.trend.series["revenue"][-1] == 900.0 and not review.trend.empty


def test_a_paused_affiliate_is_reviewed_but_not_ranked(db: Database, world: dict[str, int]) -> None:
    review = review_data(db, world["ADA"], "2026-10", today=TODAY)
    assert review.rank is None and review.status == "paused"
    assert review.rank_text.startswith("Not ranked: the affiliate is paused")
    assert next(k for k in review.kpis if k.metric == "revenue").value_text == "900.00"


def test_a_running_month_says_so(db: Database, world: dict[str, int]) -> None:
    review = review_data(db, world["JANE"], "2026-11", today=TODAY)
    assert review.in_progress
    assert [(t.metric_label, t.state) for t in review.targets] == [("Revenue", "running"), ("Sales", "running")]
    assert review.targets[0].result.startswith("In progress (")
    with pytest.raises(BadInput, match="has not started"):
        review_data(db, world["JANE"], "2026-12", today=TODAY)
    with pytest.raises(BadInput, match="not a period"):
        review_data(db, world["JANE"], "October", today=TODAY)
    with pytest.raises(BadInput, match="no affiliate"):
        review_data(db, 999, "2026-10", today=TODAY)


def test_a_batch_shares_one_context_and_gives_the_same_reviews(db: Database, world: dict[str, int]) -> None:
    ids = [world["JANE"], world["TOM"]]
    batch = list(iter_reviews(db, "2026-10", ids, today=TODAY))
    single = [review_data(db, affiliate_id, "2026-10", today=TODAY) for affiliate_id in ids]
    assert [(r.code, r.kpis, r.targets, r.rank, r.rewards) for r in batch] == [
        (r.code, r.kpis, r.targets, r.rank, r.rewards) for r in single
    ]


@pytest.mark.parametrize(
    ("metric", "now", "before", "expected"),
    [
        ("revenue", "110", "100", ("+10.0 %", True)),
        ("revenue", "5", "0", ("new", True)),
        ("refund_rate", "2.00", "3.00", ("−1.00 pt", True)),  # fewer refunds are good news
        ("sales", "1", "1", ("±0", None)),
        ("revenue", "12000", "100", ("+11,900.0 %", True)),
    ],
)
def test_change_text(metric: str, now: str, before: str, expected: tuple[str, bool | None]) -> None:
    assert change_text(metric, D(now), D(before)) == expected
    assert change_text(metric, None, D(before)) == ("", None)


def test_plain_reason_drops_the_settlement_mark() -> None:
    marked = "Target met: Sales 8 in 2026-10 (actual 9) [target 12]"
    assert plain_reason(marked) == "Target met: Sales 8 in 2026-10 (actual 9)"
    assert plain_reason("Thanks [target practice]") == "Thanks [target practice]"


def test_a_running_month_is_compared_with_the_same_days_of_the_month_before(
    db: Database, world: dict[str, int]
) -> None:
    """3 November: Jane's 200.00 of 1–3 November against her 150.00 of 1–3 October, not all of October's 900.00."""
    from desktop.views.report_html import review_html

    review = review_data(db, world["JANE"], "2026-11", today=TODAY)
    assert (review.current_label, review.compared_label) == ("1–3 Nov 2026", "1–3 Oct 2026")
    rows = {k.metric: (k.value_text, k.previous_text, k.change, k.good) for k in review.kpis}
    assert rows["revenue"] == ("200.00", "150.00", "+33.3 %", True)
    assert rows["clicks"] == ("0", "100", "−100.0 %", False)  # October's clicks were all on the 1st
    html = review_html(review).html
    assert "1–3 Nov 2026</th>" in html and "1–3 Oct 2026</th>" in html
    assert "the changes compare them with the same days of October 2026, 1–3 Oct 2026" in html
    assert "against 1–3 Oct 2026" in html
    finished = review_data(db, world["JANE"], "2026-10", today=TODAY)
    assert (finished.current_label, finished.compared_label) == ("October 2026", "September 2026")


def test_no_rank_without_revenue_and_ties_share_a_rank(db: Database, world: dict[str, int]) -> None:
    from test_report_helpers import add_order

    from desktop.views.report_html import review_html

    tom = review_data(db, world["TOM"], "2026-11", today=TODAY)  # Tom has sold nothing in November
    assert tom.rank is None
    assert tom.rank_text == "Not ranked: no revenue in 1–3 Nov 2026 so far (1 of 2 active affiliates had some)."
    before = review_data(db, world["JANE"], "2020-01", today=TODAY)  # years before Jane joined
    assert before.rank is None and before.rank_text.startswith("Not ranked: no revenue in January 2020 (0 of 2")
    html = review_html(before).html
    assert "rank <b>" not in html and "joined on 01 Mar 2025, after January 2020" in html
    add_order(db, world["TOM"], "T-202", date(2026, 10, 6), "800.00")  # Tom 900.00, as much as Jane
    jane, tom = (review_data(db, world[c], "2026-10", today=TODAY) for c in ("JANE", "TOM"))
    assert (jane.rank, tom.rank) == (1, 1)
    assert jane.rank_text == "1 of 2 active affiliates by revenue, tied with 1 other (top 50 %)"
