"""The fingerprint of an imported order: equal fingerprints mean that a re-import changes nothing.

Kept apart (and free of imports) because the writer process (bulk_writer) computes it too, for big imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from hashlib import blake2b
from operator import methodcaller

_digest = partial(blake2b, digest_size=16)
_hexdigest = methodcaller("hexdigest")


def row_hash(text: str) -> str:
    return blake2b(text.encode(), digest_size=16).hexdigest()


def row_hashes(texts: Iterable[str]) -> list[str]:
    """row_hash of each text, in C loops."""
    return list(map(_hexdigest, map(_digest, map(str.encode, texts))))
