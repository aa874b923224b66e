"""Demo data: a believable affiliate program to explore the application with."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from sqlalchemy import insert, select

from desktop.db import Database
from desktop.models import PIPELINE_STATUSES, Affiliate, Base, Tag
from desktop.services.errors import RefusedByState
from desktop.services.maintenance import is_empty
from desktop.services.plans import load_demo_plans
from desktop.services.program_settings import ProgramSettings, save_program


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words(
    "Jane Lena Marco Priya Tom Aisha Kenji Sofia Liam Noor Mateo Hana Oscar Zoe Ravi Elena Jonas Amara "
    "Felix Chloe Diego Ingrid Yusuf Maya Lucas Freya Omar Ines Nils Carmen Theo Leila Hugo Mila Sami Nora "
    "Pablo Ada"
)
LAST = _words(
    "Brooks Keller Rossi Sharma Novak Bello Tanaka Garcia Walsh Haddad Silva Kim Berg Martin Patel Costa "
    "Weber Okafor Jensen Dubois Ruiz Larsen Demir Cohen Moreau Fischer Said Lopez Nyberg Vidal Kowalski "
    "Hart Lindqvist"
)
NICHES = ("hiking", "camping", "climbing", "trail running", "family outdoors", "gear reviews", "van life")
# Roughly how a real program's partners spread over the statuses.
STATUS_WEIGHTS = (
    ("active", 60),
    ("paused", 8),
    ("prospect", 8),
    ("applied", 7),
    ("screening", 7),
    ("terminated", 5),
    ("rejected", 5),
)


@dataclass(frozen=True)
class DemoSummary:
    affiliates: int
    months: int


DEMO_PROGRAM = ProgramSettings(
    name="Acme Outdoor Partners",
    currency="USD",
    timezone="America/New_York",
    cookie_days=30,
    attribution="last_click",
    coupon_priority=True,
    payout_threshold=Decimal("50.00"),
    hold_days=0,
    north_star_metric="revenue",
    north_star_target=Decimal("120000.00"),
    target_niches="hiking; camping; trail running; climbing",
    referral_link_template="https://acme-outdoor.example/?ref={code}",
)


EU_COUNTRIES = ("Germany", "France", "Netherlands", "Spain", "Italy", "Sweden", "Austria", "Ireland")
OTHER_COUNTRIES = ("United States", "United States", "United States", "Canada", "United Kingdom", "Australia")
PLATFORM_WEIGHTS = (("instagram", 30), ("tiktok", 20), ("youtube", 18), ("blog", 15), ("x", 8), ("pinterest", 5))
PROFILE_URLS = {
    "instagram": "https://instagram.com/{}",
    "tiktok": "https://tiktok.com/@{}",
    "youtube": "https://youtube.com/@{}",
    "x": "https://x.com/{}",
    "pinterest": "https://pinterest.com/{}",
}
SITE_WORDS = ("trails", "outdoors", "basecamp", "wildtrips", "summits", "campfire")
AUDIENCES = (
    "Weekend hikers aged 25–40, mostly city dwellers planning their first multi-day trips",
    "Families who camp in the summer holidays and want gear that survives children",
    "Experienced climbers and boulderers; the gear reviews get the most saves",
    "Trail runners training for a first ultra; very active in the comments",
    "Van-lifers and remote workers on the road for months at a time",
    "Beginners: first tent, first boots, first night outside",
    "Budget-minded students who buy second hand and love a discount code",
)
# The ways a partner reaches each status; each step is a dated entry of the status history.
PATHS = {
    "prospect": (("prospect",),),
    "applied": (("applied",), ("prospect", "applied")),
    "screening": (("applied", "screening"), ("prospect", "applied", "screening")),
    "active": (
        ("applied", "screening", "active"),
        ("prospect", "applied", "screening", "active"),
        ("applied", "screening", "active", "paused", "active"),
    ),
    "paused": (("applied", "screening", "active", "paused"),),
    "terminated": (
        ("applied", "screening", "active", "terminated"),
        ("applied", "screening", "active", "paused", "terminated"),
    ),
    "rejected": (("applied", "screening", "rejected"), ("prospect", "applied", "screening", "rejected")),
}
GAP_DAYS = {
    "applied": (3, 40),
    "screening": (1, 7),
    "active": (2, 14),
    "rejected": (2, 14),
    "paused": (30, 300),
    "terminated": (20, 300),
    "paused->active": (14, 120),
}
REASONS = {
    "prospect": (
        "Found on Instagram while researching trail content",
        "Recommended by another partner",
        "Met at the outdoor retail fair",
        "Found through a gear-review blog post",
    ),
    "applied": ("Applied through the partner form",),
    "screening": ("Screening started",),
    "active": (
        "Screening passed: good audience fit",
        "Approved: strong engagement, clean content",
        "Approved after a video call",
    ),
    "paused->active": ("Back from the break",),
    "paused": (
        "Asked for a break over the winter",
        "Parental leave",
        "No posts for three months",
        "Paused while the website is rebuilt",
    ),
    "terminated": (
        "Coupon code posted on deal sites",
        "Asked to leave the program",
        "Bought followers: engagement collapsed",
        "Repeated breaches of the brand guidelines",
    ),
    "rejected": (
        "Audience mostly outside our shipping countries",
        "Engagement looks bought",
        "Content does not fit the brand",
        "Too few followers for now; invite again next year",
    ),
}
NOTES = (
    "Prefers email over calls; answers within a day.",
    "Asked for early access to the spring catalogue.",
    "Sent the new banner set; they will use it in their gear guide.",
    "Posted an unboxing video: strong comments, few clicks. Suggested a pinned link.",
    "Wants a higher rate; revisit after the next quarter.",
    "Their audience loves budget gear; pitch the outlet bundles.",
    "Mentioned a competitor program paying 15 %.",
    "Great story on the alpine trip, tagged us twice.",
)
MANAGER = "manager"  # who made the demo's changes
Step = tuple[str, datetime, str]  # a status reached, when, why


@dataclass
class _Partner:
    """One demo affiliate and everything hanging from it, before it has an id."""

    row: dict[str, Any]
    socials: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    coupons: list[str] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    screening: dict[str, Any] | None = None
    onboarding: dict[str, Any] | None = None


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 18), rng.randint(0, 59)))


def _timeline(rng: random.Random, status: str, today: date) -> list[Step]:
    """The dated steps that lead to `status`, the last one before today; recruits are recent, partners older."""
    path = rng.choice(PATHS[status])
    gaps = [rng.randint(*GAP_DAYS.get(f"{before}->{step}", GAP_DAYS[step])) for before, step in pairwise(path)]
    end = today - timedelta(days=rng.randint(1, 45) if status in PIPELINE_STATUSES else rng.randint(1, 700))
    day = end - timedelta(days=sum(gaps))
    steps = []
    for number, step in enumerate(path):
        if number:
            day += timedelta(days=gaps[number - 1])
        key = f"{path[number - 1]}->{step}" if number and f"{path[number - 1]}->{step}" in REASONS else step
        steps.append((step, _at(day, rng), rng.choice(REASONS[key])))
    return steps


def _socials(rng: random.Random, handle: str, website: str | None) -> list[dict[str, Any]]:
    platforms, weights = zip(*PLATFORM_WEIGHTS, strict=True)
    chosen: list[str] = []
    for _ in range(rng.choice((1, 1, 2, 2, 2, 3))):
        platform = rng.choices(platforms, weights)[0]
        if platform not in chosen and (platform != "blog" or website):
            chosen.append(platform)
    if not chosen:
        chosen.append("instagram")
    socials = []
    for platform in chosen:
        followers = int(800 * 500 ** (rng.random() ** 1.8))  # 800 to 400,000, most of them small
        low, high = (250, 900) if followers < 10_000 else (150, 650) if followers < 50_000 else (50, 350)
        blog = platform == "blog"
        socials.append(
            {
                "platform": platform,
                "handle": None if blog else handle,
                "url": website if blog else PROFILE_URLS[platform].format(handle),
                "followers": followers,
                "engagement_rate": Decimal(rng.randint(low, high)) / 100,  # big accounts engage less
            }
        )
    return socials


def _coupons(first: str, code: str, rng: random.Random, used: set[str]) -> list[str]:
    percent = rng.choice((10, 15, 20))
    candidates = [f"{first.upper()}{percent}", f"{code}{percent}"]
    coupons = [next((c for c in candidates if c not in used), f"{code}{percent}X{len(used)}")]
    if rng.random() < 0.25:
        extra = f"{code}SHIP"
        coupons.append(extra if extra not in used else f"{code}SHIP{len(used)}")
    used.update(coupons)
    return coupons


def _partner(rng: random.Random, index: int, status: str, today: date, used: set[str]) -> _Partner:
    """A partner with a unique code; `used` holds the codes and coupon codes taken so far (all upper case)."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    base = f"{first}{last[:3]}".upper()
    code, suffix = base, 2
    while code in used:
        code, suffix = f"{base}{suffix}", suffix + 1
    used.add(code)
    slug = f"{first}{last}".lower()
    email = f"{first.lower()}.{last.lower()}{index}@example.com"
    country = rng.choice(EU_COUNTRIES) if rng.random() < 0.35 else rng.choice(OTHER_COUNTRIES)
    website = f"https://{slug}-{rng.choice(SITE_WORDS)}.example.com" if rng.random() < 0.45 else None
    handle = rng.choice((slug, f"{first}.{last}".lower(), f"{first.lower()}_{rng.choice(SITE_WORDS)}"))
    socials = _socials(rng, handle, website)
    steps = _timeline(rng, status, today)
    activated = next((when for step, when, _ in steps if step == "active"), None)
    partner_since = status not in PIPELINE_STATUSES and status != "rejected"
    partner = _Partner(
        row={
            "code": code,
            "name": f"{first} {last}",
            "email": email,
            "status": status,
            "joined_on": activated.date() if activated else None,
            "phone": f"+1 555-01{rng.randint(0, 99):02d}" if rng.random() < 0.4 else None,
            "website": website,
            "audience": rng.choice(AUDIENCES),
            "niches": "; ".join(rng.sample(NICHES, rng.randint(1, 3))),
            "country": country,
            "payee_email": (email if rng.random() < 0.7 else f"{first.lower()}.payouts{index}@example.com")
            if partner_since
            else None,
            "total_followers": sum(s["followers"] for s in socials),
            "created_at": steps[0][1],
            "updated_at": steps[-1][1],
        },
        socials=socials,
    )
    partner.history = [
        {
            "changed_at": when,
            "from_status": steps[n - 1][0] if n else None,
            "to_status": step,
            "changed_by": MANAGER,
            "reason": reason,
        }
        for n, (step, when, reason) in enumerate(steps)
    ]
    tags = [
        ("top-creator", partner.row["total_followers"] >= 100_000),
        ("blog", any(s["platform"] == "blog" for s in socials)),
        ("video", any(s["platform"] in ("youtube", "tiktok") for s in socials)),
        ("eu", country in EU_COUNTRIES),
        (f"new-{today.year}", activated is not None and activated.year == today.year),
    ]
    partner.tags = [name for name, applies in tags if applies]
    if status in ("active", "paused"):
        partner.coupons = _coupons(first, code, rng, used)
    first_day, last_day = steps[0][1].date(), today - timedelta(days=1)
    for _ in range(rng.choices((0, 1, 2, 3), (40, 30, 20, 10))[0]):
        day = first_day + timedelta(days=rng.randint(0, max(0, (last_day - first_day).days)))
        written = max(_at(day, rng), steps[0][1] + timedelta(minutes=5))  # never before the partner was entered
        partner.notes.append({"written_at": written, "author": MANAGER, "text": rng.choice(NOTES)})
    partner.screening = _screening(rng, status, steps)
    if status == "active" and activated is not None and (today - activated.date()).days <= 120:
        done = [rng.random() < 0.75 for _ in range(3)]
        partner.onboarding = {
            "started_at": activated,
            "goals_communicated": done[0],
            "terms_accepted": done[1],
            "asset_kit_sent": done[2],
            "completed_at": max(activated, min(activated + timedelta(days=rng.randint(1, 10)), _at(last_day, rng)))
            if all(done)
            else None,
        }
    return partner


def _screening(rng: random.Random, status: str, steps: list[Step]) -> dict[str, Any] | None:
    """The checklist of everyone who went through screening: complete when approved, partial otherwise."""
    if status in ("prospect", "applied"):
        return None
    decided = next(((step, when, reason) for step, when, reason in steps if step in ("active", "rejected")), None)
    approved = decided is not None and decided[0] == "active"
    checks = {
        key: approved or rng.random() < 0.6
        for key in ("website_reviewed", "backlinks_checked", "socials_verified", "reviews_checked")
    }
    return {
        **checks,
        "risk_rating": rng.choice(("low", "low", "medium")) if approved else rng.choice((None, "medium", "high")),
        "decision": ("approved" if approved else "rejected") if decided else None,
        "decision_reason": decided[2] if decided else None,
        "decided_at": decided[1] if decided else None,
        "notes": "Checked the last 20 posts; no deal-site links." if approved else None,
    }


def demo_partners(count: int, seed: int, today: date) -> list[_Partner]:
    """The demo's affiliates across all statuses, with their socials, tags, coupons, notes and history."""
    rng = random.Random(seed)
    statuses = [s for s, _ in STATUS_WEIGHTS]
    weights = [w for _, w in STATUS_WEIGHTS]
    partners: list[_Partner] = []
    used: set[str] = set()  # codes and coupons share one namespace here, so that neither repeats
    for index in range(count):
        # The first few are always active so a small demo still has a working program.
        status = "active" if index < 3 else rng.choices(statuses, weights)[0]
        partners.append(_partner(rng, index, status, today, used))
    return partners


def _insert_partners(db: Database, partners: list[_Partner], plan_ids: list[int]) -> None:
    """Everything in one transaction, with bulk INSERTs (a few statements per table, not one per row)."""
    standard = plan_ids[0] if plan_ids else None
    creators = plan_ids[1] if len(plan_ids) > 1 else standard
    for partner in partners:
        partner.row["plan_id"] = creators if "top-creator" in partner.tags else standard
    tables = Base.metadata.tables
    with db.write() as session:
        # Core executemany, no RETURNING: the ids are read back by code (unique), which is fast on every backend.
        session.execute(insert(tables["affiliate"]), [p.row for p in partners])
        ids = {code: id_ for code, id_ in session.execute(select(Affiliate.code, Affiliate.id))}
        names = sorted({name for p in partners for name in p.tags})
        if names:
            session.execute(insert(tables["tag"]), [{"name": name} for name in names])
        tag_ids = {name: id_ for name, id_ in session.execute(select(Tag.name, Tag.id))}
        children: dict[str, list[dict[str, Any]]] = {
            name: []
            for name in (
                "affiliate_tag",
                "social_profile",
                "coupon_code",
                "affiliate_note",
                "status_change",
                "screening",
                "onboarding",
            )
        }
        for p in partners:
            owned = {"affiliate_id": ids[p.row["code"]]}
            children["affiliate_tag"] += [{**owned, "tag_id": tag_ids[name]} for name in p.tags]
            children["social_profile"] += [{**owned, **social} for social in p.socials]
            children["coupon_code"] += [{**owned, "code": code, "code_key": code.upper()} for code in p.coupons]
            children["affiliate_note"] += [{**owned, **note} for note in p.notes]
            children["status_change"] += [{**owned, **change} for change in p.history]
            children["screening"] += [{**owned, **p.screening}] if p.screening else []
            children["onboarding"] += [{**owned, **p.onboarding}] if p.onboarding else []
        for name, rows in children.items():
            if rows:
                session.execute(insert(tables[name]), rows)


def load_demo(
    db: Database,
    *,
    affiliates: int = 60,
    months: int = 12,
    seed: int = 7,
    today: date | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> DemoSummary:
    """Fill an empty database with a demo program; a database with data is refused, never overwritten."""
    if affiliates < 1 or affiliates > 100_000:
        raise ValueError("affiliates must be between 1 and 100,000")
    if months < 1 or months > 36:
        raise ValueError("months must be between 1 and 36")
    if not is_empty(db):
        raise RefusedByState(f"{db.display_name} already has data; demo data goes only into an empty database")
    today = today or date.today()
    report = progress or (lambda done, total, what: None)
    report(0, 4, "Setting up the program")
    save_program(db, DEMO_PROGRAM)
    report(1, 4, "Adding the commission plans")
    plan_ids = load_demo_plans(db)
    report(2, 4, f"Inventing {affiliates:,} affiliates")
    partners = demo_partners(affiliates, seed, today)
    report(3, 4, f"Adding {affiliates:,} affiliates with their profiles, coupons, notes and history")
    _insert_partners(db, partners, plan_ids)
    report(4, 4, "Done")
    return DemoSummary(affiliates=affiliates, months=months)


MIN_AFFILIATES_FOR_FRAUD = 20


def load_full_demo(
    db: Database,
    *,
    affiliates: int = 60,
    months: int = 12,
    seed: int = 7,
    today: date | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> DemoSummary:
    """The demo a person explores: the program and its affiliates, then a year of activity in every area.

    Orders and clicks come first; targets are settled before the payout sheets are built so their bonuses land
    on the sheets; a few planted frauds are caught by the rules; the library and terms are filled last.
    """
    from desktop.services.demo_conversions import load_demo_conversions
    from desktop.services.demo_fraud import load_demo_fraud
    from desktop.services.demo_library import load_demo_library
    from desktop.services.demo_targets import load_demo_targets
    from desktop.services.payout_demo import load_demo_payouts

    today = today or date.today()
    report = progress or (lambda done, total, what: None)
    total = 7
    summary = load_demo(db, affiliates=affiliates, months=months, seed=seed, today=today)
    report(1, total, f"Adding {months} months of orders and clicks")
    load_demo_conversions(db, months=months, seed=seed, today=today)
    report(2, total, "Setting targets and settling the finished ones")
    load_demo_targets(db, today)
    if affiliates >= MIN_AFFILIATES_FOR_FRAUD:  # a handful of partners cannot hide planted frauds believably
        report(3, total, "Planting a few frauds for the rules to catch")
        load_demo_fraud(db, today)
    report(4, total, "Building, approving and paying the past payout sheets")
    load_demo_payouts(db, today)
    report(5, total, "Writing the guidelines and filling the asset library")
    load_demo_library(db, today, seed=seed)
    report(total, total, "Done")
    return summary
