"""Files for the asset library: what type a file is, an image's size, and copying a file in safely."""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from desktop.services.errors import BadInput

# ISO base media brands of video files; HEIF/AVIF images and M4A audio share the container and are refused.
_MP4_BRANDS = frozenset(
    (b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VH", b"M4VP", b"MSNV")
    + (b"dash", b"mmp4", b"mp71", b"3gp4", b"3gp5", b"3gp6", b"3g2a")
)
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileType:
    ext: str
    mime: str
    kind: str


ACCEPTED_TYPES = ("PNG, JPEG, GIF, WebP or SVG images, PDF documents, Word, PowerPoint or Excel files, plain text, "
                  "MP4, MOV or WebM videos")
# Office files are ZIP archives: the name says which, and the archive's first entries confirm it is one.
_OFFICE = {
    ".docx": FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document"),
    ".pptx": FileType("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                      "document"),
    ".xlsx": FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document"),
}  # fmt: skip
_TEXT_SUFFIXES = frozenset((".txt", ".md"))


def detect_type(head: bytes, name: str = "") -> FileType | None:
    """The file's type from its first bytes (and, for Office files and plain text, its name's ending), if it is
    one the library takes."""
    suffix = Path(name).suffix.lower()
    if head.startswith(b"PK\x03\x04") and suffix in _OFFICE and b"[Content_Types].xml" in head:
        return _OFFICE[suffix]
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1024].lower()
    if (start.startswith(b"<?xml") or start.startswith(b"<svg")) and b"<svg" in start:
        return FileType("svg", "image/svg+xml", "image")
    if suffix in _TEXT_SUFFIXES and b"\x00" not in head and _is_utf8(head):
        return FileType(suffix[1:], "text/plain", "document")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType("png", "image/png", "image")
    if head.startswith(b"\xff\xd8\xff"):
        return FileType("jpg", "image/jpeg", "image")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return FileType("gif", "image/gif", "image")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileType("webp", "image/webp", "image")
    if head.startswith(b"%PDF-"):
        return FileType("pdf", "application/pdf", "pdf")
    if head[4:8] == b"ftyp":
        if head[8:12] == b"qt  ":
            return FileType("mov", "video/quicktime", "video")
        if head[8:12] in _MP4_BRANDS:
            return FileType("mp4", "video/mp4", "video")
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"\x42\x82" in head[:64] and b"webm" in head[:64]:
        return FileType("webm", "video/webm", "video")
    return None


def _is_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a character cut at the end of the first bytes read is no reason
        return exc.start >= len(head) - 3
    return True


def image_size(head: bytes) -> tuple[int, int] | None:
    """Width and height read from a PNG, GIF, JPEG or WebP header (no image library needed)."""
    try:
        if head.startswith(b"\x89PNG") and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if head[:3] == b"GIF":
            return struct.unpack("<HH", head[6:10])
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return _webp_size(head)
        if head.startswith(b"\xff\xd8"):
            return _jpeg_size(head)
    except struct.error:
        return None
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = struct.unpack("<I", head[21:25])[0]
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    return None


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(head):
        if head[i] != 0xFF:
            return None
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", head[i + 5 : i + 9])
            return width, height
        i += 2 + struct.unpack(">H", head[i + 2 : i + 4])[0]
    return None


def open_source(source: Path) -> tuple[int, int]:
    """A read descriptor and the size of a regular file; symlinks, folders and devices are refused."""
    try:
        info = os.lstat(source)
    except FileNotFoundError as exc:
        raise BadInput(f"{source.name}: no such file.") from exc
    except OSError as exc:
        raise BadInput(f"{source.name}: cannot be read ({exc.strerror}).") from exc
    if stat.S_ISLNK(info.st_mode):
        raise BadInput(
            f"{source.name} is a shortcut (symbolic link) to {os.path.realpath(source)}; "
            "links are not followed: add the file itself."
        )
    if not stat.S_ISREG(info.st_mode):
        raise BadInput(f"{source.name} is not a file (a folder or a device); add files only.")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(source, flags)  # O_NOFOLLOW: a link swapped in after the check is refused too
    except OSError as exc:
        raise BadInput(f"{source.name}: cannot be read ({exc.strerror}).") from exc
    opened = os.fstat(fd)
    if not stat.S_ISREG(opened.st_mode):
        os.close(fd)
        raise BadInput(f"{source.name} is not a file; add files only.")
    return fd, opened.st_size


def too_big(name: str, size: int, limit: int) -> BadInput:
    return BadInput(
        f"{name} is {size / 1024 / 1024:,.0f} MB; the library takes files up to "
        f"{limit // 1024 // 1024:,} MB. Make it smaller (export a shorter or compressed version)."
    )


def copy_to_temporary(stream: IO[bytes], head: bytes, folder: Path, label: str, limit: int) -> tuple[str, int, Path]:
    """Copy (and hash) into a hidden temporary file in the library folder, up to `limit` bytes; the name comes later."""
    digest = hashlib.sha256()
    # not mkstemp: its files are private (0600); library files get the usual permissions, as the umask says
    temporary = folder / f".incoming-{secrets.token_hex(8)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    copied = 0
    try:
        with os.fdopen(fd, "wb") as out:
            chunk = head
            while chunk:
                copied += len(chunk)
                if copied > limit:  # it grew while we read it
                    raise too_big(label, copied, limit)
                digest.update(chunk)
                out.write(chunk)
                chunk = stream.read(_CHUNK)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return digest.hexdigest(), copied, temporary
