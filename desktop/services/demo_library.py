"""Demo guidelines and asset library: published documents, acceptances, banners, texts and a kit already sent."""

from __future__ import annotations

import math
import random
import struct
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import exists, insert, select, update

from desktop.db import Database
from desktop.models import GUIDELINE_KINDS, Acceptance, Affiliate, Asset, GuidelineVersion, Onboarding
from desktop.services.asset_library import AssetEdit, add_file, add_text_asset, library_folder
from desktop.services.errors import RefusedByState
from desktop.services.guidelines import ensure_starter_documents, get_draft, publish, save_draft
from desktop.services.kits import build_kit, kit_recipients

MANAGER = "manager"
Colour = tuple[int, int, int]

# A 5×7 pixel font for the few words on the demo banners ("#" is ink).
GLYPHS = {
    "A": ".###.|#...#|#...#|#####|#...#|#...#|#...#",
    "C": ".###.|#...#|#....|#....|#....|#...#|.###.",
    "D": "####.|#...#|#...#|#...#|#...#|#...#|####.",
    "E": "#####|#....|#....|####.|#....|#....|#####",
    "G": ".###.|#...#|#....|#.###|#...#|#...#|.###.",
    "I": ".###.|..#..|..#..|..#..|..#..|..#..|.###.",
    "L": "#....|#....|#....|#....|#....|#....|#####",
    "M": "#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#",
    "N": "#...#|##..#|#.#.#|#..##|#...#|#...#|#...#",
    "O": ".###.|#...#|#...#|#...#|#...#|#...#|.###.",
    "P": "####.|#...#|#...#|####.|#....|#....|#....",
    "R": "####.|#...#|#...#|####.|#.#..|#..#.|#...#",
    "S": ".####|#....|#....|.###.|....#|....#|####.",
    "T": "#####|..#..|..#..|..#..|..#..|..#..|..#..",
    "U": "#...#|#...#|#...#|#...#|#...#|#...#|.###.",
    "W": "#...#|#...#|#...#|#.#.#|#.#.#|##.##|#...#",
    "0": ".###.|#..##|#.#.#|#.#.#|##..#|#...#|.###.",
    "2": ".###.|#...#|....#|...#.|..#..|.#...|#####",
    "%": "##..#|##..#|...#.|..#..|.#...|#..##|#..##",
    "-": ".....|.....|.....|#####|.....|.....|.....",
    " ": ".....|.....|.....|.....|.....|.....|.....",
}

TERMS_V2_CHANGES = (
    (
        "2.2 You disclose clearly that you are an affiliate and may earn a commission.",
        "2.2 You disclose clearly that you are an affiliate and may earn a commission, at the start of every post, "
        "caption and video, before any link or code.",
    ),
    (
        "you remove our links, codes and material from your channels within 14 days.",
        "you remove our links, codes and material from your channels within 7 days.",
    ),
)
SOCIAL_SUMMER = (
    "Summer hiking season is here! ☀️ I have tested the Acme trail gear all spring, and this month everything is "
    "20 % off with my code {coupon}.\n\nShop the summer sale: {link}\n\n#ad #affiliate #hiking #summeroutdoors"
)
SOCIAL_GEAR = (
    "What's in my pack for a full day on the trail? My three favourites from Acme Outdoor, honestly reviewed on my "
    "blog. Code {coupon} saves you 10 % on your first order: {link}\n\n#ad #gearreview #trailrunning"
)
EMAIL_SUMMER = (
    "Subject: My summer trail kit (and 20 % off for you)\n\nHi there,\n\nsummer is the best time to get out, and "
    "Acme Outdoor's summer sale makes it a good time to get kitted out too. With my code {coupon} you save 20 % on "
    "everything in the shop until the end of the month.\n\nHave a look here: {link}\n\nHappy trails,\n{name}\n\n"
    "P.S. I earn a small commission when you buy through my link; it costs you nothing extra."
)


@dataclass(frozen=True)
class DemoLibrarySummary:
    documents: int
    versions: int
    acceptances: int
    pending: int
    assets: int
    kits: int


# --- PNG banners, written by hand -------------------------------------------------------------------------


def png_bytes(width: int, height: int, rows: Sequence[bytes]) -> bytes:
    """A valid 8-bit RGB PNG from `height` rows of `3 * width` bytes."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 on every row
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def banner_png(width: int, height: int, words: Sequence[str], sky: Colour, seed: int) -> bytes:
    """A landscape banner: sky gradient, sun, two mountain ridges, a green band, and big blocky words."""
    rng = random.Random(seed)
    pixels = [bytearray() for _ in range(height)]
    band = max(6, height // 6)
    phases = [rng.uniform(0, 6.28) for _ in range(4)]
    sun_x, sun_y, sun_r = int(width * rng.uniform(0.6, 0.85)), int(height * 0.3), max(4, min(width, height) // 7)
    far = [
        height * (0.55 + 0.12 * math.sin(x / width * 7 + phases[0]) + 0.06 * math.sin(x / 23 + phases[1]))
        for x in range(width)
    ]
    near = [
        height * (0.7 + 0.1 * math.sin(x / width * 5 + phases[2]) + 0.04 * math.sin(x / 17 + phases[3]))
        for x in range(width)
    ]
    for y in range(height):
        shade = y / height
        sky_row = bytes(int(c + (255 - c) * shade * 0.6) for c in sky)
        for x in range(width):
            if y >= height - band:
                colour: Colour = (31, 111, 92)
            elif y >= near[x]:
                colour = (44, 72, 62)
            elif y >= far[x]:
                colour = (92, 120, 128)
            elif (x - sun_x) ** 2 + (y - sun_y) ** 2 <= sun_r**2:
                colour = (255, 214, 102)
            else:
                pixels[y] += sky_row
                continue
            pixels[y] += bytes(colour)
    shadow = max(1, min(width, height) // 120)
    _draw_words(pixels, width, height - band, words, b"\x1f\x2d\x2a", shadow)
    _draw_words(pixels, width, height - band, words, b"\xff\xff\xff", 0)
    return png_bytes(width, height, [bytes(row) for row in pixels])


def _draw_words(pixels: list[bytearray], width: int, area: int, words: Sequence[str], ink: bytes, shift: int) -> None:
    lines = [w.upper() for w in words]
    longest = max(len(line) for line in lines)
    scale = max(1, min(width // (longest * 6 + 2), area // (len(lines) * 9 + 1)))
    top = max(1, (area - len(lines) * 9 * scale) // 2)
    for number, line in enumerate(lines):
        left = max(1, (width - len(line) * 6 * scale) // 2)
        for index, char in enumerate(line):
            rows = GLYPHS.get(char, GLYPHS[" "]).split("|")
            for gy, row in enumerate(rows):
                for gx, cell in enumerate(row):
                    if cell != "#":
                        continue
                    for dy in range(scale):
                        y = top + (number * 9 + gy) * scale + dy + shift
                        x0 = left + (index * 6 + gx) * scale + shift
                        pixels[y][3 * x0 : 3 * (x0 + scale)] = ink * scale


# --- loading ----------------------------------------------------------------------------------------------


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0))


def _publish_documents(db: Database, today: date) -> tuple[int, int]:
    """Every starter document as version 1 a year ago; the terms again three weeks ago (version 2)."""
    ensure_starter_documents(db)
    first = _at(today - timedelta(days=400))
    for kind in GUIDELINE_KINDS:
        publish(db, kind, "", published_by=MANAGER, published_at=first)
    text = get_draft(db, "terms").markdown
    for old, new in TERMS_V2_CHANGES:
        text = text.replace(old, new)
    save_draft(db, "terms", text)
    summary = (
        "Disclosure must now come at the start of every post, caption and video, before any link or code; "
        "links and material must be taken down within 7 days (was 14) when a partnership ends."
    )
    publish(db, "terms", summary, published_by=MANAGER, published_at=_at(today - timedelta(days=21)))
    return len(GUIDELINE_KINDS), len(GUIDELINE_KINDS) + 1


def _add_acceptances(db: Database, today: date, rng: random.Random) -> tuple[int, int]:
    """Most active affiliates accepted the terms they joined under and most accepted version 2; some are pending."""
    with db.write() as session:
        versions = session.execute(
            select(
                GuidelineVersion.id,
                GuidelineVersion.number,
                GuidelineVersion.published_at,
                GuidelineVersion.document_id,
            )
        ).all()
        terms_doc = max(versions, key=lambda v: v.number).document_id
        by_number = {v.number: v for v in versions if v.document_id == terms_doc}
        rows = []
        pending = 0
        active = session.execute(select(Affiliate.id, Affiliate.joined_on).where(Affiliate.status == "active"))
        for affiliate_id, joined_on in active:
            joined = joined_on or today - timedelta(days=30)
            v2_day = by_number[2].published_at.date()
            if joined < v2_day and rng.random() < 0.95:
                day = max(joined, by_number[1].published_at.date()) + timedelta(days=rng.randint(0, 6))
                rows.append((affiliate_id, by_number[1].id, min(day, v2_day)))
            if rng.random() < 0.75:
                day = max(joined, v2_day) + timedelta(days=rng.randint(0, 12))
                rows.append((affiliate_id, by_number[2].id, min(day, today)))
            else:
                pending += 1
        if rows:
            method = ("email", "email", "signed", "in_person")
            session.execute(
                insert(Acceptance),
                [
                    {
                        "affiliate_id": a,
                        "version_id": v,
                        "accepted_on": d,
                        "method": rng.choice(method),
                        "recorded_at": _at(d, 17),
                    }
                    for a, v, d in rows
                ],
            )
        # Onboarding's "terms accepted" is the acceptance of the latest terms on record (recruiting.update_onboarding)
        latest = by_number[max(by_number)].id
        accepted_latest = {a for a, v, _ in rows if v == latest}
        for onboarding in session.scalars(select(Onboarding)):
            onboarding.terms_accepted = onboarding.affiliate_id in accepted_latest
            if not (onboarding.goals_communicated and onboarding.terms_accepted and onboarding.asset_kit_sent):
                onboarding.completed_at = None
            elif onboarding.completed_at is None:
                onboarding.completed_at = onboarding.started_at + timedelta(days=3)
        return len(rows), pending


def _add_assets(db: Database, today: date) -> list[int]:
    summer = f"Summer sale {today.year}"
    ends = today + timedelta(days=45)
    banners = (
        (
            "Summer sale leaderboard",
            728,
            90,
            ("Summer sale -20%",),
            (86, 160, 214),
            ("banner", "leaderboard"),
            summer,
            ends,
        ),
        (
            "Summer sale square",
            480,
            480,
            ("Summer", "sale", "-20%"),
            (86, 160, 214),
            ("instagram", "square"),
            summer,
            ends,
        ),
        (
            "Acme Outdoor medium rectangle",
            300,
            250,
            ("Acme", "Outdoor"),
            (120, 170, 200),
            ("banner", "brand"),
            None,
            None,
        ),
        (
            "Spring sale skyscraper",
            160,
            600,
            ("Spring", "sale"),
            (150, 190, 120),
            ("banner",),
            f"Spring sale {today.year}",
            today - timedelta(days=20),
        ),
    )
    ids = []
    with tempfile.TemporaryDirectory() as folder:
        for seed, (title, width, height, words, sky, tags, campaign, expires) in enumerate(banners):
            path = Path(folder) / f"{title.lower().replace(' ', '-')}-{width}x{height}.png"
            path.write_bytes(banner_png(width, height, words, sky, seed))
            added = add_file(
                db, path, title=f"{title} {width}×{height}", tags=tags, campaign=campaign, expires_on=expires
            )
            ids.append(added.asset.id)
    texts = (
        ("social_post", "Summer sale Instagram caption", SOCIAL_SUMMER, ("instagram",), summer, ends),
        ("social_post", "Trail gear review teaser", SOCIAL_GEAR, ("blog", "review"), None, None),
        ("email_copy", "Newsletter: summer sale", EMAIL_SUMMER, ("newsletter",), summer, ends),
    )
    for kind, title, body, tags, campaign, expires in texts:
        ids.append(add_text_asset(db, kind, AssetEdit(title, tags, campaign, expires, body)).id)
    with db.write() as session:  # the library was filled a month ago, before the kit went out
        session.execute(update(Asset).where(Asset.id.in_(ids)).values(created_at=_at(today - timedelta(days=30), 9)))
    return ids


def load_demo_library(db: Database, today: date | None = None, seed: int = 7) -> DemoLibrarySummary:
    """Fill the guidelines and the library of a demo program (after load_demo); refused once they hold anything."""
    today = today or date.today()
    with db.read() as session:
        if session.scalar(select(exists(select(Asset.id)) | exists(select(GuidelineVersion.id)))):
            raise RefusedByState(
                "The guidelines or the asset library already hold data; the demo goes only into empty ones."
            )
    documents, versions = _publish_documents(db, today)
    accepted, pending = _add_acceptances(db, today, random.Random(seed))
    ids = _add_assets(db, today)
    kits = 0
    recipients = [r for r in kit_recipients(db) if r.status == "active" and r.coupon]
    if recipients:
        folder = library_folder(db) / "kits"
        folder.mkdir(parents=True, exist_ok=True)
        recipient = recipients[0]
        out = folder / f"kit-{recipient.code.lower()}-{today - timedelta(days=3):%Y-%m-%d}.zip"
        build_kit(
            db,
            affiliate_id=recipient.id,
            campaign=f"Summer sale {today.year}",
            asset_ids=[ids[0], ids[1], ids[4], ids[6]],
            out_path=out,
            sent_at=_at(today - timedelta(days=3), 15),
        )
        kits = 1
    return DemoLibrarySummary(documents, versions, accepted, pending, len(ids), kits)
