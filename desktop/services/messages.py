"""Newsletters and announcements to affiliates: drafts made from the data, editing, sending, and who got what."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import (
    Affiliate,
    Conversion,
    FraudFlag,
    Message,
    MessageRecipient,
    PayoutHold,
    Target,
    TargetResult,
)
from desktop.money import format_money, format_rate
from desktop.services.commission_engine import PlanTerms
from desktop.services.errors import BadInput, RefusedByState, ValidationFailed
from desktop.services.fraud import now_local
from desktop.services.fraud_rules import listed, period_bounds, period_label
from desktop.services.guidelines import fill_placeholders, long_date, placeholder_problem, placeholder_values
from desktop.services.plans import plan_terms
from desktop.services.program_settings import get_program
from desktop.services.safe_files import atomic_write

MAILTO_LIMIT = 2000  # characters: what Windows and the common mail programs reliably accept in a mail link
SENT_VIA = ("mail_client", "eml", "html")
METRIC_WORDS = {"epc": "earnings per click"}  # target metrics in words; the others read as they are


@dataclass(frozen=True)
class Recipient:
    affiliate_id: int | None
    name: str
    email: str


@dataclass(frozen=True)
class MessageSummary:
    id: int
    kind: str  # newsletter | announcement
    subject: str
    period: str | None
    created_at: datetime
    sent_at: datetime | None
    sent_via: str | None
    recipients: int


@dataclass(frozen=True)
class MessageDetail:
    message: MessageSummary
    body_markdown: str
    recipients: tuple[Recipient, ...]


@dataclass(frozen=True)
class DraftText:
    subject: str
    body_markdown: str


@dataclass(frozen=True)
class MailLinks:
    """One mail link per group of recipients; none when the text is too long for a link (`reason` says why)."""

    urls: tuple[str, ...]
    reason: str

    @property
    def fits(self) -> bool:
        return bool(self.urls)


def _escape_md(text: str) -> str:
    return re.sub(r"([\\`*_\[\]#])", r"\\\1", text)


# --- drafts from the data ---------------------------------------------------------------------------------


def _letter(db: Database, heading: str, greeting: str, *body: str) -> str:
    """Markdown of a letter to all partners: heading, greeting, the parts given, and the program's thanks."""
    program = _escape_md(get_program(db).name)
    greeting = greeting[:1].upper() + greeting[1:]  # its own paragraph after "Hello partners,"
    return "\n\n".join([f"# {heading}", "Hello partners,", greeting, *body,
                         f"Thank you for being part of {program}!"]) + "\n"  # fmt: skip


def _barring_flags(period: str) -> tuple[Any, Any]:
    """The fraud flags that cost a partner their shout-out in a month's newsletter: open or confirmed, of that
    month or of no month (newsletter_text and left_out_of_newsletter share the rule)."""
    return FraudFlag.state.in_(("open", "confirmed")), or_(FraudFlag.period == period, FraudFlag.period.is_(None))


def newsletter_text(db: Database, period: str, *, top: int = 5) -> DraftText:
    """A month's newsletter: shout-outs for the top performers (by approved sales revenue) and target achievers.

    Partners with an open or confirmed fraud flag for the month (or with a held payout) get no shout-out, and no
    partner's figures are printed: the newsletter goes to every partner, their numbers are their own business.
    """
    start, end = period_bounds(period)
    c, revenue = Conversion, func.sum(Conversion.net_amount)
    flagged = select(FraudFlag.affiliate_id).where(*_barring_flags(period))
    held = select(PayoutHold.affiliate_id).where(PayoutHold.released_at.is_(None))
    in_good_standing = (Affiliate.status == "active", Affiliate.id.not_in(flagged), Affiliate.id.not_in(held))
    with db.read() as session:
        leaders = session.scalars(
            select(Affiliate.name).select_from(c).join(Affiliate, Affiliate.id == c.affiliate_id)
            .where(c.type == "sale", c.status == "approved", c.local_date >= start, c.local_date < end)
            .where(*in_good_standing).group_by(Affiliate.id, Affiliate.name).having(revenue > 0)
            .order_by(revenue.desc(), Affiliate.name).limit(top)
        ).all()  # fmt: skip
        met = session.execute(
            select(Affiliate.name, Target.metric).join(TargetResult, TargetResult.affiliate_id == Affiliate.id)
            .join(Target, Target.id == TargetResult.target_id)
            .where(Target.period == period, TargetResult.met.is_(True), *in_good_standing)
            .order_by(Affiliate.name, Target.metric)
        ).all()  # fmt: skip
    month = period_label(period)
    ranks = "\n".join(f"{rank}. **{_escape_md(name)}**" for rank, name in enumerate(leaders, 1))
    parts = ["## Top performers", f"The partners who brought the most sales this month:\n\n{ranks}" if leaders
             else f"(No top performers to name for {month} yet.)"]  # fmt: skip
    if met:
        metrics: dict[str, list[str]] = {}
        for name, metric in met:
            metrics.setdefault(name, []).append(METRIC_WORDS.get(metric, metric.replace("_", " ")))
        achievers = "\n".join(f"- **{_escape_md(name)}**: {listed(list(dict.fromkeys(words)), 9)}"
                              for name, words in metrics.items())  # fmt: skip
        parts += ["## Targets reached", f"Congratulations to the partners who reached their targets:\n\n{achievers}"]
    parts += ["## Coming up", "(Add news, new products or a tip for next month here.)"]
    program = get_program(db).name
    body = _letter(db, f"{_escape_md(program)}: {month}",
                   f"thank you for all your work in {month}. Here are the month's highlights.", *parts)  # fmt: skip
    return DraftText(f"{program} newsletter: {month}", body)


def left_out_of_newsletter(db: Database, period: str, *, top: int = 5) -> list[str]:
    """Who would be among the month's top performers or target achievers but gets no shout-out, and why
    (newsletter_text's rule), for the owner: "Felix Keller (a fraud flag not reviewed yet)". The newsletter itself
    never says."""
    start, end = period_bounds(period)
    c, revenue = Conversion, func.sum(Conversion.net_amount)
    flags = select(FraudFlag.affiliate_id, FraudFlag.state).where(*_barring_flags(period))
    held = select(PayoutHold.affiliate_id).where(PayoutHold.released_at.is_(None))
    with db.read() as session:
        leaders = session.execute(
            select(Affiliate.id, Affiliate.name, Affiliate.status).select_from(c)
            .join(Affiliate, Affiliate.id == c.affiliate_id)
            .where(c.type == "sale", c.status == "approved", c.local_date >= start, c.local_date < end)
            .group_by(Affiliate.id, Affiliate.name, Affiliate.status).having(revenue > 0)
            .order_by(revenue.desc(), Affiliate.name).limit(top)
        ).all()  # fmt: skip
        achievers = session.execute(
            select(Affiliate.id, Affiliate.name, Affiliate.status).join(TargetResult,
                                                                        TargetResult.affiliate_id == Affiliate.id)
            .join(Target, Target.id == TargetResult.target_id)
            .where(Target.period == period, TargetResult.met.is_(True)).distinct().order_by(Affiliate.name)
        ).all()  # fmt: skip
        states: dict[int | None, set[str]] = {}
        for affiliate_id, state in session.execute(flags):
            states.setdefault(affiliate_id, set()).add(state)
        holds = set(session.scalars(held))
    left: list[str] = []
    for affiliate_id, name, status in dict.fromkeys([*leaders, *achievers]):
        reasons = []
        if status != "active":
            reasons.append(f"{status}, not active")
        if "confirmed" in states.get(affiliate_id, set()):
            reasons.append("a confirmed fraud flag")
        elif "open" in states.get(affiliate_id, set()):
            reasons.append("a fraud flag not reviewed yet")
        if affiliate_id in holds:
            reasons.append("a held payout")
        if reasons:
            left.append(f"{name} ({', '.join(reasons)})")
    return left


def _earning(rate: Decimal | None, amount: Decimal | None, unit: str) -> str:
    if rate is not None:
        return f"{format_rate(rate).replace('%', ' %')} of the sale"
    return f"{format_money(amount or Decimal(0))} per {unit}"


def _terms_lines(terms: PlanTerms) -> dict[str, str]:
    lines = {"Commission on sales": _earning(terms.sale_rate, terms.sale_amount, "order"),
             "Per lead": format_money(terms.lead_amount), "Per signup": format_money(terms.signup_amount),
             "Monthly cap": "no cap" if terms.cap is None else format_money(terms.cap)}  # fmt: skip
    for tier in terms.tiers:
        start = f"{tier.min:.0f} sales" if terms.tier_basis == "sales" else f"{format_money(tier.min)} in sales"
        lines[f"From {start} a month"] = _earning(tier.sale_rate, tier.sale_amount, "order")
    for rule in terms.products:
        lines[f"Products {rule.sku_glob}"] = _earning(rule.sale_rate, rule.sale_amount, "unit")
    return lines


def plan_change_text(
    db: Database, plan_id: int, old_version: int, new_version: int | None = None, *, effective: date | None = None
) -> DraftText:
    """An announcement of a plan's new terms, drafted from the difference between two of its versions."""
    old, new = plan_terms(db, plan_id, old_version), plan_terms(db, plan_id, new_version)
    before, after = _terms_lines(old), _terms_lines(new)
    changes = [f"- **{_escape_md(what)}**: {before.get(what, 'none')} → {after.get(what, 'none')}"
               for what in dict.fromkeys([*before, *after]) if before.get(what) != after.get(what)]  # fmt: skip
    if not changes:
        raise BadInput(f"Versions {old.version} and {new.version} of {new.name} have the same terms.")
    when = f"from {long_date(effective)}" if effective else "from the next period on"
    body = _letter(db, f"New commission terms for {_escape_md(new.name)}",
                   f"the commission terms of the {_escape_md(new.name)} plan change {when}:", "\n".join(changes),
                   "Everything else stays as it is. Reply to this e-mail if you have questions.")  # fmt: skip
    return DraftText(f"{get_program(db).name}: new commission terms for {new.name}", body)


def terms_text(db: Database, title: str, summary: str) -> DraftText:
    """An announcement of a new version of the terms (or any document), from its title and a summary.

    {cookie_days} and the other placeholders are filled in as on the guidelines page; other braced words are
    refused as there, for they would reach the affiliates as written."""
    missing = {key: "Required." for key, value in (("title", title), ("summary", summary)) if not value.strip()}
    if missing:
        raise ValidationFailed(missing)
    values = placeholder_values(db)
    problems = {key: problem for key, value in (("title", title), ("summary", summary))
                if (problem := placeholder_problem(value, values)) is not None}  # fmt: skip
    if problems:
        raise ValidationFailed(problems)
    title = " ".join(fill_placeholders(title, values).split())  # {plans} has several lines; a subject has one
    summary = fill_placeholders(summary.strip(), values)
    body = _letter(db, _escape_md(title), "we have published a new version of our terms. What changes:",
                   summary, "Please read them and confirm that you accept them. Reply to this e-mail if "
                   "you have questions.")  # fmt: skip
    return DraftText(f"{get_program(db).name}: {title}", body)


# --- drafts -----------------------------------------------------------------------------------------------


def recipient_choices(db: Database, plan_id: int | None = None) -> tuple[Recipient, ...]:
    """Active affiliates with an e-mail address (on one plan when asked), by name."""
    query = select(Affiliate.id, Affiliate.name, Affiliate.email).where(
        Affiliate.status == "active", Affiliate.email.like("%@%")
    )
    if plan_id is not None:
        query = query.where(Affiliate.plan_id == plan_id)
    with db.read() as session:
        rows = session.execute(query.order_by(Affiliate.name, Affiliate.id))
        return tuple(Recipient(affiliate_id, name, email or "") for affiliate_id, name, email in rows)


def create_draft(
    db: Database, kind: str, draft: DraftText, *, period: str | None = None, recipients: tuple[Recipient, ...] = ()
) -> int:
    if kind not in ("newsletter", "announcement"):
        raise ValueError(f"unknown message kind {kind!r}")
    with db.write() as session:
        message = Message(kind=kind, subject=draft.subject[:300], body_markdown=draft.body_markdown, period=period,
                          created_at=now_local(session))  # fmt: skip
        session.add(message)
        session.flush()
        _store_recipients(session, message.id, recipients)
        return message.id


def create_newsletter(db: Database, period: str, *, top: int = 5) -> int:
    """A newsletter draft for a month, addressed to every active affiliate."""
    return create_draft(db, "newsletter", newsletter_text(db, period, top=top), period=period,
                        recipients=recipient_choices(db))  # fmt: skip


def create_plan_announcement(
    db: Database, plan_id: int, old_version: int, new_version: int | None = None, *, effective: date | None = None
) -> int:
    """An announcement draft of a plan's changed terms, addressed to the plan's active affiliates."""
    draft = plan_change_text(db, plan_id, old_version, new_version, effective=effective)
    return create_draft(db, "announcement", draft, recipients=recipient_choices(db, plan_id))


def create_terms_announcement(db: Database, title: str, summary: str) -> int:
    return create_draft(db, "announcement", terms_text(db, title, summary), recipients=recipient_choices(db))


def create_announcement(db: Database, subject: str, body_markdown: str) -> int:
    """An announcement draft of a text written elsewhere (a new version of the guidelines, from their page),
    addressed to every active affiliate with an address."""
    if not subject.strip():
        raise ValidationFailed({"subject": "Give the message a subject."})
    return create_draft(db, "announcement", DraftText(subject.strip(), body_markdown), recipients=recipient_choices(db))


def _message(session: Session, message_id: int, *, draft: bool = False) -> Message:
    if (message := session.get(Message, message_id)) is None:
        raise RefusedByState("This message no longer exists.")
    if draft and message.sent_at is not None:
        raise RefusedByState(f"This message was sent on {message.sent_at:%d %b %Y}; it stays as it went out.")
    return message


def _store_recipients(session: Session, message_id: int, recipients: tuple[Recipient, ...]) -> None:
    session.execute(delete(MessageRecipient).where(MessageRecipient.message_id == message_id))
    unique = {r.email.strip().lower(): r for r in reversed(recipients) if "@" in r.email}  # first one wins
    session.add_all(MessageRecipient(message_id=message_id, affiliate_id=r.affiliate_id, email=r.email.strip())
                    for r in reversed(unique.values()))  # fmt: skip


def update_draft(db: Database, message_id: int, subject: str, body_markdown: str) -> None:
    if not subject.strip():
        raise ValidationFailed({"subject": "Give the message a subject."})
    with db.write() as session:
        message = _message(session, message_id, draft=True)
        message.subject, message.body_markdown = subject.strip()[:300], body_markdown


def set_recipients(db: Database, message_id: int, recipients: tuple[Recipient, ...]) -> None:
    with db.write() as session:
        _message(session, message_id, draft=True)
        _store_recipients(session, message_id, recipients)


def delete_draft(db: Database, message_id: int) -> None:
    """Delete a draft; a sent message stays in the log."""
    with db.write() as session:
        session.delete(_message(session, message_id, draft=True))


def _recipients(session: Session, message_id: int) -> tuple[Recipient, ...]:
    query = (
        select(MessageRecipient.affiliate_id, func.coalesce(Affiliate.name, ""), MessageRecipient.email)
        .outerjoin(Affiliate, Affiliate.id == MessageRecipient.affiliate_id)
        .where(MessageRecipient.message_id == message_id)
        .order_by(Affiliate.name, MessageRecipient.email)
    )
    return tuple(Recipient(*row) for row in session.execute(query))


def get_message(db: Database, message_id: int) -> MessageDetail:
    with db.read() as session:
        m, recipients = _message(session, message_id), _recipients(session, message_id)
        summary = MessageSummary(m.id, m.kind, m.subject, m.period, m.created_at, m.sent_at, m.sent_via,
                                 len(recipients))  # fmt: skip
        return MessageDetail(summary, m.body_markdown, recipients)


def list_messages(db: Database, *, sent: bool | None = None, affiliate_id: int | None = None) -> list[MessageSummary]:
    """Drafts (sent=False), the sent log (sent=True) or both, newest first; only those to one affiliate if asked."""
    count = select(MessageRecipient.message_id, func.count().label("n")).group_by(MessageRecipient.message_id)
    counts = count.subquery()
    query = select(Message, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.message_id == Message.id)
    if sent is not None:
        query = query.where(Message.sent_at.is_not(None) if sent else Message.sent_at.is_(None))
    if affiliate_id is not None:
        to_them = select(MessageRecipient.message_id).where(MessageRecipient.affiliate_id == affiliate_id)
        query = query.where(Message.id.in_(to_them))
    order = (func.coalesce(Message.sent_at, Message.created_at).desc(), Message.id.desc())
    with db.read() as session:
        return [MessageSummary(m.id, m.kind, m.subject, m.period, m.created_at, m.sent_at, m.sent_via, n)
                for m, n in session.execute(query.order_by(*order))]  # fmt: skip


# --- sending ------------------------------------------------------------------------------------------------


def record_sent(db: Database, message_id: int, via: str) -> None:
    """Log the message as gone out (mail_client, eml or html) to its recipients; from now on it cannot change."""
    if via not in SENT_VIA:
        raise ValueError(f"sent_via must be one of {SENT_VIA}")
    with db.write() as session:
        message = _message(session, message_id)
        if message.sent_at is None:
            message.sent_at, message.sent_via = now_local(session), via


def check_sendable(db: Database, message_id: int) -> MessageDetail:
    """The message, when it can go out (it has recipients); BadInput saying what is missing otherwise."""
    return _sendable(db, message_id)


def _sendable(db: Database, message_id: int) -> MessageDetail:
    if not (detail := get_message(db, message_id)).recipients:
        raise BadInput("Choose at least one recipient first.")
    return detail


def mail_links(db: Database, message_id: int, *, limit: int = MAILTO_LIMIT) -> MailLinks:
    """mailto: links with the recipients in BCC, split so that no link is longer than `limit`."""
    detail = _sendable(db, message_id)
    text = markdown_to_text(detail.body_markdown.replace("\r\n", "\n"))  # a mail link carries plain text only
    body = text.replace("\n", "\r\n")  # RFC 6068: line breaks are CRLF
    base = f"mailto:?subject={quote(detail.message.subject)}&body={quote(body)}"
    longest = max(len(quote(r.email)) for r in detail.recipients)
    if len(base) + len("&bcc=") + longest > limit:
        return MailLinks((), f"The message is too long for a mail link ({len(base):,} characters; mail programs "
                             f"take about {limit:,}). Save it as .eml and open that file instead.")  # fmt: skip
    groups: list[list[str]] = [[]]
    for r in detail.recipients:
        if groups[-1] and len(base) + len("&bcc=") + len(quote(",".join([*groups[-1], r.email]), safe="@,")) > limit:
            groups.append([])
        groups[-1].append(r.email)
    links = tuple(f"{base}&bcc={quote(','.join(g), safe='@,')}" for g in groups)
    reason = "" if len(links) == 1 else (f"{len(detail.recipients):,} recipients do not fit in one mail link: your "
                                         f"mail program opens {len(links)} messages; send each of them.")  # fmt: skip
    return MailLinks(links, reason)


def build_email(db: Database, message_id: int, *, sender: str | None = None) -> EmailMessage:
    """The message as an e-mail: recipients in Bcc, the Markdown as plain text with an HTML alternative."""
    detail = _sendable(db, message_id)
    mail = EmailMessage()
    mail["Subject"] = detail.message.subject
    if sender:
        mail["From"] = sender
        mail["To"] = sender  # the recipients are all in Bcc; they see the sender's address only
    mail["Bcc"] = ", ".join(r.email for r in detail.recipients)
    mail["Date"] = formatdate(localtime=True)
    mail["X-Unsent"] = "1"  # Outlook and others open it as a draft, ready to send
    mail.set_content(markdown_to_text(detail.body_markdown))
    mail.add_alternative(html_document(detail.message.subject, detail.body_markdown), subtype="html")
    return mail


def save_eml(
    db: Database, message_id: int, path: Path | str, *, sender: str | None = None, mark_sent: bool = True
) -> Path:
    """Write the message as an .eml file any mail program opens; logged as sent unless `mark_sent` is False."""
    mail = build_email(db, message_id, sender=sender)
    with atomic_write(path, "wb") as fh:
        fh.write(mail.as_bytes(policy=policy.SMTP))
    if mark_sent:
        record_sent(db, message_id, "eml")
    return Path(path)


def save_html(db: Database, message_id: int, path: Path | str, *, mark_sent: bool = True) -> Path:
    """Write the message as a web page; logged as sent (to its recipients) unless `mark_sent` is False."""
    detail = _sendable(db, message_id)
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(html_document(detail.message.subject, detail.body_markdown))
    if mark_sent:
        record_sent(db, message_id, "html")
    return Path(path)


# --- Markdown -----------------------------------------------------------------------------------------------

_INLINE = [
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"<em>\1</em>"),
    (re.compile(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)"), r"<em>\1</em>"),
]
_LINK = re.compile(r"\[([^\]]+)\]\(((?:https?://|mailto:)[^)\s]+)\)")
_BLOCK = re.compile(r"^(?:(#{1,6})\s+(.*)|([-*+])\s+(.*)|(\d+)[.)]\s+(.*)|>\s?(.*)|(-{3,}|\*{3,}))$")
_STASH = "\x00{}\x00"


def _inline(text: str) -> str:
    stash: list[str] = []  # finished HTML, kept out of the way of escaping and emphasis

    def keep(fragment: str) -> str:
        stash.append(fragment)
        return _STASH.format(len(stash) - 1)

    text = re.sub(r"\\([\\`*_\[\]#()])", lambda m: keep(html.escape(m.group(1))), text)
    text = re.sub(r"`([^`]+)`", lambda m: keep(f"<code>{html.escape(m.group(1))}</code>"), text)
    text = _LINK.sub(lambda m: keep(f'<a href="{html.escape(m.group(2))}">{_inline(m.group(1))}</a>'), text)
    text = html.escape(text, quote=False)
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return re.sub("\x00(\\d+)\x00", lambda m: stash[int(m.group(1))], text)


def markdown_to_html(text: str) -> str:
    """The Markdown people write in e-mails (headings, lists, quotes, bold, italics, links) as HTML."""
    out: list[str] = []
    paragraph: list[str] = []
    open_list = ""

    def flush() -> None:
        nonlocal open_list
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if open_list:
            out.append(f"</{open_list}>")
            open_list = ""

    for raw in text.splitlines():
        line = raw.strip()
        match = _BLOCK.match(line)
        if not line or (match and not (match.group(3) or match.group(5))) or (match is None and open_list):
            flush()
        if not line:
            continue
        if match is None:
            paragraph.append(line)
        elif match.group(1):
            level = len(match.group(1))
            out.append(f"<h{level}>{_inline(match.group(2))}</h{level}>")
        elif match.group(3) or match.group(5):
            kind = "ul" if match.group(3) else "ol"
            if paragraph or open_list != kind:
                flush()
                out.append(f"<{kind}>")
                open_list = kind
            out.append(f"<li>{_inline(match.group(4) or match.group(6))}</li>")
        elif match.group(8):
            out.append("<hr>")
        else:
            out.append(f"<blockquote>{_inline(match.group(7))}</blockquote>")
    flush()
    return "\n".join(out)


def markdown_to_text(text: str) -> str:
    """The plain text a mail program shows (a mailto: body, an e-mail's text part): the Markdown's marks taken
    out (bold, italics, backslash escapes), headings underlined, links as "text (address)"."""
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        match = _BLOCK.match(line.strip())
        if match is not None and match.group(1):
            title = _plain_inline(match.group(2))
            out.append(title)
            out.append(("=" if len(match.group(1)) == 1 else "-") * max(3, len(title)))
        elif match is not None and match.group(8):
            out.append("-" * 40)
        else:
            out.append(_plain_inline(line))
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _plain_inline(text: str) -> str:
    stash: list[str] = []

    def keep(fragment: str) -> str:
        stash.append(fragment)
        return _STASH.format(len(stash) - 1)

    text = re.sub(r"\\([\\`*_\[\]#()])", lambda m: keep(m.group(1)), text)
    text = re.sub(r"`([^`]+)`", lambda m: keep(m.group(1)), text)
    text = _LINK.sub(lambda m: keep(f"{_plain_inline(m.group(1))} ({m.group(2).removeprefix('mailto:')})"), text)
    for pattern, _replacement in _INLINE:
        text = pattern.sub(r"\1", text)
    return re.sub("\x00(\\d+)\x00", lambda m: stash[int(m.group(1))], text)


def html_document(subject: str, body_markdown: str) -> str:
    """A complete, self-contained page (inline style: mail programs drop style sheets)."""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>\n"
        '<body style="font-family: Segoe UI, Helvetica, Arial, sans-serif; font-size: 15px; line-height: 1.5; '
        'color: #1f2d2a; max-width: 640px; margin: 0 auto; padding: 16px;">\n'
        f"{markdown_to_html(body_markdown)}\n</body></html>\n"
    )

