"""The asset library: content-hash storage, hostile file names, symlinks, types by magic bytes, duplicates, search."""

from __future__ import annotations

import os
import struct
import threading
from datetime import date
from pathlib import Path

import pytest

from desktop.db import Database, open_database
from desktop.services import asset_library as lib
from desktop.services.demo_library import png_bytes
from desktop.services.errors import BadInput, ValidationFailed


def png(width: int = 4, height: int = 3, shade: int = 0) -> bytes:
    return png_bytes(width, height, [bytes([shade, 100, 200] * width)] * height)


GIF = b"GIF89a" + struct.pack("<HH", 120, 60) + b"\x00" * 20
JPEG = (
    b"\xff\xd8\xff\xe0"
    + struct.pack(">H", 16)
    + b"JFIF\x00"
    + b"\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\xff\xc0"
    + struct.pack(">HBHH", 17, 8, 480, 640)
    + b"\x03"
    + b"\x00" * 30
)
WEBP = b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8X" + struct.pack("<I", 10) + b"\x00" * 4
WEBP += (299).to_bytes(3, "little") + (249).to_bytes(3, "little") + b"\x00" * 10
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 40
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00" * 40
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 40
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def incoming(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    return folder


def library_files(db: Database) -> list[str]:
    return sorted(p.name for p in lib.library_folder(db).iterdir())


def test_the_library_folder_is_beside_the_database(db: Database, db_path: Path) -> None:
    assert lib.library_folder(db) == db_path.parent / "test-library"


def test_a_file_is_stored_under_its_content_hash_with_the_type_s_extension(db: Database, incoming: Path) -> None:
    source = incoming / "Summer Banner_final (2).PNG"
    source.write_bytes(png(728, 90))
    result = lib.add_file(
        db, source, tags=["summer", "Banner", "summer"], campaign="Summer", expires_on=date(2030, 1, 1)
    )
    asset = result.asset
    assert not result.duplicate
    assert asset.file_path == lib.library_folder(db) / f"{asset.sha256}.png"
    assert asset.file_path.read_bytes() == source.read_bytes()
    assert (asset.kind, asset.mime_type, asset.width, asset.height) == ("image", "image/png", 728, 90)
    assert asset.original_name == "Summer Banner_final (2).PNG"
    assert asset.title == "Summer Banner final (2)"
    assert asset.tags == ("summer", "Banner")
    assert asset.size_bytes == len(source.read_bytes())
    assert library_files(db) == [f"{asset.sha256}.png"]  # no temporary file left behind
    assert oct(asset.file_path.stat().st_mode & 0o777) != oct(0o600)  # not private like mkstemp's files


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("../../x.png", "x"),
        ("C:\\x.png", "x"),
        ("CON", "CON"),
        ("a. ", "a"),
        ("..", "Untitled image"),
        ("/etc/passwd", "passwd"),
        ("x\u202egnp.exe", "xgnp"),
        ("nul\x00.png", "nul"),
    ],
)
def test_hostile_names_are_metadata_only(db: Database, incoming: Path, tmp_path: Path, name: str, title: str) -> None:
    source = incoming / "upload.bin"
    source.write_bytes(png())
    asset = lib.add_file(db, source, original_name=name).asset
    assert asset.file_path is not None and asset.file_path.parent == lib.library_folder(db)
    assert asset.file_path.name == f"{asset.sha256}.png"
    assert asset.title == title
    assert asset.original_name is not None and "\x00" not in asset.original_name and "\u202e" not in asset.original_name
    assert not (tmp_path.parent / "x.png").exists() and not (tmp_path / "x.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incoming", "test-library", "test.sqlite3", *_sqlite_side()]


def _sqlite_side() -> list[str]:
    return ["test.sqlite3-shm", "test.sqlite3-wal"]


@pytest.mark.parametrize("name", ["C:\\x.png", "CON", "a. ", "x" * 240 + ".png", "..png", " .png"])
def test_files_really_named_like_that_are_added_safely(db: Database, incoming: Path, name: str) -> None:
    source = incoming / name
    source.write_bytes(png(shade=len(name) % 250))
    asset = lib.add_file(db, source).asset
    assert asset.original_name == name.strip()
    assert asset.file_path is not None and asset.file_path.name == f"{asset.sha256}.png"
    assert 0 < len(asset.title) <= 200


def test_very_long_names_are_cut_for_the_record(db: Database, incoming: Path) -> None:
    source = incoming / "a.png"
    source.write_bytes(png())
    asset = lib.add_file(db, source, original_name="y" * 5000 + ".png").asset
    assert asset.original_name is not None and len(asset.original_name) == 500
    assert asset.title == "y" * 200


def test_a_symlink_is_refused_not_followed(db: Database, incoming: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(png())
    link = incoming / "innocent.png"
    link.symlink_to(secret)
    with pytest.raises(BadInput, match="symbolic link"):
        lib.add_file(db, link)
    assert lib.list_assets(db) == ()
    assert not lib.library_folder(db).exists() or library_files(db) == []
    assert lib.add_file(db, secret).asset.original_name == "secret.png"  # the target itself is fine


def test_folders_devices_fifos_and_missing_files_are_refused(db: Database, incoming: Path) -> None:
    with pytest.raises(BadInput, match="not a file"):
        lib.add_file(db, incoming)
    with pytest.raises(BadInput, match="no such file"):
        lib.add_file(db, incoming / "gone.png")
    fifo = incoming / "pipe.png"
    os.mkfifo(fifo)
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(_try_add(db, fifo)), daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive(), "reading a FIFO must never block"
    assert isinstance(outcome[0], BadInput)


def _try_add(db: Database, path: Path) -> object:
    try:
        return lib.add_file(db, path)
    except BadInput as exc:
        return exc


@pytest.mark.parametrize(
    ("data", "ext", "kind", "size"),
    [
        (GIF, "gif", "image", (120, 60)),
        (JPEG, "jpg", "image", (640, 480)),
        (WEBP, "webp", "image", (300, 250)),
        (MP4, "mp4", "video", None),
        (MOV, "mov", "video", None),
        (WEBM, "webm", "video", None),
        (PDF, "pdf", "pdf", None),
    ],
)
def test_types_come_from_magic_bytes_never_from_the_name(
    db: Database, incoming: Path, data: bytes, ext: str, kind: str, size: tuple[int, int] | None
) -> None:
    source = incoming / "looks-like.exe"
    source.write_bytes(data)
    asset = lib.add_file(db, source).asset
    assert asset.file_path is not None and asset.file_path.suffix == f".{ext}"
    assert asset.kind == kind
    assert ((asset.width, asset.height) if size else None) == size


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script>",
        b"MZ\x90\x00executable",
        b"\x00\x00\x00\x18ftypheic" + b"\x00" * 20,
        b"PK\x03\x04",
    ],
)
def test_unknown_types_are_refused_with_a_clear_message(db: Database, incoming: Path, data: bytes) -> None:
    source = incoming / "banner.png"
    source.write_bytes(data)
    with pytest.raises(BadInput, match="not a file type the library takes .*PNG.*PDF.*WebM"):
        lib.add_file(db, source)
    assert lib.list_assets(db) == ()


def test_empty_and_too_large_files_are_refused(db: Database, incoming: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = incoming / "empty.png"
    empty.touch()
    with pytest.raises(BadInput, match="is empty"):
        lib.add_file(db, empty)
    big = incoming / "big.png"
    big.write_bytes(png(200, 200) + b"\x00" * 5000)
    monkeypatch.setattr(lib, "MAX_FILE_BYTES", 4000)
    with pytest.raises(BadInput, match="up to 0 MB"):
        lib.add_file(db, big)
    assert lib.list_assets(db) == ()


def test_a_duplicate_is_recognised_and_not_stored_twice(db: Database, incoming: Path) -> None:
    first, second = incoming / "one.png", incoming / "copy of one.png"
    first.write_bytes(png())
    second.write_bytes(png())
    original = lib.add_file(db, first, title="The original")
    again = lib.add_file(db, second, title="Another title", tags=["new"])
    assert again.duplicate and again.asset == original.asset
    assert len(lib.list_assets(db)) == 1
    assert library_files(db) == [f"{original.asset.sha256}.png"]
    # a lost library file is put back by adding the same content again
    assert original.asset.file_path is not None
    original.asset.file_path.unlink()
    assert lib.add_file(db, second).duplicate
    assert original.asset.file_path.read_bytes() == png()


def test_metadata_is_validated_before_anything_is_copied(db: Database, incoming: Path) -> None:
    source = incoming / "a.png"
    source.write_bytes(png())
    with pytest.raises(ValidationFailed) as problem:
        lib.add_file(db, source, campaign="c" * 101)
    assert "campaign" in problem.value.errors
    assert not lib.library_folder(db).exists() or library_files(db) == []


def test_text_assets_search_filters_and_expiry(db: Database, incoming: Path) -> None:
    post = lib.add_text_asset(
        db,
        "social_post",
        lib.AssetEdit("Summer post", ("instagram",), "Summer 2026", date(2026, 8, 31), "Use {coupon}!"),
    )
    assert (post.kind, post.file_path, post.sha256, post.size_bytes) == ("social_post", None, None, 13)
    lib.add_text_asset(db, "email_copy", lib.AssetEdit("Newsletter", ("Newsletter",), None, None, "Hi {name}, 100%"))
    banner_file = incoming / "banner.png"
    banner_file.write_bytes(png())
    banner = lib.add_file(
        db, banner_file, tags=["banner", "summer"], campaign="Summer 2026", expires_on=date(2026, 6, 1)
    )
    with pytest.raises(ValidationFailed) as problem:
        lib.add_text_asset(db, "email_copy", lib.AssetEdit("Empty", body="  "))
    assert "body" in problem.value.errors
    with pytest.raises(BadInput):
        lib.add_text_asset(db, "image", lib.AssetEdit("x", body="y"))

    def titles(flt: lib.AssetFilter, today: date = date(2026, 7, 1)) -> list[str]:
        return sorted(a.title for a in lib.list_assets(db, flt, today))

    assert titles(lib.AssetFilter()) == ["Newsletter", "Summer post", "banner"]
    assert titles(lib.AssetFilter(include_expired=False)) == ["Newsletter", "Summer post"]
    assert titles(lib.AssetFilter(search="COUPON")) == ["Summer post"]
    assert titles(lib.AssetFilter(search="100%")) == ["Newsletter"]  # LIKE wildcards are searched literally
    assert titles(lib.AssetFilter(search="%")) == ["Newsletter"]
    assert titles(lib.AssetFilter(kind="image")) == ["banner"]
    assert titles(lib.AssetFilter(tag="newsletter")) == ["Newsletter"]
    assert titles(lib.AssetFilter(campaign="Summer 2026")) == ["Summer post", "banner"]
    assert lib.list_campaigns(db) == ("Summer 2026",)
    assert lib.list_asset_tags(db) == ("banner", "instagram", "Newsletter", "summer")
    assert banner.asset.is_expired(date(2026, 6, 2)) and not banner.asset.is_expired(date(2026, 6, 1))

    edited = lib.update_asset(db, post.id, lib.AssetEdit("Summer post v2", ("a", "b"), None, None, "New {link}"))
    assert (edited.title, edited.tags, edited.campaign, edited.body) == (
        "Summer post v2",
        ("a", "b"),
        None,
        "New {link}",
    )
    lib.delete_asset(db, banner.asset.id)
    assert banner.asset.file_path is not None and not banner.asset.file_path.exists()
    assert titles(lib.AssetFilter()) == ["Newsletter", "Summer post v2"]


def test_add_files_reports_refusals_and_a_cancel_takes_everything_back(db: Database, incoming: Path) -> None:
    good, bad, dup = incoming / "good.png", incoming / "bad.png", incoming / "dup.png"
    good.write_bytes(png())
    bad.write_bytes(b"not an image")
    dup.write_bytes(png())
    result = lib.add_files(db, [good, bad, dup], tags=["x"])
    assert [a.original_name for a in result.added] == ["good.png"]
    assert [a.original_name for a in result.duplicates] == ["good.png"]
    assert len(result.problems) == 1 and "bad.png" in result.problems[0]

    other = incoming / "other.png"
    other.write_bytes(png(shade=9))
    calls: list[int] = []

    def progress(done: int, total: int, what: str) -> None:
        calls.append(done)
        if done == 1:
            raise KeyboardInterrupt("cancelled")

    with pytest.raises(KeyboardInterrupt):
        lib.add_files(db, [other, good], progress=progress)
    assert [a.original_name for a in lib.list_assets(db)] == ["good.png"]
    assert len(library_files(db)) == 1


def test_image_size_reads_headers_only() -> None:
    assert lib.image_size(png(33, 44)) == (33, 44)
    assert lib.image_size(GIF) == (120, 60)
    assert lib.image_size(JPEG) == (640, 480)
    assert lib.image_size(WEBP) == (300, 250)
    assert lib.image_size(b"\xff\xd8\xff") is None
    assert lib.human_size(999) == "999 bytes" and lib.human_size(1536) == "1.5 KB"
    assert lib.human_size(5 * 1024**3) == "5.0 GB"


def test_the_postgresql_library_lives_in_the_user_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    fake = type("FakeDb", (), {"path": None, "url": make_url("postgresql+psycopg://u@h/shop/../x")})()
    monkeypatch.delenv(lib.LIBRARY_ENV, raising=False)
    folder = lib.library_folder(fake)  # type: ignore[arg-type]
    assert folder.name == "library-shop_.._x" and folder.parent.name == "affiliate-desk"
    monkeypatch.setenv(lib.LIBRARY_ENV, str(tmp_path / "lib"))
    assert lib.library_folder(fake) == tmp_path / "lib"  # type: ignore[arg-type]


def test_a_second_database_has_its_own_library(tmp_path: Path) -> None:
    other = open_database(tmp_path / "other.sqlite3")
    try:
        assert lib.library_folder(other) == tmp_path / "other-library"
    finally:
        other.dispose()


def _office(path: Path, part: str) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:  # as Word and PowerPoint write them: the content types first
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(f"{part}/document.xml", "<document/>")
    return path


def test_documents_svg_logos_and_plain_text_are_taken(db: Database, incoming: Path) -> None:
    """The library's Document kind had nothing that could go in it: Word, PowerPoint, SVG and text were refused."""
    docx = lib.add_file(db, _office(incoming / "Brand guide.docx", "word")).asset
    pptx = lib.add_file(db, _office(incoming / "Pitch.pptx", "ppt")).asset
    svg_file = incoming / "logo.svg"
    svg_file.write_text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    svg = lib.add_file(db, svg_file).asset
    text_file = incoming / "Talking points.txt"
    text_file.write_text("Our tents are made in Norway — say so.\n", encoding="utf-8")
    text = lib.add_file(db, text_file).asset
    assert [(a.kind, a.file_path.suffix if a.file_path else None) for a in (docx, pptx, svg, text)] == [
        ("document", ".docx"), ("document", ".pptx"), ("image", ".svg"), ("document", ".txt")]  # fmt: skip
    assert docx.title == "Brand guide"


@pytest.mark.parametrize(
    ("name", "data"),
    [("plain.docx", b"PK\x03\x04" + b"\x00" * 40), ("tool.txt", b"MZ\x90\x00\x00binary"), ("notes.zip", b"PK\x03\x04")],
)
def test_what_only_looks_like_a_document_is_refused(db: Database, incoming: Path, name: str, data: bytes) -> None:
    source = incoming / name
    source.write_bytes(data)
    with pytest.raises(BadInput, match="not a file type the library takes"):
        lib.add_file(db, source)
