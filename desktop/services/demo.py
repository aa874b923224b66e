"""Demo data: a believable affiliate program to explore the application with."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert

from desktop.db import Database
from desktop.models import Affiliate
from desktop.services.errors import RefusedByState
from desktop.services.maintenance import is_empty
from desktop.services.program_settings import ProgramSettings, save_program

FIRST = [
    "Jane",
    "Lena",
    "Marco",
    "Priya",
    "Tom",
    "Aisha",
    "Kenji",
    "Sofia",
    "Liam",
    "Noor",
    "Mateo",
    "Hana",
    "Oscar",
    "Zoe",
    "Ravi",
    "Elena",
    "Jonas",
    "Amara",
    "Felix",
    "Chloe",
    "Diego",
    "Ingrid",
    "Yusuf",
    "Maya",
    "Lucas",
    "Freya",
    "Omar",
    "Ines",
    "Nils",
    "Carmen",
    "Theo",
    "Leila",
    "Hugo",
    "Mila",
    "Sami",
    "Nora",
    "Pablo",
    "Ada",
]
LAST = [
    "Brooks",
    "Keller",
    "Rossi",
    "Sharma",
    "Novak",
    "Bello",
    "Tanaka",
    "Garcia",
    "Walsh",
    "Haddad",
    "Silva",
    "Kim",
    "Berg",
    "Martin",
    "Patel",
    "Costa",
    "Weber",
    "Okafor",
    "Jensen",
    "Dubois",
    "Ruiz",
    "Larsen",
    "Demir",
    "Cohen",
    "Moreau",
    "Fischer",
    "Said",
    "Lopez",
    "Nyberg",
    "Vidal",
    "Kowalski",
    "Hart",
    "Lindqvist",
]
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
    north_star_target=Decimal("25000.00"),
    target_niches="hiking; camping; trail running; climbing",
)


def demo_affiliate_rows(count: int, seed: int, today: date) -> list[dict[str, object]]:
    rng = random.Random(seed)
    statuses = [s for s, _ in STATUS_WEIGHTS]
    weights = [w for _, w in STATUS_WEIGHTS]
    rows: list[dict[str, object]] = []
    used: set[str] = set()
    for index in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        base = f"{first}{last[:3]}".upper()
        code = base
        suffix = 2
        while code in used:
            code = f"{base}{suffix}"
            suffix += 1
        used.add(code)
        # The first few are always active so a small demo still has a working program.
        status = "active" if index < 3 else rng.choices(statuses, weights)[0]
        joined = today - timedelta(days=rng.randint(20, 900)) if status not in ("prospect", "applied") else None
        rows.append(
            {
                "code": code,
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}{index}@example.com",
                "status": status,
                "joined_on": joined,
            }
        )
    return rows


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
    report(0, 2, "Setting up the program")
    save_program(db, DEMO_PROGRAM)
    report(1, 2, f"Adding {affiliates:,} affiliates")
    rows = demo_affiliate_rows(affiliates, seed, today)
    with db.write() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Affiliate), rows[start : start + 5000])
    report(2, 2, "Done")
    return DemoSummary(affiliates=affiliates, months=months)
