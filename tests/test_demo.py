"""Demo data: a believable program that obeys every rule the application itself enforces."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desktop.db import Database, open_database
from desktop.models import (
    AFFILIATE_STATUSES,
    PIPELINE_STATUSES,
    Affiliate,
    AffiliateNote,
    CommissionPlan,
    CouponCode,
    Onboarding,
    Screening,
    SocialProfile,
    StatusChange,
    Tag,
)
from desktop.services.affiliates import (
    AffiliateFilter,
    count_affiliates,
    get_affiliate,
    list_affiliates,
    validate_affiliate,
)
from desktop.services.demo import load_demo
from desktop.services.errors import RefusedByState

TODAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = open_database(tmp_path_factory.mktemp("demo") / "demo.sqlite3")
    load_demo(db, affiliates=600, seed=5, today=TODAY)
    yield db
    db.dispose()


def test_every_status_is_there_in_believable_numbers(demo: Database) -> None:
    with demo.read() as session:
        counts = Counter(session.scalars(select(Affiliate.status)))
        first_three = session.scalars(select(Affiliate.status).order_by(Affiliate.id).limit(3)).all()
    assert set(counts) == set(AFFILIATE_STATUSES)
    assert sum(counts.values()) == 600
    assert counts["active"] > 600 * 0.45  # most partners of a running program are active
    assert all(counts[status] >= 10 for status in AFFILIATE_STATUSES)
    assert first_three == ["active"] * 3


def test_total_followers_is_the_sum_of_the_socials(demo: Database) -> None:
    sums = select(SocialProfile.affiliate_id, func.sum(SocialProfile.followers).label("total"))
    sums = sums.group_by(SocialProfile.affiliate_id).subquery()
    with demo.read() as session:
        rows = session.execute(select(Affiliate.total_followers, sums.c.total).outerjoin(sums)).all()
        per_affiliate = Counter(session.scalars(select(SocialProfile.affiliate_id)))
        socials = session.scalars(select(SocialProfile)).all()
        assert len(rows) == 600
        assert all(total == (summed or 0) for total, summed in rows)
        assert set(per_affiliate.values()) <= {1, 2, 3} and len(per_affiliate) == 600
        assert all(800 <= s.followers <= 400_000 for s in socials)
        assert all(s.engagement_rate is not None and Decimal("0.5") <= s.engagement_rate <= 9 for s in socials)
        assert all(s.url and s.url.startswith("https://") for s in socials)
        followers = sorted(s.followers for s in socials)
        assert followers[len(followers) // 2] < 50_000  # skewed: most accounts are small


def test_codes_and_coupons_are_unique_and_only_partners_have_coupons(demo: Database) -> None:
    with demo.read() as session:
        codes = session.scalars(select(Affiliate.code)).all()
        coupons = session.execute(select(CouponCode.code, CouponCode.code_key, Affiliate.status).join(Affiliate)).all()
        without = session.scalar(
            select(func.count())
            .select_from(Affiliate)
            .where(Affiliate.status.in_(("active", "paused")), ~Affiliate.coupons.any())
        )
    assert len({c.upper() for c in codes}) == len(codes)
    assert len({c.code.upper() for c in coupons}) == len(coupons)
    assert all(c.code_key == c.code.upper() for c in coupons)
    assert {c.status for c in coupons} == {"active", "paused"}
    assert without == 0


def test_history_leads_to_the_current_status(demo: Database) -> None:
    with demo.read() as session:
        affiliates = {a.id: a for a in session.scalars(select(Affiliate))}
        changes = session.scalars(select(StatusChange).order_by(StatusChange.affiliate_id, StatusChange.id)).all()
        by_affiliate: dict[int, list[StatusChange]] = {}
        for change in changes:
            by_affiliate.setdefault(change.affiliate_id, []).append(change)
        assert set(by_affiliate) == set(affiliates)
        for affiliate_id, history in by_affiliate.items():
            affiliate = affiliates[affiliate_id]
            assert history[0].from_status is None
            assert history[-1].to_status == affiliate.status
            for before, after in pairwise(history):
                assert after.from_status == before.to_status
                assert after.changed_at > before.changed_at
            assert history[-1].changed_at.date() < TODAY
            assert all(h.reason and h.changed_by for h in history)
            if affiliate.status in ("terminated", "rejected"):
                assert history[-1].reason
            activations = [h.changed_at.date() for h in history if h.to_status == "active"]
            assert affiliate.joined_on == (activations[0] if activations else None)
            assert affiliate.created_at == history[0].changed_at
        first_entered = {i: h[0].changed_at for i, h in by_affiliate.items()}
        notes = session.scalars(select(AffiliateNote)).all()
        assert notes and all(
            first_entered[n.affiliate_id] < n.written_at < datetime.combine(TODAY, time()) for n in notes
        )


def test_screening_and_onboarding_follow_the_status(demo: Database) -> None:
    with demo.read() as session:
        status = dict(session.execute(select(Affiliate.id, Affiliate.status)).all())
        screenings = session.scalars(select(Screening)).all()
        onboardings = session.scalars(select(Onboarding)).all()
        screened = {s.affiliate_id: s for s in screenings}
        for affiliate_id, current in status.items():
            assert (affiliate_id in screened) == (current not in ("prospect", "applied"))
        for screening in screenings:
            current = status[screening.affiliate_id]
            if current == "screening":
                assert screening.decision is None
            elif current == "rejected":
                assert screening.decision == "rejected" and screening.decision_reason and screening.decided_at
            else:
                assert screening.decision == "approved" and screening.decision_reason
                assert screening.website_reviewed and screening.socials_verified and screening.risk_rating
        assert onboardings and {status[o.affiliate_id] for o in onboardings} == {"active"}
        complete = [o for o in onboardings if o.completed_at is not None]
        assert complete and len(complete) < len(onboardings)  # some are still being onboarded
        assert all(o.goals_communicated and o.terms_accepted and o.asset_kit_sent for o in complete)
        assert all(o.started_at.date() >= TODAY - timedelta(days=121) for o in onboardings)  # recently approved only
        assert all(o.completed_at >= o.started_at for o in complete if o.completed_at)


def test_partners_have_payee_emails_tags_notes_and_plans(demo: Database) -> None:
    with demo.read() as session:
        active_without_payee = session.scalar(
            select(func.count()).where(Affiliate.status == "active", Affiliate.payee_email.is_(None))
        )
        tags = set(session.scalars(select(Tag.name)))
        notes_per = Counter(session.scalars(select(AffiliateNote.affiliate_id)))
        creators = session.scalar(select(CommissionPlan.id).where(CommissionPlan.name == "Creators"))
        top = session.scalars(select(Affiliate).where(Affiliate.tags.any(Tag.name == "top-creator"))).all()
        niches = session.scalars(select(Affiliate.niches)).all()
        assert active_without_payee == 0
        assert tags == {"top-creator", "blog", "video", "eu", "new-2026"}
        assert max(notes_per.values()) <= 3 and len(notes_per) > 100
        assert top and all(a.total_followers >= 100_000 and a.plan_id == creators for a in top)
        assert all(n for n in niches)


def test_demo_affiliates_pass_the_forms_validation(demo: Database) -> None:
    for affiliate_id in range(1, 601, 7):
        detail = get_affiliate(demo, affiliate_id)
        assert validate_affiliate(demo, detail.data, affiliate_id) == {}, detail.data.code


def test_the_same_seed_gives_the_same_program(tmp_path: Path) -> None:
    codes = []
    for name in ("a", "b"):
        db = open_database(tmp_path / f"{name}.sqlite3")
        load_demo(db, affiliates=40, seed=9, today=TODAY)
        with db.read() as session:
            codes.append(session.scalars(select(Affiliate.code).order_by(Affiliate.id)).all())
        db.dispose()
    assert codes[0] == codes[1]


def test_a_database_with_data_is_refused(db: Database) -> None:
    load_demo(db, affiliates=5)
    with pytest.raises(RefusedByState, match="already has data"):
        load_demo(db, affiliates=5)
    assert count_affiliates(db, AffiliateFilter()) == 5


def test_the_demo_on_both_databases(any_db: Database) -> None:
    load_demo(any_db, affiliates=80, seed=3, today=TODAY)
    assert count_affiliates(any_db, AffiliateFilter()) == 80
    assert count_affiliates(any_db, AffiliateFilter(tag="video")) > 0
    with any_db.read() as session:
        assert session.scalar(select(func.count()).select_from(StatusChange)) >= 80


def test_ten_thousand_affiliates(db: Database) -> None:
    load_demo(db, affiliates=10_000)
    assert count_affiliates(db, AffiliateFilter()) == 10_000
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(SocialProfile)) >= 10_000
    assert len(list_affiliates(db, AffiliateFilter(statuses=PIPELINE_STATUSES))) == 200
