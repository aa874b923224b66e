"""Tests for reading user-supplied CSV and XLSX tables (desktop.services.tabular)."""

import datetime as dt
import pickle
import struct
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook

from desktop.services import tabular
from desktop.services.tabular import Problem, TableError, float_text, normalise_header, open_table


def read_all(path: Path, **kwargs: str) -> tuple[list[str], list[tuple[int, list[str]]], list[Problem]]:
    with open_table(path, **kwargs) as table:
        rows = list(table.rows())
        return table.header, rows, table.problems


# --- CSV ----------------------------------------------------------------------------------------------------


def test_utf8_with_bom_is_detected_and_the_bom_is_not_part_of_the_header(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes("\ufeffName,Total\n#1001,19.90\n".encode())
    with open_table(path) as table:
        assert table.encoding == "utf-8-sig"
        assert table.kind == "csv"
        assert table.header == ["Name", "Total"]
        assert list(table.rows()) == [(2, ["#1001", "19.90"])]


def test_plain_utf8(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes("Name,Billing Name\n#1,Zoë Šimić €\n".encode())
    with open_table(path) as table:
        assert table.encoding == "utf-8"
        assert list(table.rows()) == [(2, ["#1", "Zoë Šimić €"])]


def test_cp1252_bytes_are_decoded_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("Name;Betrag\nMüller;5 €\n".encode("cp1252"))
    header, rows, _ = read_all(path)
    with open_table(path) as table:
        assert table.encoding == "cp1252"
    assert header == ["Name", "Betrag"]
    assert rows == [(2, ["Müller", "5 €"])]


def test_a_late_non_utf8_byte_still_switches_the_whole_file_to_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    body = b"".join(b"%d,plain ascii\n" % n for n in range(40_000))  # far more than one scan chunk
    path.write_bytes(b"id,name\n" + body + b"99,M\xfcller\n")
    with open_table(path) as table:
        assert table.encoding == "cp1252"
        last = list(table.rows())[-1]
    assert last == (40_002, ["99", "Müller"])


def _ascii_lines(size: int, start: bytes = b"") -> bytes:
    """`start`, then lines "1,aaa…" of exactly `size` bytes in all, ending with a line break and "2,"."""
    body = start + b"1," + b"a" * 98 + b"\n"
    while len(body) + 101 + 2 <= size:
        body += b"1," + b"a" * 98 + b"\n"
    body += b"1," + b"a" * (size - len(body) - 5) + b"\n2,"
    assert len(body) == size
    return body


@pytest.mark.parametrize(
    ("cut", "after", "encoding"),
    [
        ("é".encode(), b"", "utf-8"),  # a UTF-8 character across two chunks
        (b"\xc3", b"", "cp1252"),  # a UTF-8 start byte that nothing follows
        (b"\xc3", b"\xa9", "cp1252"),  # ... and a chunk of plain ASCII before the byte that would complete it
    ],
)
def test_a_character_cut_by_the_scan_chunks_is_judged_whole(
    tmp_path: Path, cut: bytes, after: bytes, encoding: str
) -> None:
    """Plain ASCII chunks are skipped: not while a character begun in the chunk before is still open."""
    chunk = tabular._SCAN_CHUNK_BYTES
    first = _ascii_lines(chunk - 1, b"id,name\n") + cut  # the cut character ends the first chunk
    middle = b"\n" + _ascii_lines(chunk - 1) if after else b""  # a whole chunk of ASCII, up to "2,"
    path = tmp_path / "cut.csv"
    path.write_bytes(first + middle + after + b"\n" + b"3,plain ascii\n" * 30_000)
    with open_table(path) as table:
        assert table.encoding == encoding
        values = [cells[1] for _line, cells in table.rows() if cells[0] == "2"]
    assert values == [cut.decode(encoding)] + ([after.decode(encoding)] if after else [])


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "stripe.csv"
    path.write_text("id\tAmount\nch_1\t399,00\n", encoding="utf-16")
    with open_table(path) as table:
        assert table.encoding == "utf-16"
        assert table.delimiter == "\t"
        assert list(table.rows()) == [(2, ["ch_1", "399,00"])]


def test_bytes_that_are_neither_utf8_nor_cp1252_are_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(b"a,b\n1,2\n3,\x81\xff\n")
    with pytest.raises(TableError) as caught:
        open_table(path)
    assert caught.value.problems[0].line == 3


def test_binary_file_named_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(TableError, match="not a text"):
        open_table(path)


@pytest.mark.parametrize(
    ("delimiter", "text"),
    [
        (";", 'Name;Amount;Note\n#1;"12,50";"a; b"\n'),
        ("\t", "Name\tAmount\tNote\n#1\t12,50\ta; b\n"),
        ("|", "Name|Amount|Note\n#1|12,50|a; b\n"),
        (",", 'Name,Amount,Note\n#1,"12,50",a; b\n'),
    ],
)
def test_delimiter_is_detected_from_the_header_line(tmp_path: Path, delimiter: str, text: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")
    with open_table(path) as table:
        assert table.delimiter == delimiter
        assert table.header == ["Name", "Amount", "Note"]
        assert list(table.rows()) == [(2, ["#1", "12,50", "a; b"])]


def test_delimiter_inside_quoted_header_names_does_not_count(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text('"a,b,c";"d"\n1;2\n', encoding="utf-8")
    with open_table(path) as table:
        assert table.delimiter == ";"
        assert table.header == ["a,b,c", "d"]


def test_quoted_multiline_fields_report_the_physical_line_they_start_on(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(
        b"Name,Notes,Total\r\n"  # 1
        b'#1,"first line\r\nsecond line\r\nthird line",10\r\n'  # 2-4
        b"\r\n"  # 5, blank
        b'#2,"x\ny",20\r\n'  # 6-7
        b"#3,plain,30\r\n"  # 8
    )
    header, rows, problems = read_all(path)
    assert header == ["Name", "Notes", "Total"]
    assert [line for line, _ in rows] == [2, 6, 8]
    assert rows[0][1] == ["#1", "first line\r\nsecond line\r\nthird line", "10"]
    assert problems == []


def test_blank_lines_and_lines_of_empty_cells_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("\n\nName;Total;;\n;;;\n\n#1;5;;\n   \n", encoding="utf-8")
    header, rows, problems = read_all(path)
    assert header == ["Name", "Total"]  # trailing empty header cells, as Excel writes them, are dropped
    assert rows == [(6, ["#1", "5"])]
    assert problems == []


def test_short_rows_are_padded_and_cells_keep_their_text(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(" Name , Total ,Note\n#1, 5 \n", encoding="utf-8")
    header, rows, _ = read_all(path)
    assert header == ["Name", "Total", "Note"]
    assert rows == [(2, ["#1", " 5 ", ""])]


def test_a_row_with_more_cells_than_the_header_is_a_problem_and_not_yielded(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("Name,Amount\n#1,5\n#2,12,50\n#3,7,,\n#4,8\n", encoding="utf-8")
    with open_table(path) as table:
        rows = list(table.rows())
        assert rows == [(2, ["#1", "5"]), (4, ["#3", "7"]), (5, ["#4", "8"])]
        assert table.problems == [
            Problem(
                "orders.csv",
                3,
                None,
                "the row has 3 cells but the header has only 2 columns"
                " (is there an unquoted ',' in a value?)",
            )
        ]
        with pytest.raises(TableError) as caught:
            table.raise_for_problems()
    assert str(caught.value).startswith("orders.csv, line 3: the row has 3 cells")


def test_problems_are_visible_before_the_next_row_is_yielded(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("a,b\n1,2,3\n4,5\n", encoding="utf-8")
    with open_table(path) as table:
        rows = table.rows()
        assert next(rows) == (3, ["4", "5"])
        assert [problem.line for problem in table.problems] == [2]


def test_problem_list_is_capped_but_every_problem_is_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tabular, "MAX_LISTED_PROBLEMS", 3)
    path = tmp_path / "orders.csv"
    path.write_text("a\n" + "1,2\n" * 10, encoding="utf-8")
    with open_table(path) as table:
        assert list(table.rows()) == []
        assert len(table.problems) == 3
        assert table.problem_count == 10
        with pytest.raises(TableError) as caught:
            table.raise_for_problems()
    assert str(caught.value).splitlines()[-1] == "orders.csv: 7 more rows with problems not listed"


def test_no_problems_means_raise_for_problems_is_silent(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with open_table(path) as table:
        list(table.rows())
        table.raise_for_problems()


def test_an_unclosed_quote_stops_the_import_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text('Name,Note\n#1,ok\n#2,"never closed\n#3,lost\n#4,lost\n', encoding="utf-8")
    with open_table(path) as table:
        rows = table.rows()
        assert next(rows) == (2, ["#1", "ok"])
        with pytest.raises(TableError, match="line 3: a quote opened on this line is never closed"):
            next(rows)


def test_last_line_without_newline_is_read(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text('Name,Note\n#1,"closed"', encoding="utf-8")
    assert read_all(path)[1] == [(2, ["#1", "closed"])]


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf", b",,,\n,,\n"])
def test_empty_file_or_no_header_is_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(TableError, match="^empty.csv: is empty: there is no header row$"):
        open_table(path)


def test_missing_file_is_a_table_error(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="nothing.csv: cannot be opened"):
        open_table(tmp_path / "nothing.csv")


def test_rows_can_be_iterated_only_once(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with open_table(path) as table:
        list(table.rows())
        with pytest.raises(RuntimeError):
            table.rows()


def test_reading_a_large_csv_keeps_memory_flat(tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    line = "#{n},customer{n}@example.com,paid,2026-10-01 10:00:00 +0000,EUR,{n}.50,SPRING{n}\n"
    with path.open("w", encoding="utf-8") as out:
        out.write("Name,Email,Financial Status,Paid at,Currency,Total,Discount Code\n")
        for n in range(200_000):
            out.write(line.format(n=n))
    assert path.stat().st_size > 12_000_000
    tracemalloc.start()
    try:
        with open_table(path) as table:
            count = sum(1 for _ in table.rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < 4_000_000


# --- Problem, TableError, names -----------------------------------------------------------------------------


def test_problem_text() -> None:
    problem = Problem("orders.csv", 12, "amount", "'12,5x' is not an amount")
    assert str(problem) == "orders.csv, line 12, column 'amount': '12,5x' is not an amount"
    assert str(Problem("orders.csv", None, None, "is empty")) == "orders.csv: is empty"
    assert str(Problem("orders.csv", 3, None, "bad row")) == "orders.csv, line 3: bad row"
    assert str(Problem("payouts.xlsx", 4, "Total", "bad")) == "payouts.xlsx, row 4, column 'Total': bad"


def test_table_error_lists_problems_one_per_line_and_pickles() -> None:
    error = TableError([Problem("a.csv", 2, None, "one"), Problem("a.csv", 5, "x", "two")])
    assert str(error) == "a.csv, line 2: one\na.csv, line 5, column 'x': two"
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Lineitem quantity", "lineitem_quantity"),
        ("  lineitem_QUANTITY ", "lineitem_quantity"),
        ("Lineitem - quantity", "lineitem_quantity"),
        ("order__total", "order_total"),
        ("Created date (UTC)", "created_date_(utc)"),
        ("affiliate (metadata)", "affiliate_(metadata)"),
    ],
)
def test_normalise_header(name: str, key: str) -> None:
    assert normalise_header(name) == key


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (19.9, "19.9"),
        (20.0, "20"),
        (-0.0, "0"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e-05, "0.00001"),
        (1e16, "10000000000000000"),
        (-3.25, "-3.25"),
    ],
)
def test_float_text(value: float, text: str) -> None:
    assert float_text(value) == text


# --- XLSX ---------------------------------------------------------------------------------------------------


def write_workbook(path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Orders"
    sheet.append([])  # a blank first row: the header is the first non-empty row
    sheet.append(["Name", " Total ", "Qty", "Paid at", "Day", "Refunded", "Note"])
    sheet.append(["#1001", 19.9, 12, dt.datetime(2026, 10, 1, 10, 0), dt.date(2026, 10, 1), False, None])
    sheet.append(
        ["#1002", 20.0, 3, dt.datetime(2026, 10, 2, 0, 0), dt.date(2026, 10, 2), True, "=HYPERLINK(1)"]
    )
    sheet.append([])
    sheet.append(["#1003", 1e-05, -4, None, None, None, "after a blank row"])
    sheet["C20"].number_format = "0.00"  # formatting only: a trailing empty row to ignore
    other = workbook.create_sheet("Payouts")
    other.append(["Affiliate", "Amount"])
    other.append(["Jane", 10.5])
    workbook.save(path)


def test_xlsx_cells_become_text_without_float_artefacts(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    write_workbook(path)
    with open_table(path) as table:
        assert (table.kind, table.encoding, table.delimiter, table.sheet) == ("xlsx", None, None, "Orders")
        assert table.header == ["Name", "Total", "Qty", "Paid at", "Day", "Refunded", "Note"]
        rows = list(table.rows())
        assert table.problems == []
    assert rows == [
        (3, ["#1001", "19.9", "12", "2026-10-01T10:00:00", "2026-10-01", "FALSE", ""]),
        (4, ["#1002", "20", "3", "2026-10-02T00:00:00", "2026-10-02", "TRUE", ""]),
        (6, ["#1003", "0.00001", "-4", "", "", "", "after a blank row"]),
    ]


def test_xlsx_other_sheet_by_name(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    write_workbook(path)
    header, rows, _ = read_all(path, sheet="Payouts")
    assert header == ["Affiliate", "Amount"]
    assert rows == [(2, ["Jane", "10.5"])]


def test_xlsx_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    write_workbook(path)
    with pytest.raises(TableError, match="no worksheet named 'Nope' \\(worksheets: 'Orders', 'Payouts'\\)"):
        open_table(path, sheet="Nope")


def test_xlsx_row_beyond_the_header_is_a_problem_with_its_row_number(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Name", "Total"])
    sheet.append(["#1", 5])
    sheet.append(["#2", 6, "stray"])
    workbook.save(path)
    with open_table(path) as table:
        assert list(table.rows()) == [(2, ["#1", "5"])]
        assert [(p.line, str(p)) for p in table.problems] == [
            (3, "orders.xlsx, row 3: the row has 3 cells but the header has only 2 columns")
        ]


def test_empty_workbook_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    Workbook().save(path)
    with pytest.raises(TableError, match="is empty"):
        open_table(path)


def test_xlsx_with_another_suffix_is_recognised_by_its_signature(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    write_workbook(path)
    renamed = path.rename(tmp_path / "orders.export")
    with open_table(renamed) as table:
        assert table.kind == "xlsx"


def test_damaged_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(TableError, match="orders.xlsx: is damaged or is not an Excel .xlsx workbook"):
        open_table(path)


def test_truncated_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    write_workbook(path)
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(TableError, match="is damaged"):
        open_table(path)


def test_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("holiday.txt", "not a spreadsheet")
    with pytest.raises(TableError, match="is a ZIP archive but not an Excel .xlsx workbook"):
        open_table(path)


def test_old_xls_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "orders.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500)
    with pytest.raises(TableError, match="save it as .xlsx or CSV"):
        open_table(path)


def test_zip_declaring_a_huge_uncompressed_size_is_refused_before_loading(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 3_000_000_000)  # uncompressed size in the central directory
    path.write_bytes(bytes(data))
    with pytest.raises(
        TableError, match=r"would unpack to 3,000,000,0\d\d bytes, more than the 1,073,741,824"
    ):
        open_table(path)


def test_size_limit_applies_to_a_real_workbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "orders.xlsx"
    write_workbook(path)
    monkeypatch.setattr(tabular, "MAX_XLSX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(TableError, match="it was not opened"):
        open_table(path)


def test_openpyxl_parses_through_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML
