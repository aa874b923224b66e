"""The fingerprint of an imported order: equal fingerprints mean that a re-import changes nothing.

Orders read the quick way (conversion_columns) are stored without one (an empty row_hash): most orders are never
imported again, and a million fingerprints cost a second and a half. When a re-import meets such an order, its
fingerprint is made from what is stored (conversion_store.stored_orders), the same text as at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import blake2b

Line = tuple[str | None, str | None, int, int]  # sku, product, quantity, cents


def fingerprint(
    order_id: str,
    kind: str,
    stamp: str,  # occurred_at as SQLAlchemy writes it on SQLite: "2026-10-03 14:05:00.000000"
    currency: str,
    status: str,
    amount: int,
    refunded: int,
    coupon: str | None,
    referral: str | None,
    visitor: str | None,
    email: str | None,
    lines: Sequence[Line],
) -> str:
    text = (
        f"{order_id}\x1f{kind}\x1f{stamp}\x1f{currency}\x1f{status}\x1f{amount}\x1f{refunded}\x1f{coupon or ''}"
        f"\x1f{referral or ''}\x1f{visitor or ''}\x1f{email or ''}"
    )
    for sku, product, quantity, cents in lines:
        text += f"\x1f{sku or ''}\x1e{product or ''}\x1e{quantity}\x1e{cents}"
    return blake2b(text.encode(), digest_size=16).hexdigest()
