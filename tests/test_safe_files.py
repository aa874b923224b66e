"""Tests for safe export writing: formula injection, Excel-illegal text, atomic replacement (safe_files)."""

import csv
import os
import stat
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell

from desktop.services.safe_files import (
    EXCEL_MAX_CELL_CHARS,
    FORMULA_TRIGGERS,
    atomic_path,
    atomic_write,
    csv_safe,
    excel_safe,
    set_text_cell,
)

DANGEROUS = [
    '=HYPERLINK("http://x","y")',
    "+1",
    "-2",
    "@SUM(1)",
    "\tled by a tab",
    "\rled by a carriage return",
    "\nled by a line feed",
    "=1+1",
]
HARMLESS = ["Jane Brooks", "SPRING10", "12.50", "", "a=b", "x-1", "#N/A", "TRUE"]
# "" is an empty cell once saved, so it cannot be checked as text after reloading.
NON_EMPTY_HARMLESS = [value for value in HARMLESS if value]


def leftovers(directory: Path, keep: set[str]) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name not in keep)


# --- CSV ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", DANGEROUS)
def test_csv_safe_prefixes_text_that_could_run_as_a_formula(value: str) -> None:
    assert csv_safe(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_csv_safe_leaves_other_text_alone(value: str) -> None:
    assert csv_safe(value) == value


def test_every_trigger_is_covered() -> None:
    assert {value[0] for value in DANGEROUS} == set(FORMULA_TRIGGERS)


def test_dangerous_text_written_to_csv_reads_back_prefixed(tmp_path: Path) -> None:
    path = tmp_path / "payouts.csv"
    with atomic_write(path, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["note", "amount"])
        for value in DANGEROUS:
            writer.writerow([csv_safe(value), -2])  # amounts are numbers and keep their sign
    with path.open(encoding="utf-8", newline="") as back:
        rows = list(csv.reader(back))[1:]
    assert [row[0] for row in rows] == ["'" + value for value in DANGEROUS]
    assert {row[1] for row in rows} == {"-2"}


# --- XLSX text cells ----------------------------------------------------------------------------------------


def test_excel_safe_keeps_ordinary_text_without_warnings() -> None:
    assert excel_safe("Zoë\tMüller\r\n€ 5") == ("Zoë\tMüller\r\n€ 5", [])


def test_excel_safe_removes_control_characters_with_a_warning() -> None:
    clean, warnings = excel_safe("ab\x00c\x07d\x0b\x0ce\x1f\x1bf")
    assert clean == "abcdef"
    assert warnings == ["removed 6 control characters that Excel cannot store"]
    assert excel_safe("a\x01")[1] == ["removed 1 control character that Excel cannot store"]


def test_excel_safe_removes_what_xml_cannot_carry() -> None:
    assert excel_safe("a\ud800b\uffffc")[0] == "abc"


def test_excel_safe_cuts_long_text_with_a_warning() -> None:
    clean, warnings = excel_safe("x" * 40_000)
    assert clean == "x" * EXCEL_MAX_CELL_CHARS
    assert warnings == ["cut to 32,767 characters, Excel's limit (it had 40,000)"]


def test_excel_safe_counts_emoji_as_excel_does() -> None:
    clean, warnings = excel_safe("😀" * 20_000)  # two UTF-16 units each
    assert clean == "😀" * (EXCEL_MAX_CELL_CHARS // 2)
    assert len(warnings) == 1
    assert excel_safe("x" * EXCEL_MAX_CELL_CHARS) == ("x" * EXCEL_MAX_CELL_CHARS, [])


def test_without_set_text_cell_openpyxl_would_store_a_formula() -> None:
    sheet = Workbook().active
    assert sheet is not None
    sheet["A1"] = '=HYPERLINK("http://x","y")'
    assert sheet["A1"].data_type == "f"  # the reason set_text_cell exists


def test_set_text_cell_keeps_formulas_as_text_in_a_normal_workbook(tmp_path: Path) -> None:
    path = tmp_path / "payouts.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    values = [*DANGEROUS, *NON_EMPTY_HARMLESS]
    for row, value in enumerate(values, start=1):
        assert set_text_cell(sheet.cell(row=row, column=1), value) == []
        sheet.cell(row=row, column=2, value=-2)
    with atomic_path(path) as temporary:
        workbook.save(temporary)
    assert_text_cells(path, values)


def test_set_text_cell_keeps_formulas_as_text_in_a_write_only_workbook(tmp_path: Path) -> None:
    path = tmp_path / "payouts.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Payouts")
    values = [*DANGEROUS, *NON_EMPTY_HARMLESS]
    for value in values:
        cell = WriteOnlyCell(sheet)
        assert set_text_cell(cell, value) == []
        sheet.append([cell, -2])
    with atomic_path(path) as temporary:
        workbook.save(temporary)
    assert_text_cells(path, values)


def assert_text_cells(path: Path, values: list[str]) -> None:
    sheet = load_workbook(path).worksheets[0]
    for row, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=1)
        assert cell.data_type == "s", value
        assert cell.value == value
        amount = sheet.cell(row=row, column=2)
        assert (amount.data_type, amount.value) == ("n", -2)


def test_set_text_cell_cleans_and_reports(tmp_path: Path) -> None:
    path = tmp_path / "payouts.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    warnings = set_text_cell(sheet["A1"], "=evil\x00()")
    workbook.save(path)
    assert warnings == ["removed 1 control character that Excel cannot store"]
    cell = load_workbook(path).worksheets[0]["A1"]
    assert (cell.data_type, cell.value) == ("s", "=evil()")


# --- atomic writes ------------------------------------------------------------------------------------------


def test_atomic_write_creates_the_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "payouts.csv"
    with atomic_write(path, newline="") as out:
        out.write("Zoë;5\r\n")
        assert not path.exists()
        assert len(os.listdir(tmp_path)) == 1  # the temporary file, next to the target
        [temporary] = os.listdir(tmp_path)
        assert temporary.startswith(".payouts.csv.")
    assert path.read_bytes() == "Zoë;5\r\n".encode()
    assert leftovers(tmp_path, {"payouts.csv"}) == []


def test_atomic_write_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "payouts.csv"
    path.write_text("old", encoding="utf-8")
    with atomic_write(path, encoding="cp1252") as out:
        out.write("Müller €")
    assert path.read_bytes() == "Müller €".encode("cp1252")
    assert leftovers(tmp_path, {"payouts.csv"}) == []


def test_atomic_write_binary(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    with atomic_write(path, "wb") as out:
        out.write(b"\x00\n\r\n")
    assert path.read_bytes() == b"\x00\n\r\n"


def test_atomic_write_leaves_the_old_file_intact_when_the_body_raises(tmp_path: Path) -> None:
    path = tmp_path / "payouts.csv"
    path.write_text("old content", encoding="utf-8")
    with pytest.raises(RuntimeError, match="export failed"), atomic_write(path) as out:
        out.write("half of the new content")
        raise RuntimeError("export failed")
    assert path.read_text(encoding="utf-8") == "old content"
    assert leftovers(tmp_path, {"payouts.csv"}) == []


def test_atomic_write_creates_nothing_when_the_body_raises(tmp_path: Path) -> None:
    path = tmp_path / "payouts.csv"
    with pytest.raises(KeyboardInterrupt), atomic_write(path) as out:
        out.write("x")
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_atomic_write_encoding_error_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "payouts.csv"
    with pytest.raises(UnicodeEncodeError), atomic_write(path, encoding="ascii") as out:
        out.write("€")
        out.flush()
    assert os.listdir(tmp_path) == []


def test_atomic_write_refuses_other_modes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="modes"):
        atomic_write(tmp_path / "x.csv", "a")  # type: ignore[call-overload]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_atomic_write_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = tmp_path / "payouts.csv"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o640)
    with atomic_write(path) as out:
        out.write("new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_atomic_write_new_file_follows_the_umask_not_a_private_mode(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "payouts.csv") as out:
            out.write("new")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "payouts.csv").stat().st_mode) == 0o644


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_atomic_write_through_a_symlink_replaces_the_real_file(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    with atomic_write(link) as out:
        out.write("new")
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "new"


def test_atomic_path_saves_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "payouts.xlsx"
    path.write_bytes(b"old")
    workbook = Workbook()
    with atomic_path(path) as temporary:
        assert temporary.parent == tmp_path
        assert temporary.name.startswith(".payouts.xlsx.")
        assert temporary.suffix == ".xlsx"
        workbook.save(temporary)
    assert load_workbook(path).sheetnames == ["Sheet"]
    assert leftovers(tmp_path, {"payouts.xlsx"}) == []


def test_atomic_path_leaves_the_old_file_intact_when_saving_fails(tmp_path: Path) -> None:
    path = tmp_path / "payouts.xlsx"
    path.write_bytes(b"old")
    with pytest.raises(OSError, match="disk full"), atomic_path(path) as temporary:
        temporary.write_bytes(b"partial")
        raise OSError("disk full")
    assert path.read_bytes() == b"old"
    assert leftovers(tmp_path, {"payouts.xlsx"}) == []


def test_no_file_is_written_over_a_database(tmp_path: Path) -> None:
    import sqlite3

    import pytest

    from desktop.services.errors import BadInput
    from desktop.services.safe_files import atomic_path, atomic_write

    database = tmp_path / "shop.sqlite3"
    sqlite3.connect(database).execute("CREATE TABLE t (x)").connection.close()
    before = database.read_bytes()
    with pytest.raises(BadInput, match="is a database"), atomic_write(database, "w") as fh:
        fh.write("order_id\n")
    with pytest.raises(BadInput, match="is a database"), atomic_path(database):
        pass
    assert database.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["shop.sqlite3"]


def test_a_missing_folder_is_named_before_any_work(tmp_path: Path) -> None:
    import pytest

    from desktop.services.errors import BadInput
    from desktop.services.safe_files import atomic_path, atomic_write, check_target

    target = tmp_path / "no such folder" / "payouts.csv"
    message = f"the folder {target.parent} does not exist"
    with pytest.raises(BadInput, match=message):
        check_target(target)
    with pytest.raises(BadInput, match=message), atomic_write(target, "w") as fh:
        fh.write("x")
    with pytest.raises(BadInput, match=message), atomic_path(target):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_folder_this_account_may_not_write_in_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from desktop.services import safe_files
    from desktop.services.errors import BadInput

    def refused(*args: object) -> int:  # what os.open says in a read-only folder (root is never refused)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(safe_files.os, "open", refused)
    with pytest.raises(BadInput, match=f"may not write in {tmp_path}"), safe_files.atomic_write(
        tmp_path / "x.csv", "w"
    ) as fh:
        fh.write("x")
    monkeypatch.setattr(safe_files.os, "open", os.open)
    assert list(tmp_path.iterdir()) == []
