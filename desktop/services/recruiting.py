"""Recruiting: the candidate pipeline, fit score, screening checklist, approval decision and onboarding.

Fit score (0–100) = audience match (0–40) + reach (0–30) + engagement (0–30), each rounded half-up to a whole point:

- Audience match: 40 × (target niches the candidate covers ÷ the program's target niches). A target niche is covered
  when a candidate niche names it, ignoring case and plural "s", or when all the words of one are in the other
  ("running" covers "trail running" and the other way round). No target niches set: a neutral 20.
- Reach: 10 × (log10(followers) − 2), kept within 0–30: 100 followers 0, 1,000 → 10, 10,000 → 20, 100,000+ → 30.
- Engagement (the best rate, in percent, of the candidate's social profiles): none recorded 0; 0 % 0;
  below 1 % (weak) 5; 1–3 % (good) 15; 3–6 % (strong) 22; above 6 % up to 15 % 30; above 15 % 10, because
  such rates are rarely real (bought likes or comments).
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import PIPELINE_STATUSES, Affiliate, Onboarding, Program, Screening, SocialProfile, StatusChange
from desktop.services.errors import BadInput, RefusedByState, ValidationFailed
from desktop.services.program_settings import get_program, split_list
from desktop.services.timezones import is_valid_timezone

AUDIENCE_MAX, REACH_MAX, ENGAGEMENT_MAX = 40, 30, 30
STAGE_LABELS = {"prospect": "Prospects", "applied": "Applied", "screening": "In screening"}
RISK_RATINGS = ("low", "medium", "high")
CHECKS = (
    ("website_reviewed", "review the website"),
    ("backlinks_checked", "check the backlinks"),
    ("socials_verified", "verify the social profiles"),
    ("reviews_checked", "check online reviews"),
)
SUSPICIOUS_ENGAGEMENT = Decimal(15)
# (the lowest rate of the band, points, verdict), highest first; above 6 % is excellent, 6 % itself strong
ENGAGEMENT_BANDS = (
    (Decimal(3), 22, "is strong (3–6 %)"),
    (Decimal(1), 15, "is good (1–3 % is typical)"),
    (Decimal(0), 5, "is weak (below 1 %)"),
)
AUDIENCE_SIZES = (
    (1_000, "a very small audience"),
    (10_000, "a small audience"),
    (100_000, "a mid-sized audience"),
    (10**18, "a large audience"),
)

Decision = Literal["approved", "rejected"]


@dataclass(frozen=True)
class FitScore:
    total: int
    audience: int
    reach: int
    engagement: int
    explanation: tuple[str, ...]


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


# --- fit score (pure) ---------------------------------------------------------------------------------------


def _words(niche: str) -> frozenset[str]:
    words = re.findall(r"[^\W_]+", niche.casefold())
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


def niche_matches(candidate_niche: str, target_niche: str) -> bool:
    """Same niche, or all the words of one are in the other ("running" ~ "trail running")."""
    a, b = _words(candidate_niche), _words(target_niche)
    return bool(a and b) and (a <= b or b <= a)


def _points(maximum: int, share: Decimal) -> int:
    return int((maximum * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _percent(rate: Decimal) -> str:
    text = f"{rate.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + " %"


def _audience(niches: Sequence[str], targets: Sequence[str]) -> tuple[int, str]:
    targets = [t.strip() for t in targets if t.strip()]
    niches = [n.strip() for n in niches if n.strip()]
    half = AUDIENCE_MAX // 2
    if not targets:
        return half, (
            f"No target niches set yet, so audience match gets a neutral {half} of {AUDIENCE_MAX}: "
            "set them in Program settings (Niches we recruit for)."
        )
    if not niches:
        return 0, f"No niches recorded for this candidate, so none of your target niches match: 0 of {AUDIENCE_MAX}."
    covered = [t for t in targets if any(niche_matches(n, t) for n in niches)]
    points = _points(AUDIENCE_MAX, Decimal(len(covered)) / Decimal(len(targets)))
    if not covered:
        return 0, f"Covers none of your {len(targets)} target niches ({', '.join(targets)}): 0 of {AUDIENCE_MAX}."
    which = ", ".join(covered)
    if len(covered) == len(targets):
        return points, f"Covers all {len(targets)} target niches ({which}): {points} of {AUDIENCE_MAX}."
    return points, f"Covers {len(covered)} of {len(targets)} target niches ({which}): {points} of {AUDIENCE_MAX}."


def _reach(followers: int) -> tuple[int, str]:
    if followers <= 0:
        return 0, f"No followers recorded: 0 of {REACH_MAX}."
    points = max(0, min(REACH_MAX, _points(REACH_MAX, (Decimal(followers).log10() - 2) / 3)))
    size = next(label for limit, label in AUDIENCE_SIZES if followers < limit)
    noun = "follower" if followers == 1 else "followers"
    return points, f"{followers:,} {noun}, {size} (100,000 or more scores full): {points} of {REACH_MAX}."


def _engagement(rate: Decimal | None) -> tuple[int, str]:
    if rate is None:
        return 0, f"No engagement rate recorded: add it to the social profiles. 0 of {ENGAGEMENT_MAX}."
    if rate > SUSPICIOUS_ENGAGEMENT:
        return 10, (
            f"Engagement of {_percent(rate)} is unusually high for real followers: check for bought engagement. "
            f"10 of {ENGAGEMENT_MAX}."
        )
    if rate <= 0:
        return 0, f"Engagement of 0 % means nobody reacts to the posts: 0 of {ENGAGEMENT_MAX}."
    if rate > 6:
        return ENGAGEMENT_MAX, f"Engagement of {_percent(rate)} is excellent (above 6 %): 30 of {ENGAGEMENT_MAX}."
    points, verdict = next((p, v) for start, p, v in ENGAGEMENT_BANDS if rate >= start)
    return points, f"Engagement of {_percent(rate)} {verdict}: {points} of {ENGAGEMENT_MAX}."


def fit_score(
    niches: Sequence[str], target_niches: Sequence[str], followers: int, engagement_rate: Decimal | None
) -> FitScore:
    """How well a candidate fits the program; see the module docstring for the formula."""
    audience, why_audience = _audience(niches, target_niches)
    reach, why_reach = _reach(followers)
    engagement, why_engagement = _engagement(engagement_rate)
    return FitScore(
        total=audience + reach + engagement,
        audience=audience,
        reach=reach,
        engagement=engagement,
        explanation=(why_audience, why_reach, why_engagement),
    )


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
                session.add(Onboarding(affiliate_id=affiliate_id, started_at=now))
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
        row.goals_communicated = goals_communicated
        row.terms_accepted = terms_accepted
        row.asset_kit_sent = asset_kit_sent
        if goals_communicated and terms_accepted and asset_kit_sent:
            row.completed_at = row.completed_at or now
        else:
            row.completed_at = None
        return _onboarding_view(affiliate, row)
