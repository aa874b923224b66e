"""The marketing asset library: files copied in under content-hash names, text assets, tags, search and expiry.

Where the files live: `<database file stem>-library/` beside an SQLite file; for PostgreSQL,
`platformdirs.user_data_dir("affiliate-desk")/library-<database name>`, or `$AFFILIATE_DESK_LIBRARY` when set
(tests, portable use). A file is stored as `<sha256>.<ext>`, the extension chosen from its detected type (magic
bytes), never from the user's file name, which is kept as metadata only. Symbolic links are refused rather than
followed: a link dropped by mistake must not pull in whatever it points to (add the target itself instead).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PureWindowsPath

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from desktop.db import Database
from desktop.models import Asset, KitItem
from desktop.services.asset_files import (
    ACCEPTED_TYPES,
    FileType,
    copy_to_temporary,
    detect_type,
    image_size,
    open_source,
    too_big,
)
from desktop.services.errors import BadInput, RefusedByState, ValidationFailed
from desktop.services.guidelines import program_now

LIBRARY_ENV = "AFFILIATE_DESK_LIBRARY"
MAX_FILE_BYTES = 500 * 1024 * 1024  # given to the copy in asset_files, so this one value is the limit
TEXT_KINDS = ("social_post", "email_copy")
KIND_LABELS = {
    "image": "Image",
    "pdf": "PDF",
    "video": "Video",
    "document": "Document",
    "social_post": "Social post",
    "email_copy": "Email copy",
}
_INVISIBLE = re.compile("[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class AssetInfo:
    id: int
    kind: str
    title: str
    original_name: str | None
    mime_type: str | None
    size_bytes: int
    width: int | None
    height: int | None
    tags: tuple[str, ...]
    campaign: str | None
    expires_on: date | None
    created_at: datetime
    body: str | None
    sha256: str | None
    file_path: Path | None  # where the file is in the library; None for text assets

    def is_expired(self, today: date) -> bool:
        return self.expires_on is not None and self.expires_on < today

    @property
    def is_text(self) -> bool:
        return self.kind in TEXT_KINDS


@dataclass(frozen=True)
class AddedAsset:
    asset: AssetInfo
    duplicate: bool  # the same content was already in the library: that asset is returned, nothing was stored


@dataclass(frozen=True)
class AssetEdit:
    title: str
    tags: tuple[str, ...] = ()
    campaign: str | None = None
    expires_on: date | None = None
    body: str | None = None  # text assets only


@dataclass(frozen=True)
class AssetFilter:
    search: str = ""
    kind: str | None = None
    tag: str | None = None
    campaign: str | None = None
    include_expired: bool = True


@dataclass(frozen=True)
class AddFilesResult:
    added: tuple[AssetInfo, ...]
    duplicates: tuple[AssetInfo, ...]
    problems: tuple[str, ...]  # one sentence per file that was refused


# --- where and what ---------------------------------------------------------------------------------------


def library_folder(db: Database) -> Path:
    if db.path is not None:
        return db.path.with_name(f"{db.path.stem}-library")
    override = os.environ.get(LIBRARY_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    name = re.sub(r"[^A-Za-z0-9_.-]", "_", db.url.database or "default").strip(".") or "default"
    return Path(user_data_dir("affiliate-desk", appauthor=False)) / f"library-{name}"


def human_size(size: int) -> str:
    """1536 -> "1.5 KB"."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:,.1f} {unit}"


def clean_name(name: str, limit: int) -> str:
    """Text without control or direction-changing characters, cut to `limit` (for display only)."""
    return _INVISIBLE.sub("", name).strip()[:limit]


def title_from_name(name: str, kind: str) -> str:
    """ "../../summer_sale-728x90.png" -> "summer sale 728x90"; nothing usable -> "Untitled image"."""
    base = PureWindowsPath(clean_name(name, 1000)).name  # splits on "/" and "\" alike
    stem = base.rsplit(".", 1)[0] if "." in base.strip(". ") else base
    title = re.sub(r"[_\s]+", " ", stem.replace("-", " ")).strip(" .")
    return title[:200] or f"Untitled {KIND_LABELS.get(kind, kind).lower()}"


# --- reading ----------------------------------------------------------------------------------------------


def split_tags(values: Iterable[str] | str) -> tuple[str, ...]:
    """Tags from "a; b, c" or a list, trimmed, without repeats (ignoring case), in the order given."""
    parts = re.split(r"[;,]", values) if isinstance(values, str) else [p for v in values for p in re.split(r"[;,]", v)]
    seen: dict[str, str] = {}
    for part in parts:
        tag = clean_name(part, 60)
        if tag and tag.casefold() not in seen:
            seen[tag.casefold()] = tag
    return tuple(seen.values())


def _info(row: Asset, folder: Path) -> AssetInfo:
    return AssetInfo(
        id=row.id,
        kind=row.kind,
        title=row.title,
        original_name=row.original_name,
        mime_type=row.mime_type,
        size_bytes=row.size_bytes,
        width=row.width,
        height=row.height,
        tags=split_tags(row.tags or ""),
        campaign=row.campaign,
        expires_on=row.expires_on,
        created_at=row.created_at,
        body=row.body,
        sha256=row.sha256,
        file_path=folder / row.stored_name if row.stored_name else None,
    )


def get_asset(db: Database, asset_id: int) -> AssetInfo:
    with db.read() as session:
        row = session.get(Asset, asset_id)
        if row is None:
            raise BadInput(f"There is no asset with id {asset_id}; it may have been deleted.")
        return _info(row, library_folder(db))


def assets_by_id(db: Database, asset_ids: Sequence[int]) -> list[AssetInfo]:
    with db.read() as session:
        rows = {row.id: row for row in session.scalars(select(Asset).where(Asset.id.in_(list(asset_ids))))}
        folder = library_folder(db)
        return [_info(rows[i], folder) for i in asset_ids if i in rows]


def list_assets(db: Database, flt: AssetFilter = AssetFilter(), today: date | None = None) -> tuple[AssetInfo, ...]:  # noqa: B008
    """The assets matching the filter, newest first."""
    stmt = select(Asset).order_by(Asset.created_at.desc(), Asset.id.desc())
    if flt.kind:
        stmt = stmt.where(Asset.kind == flt.kind)
    if flt.campaign:
        stmt = stmt.where(Asset.campaign == flt.campaign)
    for word in flt.search.split():
        columns = (Asset.title, Asset.original_name, Asset.tags, Asset.campaign, Asset.body)
        stmt = stmt.where(or_(*(c.ilike(f"%{_escape(word)}%", escape="\\") for c in columns)))
    with db.read() as session:
        today = today or program_now(session).date()
        if not flt.include_expired:
            stmt = stmt.where(or_(Asset.expires_on.is_(None), Asset.expires_on >= today))
        folder = library_folder(db)
        assets = [_info(row, folder) for row in session.scalars(stmt)]
    if flt.tag:
        wanted = flt.tag.casefold()
        assets = [a for a in assets if any(t.casefold() == wanted for t in a.tags)]
    return tuple(assets)


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_campaigns(db: Database) -> tuple[str, ...]:
    with db.read() as session:
        stmt = select(Asset.campaign).where(Asset.campaign.is_not(None)).distinct()
        return tuple(sorted((c for c in session.scalars(stmt) if c), key=str.casefold))


def list_asset_tags(db: Database) -> tuple[str, ...]:
    with db.read() as session:
        return tuple(sorted(set(split_tags(list(session.scalars(select(Asset.tags))))), key=str.casefold))


# --- adding and editing -----------------------------------------------------------------------------------


def edit_problems(edit: AssetEdit, kind: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not edit.title.strip():
        errors["title"] = "Give the asset a title: it names the file in kits."
    elif len(edit.title.strip()) > 200:
        errors["title"] = "At most 200 characters."
    if len(";".join(split_tags(edit.tags))) > 500:
        errors["tags"] = "Too many tags: at most 500 characters in all."
    if edit.campaign and len(edit.campaign.strip()) > 100:
        errors["campaign"] = "At most 100 characters."
    if kind in TEXT_KINDS and not (edit.body or "").strip():
        errors["body"] = "Write the text: {coupon}, {link} and {name} are filled in for each affiliate."
    return errors


def _apply(row: Asset, edit: AssetEdit) -> None:
    row.title = clean_name(edit.title, 200)
    row.tags = ";".join(split_tags(edit.tags))
    row.campaign = (clean_name(edit.campaign, 100) or None) if edit.campaign else None
    row.expires_on = edit.expires_on
    if row.kind in TEXT_KINDS:
        row.body = (edit.body or "").strip("\n")
        row.size_bytes = len(row.body.encode("utf-8"))


def add_text_asset(db: Database, kind: str, edit: AssetEdit) -> AssetInfo:
    """A social post or email copy written in the app."""
    if kind not in TEXT_KINDS:
        raise BadInput(f"{kind!r} is not a text asset; choose social_post or email_copy.")
    errors = edit_problems(edit, kind)
    if errors:
        raise ValidationFailed(errors)
    with db.write() as session:
        row = Asset(kind=kind, mime_type="text/plain", created_at=program_now(session))
        _apply(row, edit)
        session.add(row)
        session.flush()
        return _info(row, library_folder(db))


def update_asset(db: Database, asset_id: int, edit: AssetEdit) -> AssetInfo:
    with db.write() as session:
        row = session.get(Asset, asset_id)
        if row is None:
            raise BadInput(f"There is no asset with id {asset_id}; it may have been deleted.")
        errors = edit_problems(edit, row.kind)
        if errors:
            raise ValidationFailed(errors)
        _apply(row, edit)
        return _info(row, library_folder(db))


def delete_asset(db: Database, asset_id: int) -> None:
    """Remove an asset and its file; one that went out in a kit is kept for the record."""
    folder = library_folder(db)
    with db.write() as session:
        row = session.get(Asset, asset_id)
        if row is None:
            return
        if session.scalar(select(KitItem.id).where(KitItem.asset_id == asset_id).limit(1)) is not None:
            raise RefusedByState(f"{row.title} was sent in a kit; it stays in the library for the record.")
        stored = row.stored_name
        session.delete(row)
    if stored:
        with suppress(OSError):
            (folder / stored).unlink()


def add_file(
    db: Database,
    source: Path | str,
    *,
    title: str | None = None,
    tags: Sequence[str] = (),
    campaign: str | None = None,
    expires_on: date | None = None,
    original_name: str | None = None,
) -> AddedAsset:
    """Copy a file into the library under `<sha256>.<ext>`; the same content again returns the existing asset.

    `original_name` (default: the file's own name) is metadata only and never becomes part of a path.
    """
    source = Path(source)
    shown = clean_name(original_name if original_name is not None else source.name, 500) or None
    label = shown or "The file"
    fd, size = open_source(source)
    folder = library_folder(db)
    with os.fdopen(fd, "rb") as stream:
        if size > MAX_FILE_BYTES:
            raise too_big(label, size, MAX_FILE_BYTES)
        if size == 0:
            raise BadInput(f"{label} is empty.")
        head = stream.read(512 * 1024)
        file_type = detect_type(head, shown or source.name)
        if file_type is None:
            raise BadInput(f"{label} is not a file type the library takes ({ACCEPTED_TYPES}).")
        edit = AssetEdit(
            (title or "").strip() or title_from_name(shown or "", file_type.kind), tuple(tags), campaign, expires_on
        )
        errors = edit_problems(edit, file_type.kind)
        if errors:
            raise ValidationFailed(errors)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            digest, copied, temporary = copy_to_temporary(stream, head, folder, label, MAX_FILE_BYTES)
        except OSError as exc:  # a full disk, a read-only library folder: this file fails, nothing is left
            raise BadInput(f"{label} could not be copied into the library at {folder}: {exc.strerror or exc}.") from exc
    try:
        existing = _find_by_hash(db, digest)
        if existing is not None:
            if existing.file_path is not None and not existing.file_path.exists():
                os.replace(temporary, existing.file_path)  # the library had lost its copy: restored
            return AddedAsset(existing, duplicate=True)
        dimensions = image_size(head) if file_type.kind == "image" else None
        return _store(db, temporary, digest, copied, file_type, dimensions, shown, edit)
    finally:
        with suppress(OSError):
            temporary.unlink()


def _store(
    db: Database,
    temporary: Path,
    digest: str,
    size: int,
    file_type: FileType,
    dimensions: tuple[int, int] | None,
    shown: str | None,
    edit: AssetEdit,
) -> AddedAsset:
    """Rename the copy to its content name and add the row; the file goes again if the row cannot be added."""
    folder = library_folder(db)
    stored_name = f"{digest}.{file_type.ext}"
    target = folder / stored_name
    was_there = target.exists()  # left by an earlier attempt: the same bytes, since the name is their hash
    os.replace(temporary, target)
    try:
        with db.write() as session:
            row = Asset(
                sha256=digest,
                stored_name=stored_name,
                original_name=shown,
                kind=file_type.kind,
                mime_type=file_type.mime,
                size_bytes=size,
                width=dimensions[0] if dimensions else None,
                height=dimensions[1] if dimensions else None,
                created_at=program_now(session),
            )
            _apply(row, edit)
            session.add(row)
            session.flush()
            return AddedAsset(_info(row, folder), duplicate=False)
    except IntegrityError:  # the same file added by someone else at this very moment
        existing = _find_by_hash(db, digest)
        if existing is None:
            raise
        return AddedAsset(existing, duplicate=True)
    except BaseException:
        if not was_there:
            target.unlink(missing_ok=True)
        raise


def _find_by_hash(db: Database, digest: str) -> AssetInfo | None:
    with db.read() as session:
        row = session.scalars(select(Asset).where(Asset.sha256 == digest)).first()
        return _info(row, library_folder(db)) if row is not None else None


def add_files(
    db: Database,
    paths: Sequence[Path | str],
    *,
    tags: Sequence[str] = (),
    campaign: str | None = None,
    expires_on: date | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> AddFilesResult:
    """Add several files; a refused file is reported, not fatal. If `progress` raises (the user cancelled),
    the files added so far are taken out again, so a cancelled job changes nothing."""
    report = progress or (lambda done, total, what: None)
    added: list[AssetInfo] = []
    duplicates: list[AssetInfo] = []
    problems: list[str] = []
    try:
        for number, path in enumerate(paths):
            report(number, len(paths), f"Adding {Path(path).name}")
            try:
                result = add_file(db, path, tags=tags, campaign=campaign, expires_on=expires_on)
            except BadInput as exc:
                problems.append(str(exc))
                continue
            (duplicates if result.duplicate else added).append(result.asset)
        report(len(paths), len(paths), "Done")
    except BaseException:
        for asset in added:
            with suppress(Exception):
                delete_asset(db, asset.id)
        raise
    return AddFilesResult(tuple(added), tuple(duplicates), tuple(problems))
