"""The demo's guidelines and library: published documents, acceptances, banners, texts and a kit sent."""

from __future__ import annotations

import struct
import zipfile
import zlib
from datetime import date, timedelta

import pytest

from desktop.db import Database
from desktop.services import asset_library as lib
from desktop.services import guidelines as g
from desktop.services.demo import load_demo
from desktop.services.demo_library import banner_png, load_demo_library
from desktop.services.errors import RefusedByState
from desktop.services.kits import list_kits
from desktop.services.recruiting import get_onboarding

TODAY = date.today()


def png_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a PNG, checking every CRC on the way."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, kinds = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        kinds.append(kind)
        offset += 12 + length
    return kinds


def test_banners_are_valid_pngs() -> None:
    data = banner_png(300, 250, ("Acme", "Outdoor"), (120, 170, 200), seed=1)
    assert png_chunks(data) == [b"IHDR", b"IDAT", b"IEND"]
    assert lib.image_size(data) == (300, 250)
    raw = zlib.decompress(data[data.index(b"IDAT") + 4 :])
    assert len(raw) == 250 * (1 + 300 * 3)


def test_demo_library(db: Database) -> None:
    load_demo(db, affiliates=40, today=TODAY)
    summary = load_demo_library(db, TODAY)
    assert (summary.documents, summary.versions, summary.assets, summary.kits) == (5, 6, 7, 1)

    documents = {d.kind: d for d in g.list_documents(db)}
    assert all(d.latest_version and not d.unpublished_changes for d in documents.values())
    assert documents["terms"].latest_version == 2
    v2 = g.list_versions(db, "terms")[0]
    assert "7 days" in v2.summary
    changes = [line for line in g.diff_versions(db, "terms", 1, 2) if line.tag != "equal" and line.tag != "gap"]
    assert len(changes) == 4  # two paragraphs, each removed and added
    pending = g.pending_acceptances(db)
    assert 0 < len(pending) == summary.pending
    assert v2.accepted > len(pending)  # most active affiliates accepted
    assert "{" not in g.get_version(db, "commission_terms", 1).markdown

    assets = lib.list_assets(db, today=TODAY)
    assert sorted(a.kind for a in assets) == [
        "email_copy",
        "image",
        "image",
        "image",
        "image",
        "social_post",
        "social_post",
    ]
    assert [a.title for a in assets if a.is_expired(TODAY)] == ["Spring sale skyscraper 160×600"]
    for asset in assets:
        if asset.file_path is not None:
            assert png_chunks(asset.file_path.read_bytes())[0] == b"IHDR"
            assert (asset.width, asset.height) == lib.image_size(asset.file_path.read_bytes())
    texts = [a.body or "" for a in assets if a.is_text]
    assert all("{coupon}" in body and "{link}" in body for body in texts)

    (kit,) = list_kits(db)
    assert kit.created_at.date() == TODAY - timedelta(days=3) and len(kit.asset_ids) == 4
    with zipfile.ZipFile(kit.file_name) as archive:
        names = archive.namelist()
        mail = archive.read("newsletter-summer-sale.txt").decode()
    assert "manifest.json" in names and "MANIFEST.txt" in names
    assert "{coupon}" not in mail and "https://acme-outdoor.example/?ref=" in mail  # the demo program's link
    assert kit.affiliate_id is not None
    onboarding = get_onboarding(db, kit.affiliate_id)
    assert onboarding is not None and onboarding.asset_kit_sent  # created for an active affiliate when missing

    with pytest.raises(RefusedByState):
        load_demo_library(db, TODAY)


def test_demo_onboarding_terms_follow_the_recorded_acceptances(db: Database) -> None:
    """The demo ticked "terms accepted" at random, so it disagreed with the Guidelines page's acceptances."""
    from sqlalchemy import select

    from desktop.models import Acceptance, Onboarding

    load_demo(db, affiliates=40, today=TODAY)
    load_demo_library(db, TODAY)
    latest = g.list_versions(db, "terms")[0]
    with db.read() as session:
        accepted = set(session.scalars(select(Acceptance.affiliate_id).where(Acceptance.version_id == latest.id)))
        o = Onboarding
        rows = session.execute(select(o.affiliate_id, o.terms_accepted, o.completed_at)).all()
    assert rows and {who for who, ticked, _ in rows if ticked} == accepted & {who for who, _, _ in rows}
    assert all(done is None for _, ticked, done in rows if not ticked)
