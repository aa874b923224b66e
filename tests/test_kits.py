"""Asset kits: zip contents under safe names, personalised texts, manifests, the log and the onboarding tick."""

from __future__ import annotations

import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop.db import Database
from desktop.models import Affiliate, CouponCode, KitItem, KitSent, Onboarding
from desktop.services import asset_library as lib
from desktop.services import kits
from desktop.services.demo_library import png_bytes
from desktop.services.errors import BadInput, RefusedByState
from desktop.services.program_settings import ProgramSettings, save_program

SENT = datetime(2026, 5, 20, 14, 30)
SHOP_LINK = "https://acme.example/?ref={code}"


def png(shade: int) -> bytes:
    return png_bytes(3, 2, [bytes([shade, 50, 90] * 3)] * 2)


@pytest.fixture
def library(db: Database, tmp_path: Path) -> dict[str, int]:
    save_program(db, ProgramSettings(name="Acme Outdoor Partners", timezone="UTC", referral_link_template=SHOP_LINK))
    with db.write() as session:
        for code, name, status, coupons in (
            ("JANE", "Jane Hiker", "active", ["JANE10", "JANESHIP"]),
            ("NOCO", "Nora Coupless", "active", []),
            ("PAUL", "Paul Paused", "paused", ["PAUL5"]),
            ("TERRY", "Terry Gone", "terminated", []),
        ):
            affiliate = Affiliate(code=code, name=name, status=status)
            affiliate.coupons = [CouponCode(code=c, code_key=c.upper()) for c in coupons]
            session.add(affiliate)
    ids = {code: i for code, i in _ids(db)}
    folder = tmp_path / "files"
    folder.mkdir()
    for key, name, shade, expires in (
        ("banner", "banner.png", 1, None),
        ("banner2", "banner again.png", 2, None),
        ("old", "spring.png", 3, date(2026, 4, 30)),
        ("con", "CON", 4, None),
    ):
        (folder / name).write_bytes(png(shade))
        title = {"banner2": "Banner", "con": "CON"}.get(key)
        ids[key] = lib.add_file(db, folder / name, title=title, campaign="Summer", expires_on=expires).asset.id
    body = "Hi, {name} here! Code {coupon} at {link} — keep {this} and {0.__class__}."
    ids["post"] = lib.add_text_asset(db, "social_post", lib.AssetEdit("Summer post", (), "Summer", None, body)).id
    ids["mail"] = lib.add_text_asset(
        db, "email_copy", lib.AssetEdit("Mail", (), None, None, "Subject: Hi\n\n{link}")
    ).id
    return ids


def _ids(db: Database) -> list[tuple[str, int]]:
    with db.read() as session:
        return [(code, i) for code, i in session.execute(select(Affiliate.code, Affiliate.id))]


def read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_kit_for_an_affiliate(db: Database, library: dict[str, int], tmp_path: Path) -> None:
    out = tmp_path / "kits" / "jane.zip"
    out.parent.mkdir()
    ids = [library["banner"], library["banner2"], library["con"], library["post"], library["mail"]]
    result = kits.build_kit(
        db, affiliate_id=library["JANE"], campaign="Summer", asset_ids=ids, out_path=out, sent_at=SENT
    )
    files = read_zip(out)
    assert sorted(files) == sorted(
        ["banner.png", "banner-2.png", "con-file.png", "summer-post.txt", "mail.txt", "manifest.json", "MANIFEST.txt"]
    )
    assert files["banner.png"] == png(1) and files["banner-2.png"] == png(2)
    post = files["summer-post.txt"].decode("utf-8")
    assert post == "Hi, Jane here! Code JANE10 at https://acme.example/?ref=JANE — keep {this} and {0.__class__}.\n"
    assert files["mail.txt"].decode() == "Subject: Hi\n\nhttps://acme.example/?ref=JANE\n"
    manifest = json.loads(files["manifest.json"])
    assert manifest["personalised_for"] == {"code": "JANE", "name": "Jane Hiker"}
    assert (manifest["coupon"], manifest["campaign"], manifest["program"]) == (
        "JANE10",
        "Summer",
        "Acme Outdoor Partners",
    )
    entry = next(f for f in manifest["files"] if f["file"] == "banner.png")
    banner = lib.get_asset(db, library["banner"])
    assert entry == {
        "file": "banner.png",
        "title": "banner",
        "kind": "image",
        "size_bytes": banner.size_bytes,
        "sha256": banner.sha256,
        "expires_on": None,
        "personalised": False,
        "asset_id": banner.id,
    }
    post_entry = next(f for f in manifest["files"] if f["file"] == "summer-post.txt")
    assert post_entry["personalised"] and post_entry["size_bytes"] == len(files["summer-post.txt"])
    text = files["MANIFEST.txt"].decode()
    assert "For: Jane Hiker (JANE), campaign Summer" in text and "Your coupon code: JANE10" in text
    assert "Summer post" in text and banner.sha256 in text  # type: ignore[operator]
    assert result.for_whom == "Jane Hiker (JANE), campaign Summer" and result.warnings == ()
    assert [p.name for p in out.parent.iterdir()] == ["jane.zip"]  # written whole, no temporary left

    with db.read() as session:
        kit = session.scalars(select(KitSent)).one()
        logged = (kit.affiliate_id, kit.campaign, kit.file_name, kit.created_at, json.loads(kit.manifest_json))
        items = list(session.scalars(select(KitItem.asset_id).where(KitItem.kit_id == kit.id)))
        onboarding = session.scalars(select(Onboarding).where(Onboarding.affiliate_id == library["JANE"])).one()
        ticked = (onboarding.asset_kit_sent, onboarding.started_at, onboarding.completed_at)
    assert logged == (library["JANE"], "Summer", str(out), SENT, manifest)
    assert sorted(items) == sorted(ids)
    assert ticked == (True, SENT, None)
    assert result.onboarding_ticked
    records = kits.list_kits(db, asset_id=library["post"])
    assert [(r.affiliate_name, r.asset_ids) for r in records] == [("Jane Hiker", tuple(ids))]
    assert kits.list_kits(db, affiliate_id=library["NOCO"]) == ()


def test_expired_assets_are_left_out_unless_included(db: Database, library: dict[str, int], tmp_path: Path) -> None:
    ids = [library["banner"], library["old"]]
    result = kits.build_kit(db, affiliate_id=library["JANE"], asset_ids=ids, out_path=tmp_path / "a.zip", sent_at=SENT)
    assert [f.title for f in result.files] == ["banner"]
    assert result.warnings == ("Left out spring: expired on 30 Apr 2026.",)
    manifest = json.loads(read_zip(tmp_path / "a.zip")["manifest.json"])
    assert manifest["left_out"] == [{"title": "spring", "reason": "expired on 30 Apr 2026"}]
    included = kits.build_kit(
        db, affiliate_id=library["JANE"], asset_ids=ids, out_path=tmp_path / "b.zip", include_expired=True, sent_at=SENT
    )
    assert sorted(f.title for f in included.files) == ["banner", "spring"]
    with pytest.raises(BadInput, match="Nothing to put in the kit"):
        kits.build_kit(
            db, affiliate_id=library["JANE"], asset_ids=[library["old"]], out_path=tmp_path / "c.zip", sent_at=SENT
        )
    assert not (tmp_path / "c.zip").exists()


def test_a_campaign_kit_keeps_readable_blanks(db: Database, library: dict[str, int], tmp_path: Path) -> None:
    result = kits.build_kit(
        db, campaign="Summer", asset_ids=[library["post"]], out_path=tmp_path / "s.zip", sent_at=SENT
    )
    text = read_zip(tmp_path / "s.zip")["summer-post.txt"].decode()
    assert text.startswith("Hi, [your name] here! Code [your coupon code] at [your referral link]")
    assert result.for_whom == "campaign Summer" and not result.onboarding_ticked
    with db.read() as session:
        assert session.scalars(select(KitSent.affiliate_id)).one() is None


def test_an_affiliate_without_a_coupon_gets_a_warning(db: Database, library: dict[str, int], tmp_path: Path) -> None:
    result = kits.build_kit(db, affiliate_id=library["NOCO"], asset_ids=[library["post"]], out_path=tmp_path / "n.zip")
    assert result.warnings == ("Nora Coupless has no coupon code: the texts say [your coupon code] instead.",)
    assert (
        "Code [your coupon code] at https://acme.example/?ref=NOCO"
        in read_zip(tmp_path / "n.zip")["summer-post.txt"].decode()
    )


def test_onboarding_is_ticked_and_completed_but_only_created_for_active_affiliates(
    db: Database, library: dict[str, int], tmp_path: Path
) -> None:
    with db.write() as session:
        session.add(
            Onboarding(affiliate_id=library["JANE"], started_at=SENT, goals_communicated=True, terms_accepted=True)
        )
    kits.build_kit(
        db, affiliate_id=library["JANE"], asset_ids=[library["banner"]], out_path=tmp_path / "j.zip", sent_at=SENT
    )
    result = kits.build_kit(
        db, affiliate_id=library["PAUL"], asset_ids=[library["banner"]], out_path=tmp_path / "p.zip"
    )
    assert not result.onboarding_ticked
    with db.read() as session:
        rows = {row.affiliate_id: (row.asset_kit_sent, row.completed_at) for row in session.scalars(select(Onboarding))}
    assert rows[library["JANE"]] == (True, SENT)
    assert library["PAUL"] not in rows  # paused: kits may go out, onboarding is not started for them


def test_refusals_change_nothing(
    db: Database, library: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "kit.zip"
    out.write_bytes(b"the previous kit")
    with pytest.raises(BadInput, match="affiliate or the campaign"):
        kits.build_kit(db, asset_ids=[library["banner"]], out_path=out)
    with pytest.raises(BadInput, match="at least one asset"):
        kits.build_kit(db, affiliate_id=library["JANE"], asset_ids=[], out_path=out)
    with pytest.raises(RefusedByState, match="terminated"):
        kits.build_kit(db, affiliate_id=library["TERRY"], asset_ids=[library["banner"]], out_path=out)
    with pytest.raises(BadInput, match="no longer exist"):
        kits.build_kit(db, affiliate_id=library["JANE"], asset_ids=[library["banner"], 9999], out_path=out)

    def broken_log(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full while logging")

    monkeypatch.setattr(kits, "_log", broken_log)
    with pytest.raises(RuntimeError):
        kits.build_kit(db, affiliate_id=library["JANE"], asset_ids=[library["banner"]], out_path=out)
    assert out.read_bytes() == b"the previous kit"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".zip" or ".tmp" in p.name) == ["kit.zip"]
    assert kits.list_kits(db) == ()


def test_an_asset_sent_in_a_kit_is_kept_for_the_record(db: Database, library: dict[str, int], tmp_path: Path) -> None:
    kits.build_kit(db, affiliate_id=library["JANE"], asset_ids=[library["banner"]], out_path=tmp_path / "k.zip")
    with pytest.raises(RefusedByState, match="sent in a kit"):
        lib.delete_asset(db, library["banner"])


def test_safe_file_names() -> None:
    used: set[str] = set()
    names = [
        kits.safe_file_name(title, "png", used)
        for title in (
            "Summer Sale 728×90",
            "summer sale 728x90",
            "../../etc/passwd",
            "CON",
            "LPT1",
            "a. ",
            "",
            "Ünïcödé",
        )
    ]
    assert names == [
        "summer-sale-728x90.png",
        "summer-sale-728x90-2.png",
        "etc-passwd.png",
        "con-file.png",
        "lpt1-file.png",
        "a.png",
        "asset.png",
        "unicode.png",
    ]
    assert len(kits.safe_file_name("x" * 300, "txt", set())) == 64
    assert kits.referral_link(SHOP_LINK, "A B/C") == "https://acme.example/?ref=A%20B%2FC"
    assert kits.personalise("{coupon} {link} {name} {code} {other}", {"coupon": "X"}) == (
        "X [your referral link] [your name] [your code] {other}"
    )


def test_kit_recipients_are_active_and_paused_affiliates(db: Database, library: dict[str, int]) -> None:
    recipients = kits.kit_recipients(db)
    assert [(r.code, r.coupon) for r in recipients] == [("JANE", "JANE10"), ("NOCO", None), ("PAUL", "PAUL5")]
    assert (
        kits.suggested_file_name(recipients[0], "Summer 2026", date(2026, 5, 1))
        == "kit-jane-summer-2026-2026-05-01.zip"
    )


def test_without_the_shops_referral_link_the_texts_keep_the_blank(
    db: Database, library: dict[str, int], tmp_path: Path
) -> None:
    """No made-up example.com link: the blank stays readable, the manifest says so and the maker is told where to set
    the link."""
    save_program(db, ProgramSettings(name="Acme Outdoor Partners", timezone="UTC"))
    ids = [library["post"], library["mail"], library["banner"]]
    result = kits.build_kit(db, affiliate_id=library["JANE"], asset_ids=ids, out_path=tmp_path / "j.zip")
    files = read_zip(tmp_path / "j.zip")
    assert files["summer-post.txt"].decode().startswith("Hi, Jane here! Code JANE10 at [your referral link] —")
    assert files["mail.txt"].decode() == "Subject: Hi\n\n[your referral link]\n"
    assert all(b"example.com" not in data for data in files.values())
    assert json.loads(files["manifest.json"])["referral_link"] is None
    assert "Your referral link: [your referral link]" in files["MANIFEST.txt"].decode()
    assert result.warnings == (kits.LINK_NOT_SET,)
    assert "not set yet" in kits.LINK_NOT_SET and "Program page" in kits.LINK_NOT_SET
    no_link_text = kits.build_kit(
        db, affiliate_id=library["JANE"], asset_ids=[library["banner"]], out_path=tmp_path / "b.zip"
    )
    assert no_link_text.warnings == ()  # nothing says {link}: nothing to warn about


def test_the_programs_referral_link_is_filled_in(db: Database, library: dict[str, int], tmp_path: Path) -> None:
    save_program(
        db, ProgramSettings(name="Acme", timezone="UTC", referral_link_template="https://shop.example/p/{code}?s=kit")
    )
    kits.build_kit(db, affiliate_id=library["NOCO"], asset_ids=[library["mail"]], out_path=tmp_path / "n.zip")
    files = read_zip(tmp_path / "n.zip")
    assert files["mail.txt"].decode() == "Subject: Hi\n\nhttps://shop.example/p/NOCO?s=kit\n"
    assert json.loads(files["manifest.json"])["referral_link"] == "https://shop.example/p/NOCO?s=kit"


def test_find_recipient_by_code_or_any_part_of_the_name(db: Database, library: dict[str, int]) -> None:
    with db.write() as session:
        session.add(Affiliate(code="AMARAVID", name="Amara Vidal", status="active"))
        session.add(Affiliate(code="DAVE", name="Dave Vidalez", status="active"))
        session.add(Affiliate(code="ZOE", name="Zoë Müller", status="active"))
    recipients = kits.kit_recipients(db)

    def code_of(typed: str) -> str:
        return kits.find_recipient(recipients, typed).code

    assert code_of("AMARAVID") == code_of("amaravid") == code_of(" Amara  ") == "AMARAVID"
    assert code_of("Amara Vidal") == code_of("mara vi") == code_of("Amara Vidal (AMARAVID)") == "AMARAVID"
    assert code_of("vidalez") == code_of("Dave") == "DAVE"
    assert code_of("muller") == code_of("Zoë") == "ZOE"
    assert code_of("Paul Paused (PAUL) · coupon PAUL5 · paused") == "PAUL"
    assert code_of("JANE10") == "JANE"  # the coupon shown in the list finds its affiliate too
    # "Vidal" is in two names: the kit would be a guess, so it is refused, naming both
    with pytest.raises(BadInput, match="“Vidal” fits 2 affiliates \\(Amara Vidal \\(AMARAVID\\), Dave Vidalez"):
        kits.find_recipient(recipients, "Vidal")
    with pytest.raises(BadInput, match="No active or paused affiliate fits “Terry”"):
        kits.find_recipient(recipients, "Terry")  # terminated: not a kit recipient
    with pytest.raises(BadInput, match="Choose the affiliate"):
        kits.find_recipient(recipients, "  ")


def test_the_suggested_name_skips_kits_already_in_the_folder(tmp_path: Path) -> None:
    jane = kits.KitRecipient(1, "JANE", "Jane Hiker", "active", "JANE10")
    day = date(2026, 5, 1)
    assert kits.suggested_file_name(jane, None, day, tmp_path) == "kit-jane-2026-05-01.zip"
    (tmp_path / "kit-jane-2026-05-01.zip").write_bytes(b"first")
    assert kits.suggested_file_name(jane, None, day, tmp_path) == "kit-jane-2026-05-01-2.zip"
    assert kits.suggested_file_name(jane, None, day, tmp_path / "missing") == "kit-jane-2026-05-01.zip"
