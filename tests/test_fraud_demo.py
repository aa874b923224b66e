"""The demo's planted frauds: each one is caught by its rule; plus feedback and a sent newsletter."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.db import Database
from desktop.services.attribution import recompute_attribution
from desktop.services.demo import load_demo
from desktop.services.demo_fraud import load_demo_fraud
from desktop.services.errors import RefusedByState
from desktop.services.feedback import list_feedback
from desktop.services.fraud_queue import list_flags
from desktop.services.messages import get_message, list_messages

TODAY = date(2026, 11, 15)


def test_every_planted_fraud_is_flagged(db: Database) -> None:
    load_demo(db, affiliates=40, months=3, seed=7, today=TODAY)
    summary = load_demo_fraud(db, TODAY)
    assert summary.period == "2026-10" and len(summary.planted) == 5
    planted = {(f.rule, f.period) for f in list_flags(db)}
    for rule in ("self_referral", "click_flood", "refund_rate", "disposable_email"):
        assert (rule, "2026-10") in planted, rule
    assert ("shared_payee", None) in planted
    self_referral = list_flags(db, rule="self_referral")[0]
    assert "which is" in self_referral.evidence and "own address with a +tag" in self_referral.evidence
    assert summary.feedback == 5
    assert len(list_feedback(db, self_referral.affiliate_id or 0, kind="warning")) == 1
    [sent] = list_messages(db, sent=True)
    assert sent.kind == "newsletter" and sent.period == "2026-09" and sent.recipients > 0
    assert get_message(db, sent.id).message.sent_via == "mail_client"
    with pytest.raises(RefusedByState, match="already planted"):
        load_demo_fraud(db, TODAY)
    assert recompute_attribution(db) == 0  # every planted order is attributed as an import would attribute it


def test_the_demo_frauds_need_the_demo_affiliates(db: Database) -> None:
    with pytest.raises(RefusedByState, match="six active affiliates"):
        load_demo_fraud(db, TODAY)
