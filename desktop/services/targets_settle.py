"""Changing targets, and settling them when their month ends: met or missed, a bonus on the sheet, a better rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import Adjustment, PayoutSheet, RateReward, Target, TargetResult
from desktop.money import ZERO, format_rate
from desktop.services.affiliates import current_user
from desktop.services.errors import RefusedByState, ValidationFailed
from desktop.services.metrics import METRIC_LABELS, add_months, format_value
from desktop.services.targets import (
    TargetInput,
    find_affiliate,
    find_tag,
    goal_text,
    has_ended,
    is_frozen,
    measure,
    members,
    normalized,
    now_in,
    program_today,
    refuse_if_frozen,
    target_problems,
)

BONUS_KIND = "target_bonus"


@dataclass(frozen=True)
class Settlement:
    target_id: int
    period: str
    members: int
    met: int
    bonuses: Decimal  # written as target_bonus adjustments on the period's sheet
    rate_rewards: int  # better rates written for the next period
    drafts: tuple[str, ...] = ()  # draft sheets built before, which need "Build again" to show its money rewards


def _mark(target_id: int) -> str:
    """Ends every reason a target writes, so that settling again finds its own rows (and only those)."""
    return f"[target {target_id}]"


def _fill(session: Session, target: Target, data: TargetInput) -> None:
    errors = target_problems(session, data)
    if errors:
        raise ValidationFailed(errors)
    target.affiliate_id, target.tag, target.scope = None, None, data.scope
    if data.scope.startswith("tag:"):
        tag = find_tag(session, data.scope[4:])
        assert tag is not None
        target.tag, target.scope = tag.name, f"tag:{tag.name}"
    elif data.scope != "all":
        affiliate = find_affiliate(session, data.scope)
        assert affiliate is not None
        target.affiliate_id, target.scope = affiliate.id, affiliate.code
    target.metric, target.period = data.metric, data.period
    target.goal, target.growth = data.goal, data.growth
    target.bonus = data.bonus or None
    target.reward_rate = data.reward_rate or None
    target.reward_text = data.reward_text


def save_target_in(db: Database, session: Session, target: Target | None, data: TargetInput, today: date) -> Target:
    """Create (target None) or change a target in the caller's transaction; an ended month is settled at once."""
    data = normalized(data)
    if target is None:
        target = Target(created_at=now_in(session))
        _fill(session, target, data)
        refuse_if_frozen(session, target, "adding a target to it")
        session.add(target)
        session.flush()
    else:
        refuse_if_frozen(session, target, "changing its target")
        _fill(session, target, data)
        refuse_if_frozen(session, target, "moving a target into it")
        clear_settlement(session, target.id)
    if has_ended(target.period, today):
        settle_in(db, session, target, today)
    return target


def create_target(db: Database, data: TargetInput, today: date | None = None) -> int:
    with db.write() as session:
        return save_target_in(db, session, None, data, today or program_today(session)).id


def update_target(db: Database, target_id: int, data: TargetInput, today: date | None = None) -> None:
    with db.write() as session:
        save_target_in(db, session, _target(session, target_id), data, today or program_today(session))


def delete_target(db: Database, target_id: int) -> None:
    """Delete a target with its results and rewards; refused once a sheet paid them."""
    with db.write() as session:
        target = _target(session, target_id)
        refuse_if_frozen(session, target, "deleting its target")
        clear_settlement(session, target.id)
        session.delete(target)


def _target(session: Session, target_id: int) -> Target:
    target = session.get(Target, target_id)
    if target is None:
        raise RefusedByState(f"There is no target {target_id} (deleted in another window?)")
    return target


def clear_settlement(session: Session, target_id: int) -> None:
    """Forget a settlement: its results, bonus adjustments and better rates."""
    results = select(TargetResult.id).where(TargetResult.target_id == target_id)
    session.execute(delete(RateReward).where(RateReward.target_result_id.in_(results)))
    session.execute(
        delete(Adjustment).where(Adjustment.kind == BONUS_KIND, Adjustment.reason.endswith(_mark(target_id)))
    )
    session.execute(delete(TargetResult).where(TargetResult.target_id == target_id))


def settle_in(db: Database, session: Session, target: Target, today: date) -> Settlement:
    """Settle an ended target in the caller's transaction. Settling again updates the rows it wrote, never adds."""
    if not has_ended(target.period, today):
        raise RefusedByState(f"{target.period} is not over yet (today is {today.isoformat()}): its target still runs")
    refuse_if_frozen(session, target, "settling it")
    ids = members(session, target)
    measured = measure(db, session, [target], {target.id: ids})
    stored = session.scalars(select(TargetResult).where(TargetResult.target_id == target.id))
    results = {r.affiliate_id: r for r in stored}
    gone = [r.id for affiliate_id, r in results.items() if affiliate_id not in ids]
    if gone:  # no longer in the group (left the tag, not active in the month after all): their old result goes
        session.execute(delete(RateReward).where(RateReward.target_result_id.in_(gone)))
        session.execute(delete(TargetResult).where(TargetResult.id.in_(gone)))
    now = now_in(session)
    met = rate_rewards = 0
    bonuses = ZERO
    for affiliate_id in ids:
        goal, actual = measured[(target.id, affiliate_id)]
        result = results.get(affiliate_id)
        if result is None:
            result = TargetResult(target_id=target.id, affiliate_id=affiliate_id)
            session.add(result)
        result.goal_value, result.actual, result.met, result.settled_at = goal, actual, actual >= goal, now
        session.flush()
        met += result.met
        bonuses += _bonus(session, target, result, now)
        rate_rewards += _better_rate(session, target, result)
    return Settlement(target.id, target.period, len(ids), met, bonuses, rate_rewards, _drafts(session, target))


def _drafts(session: Session, target: Target) -> tuple[str, ...]:
    """The draft sheets a settlement of `target` has made out of date: its month's (where the bonus goes, or the next
    sheet's when that month has none), the next month's (the better rate) and any later one (their carried balances).
    A target without a bonus or a better rate changes no sheet."""
    if not (target.bonus or target.reward_rate):
        return ()
    query = select(PayoutSheet.period).where(PayoutSheet.period >= target.period, PayoutSheet.state == "draft")
    return tuple(session.scalars(query.order_by(PayoutSheet.period)))


def sheets_to_build_again(db: Database, target_id: int, today: date | None = None) -> tuple[str, ...]:
    """After a target was saved: the draft sheets to build again, when its month is over (so it was settled)."""
    with db.read() as session:
        target = session.get(Target, target_id)
        if target is None or not has_ended(target.period, today or program_today(session)):
            return ()
        return _drafts(session, target)


def _bonus(session: Session, target: Target, result: TargetResult, now: datetime) -> Decimal:
    query = select(Adjustment).where(
        Adjustment.kind == BONUS_KIND,
        Adjustment.affiliate_id == result.affiliate_id,
        Adjustment.reason.endswith(_mark(target.id)),
    )
    existing = session.scalars(query).all()
    if not (result.met and target.bonus):
        for row in existing:
            session.delete(row)
        return ZERO
    label = METRIC_LABELS[target.metric]
    reason = (
        f"Target met: {label} {_goal(target, result)} in {target.period} "
        f"(actual {format_value(target.metric, result.actual)}) {_mark(target.id)}"
    )
    row = existing[0] if existing else Adjustment(affiliate_id=result.affiliate_id, kind=BONUS_KIND)
    for extra in existing[1:]:
        session.delete(extra)
    row.period, row.amount, row.reason = target.period, target.bonus, reason
    if not existing:
        row.created_at, row.created_by = now, current_user()
        session.add(row)
    return target.bonus


def _better_rate(session: Session, target: Target, result: TargetResult) -> int:
    existing = session.scalars(select(RateReward).where(RateReward.target_result_id == result.id)).all()
    if not (result.met and target.reward_rate):
        for row in existing:
            session.delete(row)
        return 0
    reason = (
        f"Target met in {target.period}: {METRIC_LABELS[target.metric]} {_goal(target, result)} "
        f"→ +{format_rate(target.reward_rate)} {_mark(target.id)}"
    )
    row = existing[0] if existing else RateReward(affiliate_id=result.affiliate_id, target_result_id=result.id)
    row.period, row.rate_boost, row.reason = add_months(target.period, 1), target.reward_rate, reason
    if not existing:
        session.add(row)
    return 1


def _goal(target: Target, result: TargetResult) -> str:
    written = format_value(target.metric, result.goal_value)
    if target.growth is None:
        return written
    return f"{written} ({goal_text(TargetInput('', target.metric, target.period, growth=target.growth))})"


def settle_target(db: Database, target_id: int, today: date | None = None) -> Settlement:
    with db.write() as session:
        return settle_in(db, session, _target(session, target_id), today or program_today(session))


def _due(session: Session, today: date) -> list[Target]:
    """Targets whose month has ended, never settled, not frozen by an approved sheet, with someone to settle."""
    settled = select(TargetResult.target_id).where(TargetResult.settled_at.is_not(None))
    due = session.scalars(select(Target).where(Target.id.not_in(settled)).order_by(Target.period, Target.id))
    return [t for t in due if has_ended(t.period, today) and not is_frozen(session, t) and members(session, t)]


def targets_to_settle(db: Database, today: date | None = None) -> int:
    with db.read() as session:
        return len(_due(session, today or program_today(session)))


def settle_due_targets(db: Database, today: date | None = None) -> list[Settlement]:
    """Settle every target whose month has ended and that was never settled (sheets already approved are skipped).

    The payout sheet of a month should be built after this, so that the bonuses are on it.
    """
    with db.write() as session:
        today = today or program_today(session)
        return [settle_in(db, session, target, today) for target in _due(session, today)]
