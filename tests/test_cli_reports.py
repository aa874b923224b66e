"""`affiliate-desk review` run in-process with its own argument parser: files written, exit codes, messages."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from test_report_helpers import build_world, pdf_pages, pdf_text

from desktop.cli_reports import add_report_parsers
from desktop.db import Database
from desktop.services.errors import BadInput, ServiceError

pytestmark = pytest.mark.usefixtures("qapp")  # the handler reuses it (a test process keeps one application)


def run(db_path: Path, *argv: str) -> int:
    """What the main command line does: parse, call the handler, turn a service error into its exit code."""
    parser = argparse.ArgumentParser(prog="affiliate-desk")
    parser.add_argument("--db")
    add_report_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["--db", str(db_path), *argv])
    try:
        return int(args.handler(args))
    except ServiceError as exc:
        print(f"affiliate-desk: {exc}")
        return exc.exit_code


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    return build_world(db)


def test_one_affiliate_into_a_file(world: dict[str, int], db_path: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    out = tmp_path / "jane.pdf"
    assert run(db_path, "review", "--period", "2026-10", "--affiliate", "jane", "-o", str(out), "--paper", "a4") == 0
    assert "Review of Jane Griffin (JANE) for October 2026 written to" in capsys.readouterr().out
    text = pdf_text(out)
    assert "Performance review" in text and "Jane Griffin (JANE)" in text and "Affiliate" in text


def test_all_active_affiliates_into_a_folder_or_one_file(world: dict[str, int], db_path: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    folder = tmp_path / "reviews"
    assert run(db_path, "review", "--period", "2026-10", "--all", "-o", str(folder)) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["review-2026-10-JANE.pdf", "review-2026-10-TOM.pdf"]
    assert "2 reviews for October 2026 written to 2 files in" in capsys.readouterr().out
    dotted = tmp_path / "reviews.2026-10"  # a folder name with a dot is no file extension
    assert run(db_path, "review", "--period", "2026-10", "--all", "-o", str(dotted)) == 0
    assert len(list(dotted.iterdir())) == 2
    combined = tmp_path / "all.pdf"
    assert run(db_path, "review", "--period", "2026-10", "--all", "--combined", "-o", str(combined),
               "--paper", "letter") == 0  # fmt: skip
    text = pdf_text(combined)
    assert "Jane Griffin (JANE)" in text and "Tom Baker (TOM)" in text and "Ada Moss" not in text  # Ada is paused
    assert pdf_pages(combined) >= 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--period", "2026-13", "--affiliate", "JANE", "-o", "{tmp}/x.pdf"], "not a period"),
        (["--period", "2026-10", "--affiliate", "NOBODY", "-o", "{tmp}/x.pdf"], "no affiliate with the code 'NOBODY'"),
        (["--period", "2026-10", "--affiliate", "JANE", "-o", "{tmp}/x.txt"], "written as a PDF"),
        (["--period", "2026-10", "--affiliate", "JANE", "-o", "{tmp}"], "written as a PDF"),
        (["--period", "2026-10", "--affiliate", "JANE", "-o", "{tmp}/none/x.pdf"], "does not exist"),
        (["--period", "2026-10", "--affiliate", "JANE", "--combined", "-o", "{tmp}/x.pdf"], "--combined goes with"),
        (["--period", "2026-10", "--all", "-o", "{tmp}/file.pdf"], "is a file"),
        (["--period", "2026-10", "--all", "-o", "{tmp}/all.pdf"], "give a folder name without .pdf, or add --combined"),
        (["--period", "2026-10", "--all", "-o", "{tmp}/reviews.zip"], "give a folder name without .zip"),
        (["--period", "2099-12", "--all", "-o", "{tmp}/out"], "has not started"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(world: dict[str, int], db_path: Path, tmp_path: Path, argv: list[str],
                                              message: str, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    (tmp_path / "file.pdf").write_bytes(b"keep me")
    before = sorted(p.name for p in tmp_path.rglob("*") if "sqlite3" not in p.name)
    assert run(db_path, "review", *(a.replace("{tmp}", str(tmp_path)) for a in argv)) == 2
    assert message in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.rglob("*") if "sqlite3" not in p.name) == before
    assert (tmp_path / "file.pdf").read_bytes() == b"keep me"


def test_the_choice_of_affiliate_is_required(db_path: Path) -> None:
    with pytest.raises(SystemExit):
        run(db_path, "review", "--period", "2026-10", "-o", "x.pdf")
    with pytest.raises(SystemExit):
        run(db_path, "review", "--period", "2026-10", "--all", "--affiliate", "JANE", "-o", "x.pdf")


def test_no_active_affiliates(db: Database, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(db_path, "review", "--period", "2026-10", "--all", "-o", str(tmp_path / "out")) == 0
    assert "no active affiliates" in capsys.readouterr().out.lower()
    assert BadInput("x").exit_code == 2
