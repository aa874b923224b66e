"""Newsletters and announcements: drafts from a known dataset, editing, mail links, .eml and HTML, the sent log."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import insert, select
from test_fraud_helpers import OCT, add_affiliate, add_orders, order, setup_program

from desktop.db import Database
from desktop.models import FraudFlag, PayoutHold, Target, TargetResult
from desktop.services.errors import BadInput, RefusedByState, ValidationFailed
from desktop.services.messages import (
    DraftText,
    Recipient,
    create_draft,
    create_newsletter,
    create_plan_announcement,
    create_terms_announcement,
    delete_draft,
    get_message,
    left_out_of_newsletter,
    list_messages,
    mail_links,
    markdown_to_html,
    newsletter_text,
    plan_change_text,
    recipient_choices,
    record_sent,
    save_eml,
    save_html,
    set_recipients,
    update_draft,
)
from desktop.services.plans import PlanInput, TierInput, create_plan, current_version_id, freeze_version, update_plan


def met_target(db: Database, affiliate_id: int, metric: str, period: str, met: bool = True) -> None:
    with db.write() as session:
        target_row = {"scope": "x", "affiliate_id": affiliate_id, "metric": metric, "period": period,
                      "goal": Decimal("10.00"), "created_at": OCT}  # fmt: skip
        session.execute(insert(Target), [target_row])
        target = session.scalar(select(Target.id).order_by(Target.id.desc()).limit(1))
        result = {"target_id": target, "affiliate_id": affiliate_id, "met": met, "goal_value": Decimal("10.00"),
                  "actual": Decimal("12.00")}  # fmt: skip
        session.execute(insert(TargetResult), [result])


@pytest.fixture
def program(db: Database) -> dict[str, int]:
    """October 2026: Ana sold most, then Ben, then Cy; Dee is paused; Eve only has pending and September sales."""
    setup_program(db)
    ids = {code: add_affiliate(db, code, name, email=f"{code.lower()}@example.com", status=status)
           for code, name, status in (("ANA", "Ana Silva", "active"), ("BEN", "Ben *Star* Kim", "active"),
                                      ("CY", "Cy Berg", "active"), ("DEE", "Dee Paused", "paused"),
                                      ("EVE", "Eve Rossi", "active"), ("FAY", "Fay Lund", "active"))}  # fmt: skip
    add_orders(db, [
        order("A1", ids["ANA"], OCT, "600.00"), order("A2", ids["ANA"], OCT, "300.00"),
        order("B1", ids["BEN"], OCT, "500.00"), order("C1", ids["CY"], OCT, "300.00"),
        order("C2", ids["CY"], OCT, "400.00", status="refunded"), order("D1", ids["DEE"], OCT, "2000.00"),
        order("E1", ids["EVE"], OCT, "5000.00", status="pending"),
        order("E2", ids["EVE"], datetime(2026, 9, 30, 20, 0), "5000.00"),
    ])  # fmt: skip
    met_target(db, ids["BEN"], "revenue", "2026-10")
    met_target(db, ids["BEN"], "conversion_rate", "2026-10")
    met_target(db, ids["FAY"], "sales", "2026-10")
    met_target(db, ids["CY"], "sales", "2026-10", met=False)
    met_target(db, ids["ANA"], "sales", "2026-09")
    return ids


def test_the_newsletter_shouts_out_the_top_performers_and_target_achievers(db: Database, program: dict) -> None:
    draft = newsletter_text(db, "2026-10", top=3)
    assert draft.subject == "Acme Outdoor Partners newsletter: October 2026"
    assert draft.body_markdown == (
        "# Acme Outdoor Partners: October 2026\n\nHello partners,\n\n"
        "Thank you for all your work in October 2026. Here are the month's highlights.\n\n"
        "## Top performers\n\nThe partners who brought the most sales this month:\n\n"
        "1. **Ana Silva**\n2. **Ben \\*Star\\* Kim**\n3. **Cy Berg**\n\n"
        "## Targets reached\n\nCongratulations to the partners who reached their targets:\n\n"
        "- **Ben \\*Star\\* Kim**: conversion rate and revenue\n- **Fay Lund**: sales\n\n"
        "## Coming up\n\n(Add news, new products or a tip for next month here.)\n\n"
        "Thank you for being part of Acme Outdoor Partners!\n"
    )
    assert "1,000" not in draft.body_markdown and "600" not in draft.body_markdown  # no partner's figures
    assert "<li><strong>Ben *Star* Kim</strong></li>" in markdown_to_html(draft.body_markdown)
    empty = newsletter_text(db, "2026-08")
    assert "(No top performers to name for August 2026 yet.)" in empty.body_markdown
    assert "Targets reached" not in empty.body_markdown


def test_partners_under_fraud_review_get_no_shout_out(db: Database, program: dict) -> None:
    with db.write() as session:
        flag = {"rule": "self_referral", "fingerprint": "x", "affiliate_id": program["ANA"], "period": "2026-10",
                "severity": "high", "evidence": "x", "state": "open", "raised_at": OCT}  # fmt: skip
        session.execute(insert(FraudFlag), [flag])
        session.execute(insert(PayoutHold), [{"affiliate_id": program["FAY"], "since": OCT, "reason": "x"}])
    body = newsletter_text(db, "2026-10").body_markdown
    assert "Ana Silva" not in body and "Fay Lund" not in body
    assert "1. **Ben \\*Star\\* Kim**\n2. **Cy Berg**\n\n" in body
    # the owner is told whom the shout-outs skip, and why (the newsletter itself never says)
    left = left_out_of_newsletter(db, "2026-10", top=10)
    assert "Ana Silva (a fraud flag not reviewed yet)" in left and "Fay Lund (a held payout)" in left
    assert "Dee Paused (paused, not active)" in left and not [name for name in left if "Ben" in name]


def test_a_newsletter_draft_goes_to_every_active_affiliate(db: Database, program: dict) -> None:
    message = create_newsletter(db, "2026-10")
    detail = get_message(db, message)
    assert detail.message.kind == "newsletter" and detail.message.period == "2026-10"
    assert [r.name for r in detail.recipients] == ["Ana Silva", "Ben *Star* Kim", "Cy Berg", "Eve Rossi", "Fay Lund"]
    assert [m.id for m in list_messages(db, sent=False)] == [message] and list_messages(db, sent=True) == []


def test_a_plan_change_is_announced_from_the_difference_between_versions(db: Database) -> None:
    setup_program(db)
    plan = create_plan(db, PlanInput(name="Standard", sale_rate=Decimal("0.10"), cap=Decimal("1000.00")))
    freeze_version(db, current_version_id(db, plan))  # an approved sheet used it: the change is a new version
    update_plan(db, plan, PlanInput(name="Standard", sale_rate=Decimal("0.12"), lead_amount=Decimal("2.00"),
                                    tiers=(TierInput(Decimal("2000.00"), Decimal("0.15")),)))  # fmt: skip
    add_affiliate(db, "ON", "On Plan", email="on@example.com", plan_id=plan)
    add_affiliate(db, "OFF", "Other Plan", email="off@example.com")
    draft = plan_change_text(db, plan, 1, 2, effective=date(2026, 11, 1))
    assert draft.subject == "Acme Outdoor Partners: new commission terms for Standard"
    assert ("The commission terms of the Standard plan change from 1 November 2026:\n\n"
            "- **Commission on sales**: 10 % of the sale → 12 % of the sale\n"
            "- **Per lead**: 0.00 → 2.00\n"
            "- **Monthly cap**: 1,000.00 → no cap\n"
            "- **From 2,000.00 in sales a month**: none → 15 % of the sale\n\n"
            "Everything else stays as it is.") in draft.body_markdown  # fmt: skip
    message = create_plan_announcement(db, plan, 1)
    assert [r.email for r in get_message(db, message).recipients] == ["on@example.com"]
    with pytest.raises(BadInput, match="have the same terms"):
        plan_change_text(db, plan, 2, 2)


def test_a_terms_announcement_from_a_summary(db: Database, program: dict) -> None:
    message = create_terms_announcement(db, "Terms and conditions, version 3", "- Coupon sites are not allowed.")
    detail = get_message(db, message)
    assert detail.message.subject == "Acme Outdoor Partners: Terms and conditions, version 3"
    assert "What changes:\n\n- Coupon sites are not allowed.\n\nPlease read them" in detail.body_markdown
    with pytest.raises(ValidationFailed) as problem:
        create_terms_announcement(db, "", " ")
    assert set(problem.value.errors) == {"title", "summary"}


def test_drafts_are_edited_until_they_are_sent(db: Database, program: dict) -> None:
    message = create_draft(db, "announcement", DraftText("Hello", "Body"))
    update_draft(db, message, " Summer sale ", "**Everything** 20 % off")
    ana = Recipient(program["ANA"], "Ana Silva", "ana@example.com")
    set_recipients(db, message, (ana, ana, Recipient(None, "Press", "press@example.org"), Recipient(None, "x", "bad")))
    detail = get_message(db, message)
    assert detail.message.subject == "Summer sale" and [r.email for r in detail.recipients] == [
        "press@example.org", "ana@example.com"]  # fmt: skip
    with pytest.raises(ValidationFailed):
        update_draft(db, message, " ", "x")
    record_sent(db, message, "mail_client")
    with pytest.raises(RefusedByState, match="it stays as it went out"):
        update_draft(db, message, "Changed", "x")
    with pytest.raises(RefusedByState):
        delete_draft(db, message)
    [logged] = list_messages(db, sent=True)
    assert (logged.sent_via, logged.recipients) == ("mail_client", 2)
    assert [m.id for m in list_messages(db, affiliate_id=program["ANA"])] == [message]
    assert list_messages(db, affiliate_id=program["BEN"]) == []
    other = create_draft(db, "announcement", DraftText("Oops", "x"))
    delete_draft(db, other)
    assert [m.id for m in list_messages(db)] == [message]


def test_mail_links_put_recipients_in_bcc_and_split_long_lists(db: Database) -> None:
    setup_program(db)
    people = tuple(Recipient(None, f"P{n}", f"partner{n:03d}@example.com") for n in range(120))
    text = "# News\nLine **one**\n1. Ana \\*Star\\*"
    message = create_draft(db, "newsletter", DraftText("Hi & welcome", text), recipients=people[:2])
    [link] = mail_links(db, message).urls
    parts = urlsplit(link)
    query = parse_qs(parts.query)
    assert parts.scheme == "mailto" and parts.path == ""
    # a mail link carries plain text: the Markdown's marks would reach the partners as they are
    assert query == {"subject": ["Hi & welcome"], "body": ["News\r\n====\r\nLine one\r\n1. Ana *Star*"],
                     "bcc": ["partner000@example.com,partner001@example.com"]}  # fmt: skip
    set_recipients(db, message, people)
    links = mail_links(db, message)
    assert len(links.urls) > 1 and all(len(url) <= 2000 for url in links.urls)
    sent_to = [a for url in links.urls for a in parse_qs(urlsplit(url).query)["bcc"][0].split(",")]
    assert sent_to == sorted(p.email for p in people)
    assert "120 recipients do not fit in one mail link" in links.reason
    update_draft(db, message, "Long", "word " * 500)
    too_long = mail_links(db, message)
    assert not too_long.fits and "Save it as .eml" in too_long.reason
    set_recipients(db, message, ())
    with pytest.raises(BadInput, match="at least one recipient"):
        mail_links(db, message)


def test_an_eml_file_parses_back_with_bcc_and_both_versions(db: Database, program: dict, tmp_path: Path) -> None:
    message = create_newsletter(db, "2026-10")
    target = save_eml(db, message, tmp_path / "newsletter.eml", sender="partners@acme.example")
    mail = BytesParser(policy=policy.default).parsebytes(target.read_bytes())
    assert mail["Subject"] == "Acme Outdoor Partners newsletter: October 2026"
    assert mail["To"] == mail["From"] == "partners@acme.example" and mail["X-Unsent"] == "1"
    assert [a.addr_spec for a in mail["Bcc"].addresses] == [
        "ana@example.com", "ben@example.com", "cy@example.com", "eve@example.com", "fay@example.com"]  # fmt: skip
    assert mail.get_content_type() == "multipart/alternative"
    plain, rich = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None and "1. Ana Silva" in plain.get_content() and "**" not in plain.get_content()
    assert rich is not None and "<ol>\n<li><strong>Ana Silva</strong></li>" in rich.get_content().replace("\r\n", "\n")
    assert not list(tmp_path.glob(".*tmp*"))  # written under a temporary name, then renamed
    sent = get_message(db, message).message
    assert sent.sent_via == "eml" and sent.sent_at is not None
    record_sent(db, message, "html")  # sending it again another way keeps the first record
    assert get_message(db, message).message.sent_via == "eml"


def test_save_html_writes_a_page(db: Database, program: dict, tmp_path: Path) -> None:
    message = create_newsletter(db, "2026-10")
    page = save_html(db, message, tmp_path / "newsletter.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>Acme Outdoor Partners newsletter: October 2026</title>" in page
    assert "<h2>Top performers</h2>" in page and get_message(db, message).message.sent_via == "html"


def test_markdown_becomes_safe_html() -> None:
    text = ("# Big <news>\n\nSome *quiet* and **loud** words,\nwith a [link](https://acme.example/?a=1&b=2) and "
            "`code`.\n\n- one\n- two\n\n1. first\n\n> quoted\n\n---\n"
            "[bad](javascript:alert(1)) snake_case_name")  # fmt: skip
    assert markdown_to_html(text) == (
        "<h1>Big &lt;news&gt;</h1>\n"
        "<p>Some <em>quiet</em> and <strong>loud</strong> words, with a "
        '<a href="https://acme.example/?a=1&amp;b=2">link</a> and <code>code</code>.</p>\n'
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<ol>\n<li>first</li>\n</ol>\n"
        "<blockquote>quoted</blockquote>\n<hr>\n"
        "<p>[bad](javascript:alert(1)) snake_case_name</p>"
    )


def test_recipient_choices_are_active_affiliates_with_an_address(db: Database, program: dict) -> None:
    add_affiliate(db, "NOMAIL", "No Mail")
    names = [r.name for r in recipient_choices(db)]
    assert names == ["Ana Silva", "Ben *Star* Kim", "Cy Berg", "Eve Rossi", "Fay Lund"]
