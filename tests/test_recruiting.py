"""Recruiting service: fit score, pipeline, screening, approval and rejection, onboarding."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from desktop.db import Database
from desktop.models import Affiliate, Onboarding, Screening, SocialProfile, StatusChange
from desktop.services.errors import BadInput, RefusedByState, ValidationFailed
from desktop.services.program_settings import ProgramSettings, save_program
from desktop.services.recruiting import (
    ScreeningInput,
    decide,
    fit_score,
    get_onboarding,
    get_screening,
    list_candidates,
    list_onboarding,
    move_to_stage,
    niche_matches,
    save_screening,
    update_onboarding,
)

TARGETS = ["hiking", "camping", "trail running", "climbing"]
ALL_DONE = ScreeningInput(True, True, True, True, "low", "Solid blog, honest reviews")


def add_candidate(
    db: Database,
    code: str,
    *,
    status: str = "applied",
    niches: str = "",
    socials: tuple[tuple[int, str | None], ...] = (),
) -> int:
    with db.write() as session:
        affiliate = Affiliate(
            code=code,
            name=f"{code.title()} Person",
            status=status,
            niches=niches,
            total_followers=sum(f for f, _ in socials),
        )
        affiliate.socials = [
            SocialProfile(platform="instagram", followers=f, engagement_rate=Decimal(r) if r else None)
            for f, r in socials
        ]
        session.add(affiliate)
        session.flush()
        return affiliate.id


@pytest.fixture
def program(db: Database) -> Database:
    save_program(db, ProgramSettings(timezone="UTC", target_niches="; ".join(TARGETS)))
    return db


# --- fit score ----------------------------------------------------------------------------------------------


def test_a_strong_candidate_scores_high_and_says_why() -> None:
    score = fit_score(["Hiking", "Camping"], TARGETS, 100_000, Decimal("4.50"))
    assert (score.audience, score.reach, score.engagement, score.total) == (20, 30, 22, 72)
    assert score.explanation == (
        "Covers 2 of 4 target niches (hiking, camping): 20 of 40.",
        "100,000 followers, a large audience (100,000 or more scores full): 30 of 30.",
        "Engagement of 4.5 % is strong (3–6 %): 22 of 30.",
    )


def test_partial_words_and_plurals_match_a_niche() -> None:
    assert niche_matches("running", "trail running")
    assert niche_matches("Trail-Running", "trail running")
    assert niche_matches("camping trips", "camping")
    assert niche_matches("family outdoor", "family outdoors")
    assert not niche_matches("gear reviews", "product reviews")
    assert not niche_matches("", "hiking")
    score = fit_score(["running", "climbing", "hiking", "camp life", "camping"], TARGETS, 1_000, None)
    assert score.audience == 40
    assert score.explanation[0].startswith("Covers all 4 target niches")


def test_no_target_niches_gives_neutral_audience_points() -> None:
    score = fit_score(["hiking"], [], 10_000, Decimal("2.00"))
    assert score.audience == 20
    assert "Program settings" in score.explanation[0]
    assert (score.reach, score.engagement, score.total) == (20, 15, 55)


def test_candidate_without_niches_gets_no_audience_points() -> None:
    score = fit_score([], TARGETS, 0, None)
    assert score.audience == 0
    assert "No niches recorded" in score.explanation[0]


@pytest.mark.parametrize(
    ("followers", "points"),
    [(0, 0), (1, 0), (99, 0), (100, 0), (500, 7), (1_000, 10), (3_162, 15), (10_000, 20), (100_000, 30), (10**7, 30)],
)
def test_reach_grows_with_the_logarithm_of_followers(followers: int, points: int) -> None:
    assert fit_score([], [], followers, None).reach == points


def test_zero_followers_and_unknown_engagement_are_explained() -> None:
    score = fit_score(["hiking"], TARGETS, 0, None)
    assert (score.reach, score.engagement) == (0, 0)
    assert score.explanation[1] == "No followers recorded: 0 of 30."
    assert "No engagement rate recorded" in score.explanation[2]


@pytest.mark.parametrize(
    ("rate", "points", "words"),
    [
        ("0", 0, "nobody reacts"),
        ("0.40", 5, "weak"),
        ("1", 15, "good"),
        ("2.99", 15, "good"),
        ("3", 22, "strong"),
        ("6", 22, "strong"),
        ("6.01", 30, "excellent"),
        ("15", 30, "excellent"),
        ("15.01", 10, "check for bought engagement"),
        ("42", 10, "check for bought engagement"),
    ],
)
def test_engagement_bands(rate: str, points: int, words: str) -> None:
    score = fit_score([], [], 0, Decimal(rate))
    assert score.engagement == points
    assert words in score.explanation[2]


def test_fit_score_stays_within_its_bounds() -> None:
    best = fit_score(TARGETS, TARGETS, 5_000_000, Decimal("8"))
    worst = fit_score([], TARGETS, 0, None)
    assert (best.total, worst.total) == (100, 0)


# --- pipeline and stages -----------------------------------------------------------------------------------


def test_pipeline_groups_by_stage_and_sorts_by_fit(program: Database) -> None:
    weak = add_candidate(program, "weak", status="prospect", niches="cooking", socials=((800, "0.50"),))
    strong = add_candidate(
        program, "strong", status="prospect", niches="hiking; camping", socials=((40_000, "3.10"), (2_000, "7.20"))
    )
    applied = add_candidate(program, "applied", status="applied")
    add_candidate(program, "active", status="active", niches="hiking")
    pipeline = list_candidates(program)
    assert [c.id for c in pipeline.prospect] == [strong, weak]
    assert [c.id for c in pipeline.applied] == [applied]
    assert pipeline.screening == ()
    top = pipeline.prospect[0]
    assert (top.total_followers, top.best_engagement, top.niches) == (42_000, Decimal("7.20"), ("hiking", "camping"))
    assert (top.screening_done, top.screening_total, top.risk_rating) == (0, 4, None)
    assert pipeline.find(applied) is pipeline.applied[0]
    assert pipeline.stage("prospect") == pipeline.prospect
    assert pipeline.target_niches == tuple(TARGETS)


def test_pipeline_uses_a_fixed_number_of_queries(program: Database) -> None:
    for index in range(30):
        add_candidate(program, f"c{index}", niches="hiking", socials=((1_000 * index, "2.00"),))
    statements: list[str] = []
    event.listen(program.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    pipeline = list_candidates(program)
    assert len(pipeline.applied) == 30
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 3


def test_move_to_stage_records_history(db: Database) -> None:
    candidate = add_candidate(db, "mia", status="prospect")
    move_to_stage(db, candidate, "applied", reason="Filled in the form", changed_by="sam")
    move_to_stage(db, candidate, "applied")  # already there: nothing recorded
    with db.read() as session:
        changes = session.scalars(select(StatusChange).where(StatusChange.affiliate_id == candidate)).all()
        assert [(c.from_status, c.to_status, c.changed_by, c.reason) for c in changes] == [
            ("prospect", "applied", "sam", "Filled in the form")
        ]
    with pytest.raises(BadInput):
        move_to_stage(db, candidate, "active")
    active = add_candidate(db, "old", status="active")
    with pytest.raises(RefusedByState):
        move_to_stage(db, active, "prospect")
    with pytest.raises(BadInput):
        move_to_stage(db, 9999, "applied")


def test_changed_by_defaults_to_the_login_name(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    candidate = add_candidate(db, "kim", status="prospect")
    monkeypatch.setattr(getpass, "getuser", lambda: "alex")
    move_to_stage(db, candidate, "applied")

    def no_user() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", no_user)
    move_to_stage(db, candidate, "prospect")
    with db.read() as session:
        assert session.scalars(select(StatusChange.changed_by).order_by(StatusChange.id)).all() == ["alex", "manager"]


# --- screening ----------------------------------------------------------------------------------------------


def test_saving_the_screening_moves_an_applicant_to_screening(db: Database) -> None:
    candidate = add_candidate(db, "lea", status="applied")
    assert get_screening(db, candidate).checklist == ScreeningInput()
    view = save_screening(db, candidate, ScreeningInput(website_reviewed=True, risk_rating="medium", notes="  ok "))
    assert view.status == "screening"
    assert view.checklist == ScreeningInput(website_reviewed=True, risk_rating="medium", notes="ok")
    assert view.missing_for_approval == (
        "check the backlinks",
        "verify the social profiles",
        "check online reviews",
    )
    save_screening(db, candidate, ScreeningInput(website_reviewed=True, backlinks_checked=True))
    with db.read() as session:
        changes = session.scalars(select(StatusChange.to_status).where(StatusChange.affiliate_id == candidate)).all()
        assert changes == ["screening"]  # the second save does not move it again
    candidate_row = list_candidates(db).screening[0]
    assert (candidate_row.screening_done, candidate_row.risk_rating) == (2, None)


def test_screening_refuses_a_bad_risk_rating_and_decided_partners(db: Database) -> None:
    candidate = add_candidate(db, "bo", status="applied")
    with pytest.raises(ValidationFailed) as info:
        save_screening(db, candidate, ScreeningInput(risk_rating="extreme"))
    assert "risk_rating" in info.value.errors
    active = add_candidate(db, "done", status="active")
    with pytest.raises(RefusedByState):
        save_screening(db, active, ALL_DONE)


# --- decisions ----------------------------------------------------------------------------------------------


def test_approval_is_refused_until_the_checklist_is_complete(db: Database) -> None:
    candidate = add_candidate(db, "ana", status="applied")
    with pytest.raises(BadInput) as info:
        decide(db, candidate, "approved", "Great fit")
    assert "review the website" in str(info.value) and "choose a risk rating" in str(info.value)
    save_screening(db, candidate, ScreeningInput(True, True, True, True, None))
    with pytest.raises(BadInput, match="choose a risk rating"):
        decide(db, candidate, "approved", "Great fit")
    with db.read() as session:
        assert session.get(Affiliate, candidate).status == "screening"  # type: ignore[union-attr]


def test_a_decision_needs_a_reason(db: Database) -> None:
    candidate = add_candidate(db, "ray", status="applied")
    save_screening(db, candidate, ALL_DONE)
    for decision in ("approved", "rejected"):
        with pytest.raises(ValidationFailed) as info:
            decide(db, candidate, decision, "   ")  # type: ignore[arg-type]
        assert "reason" in info.value.errors
    save_screening(db, candidate, ScreeningInput(True, True, True, True, "high"))
    with pytest.raises(ValidationFailed):
        decide(db, candidate, "approved", "")
    with pytest.raises(BadInput):
        decide(db, candidate, "maybe", "because")  # type: ignore[arg-type]


def test_approval_activates_starts_onboarding_and_records_history(db: Database) -> None:
    candidate = add_candidate(db, "zoe", status="applied", niches="hiking")
    save_screening(db, candidate, ALL_DONE, changed_by="sam")
    decide(db, candidate, "approved", "Great audience for our boots", changed_by="sam")
    with db.read() as session:
        affiliate = session.get(Affiliate, candidate)
        assert affiliate is not None
        assert affiliate.status == "active"
        assert affiliate.joined_on is not None and abs(affiliate.joined_on - date.today()) <= timedelta(days=1)
        history = session.scalars(
            select(StatusChange).where(StatusChange.affiliate_id == candidate).order_by(StatusChange.id)
        ).all()
        assert [(h.from_status, h.to_status, h.reason) for h in history] == [
            ("applied", "screening", "Screening started"),
            ("screening", "active", "Great audience for our boots"),
        ]
        screening = session.scalars(select(Screening).where(Screening.affiliate_id == candidate)).one()
        assert (screening.decision, screening.decision_reason) == ("approved", "Great audience for our boots")
        assert screening.decided_at is not None
        assert session.scalars(select(Onboarding).where(Onboarding.affiliate_id == candidate)).one()
    assert list_candidates(db).find(candidate) is None
    assert [o.affiliate_id for o in list_onboarding(db)] == [candidate]
    with pytest.raises(RefusedByState):
        decide(db, candidate, "approved", "again")


def test_approval_keeps_an_existing_joined_date(db: Database) -> None:
    candidate = add_candidate(db, "eve", status="screening")
    with db.write() as session:
        session.get(Affiliate, candidate).joined_on = date(2024, 5, 1)  # type: ignore[union-attr]
    save_screening(db, candidate, ALL_DONE)
    decide(db, candidate, "approved", "Returning partner")
    with db.read() as session:
        assert session.get(Affiliate, candidate).joined_on == date(2024, 5, 1)  # type: ignore[union-attr]


def test_rejection_records_the_reason_and_can_be_reconsidered(db: Database) -> None:
    candidate = add_candidate(db, "max", status="prospect")
    decide(db, candidate, "rejected", "Audience is mostly bots")
    view = get_screening(db, candidate)
    assert (view.status, view.decision, view.decision_reason) == ("rejected", "rejected", "Audience is mostly bots")
    assert list_candidates(db).find(candidate) is None
    assert get_onboarding(db, candidate) is None
    with db.read() as session:
        change = session.scalars(select(StatusChange).where(StatusChange.affiliate_id == candidate)).one()
        assert (change.from_status, change.to_status) == ("prospect", "rejected")
        assert change.reason == "Audience is mostly bots"
    move_to_stage(db, candidate, "applied", reason="Cleaned up their followers")
    assert list_candidates(db).find(candidate) is not None


# --- onboarding ---------------------------------------------------------------------------------------------


def test_onboarding_completes_when_all_three_steps_are_done(db: Database) -> None:
    candidate = add_candidate(db, "ivy", status="applied")
    save_screening(db, candidate, ALL_DONE)
    decide(db, candidate, "approved", "Fits well")
    first = get_onboarding(db, candidate)
    assert first is not None and not first.complete
    partial = update_onboarding(db, candidate, goals_communicated=True, terms_accepted=True, asset_kit_sent=False)
    assert (partial.goals_communicated, partial.terms_accepted, partial.complete) == (True, True, False)
    done = update_onboarding(db, candidate, goals_communicated=True, terms_accepted=True, asset_kit_sent=True)
    assert done.complete
    assert list_onboarding(db) == ()
    reopened = update_onboarding(db, candidate, goals_communicated=True, terms_accepted=False, asset_kit_sent=True)
    assert reopened.completed_at is None
    assert [o.affiliate_id for o in list_onboarding(db)] == [candidate]


def test_onboarding_only_for_active_affiliates(db: Database) -> None:
    prospect = add_candidate(db, "pat", status="prospect")
    with pytest.raises(RefusedByState):
        update_onboarding(db, prospect, goals_communicated=True, terms_accepted=False, asset_kit_sent=False)
    veteran = add_candidate(db, "vet", status="active")
    assert get_onboarding(db, veteran) is None
    view = update_onboarding(db, veteran, goals_communicated=False, terms_accepted=True, asset_kit_sent=False)
    assert view.terms_accepted and not view.complete
