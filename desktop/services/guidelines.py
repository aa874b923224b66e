"""Guideline documents: Markdown drafts, numbered published versions, diffs and announcements."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from desktop.db import Database
from desktop.models import GUIDELINE_KINDS, Acceptance, Affiliate, GuidelineDocument
from desktop.models import GuidelineVersion as VersionRow
from desktop.money import format_money
from desktop.resources import resource_path
from desktop.services.affiliates import current_user
from desktop.services.errors import BadInput, RefusedByState, ValidationFailed
from desktop.services.guideline_acceptance import (
    METHOD_LABELS,
    AcceptanceRecord,
    PendingAcceptance,
    list_acceptances,
    pending_acceptances,
    record_acceptance,
)
from desktop.services.guideline_rows import KIND_TITLES, document_row, latest_version_row, program_now
from desktop.services.plans import list_plans
from desktop.services.program_settings import get_program

# Acceptances live in guideline_acceptance; the page, the tests, kits and the asset library import them from here.
__all__ = [
    "ATTRIBUTION_WORDS",
    "DRAFT",
    "KIND_TITLES",
    "METHOD_LABELS",
    "NEEDS_ACCEPTANCE",
    "PLACEHOLDER_RE",
    "AcceptanceRecord",
    "Announcement",
    "DiffLine",
    "DocumentSummary",
    "GuidelineDraft",
    "PendingAcceptance",
    "VersionInfo",
    "VersionText",
    "changed_sections",
    "diff_text",
    "diff_versions",
    "draft_announcement",
    "ensure_starter_documents",
    "fill_placeholders",
    "placeholder_problem",
    "get_draft",
    "get_version",
    "long_date",
    "list_acceptances",
    "list_documents",
    "list_versions",
    "pending_acceptances",
    "placeholder_values",
    "program_now",
    "publish",
    "record_acceptance",
    "save_draft",
    "starter_markdown",
]

# Affiliates accept the terms (the commission terms are part of them); the others are information they are given.
NEEDS_ACCEPTANCE = frozenset({"terms"})
DRAFT = 0  # a "version number" meaning the current draft, filled in, for previews and diffs
PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")
ATTRIBUTION_WORDS = {"last_click": "last click", "first_click": "first click"}


@dataclass(frozen=True)
class DocumentSummary:
    kind: str
    title: str
    latest_version: int | None
    published_at: datetime | None
    unpublished_changes: bool  # the draft, filled in, differs from the latest version
    requires_acceptance: bool


@dataclass(frozen=True)
class GuidelineDraft:
    kind: str
    title: str
    markdown: str  # with its {placeholders}
    latest_version: int | None
    requires_acceptance: bool


@dataclass(frozen=True)
class VersionInfo:
    id: int
    number: int
    published_at: datetime
    published_by: str
    summary: str
    accepted: int  # how many affiliates accepted this version


@dataclass(frozen=True)
class VersionText:
    kind: str
    title: str
    info: VersionInfo
    markdown: str  # as published: placeholders already filled


@dataclass(frozen=True)
class DiffLine:
    tag: str  # "equal" | "delete" | "insert" | "gap" (unchanged lines left out)
    old_number: int | None
    new_number: int | None
    text: str


@dataclass(frozen=True)
class Announcement:
    kind: str
    number: int
    subject: str
    body: str  # plain text that reads well as Markdown too, the version's full text at the end
    recipients: int  # active affiliates it can be sent to: those with an e-mail address
    without_email: int = 0  # active affiliates it cannot reach: no e-mail address on record


def long_date(moment: date) -> str:
    """A date as affiliates read it in a letter: "7 December 2026" (%-d, without the zero, fails on Windows)."""
    return f"{moment.day} {moment:%B %Y}"


# --- placeholders -------------------------------------------------------------------------------------------


def placeholder_values(db: Database) -> dict[str, str]:
    """What {program_name}, {cookie_days}, {payout_threshold}, {currency}, {hold_days}, {attribution},
    {coupon_rule} and {plans} stand for in this program, today."""
    program = get_program(db)
    plans = list_plans(db)
    coupon_rule = (
        "A sale made with your coupon code is credited to you, even if the customer clicked another affiliate's link."
        if program.coupon_priority
        else "Your coupon code credits a sale to you when no affiliate's referral link or click identifies it."
    )
    plan_lines = [f"- **{plan.name}**: {plan.description}" for plan in plans]
    return {
        "program_name": program.name,
        "currency": program.currency,
        "cookie_days": str(program.cookie_days),
        "payout_threshold": format_money(program.payout_threshold),
        "hold_days": str(program.hold_days),
        "attribution": ATTRIBUTION_WORDS.get(program.attribution, program.attribution.replace("_", " ")),
        "coupon_rule": coupon_rule,
        "plans": "\n".join(plan_lines) or "- The rates are agreed with you when you join.",
    }


def fill_placeholders(markdown: str, values: Mapping[str, str]) -> str:
    """Replace known {names}; any other braces are left exactly as written (never str.format on user text)."""
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), markdown)


_BRACED_WORD = re.compile(r"\{\s*([A-Za-z][A-Za-z_ ]{0,40}?)\s*\}")


def unknown_placeholders(markdown: str, values: Mapping[str, str]) -> list[str]:
    """Braced words that are not placeholders ({program_nme}, {Program_Name}), as "{…} on line N": published,
    they reach the affiliates as written."""
    found = []
    for number, line in enumerate(markdown.splitlines(), 1):
        for match in _BRACED_WORD.finditer(line):
            if match.group(0)[1:-1] not in values:
                found.append(f"{match.group(0)} on line {number}")
    return found


def placeholder_problem(markdown: str, values: Mapping[str, str]) -> str | None:
    """The message for unknown_placeholders, naming the ones there are; None when every placeholder is known."""
    unknown = unknown_placeholders(markdown, values)
    if not unknown:
        return None
    shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
    known = ", ".join(f"{{{name}}}" for name in values)
    return f"Not a placeholder: {shown}. Correct it, or remove the braces. The placeholders are {known}."


# --- documents ----------------------------------------------------------------------------------------------


def starter_markdown(kind: str) -> str:
    return resource_path("guidelines", f"{kind}.md").read_text(encoding="utf-8")


def ensure_starter_documents(db: Database) -> int:
    """Create the missing documents of the five kinds from resources/guidelines; returns how many were made."""
    with db.read() as session:  # the usual case, answered without a write transaction
        if set(GUIDELINE_KINDS) <= set(session.scalars(select(GuidelineDocument.kind))):
            return 0
    with db.write() as session:
        existing = set(session.scalars(select(GuidelineDocument.kind)))
        missing = [kind for kind in GUIDELINE_KINDS if kind not in existing]
        for kind in missing:
            session.add(
                GuidelineDocument(
                    kind=kind,
                    title=KIND_TITLES.get(kind, kind.replace("_", " ").capitalize()),
                    draft_markdown=starter_markdown(kind),
                    requires_acceptance=kind in NEEDS_ACCEPTANCE,
                )
            )
    return len(missing)


def list_documents(db: Database) -> tuple[DocumentSummary, ...]:
    values = placeholder_values(db)
    order = {kind: n for n, kind in enumerate(GUIDELINE_KINDS)}
    with db.read() as session:
        documents = sorted(session.scalars(select(GuidelineDocument)), key=lambda d: (order.get(d.kind, 99), d.id))
        result = []
        for doc in documents:
            latest = latest_version_row(session, doc.id)
            changed = latest is None or fill_placeholders(doc.draft_markdown, values) != latest.markdown
            result.append(
                DocumentSummary(
                    kind=doc.kind,
                    title=doc.title,
                    latest_version=latest.number if latest else None,
                    published_at=latest.published_at if latest else None,
                    unpublished_changes=changed,
                    requires_acceptance=doc.requires_acceptance,
                )
            )
        return tuple(result)


def get_draft(db: Database, kind: str) -> GuidelineDraft:
    with db.read() as session:
        doc = document_row(session, kind)
        latest = latest_version_row(session, doc.id)
        return GuidelineDraft(
            doc.kind, doc.title, doc.draft_markdown, latest.number if latest else None, doc.requires_acceptance
        )


def save_draft(db: Database, kind: str, markdown: str) -> None:
    with db.write() as session:
        document_row(session, kind).draft_markdown = markdown


def publish(
    db: Database, kind: str, summary: str, *, published_by: str | None = None, published_at: datetime | None = None
) -> int:
    """Publish the draft, filled in from the program settings, as the next version; returns its number.

    The published text is frozen: later changes to the settings show as unpublished changes of the draft.
    """
    values = placeholder_values(db)
    summary = (summary or "").strip()
    with db.write() as session:
        doc = document_row(session, kind)
        text = fill_placeholders(doc.draft_markdown, values)
        if not text.strip():
            raise ValidationFailed({"markdown": "The document is empty: write it before you publish it."})
        if (problem := placeholder_problem(doc.draft_markdown, values)) is not None:
            raise ValidationFailed({"markdown": problem})
        latest = latest_version_row(session, doc.id)
        if latest is not None and latest.markdown == text:
            raise RefusedByState(f"Nothing changed since version {latest.number}: edit the document first.")
        if latest is not None and not summary:
            raise ValidationFailed({"summary": "Say in a sentence what changed: it goes into the announcement."})
        number = latest.number + 1 if latest else 1
        session.add(
            VersionRow(
                document_id=doc.id,
                number=number,
                markdown=text,
                published_at=published_at or program_now(session),
                published_by=(published_by or current_user())[:100],
                summary=summary or "First published version.",
            )
        )
        return number


# --- versions and diffs -------------------------------------------------------------------------------------


def _info(row: VersionRow, accepted: int) -> VersionInfo:
    return VersionInfo(row.id, row.number, row.published_at, row.published_by, row.summary or "", accepted)


def list_versions(db: Database, kind: str) -> tuple[VersionInfo, ...]:
    """Every published version, newest first, with how many affiliates accepted each."""
    counts = select(Acceptance.version_id, func.count().label("n")).group_by(Acceptance.version_id).subquery()
    with db.read() as session:
        doc = document_row(session, kind)
        stmt = (
            select(VersionRow, counts.c.n)
            .outerjoin(counts, counts.c.version_id == VersionRow.id)
            .where(VersionRow.document_id == doc.id)
            .order_by(VersionRow.number.desc())
        )
        return tuple(_info(row, int(n or 0)) for row, n in session.execute(stmt))


def get_version(db: Database, kind: str, number: int) -> VersionText:
    """A published version, or with number DRAFT the current draft filled in (info.id 0, not published)."""
    if number == DRAFT:
        draft = get_draft(db, kind)
        info = VersionInfo(0, DRAFT, datetime.min, "", "Draft, not published", 0)
        return VersionText(kind, draft.title, info, fill_placeholders(draft.markdown, placeholder_values(db)))
    with db.read() as session:
        doc = document_row(session, kind)
        row = session.scalars(
            select(VersionRow).where(VersionRow.document_id == doc.id, VersionRow.number == number)
        ).first()
        if row is None:
            raise BadInput(f"{doc.title} has no version {number}.")
        accepted = session.scalar(select(func.count()).where(Acceptance.version_id == row.id)) or 0
        return VersionText(kind, doc.title, _info(row, accepted), row.markdown)


def diff_text(old: str, new: str, context: int | None = None) -> tuple[DiffLine, ...]:
    """Line diff of two texts; with `context`, unchanged runs are cut to that many lines around each change."""
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    groups: list[Sequence[tuple[str, int, int, int, int]]] = (
        [matcher.get_opcodes()] if context is None else list(matcher.get_grouped_opcodes(context))
    )
    lines: list[DiffLine] = []
    for group in groups:
        if context is not None and (group[0][1] > 0 or group[0][3] > 0):
            lines.append(DiffLine("gap", None, None, "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("equal", i + 1, j1 + i - i1 + 1, a[i]) for i in range(i1, i2)]
                continue
            lines += [DiffLine("delete", i + 1, None, a[i]) for i in range(i1, i2)]
            lines += [DiffLine("insert", None, j + 1, b[j]) for j in range(j1, j2)]
    if context is not None and groups and groups[-1][-1][2] < len(a):
        lines.append(DiffLine("gap", None, None, "…"))
    return tuple(lines)


def diff_versions(db: Database, kind: str, a: int, b: int, context: int | None = 3) -> tuple[DiffLine, ...]:
    """What changed from version a to version b (either may be DRAFT)."""
    return diff_text(get_version(db, kind, a).markdown, get_version(db, kind, b).markdown, context)


def changed_sections(old: str, new: str) -> tuple[str, ...]:
    """The headings of the sections whose text changed, was added or was removed, in the new text's order."""

    def sections(text: str) -> dict[str, str]:
        result: dict[str, str] = {}
        heading = ""
        for line in text.splitlines():
            if line.lstrip().startswith("#"):
                heading = line.strip().lstrip("#").strip()
                result.setdefault(heading, "")
            else:
                result[heading] = result.get(heading, "") + line.strip() + "\n"
        return {k: v.strip() for k, v in result.items()}

    before, after = sections(old), sections(new)
    changed = [h for h, body in after.items() if before.get(h) != body]
    removed = [f"{h} (removed)" for h in before if h not in after]
    return tuple(h or "Introduction" for h in changed + removed)


def draft_announcement(db: Database, kind: str, number: int | None = None) -> Announcement:
    """An announcement of a published version (the latest by default), naming what changed."""
    versions = list_versions(db, kind)
    if not versions:
        raise RefusedByState(f"{KIND_TITLES.get(kind, kind)} has not been published yet.")
    info = versions[0] if number is None else next((v for v in versions if v.number == number), None)
    if info is None:
        raise BadInput(f"{KIND_TITLES.get(kind, kind)} has no version {number}.")
    text = get_version(db, kind, info.number)
    previous = next((v for v in versions if v.number < info.number), None)
    program = get_program(db)
    title = text.title
    lines = ["Hello,", ""]
    if previous is None:
        lines.append(f"we have published our {title.lower()} for the {program.name} affiliate program.")
    else:
        lines.append(
            f"we have published a new version (version {info.number}) of our {title.lower()} for the "
            f"{program.name} affiliate program, in effect from {long_date(info.published_at)}."
        )
        lines += ["", f"What changed: {info.summary}"]
        sections = changed_sections(get_version(db, kind, previous.number).markdown, text.markdown)
        if sections:
            lines += ["", "The sections that changed:", *(f"- {s}" for s in sections)]
    lines.append("")
    # Nothing is attached to the message (a mail link cannot carry a file): the text itself goes with it.
    if kind in NEEDS_ACCEPTANCE:
        lines.append(
            "Please read the full text below and confirm that you accept it, for example by replying "
            '"I accept version ' + str(info.number) + '" to this email.'
        )
        subject = f"{program.name}: please review and accept our {title.lower()} (version {info.number})"
    else:
        lines.append("You find the full text below. Thank you for keeping to it.")
        subject = f"{program.name}: updated {title.lower()} (version {info.number})"
    lines += ["", "If you have any questions, just reply to this email.", "", "Best regards,", program.name]
    lines += ["", "---", "", text.markdown.strip()]
    # messages.recipient_choices's rule: only who has an address can be written to (messages imports this module)
    active = select(func.count()).where(Affiliate.status == "active")
    with db.read() as session:
        reachable = session.scalar(active.where(Affiliate.email.like("%@%"))) or 0
        everyone = session.scalar(active) or 0
    return Announcement(kind, info.number, subject, "\n".join(lines), reachable, everyone - reachable)
