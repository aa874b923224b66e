"""CSV rows read a block at a time are the rows read one by one: the same lines, cells and problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from desktop.services.conversion_source import CountedRows, CsvRows
from desktop.services.tabular import TableError, open_table

HEADER = "order_id,amount,note\n"
FILES = {
    "plain": HEADER + "".join(f"A-{n},{n}.50,x\n" for n in range(40)),
    "no final newline": HEADER + "A-1,1.00,x\nA-2,2.00,y",
    "quoted line breaks": HEADER + 'A-1,1.00,"two\nlines"\nA-2,2.00,x\nA-3,3.00,"three\r\nlines\nhere"\nA-4,4.00,x\n',
    "blank and white rows": HEADER + "A-1,1.00,x\n\n ,  , \nA-2,2.00,x\n,,\n\n\nA-3,3.00,x\n",
    "short and long rows": HEADER + "A-1,1.00\nA-2,2.00,x,,\nA-3,3.00,x,extra\nA-4\n",
    "blank lines before the header": "\n\n" + HEADER + "A-1,1.00,x\nA-2,2.00,x\n",
    "carriage returns": HEADER.replace("\n", "\r\n") + "A-1,1.00,x\r\nA-2,2.00,x\r\n",
    "a quote never closed": HEADER + 'A-1,1.00,x\nA-2,2.00,"open\nA-3,3.00,x\n',
    "a quote never closed, no final newline": HEADER + 'A-1,1.00,x\nA-2,2.00,"open\nA-3,3.00,x',
    "a quoted last cell ending the file": HEADER + 'A-1,1.00,x\nA-2,2.00,"closed\nat last"',
    "a quote opened on the last line": HEADER + 'A-1,1.00,x\nA-2,2.00,x\nA-3,3.00,"open\n',
    "a quote opened on the last line, no final newline": HEADER + 'A-1,1.00,x\nA-2,2.00,x\nA-3,3.00,"open',
    "a cell over the csv module's limit": HEADER + "A-1,1.00,x\n" + f"A-2,2.00,{'y' * 140_000}\n" + "A-3,3.00,x\n",
}


def read(path: Path, way: str, size: int = 3) -> tuple[list[tuple[int, list[str]]], Any, list[str]]:
    """(rows, the problem that stopped the reading, the problems of left-out rows)."""
    with open_table(path) as table:
        source = CsvRows(table)
        rows: list[tuple[int, list[str]]] = []
        stopped = None
        try:
            if way == "one by one":
                rows.extend(source)
            else:
                for lines, cells in source.blocks(size):
                    rows.extend(zip(lines, cells, strict=True))
        except TableError as exc:
            stopped = [str(problem) for problem in exc.problems]
        return rows, stopped, [str(problem) for problem in source.problems]


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("size", [1, 2, 3, 7, 1024])
def test_blocks_give_what_one_by_one_gives(tmp_path: Path, name: str, size: int) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(FILES[name].encode("utf-8"))
    assert read(path, "blocks", size) == read(path, "one by one")


def test_the_files_above_say_what_they_should(tmp_path: Path) -> None:
    """The comparison above is only worth something if one by one reads these files right."""
    results = {}
    for name, content in FILES.items():
        (tmp_path / name).mkdir()
        path = tmp_path / name / "orders.csv"
        path.write_bytes(content.encode("utf-8"))
        results[name] = read(path, "one by one")
    assert [line for line, _ in results["quoted line breaks"][0]] == [2, 4, 5, 8]
    assert [line for line, _ in results["blank and white rows"][0]] == [2, 5, 9]
    assert results["short and long rows"][0] == [(2, ["A-1", "1.00", ""]), (3, ["A-2", "2.00", "x"]),
                                                 (5, ["A-4", "", ""])]  # fmt: skip
    assert results["short and long rows"][2] == [
        "orders.csv, line 4: the row has 4 cells but the header has only 3 columns (is there an unquoted ',' in a "
        "value?)"
    ]
    never_closed = ["orders.csv, line 3: a quote opened here is never closed"]
    assert results["a quote never closed"][1] == results["a quote never closed, no final newline"][1] == never_closed
    assert results["a quoted last cell ending the file"][1] is None
    assert results["a quote opened on the last line"][1] == ["orders.csv, line 4: a quote opened here is never closed"]
    assert results["a quote opened on the last line, no final newline"][0][-1] == (3, ["A-2", "2.00", "x"])
    assert results["a cell over the csv module's limit"][1] == [
        "orders.csv, line 3: is not valid CSV (field larger than field limit (131072)); is a quote opened on this "
        "line never closed?"
    ]
    assert results["a cell over the csv module's limit"][0] == [(2, ["A-1", "1.00", "x"])]


def test_progress_comes_at_the_same_rows_either_way(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "".join(f"A-{n},1.00,x\n" + ("\n" if n % 7 == 0 else "") for n in range(25_000)))
    seen: dict[str, list[tuple[int, int, str]]] = {"one by one": [], "blocks": []}
    for way, calls in seen.items():
        with open_table(path) as table:
            rows = CountedRows(CsvRows(table), lambda *args, calls=calls: calls.append(args), 30_000, "Reading")
            blocks = rows.blocks(1024) if way == "blocks" else ((line, cells) for line, cells in rows)
            count = sum(len(lines) if way == "blocks" else 1 for lines, _ in blocks)
            assert count == rows.count == 25_000
    assert seen["one by one"] == seen["blocks"]
    assert [done for done, _, _ in seen["blocks"]] == [11_430, 22_858]  # the file lines of rows 10,000 and 20,000
