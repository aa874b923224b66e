"""Guideline documents: starter texts, placeholders, publishing versions, diffs, acceptances and announcements."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop.db import Database
from desktop.models import GUIDELINE_KINDS, Affiliate, Onboarding
from desktop.services import asset_library as lib
from desktop.services import guidelines as g
from desktop.services.demo_library import png_bytes
from desktop.services.errors import BadInput, RefusedByState, ValidationFailed
from desktop.services.kits import build_kit, list_kits
from desktop.services.program_settings import ProgramSettings, get_program, save_program

SETTINGS = ProgramSettings(
    name="Trailhead Partners",
    currency="EUR",
    timezone="UTC",
    cookie_days=45,
    attribution="first_click",
    coupon_priority=False,
    payout_threshold=Decimal("75.00"),
    hold_days=14,
)


@pytest.fixture
def program(db: Database) -> Database:
    save_program(db, SETTINGS)
    g.ensure_starter_documents(db)
    return db


def add_affiliates(db: Database, *rows: tuple[str, str]) -> dict[str, int]:
    ids = {}
    with db.write() as session:
        for code, status in rows:
            affiliate = Affiliate(code=code, name=f"{code.title()} Person", status=status, email=f"{code}@example.com")
            session.add(affiliate)
            session.flush()
            ids[code] = affiliate.id
    return ids


def test_a_new_program_gets_five_sensible_starter_documents(db: Database) -> None:
    assert g.ensure_starter_documents(db) == 5
    assert g.ensure_starter_documents(db) == 0  # idempotent
    documents = g.list_documents(db)
    assert [d.kind for d in documents] == list(GUIDELINE_KINDS)
    assert all(d.latest_version is None and d.unpublished_changes for d in documents)
    assert [d.kind for d in documents if d.requires_acceptance] == ["terms"]
    for kind in GUIDELINE_KINDS:
        text = g.get_draft(db, kind).markdown
        assert text.startswith("# ") and len(text) > 800, kind
    commission = g.get_draft(db, "commission_terms").markdown
    for field in ("{cookie_days}", "{payout_threshold}", "{currency}", "{hold_days}", "{attribution}"):
        assert field in commission


def test_commission_terms_are_filled_from_the_program_settings(program: Database) -> None:
    text = g.get_version(program, "commission_terms", g.DRAFT).markdown
    assert "| Cookie window | 45 days |" in text
    assert "75.00 EUR" in text
    assert "| Hold period | 14 days |" in text
    assert "**first click**" in text
    assert "no affiliate's referral link" in text  # coupon_priority off
    assert "{" not in text
    assert "Trailhead Partners" in g.get_version(program, "terms", g.DRAFT).markdown


def test_only_known_placeholders_are_replaced() -> None:
    values = {"currency": "USD"}
    assert (
        g.fill_placeholders("{currency} {unknown} {0.__class__} {{x}}", values) == "USD {unknown} {0.__class__} {{x}}"
    )


def test_a_mistyped_placeholder_is_refused_before_it_reaches_the_affiliates(program: Database) -> None:
    g.save_draft(program, "terms", "# Terms\n\nWelcome to {program_nme}.\nPaid in {currency}, {Program_Name}.\n")
    with pytest.raises(ValidationFailed) as refused:
        g.publish(program, "terms", "")
    message = refused.value.errors["markdown"]
    assert message.startswith("Not a placeholder: {program_nme} on line 3, {Program_Name} on line 4. Correct it")
    assert "{program_name}" in message and "{currency} on" not in message
    assert not g.list_versions(program, "terms")
    g.save_draft(program, "terms", "# Terms\n\nWelcome to {program_name}. Code blocks like {0} or {} stay.\n")
    assert g.publish(program, "terms", "") == 1


def test_publishing_numbers_versions_and_freezes_the_text(program: Database) -> None:
    assert g.publish(program, "commission_terms", "") == 1
    first = g.get_version(program, "commission_terms", 1)
    assert first.info.summary == "First published version."
    assert "45 days" in first.markdown
    with pytest.raises(RefusedByState, match="Nothing changed since version 1"):
        g.publish(program, "commission_terms", "again")
    # the settings change: the published version stays as it was, the draft shows the difference
    save_program(program, replace(get_program(program), cookie_days=60))
    assert "45 days" in g.get_version(program, "commission_terms", 1).markdown
    summary = next(d for d in g.list_documents(program) if d.kind == "commission_terms")
    assert summary.latest_version == 1 and summary.unpublished_changes
    with pytest.raises(ValidationFailed) as problem:
        g.publish(program, "commission_terms", "  ")
    assert "summary" in problem.value.errors
    assert g.publish(program, "commission_terms", "Cookie window is now 60 days.") == 2
    versions = g.list_versions(program, "commission_terms")
    assert [v.number for v in versions] == [2, 1]
    assert versions[0].summary == "Cookie window is now 60 days."
    assert not next(d for d in g.list_documents(program) if d.kind == "commission_terms").unpublished_changes


def test_an_empty_document_or_an_unknown_kind_is_refused(program: Database) -> None:
    g.save_draft(program, "brand", "   \n")
    with pytest.raises(ValidationFailed):
        g.publish(program, "brand", "")
    with pytest.raises(BadInput):
        g.publish(program, "nonsense", "")
    with pytest.raises(BadInput):
        g.get_version(program, "terms", 7)


def test_diff_marks_removed_and_added_lines_with_their_numbers() -> None:
    old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj"
    new = "a\nb\nC\nd\ne\nf\ng\nh\ni\nj\nk"
    lines = g.diff_text(old, new)
    assert [(line.tag, line.old_number, line.new_number, line.text) for line in lines if line.tag != "equal"] == [
        ("delete", 3, None, "c"),
        ("insert", None, 3, "C"),
        ("insert", None, 11, "k"),
    ]
    assert len(lines) == 12
    short = g.diff_text(old, new, context=1)
    assert [(line.tag, line.text) for line in short] == [
        ("gap", "…"),  # "a" left out
        *(("equal", "b"), ("delete", "c"), ("insert", "C"), ("equal", "d")),
        ("gap", "…"),
        *(("equal", "j"), ("insert", "k")),
    ]
    assert g.diff_text("same", "same", context=3) == ()


def test_diff_between_versions_and_the_draft(program: Database) -> None:
    g.publish(program, "terms", "")
    draft = g.get_draft(program, "terms").markdown
    g.save_draft(program, "terms", draft.replace("within 14 days", "within 7 days"))
    lines = g.diff_versions(program, "terms", 1, g.DRAFT)
    assert any(line.tag == "delete" and "14 days" in line.text for line in lines)
    assert any(line.tag == "insert" and "7 days" in line.text for line in lines)
    g.publish(program, "terms", "Seven days to take material down.")
    assert g.diff_versions(program, "terms", 1, 2) == lines
    assert g.changed_sections(
        g.get_version(program, "terms", 1).markdown, g.get_version(program, "terms", 2).markdown
    ) == ("6. Ending the partnership",)


def test_pending_acceptances_and_a_new_version_makes_everyone_pending_again(program: Database) -> None:
    ids = add_affiliates(program, ("ann", "active"), ("bob", "active"), ("cid", "paused"), ("dee", "applied"))
    assert g.pending_acceptances(program) == ()  # nothing published: nothing to accept
    g.publish(program, "terms", "", published_at=datetime(2026, 1, 5, 9, 0))
    v1 = g.list_versions(program, "terms")[0]
    assert [p.code for p in g.pending_acceptances(program)] == ["ann", "bob"]  # only active affiliates
    record = g.record_acceptance(program, ids["ann"], v1.id, date(2026, 1, 10), "signed")
    assert (record.code, record.number, record.method) == ("ann", 1, "signed")
    assert [p.code for p in g.pending_acceptances(program)] == ["bob"]
    assert [a.code for a in g.list_acceptances(program, "terms")] == ["ann"]
    assert g.list_versions(program, "terms")[0].accepted == 1

    text = g.get_draft(program, "terms").markdown
    g.save_draft(program, "terms", text.replace("at least 18 years old", "at least 21 years old"))
    g.publish(program, "terms", "Minimum age is now 21.", published_at=datetime(2026, 3, 1, 9, 0))
    pending = g.pending_acceptances(program)
    assert [(p.code, p.last_accepted) for p in pending] == [("ann", 1), ("bob", None)]
    v2 = g.list_versions(program, "terms")[0]
    g.record_acceptance(program, ids["bob"], v2.id, date(2026, 3, 2), "email")
    g.record_acceptance(program, ids["bob"], v2.id, date(2026, 3, 3), "in_person")  # a correction, not a second row
    assert [(a.code, a.accepted_on, a.method) for a in g.list_acceptances(program, "terms")] == [
        ("bob", date(2026, 3, 3), "in_person")
    ]
    assert [p.code for p in g.pending_acceptances(program)] == ["ann"]
    assert [a.code for a in g.list_acceptances(program, "terms", 1)] == ["ann"]


def test_acceptance_dates_and_methods_are_checked(program: Database) -> None:
    ids = add_affiliates(program, ("ann", "active"))
    g.publish(program, "terms", "", published_at=datetime(2026, 1, 5, 9, 0))
    version = g.list_versions(program, "terms")[0]
    for day, method, field in (
        (date(2026, 1, 4), "signed", "accepted_on"),
        (date.today() + timedelta(days=2), "signed", "accepted_on"),
        (date(2026, 1, 6), "fax", "method"),
    ):
        with pytest.raises(ValidationFailed) as problem:
            g.record_acceptance(program, ids["ann"], version.id, day, method)
        assert field in problem.value.errors
    with pytest.raises(BadInput):
        g.record_acceptance(program, 999, version.id, date(2026, 1, 6), "signed")


def test_accepting_the_latest_terms_ticks_the_onboarding_step(program: Database) -> None:
    ids = add_affiliates(program, ("ann", "active"), ("bob", "active"))
    with program.write() as session:
        session.add(Onboarding(affiliate_id=ids["ann"], started_at=datetime(2026, 1, 1), goals_communicated=True))
        session.add(Onboarding(affiliate_id=ids["bob"], started_at=datetime(2026, 1, 1)))
    g.publish(program, "terms", "", published_at=datetime(2026, 1, 5))
    old = g.list_versions(program, "terms")[0]
    g.save_draft(program, "terms", g.get_draft(program, "terms").markdown + "\n## 11. Extra\n\nMore.\n")
    g.publish(program, "terms", "An extra section.", published_at=datetime(2026, 2, 5))
    latest = g.list_versions(program, "terms")[0]
    g.record_acceptance(program, ids["bob"], old.id, date(2026, 1, 6), "email")  # an old version: no tick
    g.record_acceptance(program, ids["ann"], latest.id, date(2026, 2, 6), "email")
    with program.read() as session:
        ticks = {row.affiliate_id: row.terms_accepted for row in session.scalars(select(Onboarding))}
    assert ticks == {ids["ann"]: True, ids["bob"]: False}
    # one source of truth: the onboarding tick cannot say otherwise than the acceptance on record
    from desktop.services.recruiting import update_onboarding

    with pytest.raises(RefusedByState, match="Record Bob Person's acceptance of the terms \\(version 2\\)"):
        update_onboarding(program, ids["bob"], goals_communicated=False, terms_accepted=True, asset_kit_sent=False)
    with pytest.raises(RefusedByState, match="is on record, so this step stays ticked"):
        update_onboarding(program, ids["ann"], goals_communicated=True, terms_accepted=False, asset_kit_sent=False)
    assert update_onboarding(program, ids["ann"], goals_communicated=True, terms_accepted=True,
                             asset_kit_sent=True).completed_at is not None  # fmt: skip


def test_publishing_new_terms_drafts_an_announcement_naming_the_changes(program: Database) -> None:
    add_affiliates(program, ("ann", "active"), ("bob", "active"), ("cid", "paused"))
    with pytest.raises(RefusedByState):
        g.draft_announcement(program, "terms")
    g.publish(program, "terms", "", published_at=datetime(2026, 1, 5))
    text = g.get_draft(program, "terms").markdown
    g.save_draft(program, "terms", text.replace("within 14 days", "within 7 days"))
    g.publish(program, "terms", "Material must come down within 7 days.", published_at=datetime(2026, 4, 1))
    note = g.draft_announcement(program, "terms")
    assert note.number == 2 and note.recipients == 2
    assert "Trailhead Partners" in note.subject and "accept" in note.subject and "version 2" in note.subject
    assert "What changed: Material must come down within 7 days." in note.body
    assert "- 6. Ending the partnership" in note.body
    assert "in effect from 1 April 2026." in note.body
    assert '"I accept version 2"' in note.body
    first = g.draft_announcement(program, "terms", 1)
    assert "What changed" not in first.body
    g.publish(program, "brand", "")
    assert "accept" not in g.draft_announcement(program, "brand").subject


def test_the_same_on_postgresql(any_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Publishing, the pending list, acceptance and a kit: the same answers on SQLite and PostgreSQL."""
    monkeypatch.setenv(lib.LIBRARY_ENV, str(tmp_path / "library"))  # PostgreSQL's library: not in the real home
    save_program(any_db, SETTINGS)
    g.ensure_starter_documents(any_db)
    ids = add_affiliates(any_db, ("ann", "active"), ("bob", "active"), ("cid", "paused"))
    g.publish(any_db, "terms", "", published_at=datetime(2026, 1, 5))
    v1 = g.list_versions(any_db, "terms")[0]
    g.record_acceptance(any_db, ids["ann"], v1.id, date(2026, 1, 6), "email")
    assert [p.code for p in g.pending_acceptances(any_db)] == ["bob"]
    assert g.list_versions(any_db, "terms")[0].accepted == 1
    source = tmp_path / "b%_.png"
    source.write_bytes(png_bytes(2, 2, [b"\x00" * 6] * 2))
    banner = lib.add_file(any_db, source, tags=["x"], campaign="Summer").asset
    post = lib.add_text_asset(any_db, "social_post", lib.AssetEdit("Post", ("x",), "Summer", None, "{link}"))
    assert [a.id for a in lib.list_assets(any_db, lib.AssetFilter(search="%_", tag="X"))] == [banner.id]
    result = build_kit(any_db, affiliate_id=ids["ann"], asset_ids=[banner.id, post.id], out_path=tmp_path / "k.zip")
    assert len(result.files) == 2 and [k.affiliate_name for k in list_kits(any_db)] == ["Ann Person"]


def test_terms_accepted_before_approval_tick_the_onboarding_step_at_once(program: Database) -> None:
    from desktop.services.recruiting import ScreeningInput, decide, get_onboarding, save_screening

    ids = add_affiliates(program, ("cara", "applied"))
    g.publish(program, "terms", "", published_at=datetime(2026, 1, 5))
    g.record_acceptance(program, ids["cara"], g.list_versions(program, "terms")[0].id, date(2026, 1, 6), "signed")
    checks = {field: True for field in ScreeningInput.__dataclass_fields__ if field not in ("risk_rating", "notes")}
    save_screening(program, ids["cara"], ScreeningInput(**checks, risk_rating="low", notes=""))
    decide(program, ids["cara"], "approved", "Good fit")
    onboarding = get_onboarding(program, ids["cara"])
    assert onboarding is not None and onboarding.terms_accepted and not onboarding.goals_communicated
