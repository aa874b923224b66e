"""Saved column mappings for order files the presets don't know: {our field: their column}, by name."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from desktop.db import Database
from desktop.models import ColumnMapping
from desktop.services.conversion_presets import FIELDS, header_positions, normalise_header
from desktop.services.conversion_store import local_now
from desktop.services.errors import BadInput, ValidationFailed
from desktop.services.program_settings import get_program

KIND = "conversions"


@dataclass(frozen=True)
class SavedMapping:
    name: str
    mapping: tuple[tuple[str, str], ...]  # (our field, their column), in FIELDS order
    created_at: datetime

    def as_dict(self) -> dict[str, str]:
        return dict(self.mapping)


def validate_mapping(name: str, mapping: Mapping[str, str]) -> dict[str, str]:
    """Messages keyed by "name" or by our field; empty when the mapping can be saved."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the mapping a name"
    elif len(name.strip()) > 100:
        errors["name"] = "At most 100 characters"
    if not any(str(theirs or "").strip() for theirs in mapping.values()):
        errors["mapping"] = "Map at least one column"
    for field, theirs in mapping.items():
        if field not in FIELDS:
            errors[field] = f"Unknown field; known: {', '.join(FIELDS)}"
        elif not isinstance(theirs, str):
            errors[field] = "The column name must be text"
        elif len(theirs) > 200:
            errors[field] = "At most 200 characters"
    return errors


def save_mapping(db: Database, name: str, mapping: Mapping[str, str]) -> SavedMapping:
    """Save (or replace) the mapping under this name."""
    errors = validate_mapping(name, mapping)
    if errors:
        raise ValidationFailed(errors)
    cleaned = {field: mapping[field].strip() for field in FIELDS if mapping.get(field, "").strip()}
    now = local_now(get_program(db).timezone)
    with db.write() as session:
        row = session.scalar(
            select(ColumnMapping).where(ColumnMapping.name == name.strip(), ColumnMapping.kind == KIND)
        )
        if row is None:
            row = ColumnMapping(name=name.strip(), kind=KIND, created_at=now, mapping_json="{}")
            session.add(row)
        row.mapping_json = json.dumps(cleaned, ensure_ascii=False)
        return _saved(row)


def list_mappings(db: Database) -> tuple[SavedMapping, ...]:
    with db.read() as session:
        rows = session.scalars(select(ColumnMapping).where(ColumnMapping.kind == KIND).order_by(ColumnMapping.name))
        return tuple(_saved(row) for row in rows)


def get_mapping(db: Database, name: str) -> dict[str, str]:
    """The mapping saved under this name; BadInput when there is none."""
    with db.read() as session:
        row = session.scalar(
            select(ColumnMapping).where(ColumnMapping.name == name.strip(), ColumnMapping.kind == KIND)
        )
        if row is None:
            names = session.scalars(select(ColumnMapping.name).where(ColumnMapping.kind == KIND)
                                    .order_by(ColumnMapping.name)).all()  # fmt: skip
            known = f"saved: {', '.join(names)}" if names else "none is saved yet: the window's Map columns… saves one"
            raise BadInput(f"there is no saved column mapping named '{name}' ({known})")
        return _saved(row).as_dict()


def fitting_mapping(db: Database, header: Sequence[str]) -> SavedMapping | None:
    """The saved mapping made for files like this one: every column it names is in the header.

    Of several, the one naming the most columns (then the first by name): a mapping for a richer export of
    the same shop wins over a bare one.
    """
    keys = header_positions(header)
    fitting = [saved for saved in list_mappings(db)
               if saved.mapping and all(normalise_header(theirs) in keys for _, theirs in saved.mapping)]  # fmt: skip
    return max(fitting, key=lambda saved: len(saved.mapping), default=None)


def delete_mapping(db: Database, name: str) -> bool:
    with db.write() as session:
        result = session.execute(
            delete(ColumnMapping).where(ColumnMapping.name == name.strip(), ColumnMapping.kind == KIND)
        )
        return bool(getattr(result, "rowcount", 0))


def _saved(row: ColumnMapping) -> SavedMapping:
    stored = json.loads(row.mapping_json or "{}")
    pairs = tuple((field, str(stored[field])) for field in FIELDS if field in stored)
    return SavedMapping(row.name, pairs, row.created_at)
