"""Recruiting: the candidate pipeline, screening checklist, approval decision and onboarding."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import PIPELINE_STATUSES, Affiliate, Onboarding, Program, Screening, SocialProfile, StatusChange
from desktop.services.errors import BadInput, RefusedByState, ValidationFailed
from desktop.services.fit_score import FitScore, fit_score, niche_matches
from desktop.services.guideline_rows import accepted, latest_terms
from desktop.services.program_settings import get_program, split_list
from desktop.services.timezones import is_valid_timezone

# The fit score lives in fit_score; the page and the tests import it from here with the rest.
__all__ = [
    "CHECKS",
    "RISK_RATINGS",
    "STAGE_LABELS",
    "Candidate",
    "Decision",
    "FitScore",
    "OnboardingView",
    "Pipeline",
    "ScreeningInput",
    "ScreeningView",
    "decide",
    "fit_score",
    "get_onboarding",
    "get_screening",
    "list_candidates",
    "list_onboarding",
    "missing_for_approval",
    "move_to_stage",
    "niche_matches",
    "save_screening",
    "update_onboarding",
]

STAGE_LABELS = {"prospect": "Prospects", "applied": "Applied", "screening": "In screening"}
RISK_RATINGS = ("low", "medium", "high")
CHECKS = (
    ("website_reviewed", "review the website"),
    ("backlinks_checked", "check the backlinks"),
    ("socials_verified", "verify the social profiles"),
    ("reviews_checked", "check online reviews"),
)

Decision = Literal["approved", "rejected"]


@dataclass(frozen=True)
class Candidate:
    id: int
    code: str
    name: str
    status: str
    niches: tuple[str, ...]
    total_followers: int
    best_engagement: Decimal | None
    fit: FitScore
    screening_done: int
    screening_total: int
    risk_rating: str | None


@dataclass(frozen=True)
class Pipeline:
    prospect: tuple[Candidate, ...]
    applied: tuple[Candidate, ...]
    screening: tuple[Candidate, ...]
    target_niches: tuple[str, ...]

    def stage(self, key: str) -> tuple[Candidate, ...]:
        return {"prospect": self.prospect, "applied": self.applied, "screening": self.screening}[key]

    def find(self, affiliate_id: int) -> Candidate | None:
        return next((c for c in (*self.prospect, *self.applied, *self.screening) if c.id == affiliate_id), None)


@dataclass(frozen=True)
class ScreeningInput:
    website_reviewed: bool = False
    backlinks_checked: bool = False
    socials_verified: bool = False
    reviews_checked: bool = False
    risk_rating: str | None = None  # low | medium | high
    notes: str = ""


@dataclass(frozen=True)
class ScreeningView:
    affiliate_id: int
    code: str
    name: str
    status: str
    checklist: ScreeningInput
    decision: str | None
    decision_reason: str | None
    decided_at: datetime | None

    @property
    def missing_for_approval(self) -> tuple[str, ...]:
        return missing_for_approval(self.checklist)


@dataclass(frozen=True)
class OnboardingView:
    affiliate_id: int
    code: str
    name: str
    started_at: datetime
    goals_communicated: bool
    terms_accepted: bool
    asset_kit_sent: bool
    completed_at: datetime | None

    @property
    def complete(self) -> bool:
        return self.completed_at is not None


def missing_for_approval(checklist: ScreeningInput) -> tuple[str, ...]:
    """What is still to do before a candidate can be approved, in the user's words."""
    missing = [label for field, label in CHECKS if not getattr(checklist, field)]
    if checklist.risk_rating not in RISK_RATINGS:
        missing.append("choose a risk rating")
    return tuple(missing)


# --- pipeline -----------------------------------------------------------------------------------------------


def list_candidates(db: Database) -> Pipeline:
    """Everyone in prospect, applied or screening, best fit first (two queries in all)."""
    targets = tuple(split_list(get_program(db).target_niches))
    in_pipeline = select(Affiliate.id).where(Affiliate.status.in_(PIPELINE_STATUSES))
    socials = (
        select(
            SocialProfile.affiliate_id,
            func.sum(SocialProfile.followers).label("followers"),
            func.max(SocialProfile.engagement_rate).label("best"),
        )
        .where(SocialProfile.affiliate_id.in_(in_pipeline))
        .group_by(SocialProfile.affiliate_id)
        .subquery()
    )
    stmt = (
        select(Affiliate, socials.c.followers, socials.c.best, Screening)
        .outerjoin(socials, socials.c.affiliate_id == Affiliate.id)
        .outerjoin(Screening, Screening.affiliate_id == Affiliate.id)
        .where(Affiliate.status.in_(PIPELINE_STATUSES))
    )
    stages: dict[str, list[Candidate]] = {stage: [] for stage in PIPELINE_STATUSES}
    with db.read() as session:
        for affiliate, social_followers, best, screening in session.execute(stmt):
            niches = tuple(split_list(affiliate.niches))
            followers = affiliate.total_followers or int(social_followers or 0)
            done = sum(bool(getattr(screening, field)) for field, _ in CHECKS) if screening else 0
            stages[affiliate.status].append(
                Candidate(
                    id=affiliate.id,
                    code=affiliate.code,
                    name=affiliate.name,
                    status=affiliate.status,
                    niches=niches,
                    total_followers=followers,
                    best_engagement=best,
                    fit=fit_score(niches, targets, followers, best),
                    screening_done=done,
                    screening_total=len(CHECKS),
                    risk_rating=screening.risk_rating if screening else None,
                )
            )
    for candidates in stages.values():
        candidates.sort(key=lambda c: (-c.fit.total, c.name.casefold(), c.id))
    return Pipeline(
        prospect=tuple(stages["prospect"]),
        applied=tuple(stages["applied"]),
        screening=tuple(stages["screening"]),
        target_niches=targets,
    )


def _user(changed_by: str | None) -> str:
    if changed_by and changed_by.strip():
        return changed_by.strip()
    try:
        return getpass.getuser() or "manager"
    except Exception:  # no login name on this computer (e.g. a service account without a passwd entry)
        return "manager"


def _now(session: Session) -> datetime:
    """The program's local time, without an offset (how the database keeps times)."""
    program = session.get(Program, 1)
    if program is not None and is_valid_timezone(program.timezone):
        return datetime.now(ZoneInfo(program.timezone)).replace(tzinfo=None)
    return datetime.now()


def _affiliate(session: Session, affiliate_id: int) -> Affiliate:
    affiliate = session.get(Affiliate, affiliate_id)
    if affiliate is None:
        raise BadInput(f"There is no affiliate with id {affiliate_id}; it may have been deleted.")
    return affiliate


def _in_pipeline(affiliate: Affiliate) -> None:
    if affiliate.status not in PIPELINE_STATUSES:
        raise RefusedByState(f"{affiliate.name} is {affiliate.status}, no longer a candidate in the pipeline.")


def _change_status(
    session: Session, affiliate: Affiliate, status: str, reason: str | None, changed_by: str | None, now: datetime
) -> None:
    session.add(
        StatusChange(
            affiliate_id=affiliate.id,
            changed_at=now,
            from_status=affiliate.status,
            to_status=status,
            changed_by=_user(changed_by),
            reason=reason or None,
        )
    )
    affiliate.status = status
    affiliate.updated_at = now


def move_to_stage(
    db: Database, affiliate_id: int, stage: str, reason: str | None = None, changed_by: str | None = None
) -> None:
    """Move a candidate (or a rejected one, to reconsider) to prospect, applied or screening."""
    if stage not in PIPELINE_STATUSES:
        raise BadInput(f"{stage!r} is not a pipeline stage; choose one of {', '.join(PIPELINE_STATUSES)}.")
    with db.write() as session:
        affiliate = _affiliate(session, affiliate_id)
        if affiliate.status != "rejected":
            _in_pipeline(affiliate)
        if affiliate.status == stage:
            return
        _change_status(session, affiliate, stage, (reason or "").strip(), changed_by, _now(session))


# --- screening ----------------------------------------------------------------------------------------------


def _checklist(screening: Screening | None) -> ScreeningInput:
    if screening is None:
        return ScreeningInput()
    return ScreeningInput(
        website_reviewed=screening.website_reviewed,
        backlinks_checked=screening.backlinks_checked,
        socials_verified=screening.socials_verified,
        reviews_checked=screening.reviews_checked,
        risk_rating=screening.risk_rating,
        notes=screening.notes or "",
    )


def _screening_row(session: Session, affiliate_id: int) -> Screening | None:
    return session.scalars(select(Screening).where(Screening.affiliate_id == affiliate_id)).first()


def get_screening(db: Database, affiliate_id: int) -> ScreeningView:
    with db.read() as session:
        affiliate = _affiliate(session, affiliate_id)
        screening = _screening_row(session, affiliate_id)
        return ScreeningView(
            affiliate_id=affiliate.id,
            code=affiliate.code,
            name=affiliate.name,
            status=affiliate.status,
            checklist=_checklist(screening),
            decision=screening.decision if screening else None,
            decision_reason=screening.decision_reason if screening else None,
            decided_at=screening.decided_at if screening else None,
        )


def save_screening(
    db: Database, affiliate_id: int, checklist: ScreeningInput, changed_by: str | None = None
) -> ScreeningView:
    """Save the checklist; a prospect or applicant moves to the screening stage."""
    risk = checklist.risk_rating or None
    if risk is not None and risk not in RISK_RATINGS:
        raise ValidationFailed({"risk_rating": "Choose low, medium or high risk, or leave it unrated for now"})
    with db.write() as session:
        affiliate = _affiliate(session, affiliate_id)
        _in_pipeline(affiliate)
        screening = _screening_row(session, affiliate_id)
        if screening is None:
            screening = Screening(affiliate_id=affiliate_id)
            session.add(screening)
        for field, _label in CHECKS:
            setattr(screening, field, bool(getattr(checklist, field)))
        screening.risk_rating = risk
        screening.notes = checklist.notes.strip() or None
        if affiliate.status != "screening":
            _change_status(session, affiliate, "screening", "Screening started", changed_by, _now(session))
    return get_screening(db, affiliate_id)


def decide(db: Database, affiliate_id: int, decision: Decision, reason: str, changed_by: str | None = None) -> None:
    """Approve (active, onboarding starts) or reject a candidate; the reason goes into the history."""
    if decision not in ("approved", "rejected"):
        raise BadInput(f"{decision!r} is not a decision; approve or reject.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": "Write the reason: it is kept in the partner's history."})
    with db.write() as session:
        affiliate = _affiliate(session, affiliate_id)
        _in_pipeline(affiliate)
        screening = _screening_row(session, affiliate_id)
        now = _now(session)
        if decision == "approved":
            missing = missing_for_approval(_checklist(screening))
            if missing:
                raise BadInput(f"Before approving {affiliate.name}, finish the screening: " + ", ".join(missing) + ".")
            _change_status(session, affiliate, "active", reason, changed_by, now)
            if affiliate.joined_on is None:
                affiliate.joined_on = now.date()
            if session.scalars(select(Onboarding.id).where(Onboarding.affiliate_id == affiliate_id)).first() is None:
                terms = latest_terms(session)  # accepted before the approval: that step is done already
                done = terms is not None and accepted(session, affiliate_id, terms)
                session.add(Onboarding(affiliate_id=affiliate_id, started_at=now, terms_accepted=done))
        else:
            _change_status(session, affiliate, "rejected", reason, changed_by, now)
        if screening is None:
            screening = Screening(affiliate_id=affiliate_id)
            session.add(screening)
        screening.decision = decision
        screening.decision_reason = reason
        screening.decided_at = now


# --- onboarding ---------------------------------------------------------------------------------------------


def _onboarding_view(affiliate: Affiliate, row: Onboarding) -> OnboardingView:
    return OnboardingView(
        affiliate_id=affiliate.id,
        code=affiliate.code,
        name=affiliate.name,
        started_at=row.started_at,
        goals_communicated=row.goals_communicated,
        terms_accepted=row.terms_accepted,
        asset_kit_sent=row.asset_kit_sent,
        completed_at=row.completed_at,
    )


def get_onboarding(db: Database, affiliate_id: int) -> OnboardingView | None:
    with db.read() as session:
        affiliate = _affiliate(session, affiliate_id)
        row = session.scalars(select(Onboarding).where(Onboarding.affiliate_id == affiliate_id)).first()
        return _onboarding_view(affiliate, row) if row is not None else None


def list_onboarding(db: Database) -> tuple[OnboardingView, ...]:
    """Active affiliates whose onboarding is not complete yet, the longest waiting first."""
    stmt = (
        select(Affiliate, Onboarding)
        .join(Onboarding, Onboarding.affiliate_id == Affiliate.id)
        .where(Affiliate.status == "active", Onboarding.completed_at.is_(None))
        .order_by(Onboarding.started_at, Affiliate.name)
    )
    with db.read() as session:
        return tuple(_onboarding_view(affiliate, row) for affiliate, row in session.execute(stmt))


def update_onboarding(
    db: Database, affiliate_id: int, *, goals_communicated: bool, terms_accepted: bool, asset_kit_sent: bool
) -> OnboardingView:
    """Tick the onboarding steps; complete when all three are done (and open again if one is unticked)."""
    with db.write() as session:
        affiliate = _affiliate(session, affiliate_id)
        row = session.scalars(select(Onboarding).where(Onboarding.affiliate_id == affiliate_id)).first()
        now = _now(session)
        if row is None:
            if affiliate.status != "active":
                raise RefusedByState(f"{affiliate.name} is {affiliate.status}: only active affiliates are onboarded.")
            row = Onboarding(affiliate_id=affiliate_id, started_at=now)
            session.add(row)
        terms = latest_terms(session)
        # With published terms the step is the acceptance on record, not a tick of its own (they disagreed).
        changed = terms is not None and terms_accepted != row.terms_accepted
        if terms is not None and changed and terms_accepted != accepted(session, affiliate_id, terms):
            raise RefusedByState(
                f"Record {affiliate.name}'s acceptance of the terms (version {terms.number}) on the Guidelines "
                "page: this step is ticked from that record." if terms_accepted else
                f"{affiliate.name}'s acceptance of the terms (version {terms.number}) is on record, so this step "
                "stays ticked."
            )  # fmt: skip
        row.goals_communicated = goals_communicated
        row.terms_accepted = terms_accepted
        row.asset_kit_sent = asset_kit_sent
        if goals_communicated and terms_accepted and asset_kit_sent:
            row.completed_at = row.completed_at or now
        else:
            row.completed_at = None
        return _onboarding_view(affiliate, row)
