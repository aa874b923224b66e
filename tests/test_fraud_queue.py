"""The review queue: filters, a flag's orders, dismissing, confirming (reject the orders or hold the payout)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update
from test_fraud_helpers import OCT, add_affiliate, add_orders, order, series, setup_program

from desktop.db import Database
from desktop.models import Conversion, ConversionStatusChange, PayoutHold, PayoutSheet
from desktop.services.errors import RefusedByState, ValidationFailed
from desktop.services.fraud import scan
from desktop.services.fraud_queue import (
    confirm,
    dismiss,
    flag_counts,
    flag_detail,
    held_affiliate_ids,
    hold_payout,
    list_flags,
    list_holds,
    release_hold,
)


@pytest.fixture
def flagged(db: Database) -> dict[str, int]:
    """Jane bought 4 times with her own address (one order already on a paid sheet, one refunded)."""
    setup_program(db)
    jane = add_affiliate(db, "JANE", "Jane Doe", email="jane.doe@gmail.com")
    zoe = add_affiliate(db, "ZOE", "Zoe Kim")
    ids = add_orders(db, series("S", jane, 4, customer_email="jane.doe@gmail.com")
                     + [order("Z-1", zoe, customer_email="x@mailinator.com")])  # fmt: skip
    with db.write() as session:
        sheet_row = {"period": "2026-09", "state": "paid", "currency": "USD", "built_at": OCT, "built_by": "test",
                     "settings_json": "{}"}  # fmt: skip
        session.execute(insert(PayoutSheet), [sheet_row])
        sheet = session.scalar(select(PayoutSheet.id))
        session.execute(update(Conversion).where(Conversion.id == ids[0]).values(paid_sheet_id=sheet))
    scan(db, "2026-10")
    flags = {f.rule: f.id for f in list_flags(db)}
    return {"jane": jane, "zoe": zoe, "self": flags["self_referral"], "tmp": flags["disposable_email"],
            "first": ids[0], "second": ids[1]}  # fmt: skip


def test_the_queue_filters_by_state_rule_and_severity(db: Database, flagged: dict[str, int]) -> None:
    assert [f.rule for f in list_flags(db)] == ["self_referral", "disposable_email"]  # worst first
    assert [f.rule for f in list_flags(db, severity="low")] == ["disposable_email"]
    assert [f.rule for f in list_flags(db, rule="self_referral")] == ["self_referral"]
    assert [f.affiliate_code for f in list_flags(db, affiliate_id=flagged["zoe"])] == ["ZOE"]
    assert list_flags(db, state="dismissed") == []
    assert flag_counts(db) == {"open": 2, "dismissed": 0, "confirmed": 0}


def test_a_flag_shows_the_orders_behind_it(db: Database, flagged: dict[str, int]) -> None:
    detail = flag_detail(db, flagged["self"])
    assert [o.order_id for o in detail.orders] == ["S-000", "S-001", "S-002", "S-003"]
    assert [o.on_paid_sheet for o in detail.orders] == [True, False, False, False]
    assert (detail.rejectable, detail.on_paid_sheets) == (3, 1)
    assert detail.orders[0].customer_email == "jane.doe@gmail.com" and detail.orders[0].amount == Decimal("50.00")


def test_dismissing_needs_a_reason_and_sticks(db: Database, flagged: dict[str, int]) -> None:
    with pytest.raises(ValidationFailed) as problem:
        dismiss(db, flagged["tmp"], "   ")
    assert "reason" in problem.value.errors
    dismiss(db, flagged["tmp"], "Customer confirmed by phone", by="anna")
    [flag] = list_flags(db, state="dismissed")
    assert (flag.resolution, flag.resolved_by, flag.action) == ("Customer confirmed by phone", "anna", None)
    with pytest.raises(RefusedByState, match="already dismissed"):
        dismiss(db, flagged["tmp"], "again")
    scan(db, "2026-10")
    assert list_flags(db, state="dismissed")[0].id == flagged["tmp"]  # not reopened


def test_rejecting_the_orders_leaves_paid_sheets_alone_and_explains_why(db: Database, flagged: dict[str, int]) -> None:
    result = confirm(db, flagged["self"], "reject_orders", "Bought with her own card", by="anna")
    assert (result.rejected, result.left_on_paid_sheets, result.hold_id) == (3, 1, None)
    assert "1 order on an approved or paid payout sheet stayed as they are" in result.message
    assert "refund adjustment on the next sheet" in result.message
    with db.read() as session:
        statuses = dict(session.execute(select(Conversion.order_id, Conversion.status)).all())
        change = ConversionStatusChange
        notes = session.execute(select(change.conversion_id, change.from_status, change.to_status, change.note)).all()
    assert [statuses[f"S-00{n}"] for n in range(4)] == ["approved", "rejected", "rejected", "rejected"]
    assert len(notes) == 3 and notes[0][0] == flagged["second"]
    assert notes[0][1:] == ("approved", "rejected", "Rejected after fraud review: Bought with her own card")
    [flag] = list_flags(db, state="confirmed")
    assert (flag.action, flag.resolution) == ("reject_orders", "Bought with her own card")
    with pytest.raises(RefusedByState, match="already confirmed"):
        confirm(db, flagged["self"], "hold_payout", "again")
    assert scan(db, "2026-10").kept_dismissed == 0 and len(list_flags(db, state="confirmed")) == 1


def test_holding_the_payout_until_released(db: Database, flagged: dict[str, int]) -> None:
    result = confirm(db, flagged["tmp"], "hold_payout", "Waiting for the customers' details")
    assert result.hold_id is not None and result.rejected == 0
    assert held_affiliate_ids(db) == {flagged["zoe"]}
    [hold] = list_holds(db)
    assert (hold.affiliate_code, hold.flag_id, hold.open) == ("ZOE", flagged["tmp"], True)
    assert hold.reason == "Disposable customer e-mail: Waiting for the customers' details"
    assert flag_detail(db, flagged["tmp"]).holds == (hold,)
    release_hold(db, hold.id, by="anna")
    assert held_affiliate_ids(db) == frozenset() and list_holds(db) == []
    [released] = list_holds(db, include_released=True)
    assert released.released_by == "anna" and not released.open
    with pytest.raises(RefusedByState, match="already released by anna"):
        release_hold(db, hold.id)


def test_a_hold_by_hand_and_bad_requests(db: Database, flagged: dict[str, int]) -> None:
    hold_id = hold_payout(db, flagged["jane"], "Bank details being checked")
    with db.read() as session:
        row = session.get(PayoutHold, hold_id)
        assert row is not None and row.flag_id is None
    with pytest.raises(ValidationFailed):
        confirm(db, flagged["self"], "delete_everything", "why not")
    with pytest.raises(RefusedByState, match="no longer exists"):
        flag_detail(db, 999)


def test_a_flag_without_orders_to_reject_says_so(db: Database) -> None:
    setup_program(db)
    add_affiliate(db, "ANA", "Ana", email="ana@example.com", payee_email="wallet@pay.example")
    add_affiliate(db, "BOB", "Bob", email="wallet@pay.example")
    scan(db)
    first = list_flags(db)[0]
    with pytest.raises(RefusedByState, match="no orders left to reject; hold the payout instead"):
        confirm(db, first.id, "reject_orders", "Same person")
    assert confirm(db, first.id, "hold_payout", "Same person").hold_id is not None


def test_confirmed_actions_show_on_the_payout_sheet(db: Database) -> None:
    """Rejected orders earn nothing on the sheet; a held affiliate's line is held and leaves the PayPal file."""
    from test_payout_helpers import add_affiliate as add_partner
    from test_payout_helpers import add_order, standard_plan
    from test_payout_helpers import setup_program as setup_payouts

    from desktop.services.payouts import build_payout_sheet, get_sheet

    setup_payouts(db)
    plan = standard_plan(db)
    jane = add_partner(db, "JANE", "Jane Doe", plan_id=plan, email="jane.doe@gmail.com")
    zoe = add_partner(db, "ZOE", "Zoe Kim", plan_id=plan)
    for n in range(3):
        add_order(db, jane, f"J{n}", date(2026, 10, 3 + n), [("TENT", "400.00")])
        add_order(db, zoe, f"Z{n}", date(2026, 10, 3 + n), [("TENT", "400.00")])
    with db.write() as session:
        session.execute(update(Conversion).where(Conversion.order_id.in_(["J0", "J1"]))
                        .values(customer_email="jane.doe+shop@gmail.com"))  # fmt: skip
        session.execute(update(Conversion).where(Conversion.order_id == "Z0").values(customer_email="z@yopmail.com"))
    scan(db, "2026-10")
    flags = {f.rule: f.id for f in list_flags(db)}
    confirm(db, flags["self_referral"], "reject_orders", "Her own purchases")
    confirm(db, flags["disposable_email"], "hold_payout", "Checking the customers")
    build_payout_sheet(db, "2026-10", as_of=date(2026, 11, 2))
    rows = {row.affiliate_code: row for row in get_sheet(db, "2026-10")}
    assert rows["JANE"].sales == 1 and rows["JANE"].commission == Decimal("40.00")
    assert rows["ZOE"].held and rows["ZOE"].status == "held" and rows["ZOE"].payable == Decimal("0.00")


def test_orders_changed_meanwhile_are_not_touched(db: Database, flagged: dict[str, int]) -> None:
    with db.write() as session:  # the shop refunded one of them before the review
        session.execute(update(Conversion).where(Conversion.id == flagged["second"]).values(status="refunded"))
    result = confirm(db, flagged["self"], "reject_orders", "Own purchases")
    assert result.rejected == 2
    with db.read() as session:
        assert session.get(Conversion, flagged["second"]).status == "refunded"  # type: ignore[union-attr]
