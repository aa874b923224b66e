"""What changed between two builds of a draft sheet: per affiliate, what they are paid and what they carry."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.models import Affiliate
from desktop.services.payout_refunds import chunks
from desktop.services.payout_types import PayableChange

Balances = dict[int, tuple[Decimal, Decimal]]  # affiliate -> (payable, carried_out)


def changes_between(session: Session, before: Balances, after: Balances) -> tuple[PayableChange, ...]:
    changed = sorted(aid for aid in set(before) | set(after) if before.get(aid) != after.get(aid))
    names: dict[int, tuple[str, str]] = {}
    for part in chunks(changed):
        query = select(Affiliate.id, Affiliate.code, Affiliate.name).where(Affiliate.id.in_(list(part)))
        names.update((aid, (code, name)) for aid, code, name in session.execute(query))
    found = []
    for aid in changed:
        code, name = names.get(aid, (f"#{aid}", ""))
        old, new = before.get(aid), after.get(aid)
        found.append(
            PayableChange(
                code,
                name,
                old[0] if old else None,
                new[0] if new else None,
                old[1] if old else None,
                new[1] if new else None,
            )
        )
    return tuple(sorted(found, key=lambda change: change.affiliate_code.casefold()))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _amount(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def store_changes(previous_build: datetime | None, changes: tuple[PayableChange, ...]) -> str:
    record = {
        "previous_build": previous_build.isoformat() if previous_build else None,
        "changes": [
            {
                "code": change.affiliate_code,
                "name": change.affiliate_name,
                "payable_before": _text(change.payable_before),
                "payable_after": _text(change.payable_after),
                "carried_before": _text(change.carried_before),
                "carried_after": _text(change.carried_after),
            }
            for change in changes
        ],
    }
    return json.dumps(record, ensure_ascii=False)


def load_changes(text: str | None) -> tuple[tuple[PayableChange, ...] | None, datetime | None]:
    """The changes stored by the last rebuild (None when the sheet was built once only)."""
    if not text:
        return None, None
    record = json.loads(text)
    previous = datetime.fromisoformat(record["previous_build"]) if record.get("previous_build") else None
    changes = tuple(
        PayableChange(
            item["code"],
            item["name"],
            _amount(item["payable_before"]),
            _amount(item["payable_after"]),
            _amount(item["carried_before"]),
            _amount(item["carried_after"]),
        )
        for item in record.get("changes", [])
    )
    return changes, previous
