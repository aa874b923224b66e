"""Targets' progress: each affiliate's goal and actual while a target runs, and what was settled once it ended."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import Affiliate, Target, TargetResult
from desktop.money import ZERO
from desktop.services.errors import RefusedByState
from desktop.services.metrics import METRIC_LABELS, DateRange, add_months, first_day, month_end, period_of
from desktop.services.targets import (
    TargetInput,
    goal_text,
    input_of,
    is_frozen,
    measure,
    members,
    program_today,
    reward_text,
)


@dataclass(frozen=True)
class MemberProgress:
    """One affiliate's result on a target: settled, or so far while it runs."""

    affiliate_id: int
    code: str
    name: str
    goal: Decimal  # growth already turned into a number
    actual: Decimal
    met: bool

    @property
    def percent(self) -> Decimal:
        return Decimal(100) if not self.goal else (self.actual * 100 / self.goal).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class TargetView:
    id: int
    data: TargetInput
    scope_label: str  # "Jane Brooks (JANE10)", "Tag blog", "All active affiliates"
    state: str  # upcoming | running | ended (not settled yet) | settled
    frozen: bool  # its payout sheet is approved or paid: it can no longer change
    day: int  # days of the period gone (0 before it starts)
    days: int
    members: tuple[MemberProgress, ...]

    @property
    def metric_label(self) -> str:
        return METRIC_LABELS[self.data.metric]

    @property
    def met(self) -> int:
        return sum(1 for m in self.members if m.met)

    @property
    def attainment(self) -> Decimal:
        """Percent of the goal reached; for a group its median member's, so that it passes 100 % when half met."""
        if not self.members:
            return ZERO
        ordered = sorted(m.percent for m in self.members)
        middle = len(ordered) // 2
        median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        return median.quantize(Decimal("0.1"))

    @property
    def goal_text(self) -> str:
        return goal_text(self.data)

    @property
    def reward_text(self) -> str:
        return reward_text(self.data)


def _scope_label(session: Session, target: Target) -> str:
    if target.affiliate_id is not None:
        row = session.get(Affiliate, target.affiliate_id)
        return f"{row.name} ({row.code})" if row else target.scope
    return f"Tag {target.tag}" if target.tag else "All active affiliates"


def _views(
    db: Database, session: Session, targets: list[Target], today: date, only: int | None = None
) -> list[TargetView]:
    """The targets with their members' progress (settled results as stored); `only` one affiliate's row."""
    settled = defaultdict(list)
    for result in session.scalars(select(TargetResult).where(TargetResult.target_id.in_([t.id for t in targets]))):
        if result.settled_at is not None:
            settled[result.target_id].append(result)
    running = [t for t in targets if t.id not in settled]  # upcoming ones too: their members, at zero
    ids = {t.id: [a for a in members(session, t) if only in (None, a)] for t in running}
    measured = measure(db, session, running, ids)
    people = {a.id: a for a in session.scalars(select(Affiliate).where(
        Affiliate.id.in_({r.affiliate_id for rs in settled.values() for r in rs} | {i for v in ids.values() for i in v})
    ))}  # fmt: skip
    views = []
    for target in targets:
        start, end = first_day(target.period), month_end(first_day(target.period))
        if target.id in settled:
            state = "settled"
            stored = [r for r in settled[target.id] if only in (None, r.affiliate_id)]
            rows = [(r.affiliate_id, r.goal_value, r.actual) for r in stored]
        else:
            state = "upcoming" if start > today else "running" if end >= today else "ended"
            rows = [(a, *measured[(target.id, a)]) for a in ids.get(target.id, [])]
        progress = tuple(
            MemberProgress(a, people[a].code, people[a].name, goal, actual, actual >= goal)
            for a, goal, actual in sorted(rows, key=lambda row: -row[2] / (row[1] or 1))
            if a in people
        )
        day = 0 if today < start else min((today - start).days + 1, end.day)
        views.append(TargetView(target.id, input_of(session, target), _scope_label(session, target), state,
                                is_frozen(session, target), day, end.day, progress))  # fmt: skip
    return views


def list_targets(db: Database, rng: DateRange | None = None, today: date | None = None) -> list[TargetView]:
    """Targets whose period falls in `rng` (all without one), latest period first, with their progress."""
    with db.read() as session:
        today = today or program_today(session)
        query = select(Target).order_by(Target.period.desc(), Target.id)
        if rng is not None:
            query = query.where(Target.period.between(period_of(rng.start), period_of(rng.end)))
        return _views(db, session, list(session.scalars(query)), today)


def get_target(db: Database, target_id: int, today: date | None = None) -> TargetView:
    with db.read() as session:
        target = session.get(Target, target_id)
        if target is None:
            raise RefusedByState(f"There is no target {target_id} (deleted in another window?)")
        return _views(db, session, [target], today or program_today(session))[0]


def affiliate_targets(db: Database, affiliate_id: int, months: int = 6, today: date | None = None) -> list[TargetView]:
    """The targets that count for one affiliate over the last `months` months and the future, with only their row."""
    with db.read() as session:
        today = today or program_today(session)
        since = add_months(period_of(today), 1 - months)
        candidates = list(session.scalars(select(Target).where(Target.period >= since).order_by(Target.period.desc())))
        views = _views(db, session, candidates, today, only=affiliate_id)
    return [view for view in views if view.members]
