"""Writing exports safely: no formulas smuggled in through text, and files replaced whole or not at all."""

import os
import re
import secrets
import stat
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, Protocol, TextIO, overload

from desktop.services.errors import BadInput

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
EXCEL_MAX_CELL_CHARS = 32_767
_SQLITE_HEADER = b"SQLite format 3\x00"

# Control characters openpyxl refuses, plus what XML cannot carry at all (lone surrogates, U+FFFE, U+FFFF).
_ILLEGAL_IN_XLSX = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TEXT_MODES = frozenset({"w", "wt"})
_BINARY_MODES = frozenset({"wb"})


class TextCell(Protocol):
    """What set_text_cell needs of an openpyxl cell (a normal Cell or a WriteOnlyCell)."""

    value: Any
    data_type: str


def csv_safe(value: str) -> str:
    """Text for a CSV cell that no spreadsheet will run as a formula ("=1+1" -> "'=1+1").

    Only for text: amounts are written as numbers and must keep their minus sign.
    """
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def excel_safe(value: str) -> tuple[str, list[str]]:
    """Text openpyxl and Excel can store, and human-readable warnings about anything that had to change."""
    warnings: list[str] = []
    clean, removed = _ILLEGAL_IN_XLSX.subn("", value)
    if removed:
        noun = "character" if removed == 1 else "characters"
        warnings.append(f"removed {removed} control {noun} that Excel cannot store")
    cut = _cut_to_excel_limit(clean)
    if len(cut) < len(clean):
        warnings.append(f"cut to {EXCEL_MAX_CELL_CHARS:,} characters, Excel's limit (it had {len(clean):,})")
    return cut, warnings


def _cut_to_excel_limit(text: str) -> str:
    # Excel counts UTF-16 code units, so characters outside the BMP (emoji) count twice.
    if len(text) <= EXCEL_MAX_CELL_CHARS // 2:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > EXCEL_MAX_CELL_CHARS:
            return text[:index]
    return text


def set_text_cell(cell: TextCell, value: str) -> list[str]:
    """Write `value` as a text cell (never a formula or error value) and return excel_safe's warnings."""
    clean, warnings = excel_safe(value)
    cell.value = clean
    # openpyxl turns text starting with "=" into a formula and "#N/A" into an error; the type makes it text.
    cell.data_type = "s"
    return warnings


@overload
def atomic_write(
    path: Path | str,
    mode: Literal["w", "wt"] = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
) -> AbstractContextManager[TextIO]: ...


@overload
def atomic_write(
    path: Path | str,
    mode: Literal["wb"],
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
) -> AbstractContextManager[BinaryIO]: ...


def atomic_write(
    path: Path | str, mode: str = "w", *, encoding: str | None = "utf-8", newline: str | None = None
) -> AbstractContextManager[IO[Any]]:
    """Open a temporary file next to `path`; on success it is synced and renamed over `path`.

    If the `with` body raises, the temporary file is removed and an existing `path` is left untouched.
    `encoding` and `newline` apply to text mode only ("w"); "wb" gives a binary file.
    """
    if mode not in _TEXT_MODES | _BINARY_MODES:
        raise ValueError(f"atomic_write supports the modes 'w' and 'wb', not {mode!r}")
    return _atomic_write(Path(path), mode, encoding, newline)


@contextmanager
def _atomic_write(path: Path, mode: str, encoding: str | None, newline: str | None) -> Iterator[IO[Any]]:
    target = _real_target(path)
    temporary, descriptor = _reserve_temporary(target)
    stream: IO[Any] | None = None
    try:
        if mode in _BINARY_MODES:
            stream = os.fdopen(descriptor, "wb")
        else:
            stream = os.fdopen(descriptor, "w", encoding=encoding, newline=newline)
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        if stream is None:  # fdopen failed (a bad encoding, say); otherwise the stream owns the descriptor
            os.close(descriptor)
        with suppress(OSError):
            temporary.unlink()
        raise
    _sync_directory(target.parent)


def atomic_path(path: Path | str) -> AbstractContextManager[Path]:
    """A temporary path next to `path` for libraries that save to a path (`workbook.save(tmp)`).

    It ends in the target's suffix for libraries that pick a format from it. On success the file is synced and
    renamed over `path`; if the `with` body raises, it is removed and an existing `path` is left untouched.
    """
    return _atomic_path(Path(path))


@contextmanager
def _atomic_path(path: Path) -> Iterator[Path]:
    target = _real_target(path)
    temporary, descriptor = _reserve_temporary(target)
    os.close(descriptor)
    try:
        yield temporary
        _sync_file(temporary)
        os.replace(temporary, target)
    except BaseException:
        with suppress(OSError):
            temporary.unlink()
        raise
    _sync_directory(target.parent)


def _real_target(path: Path) -> Path:
    # Replacing a symlink would turn it into a plain file; write where it points instead.
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def check_target(path: Path | str) -> None:
    """Refuse, before any work, a target that atomic_write or atomic_path would refuse (see _refuse_target)."""
    _refuse_target(_real_target(Path(path)))


def _refuse_target(target: Path) -> None:
    """No export replaces a folder or a database (an export named after the open database destroyed it)."""
    if target.is_dir():
        raise BadInput(f"{target} is a folder: give a file name in it; nothing was written")
    if not target.parent.is_dir():
        raise BadInput(f"the folder {target.parent} does not exist: choose one that does; nothing was written")
    try:
        with target.open("rb") as fh:
            header = fh.read(len(_SQLITE_HEADER))
    except OSError:  # not there yet (or unreadable: the rename will say so)
        return
    if header == _SQLITE_HEADER:
        raise BadInput(f"{target} is a database (an Affiliate Desk file or another SQLite file): choose another "
                       "file name; nothing was written")  # fmt: skip


def _reserve_temporary(target: Path) -> tuple[Path, int]:
    """Create a hidden, uniquely named file in the target's directory (so os.replace stays one rename)."""
    _refuse_target(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp{target.suffix}")
        try:
            # 0o666 lets the umask decide, as for any new file; mkstemp would make it private (0o600).
            descriptor = os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue
        except (FileNotFoundError, NotADirectoryError):
            raise BadInput(
                f"the folder {target.parent} does not exist: choose one that does; nothing was written"
            ) from None
        except PermissionError:
            raise BadInput(f"this account may not write in {target.parent}: choose another folder; nothing was "
                           "written") from None  # fmt: skip
        break
    try:
        if target.exists():
            os.chmod(temporary, stat.S_IMODE(target.stat().st_mode))
    except OSError:
        os.close(descriptor)
        temporary.unlink()
        raise
    return temporary, descriptor


def _sync_file(path: Path) -> None:
    # Opened for writing because Windows cannot flush a read-only handle.
    descriptor = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX only; there is no directory handle to sync on Windows)."""
    if os.name != "posix":
        return
    with suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
