"""Affiliates CSV/XLSX import and export (affiliate_files): real files in tmp_path, a real SQLite database."""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from desktop.db import Database
from desktop.models import Affiliate, Base, CommissionPlan, CouponCode, SocialProfile, StatusChange, Tag
from desktop.services.affiliate_files import (
    COLUMNS,
    export_affiliates,
    import_affiliates,
    preview_affiliate_import,
)
from desktop.services.errors import BadInput

TABLES = [Base.metadata.tables[name] for name in
          ("affiliate", "social_profile", "coupon_code", "tag", "affiliate_tag", "status_change")]
DANGEROUS_NAMES = ['=HYPERLINK("http://x","y")', "+1", "@SUM(1)", "-2 minus", "=1+1"]


def write_csv(path: Path, rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Partners"
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every affiliate-related table, to prove a refused import changed nothing."""
    with db.read() as session:
        return {
            table.name: [tuple(row) for row in session.execute(select(table).order_by(*table.primary_key.columns))]
            for table in TABLES
        }


def affiliates(db: Database) -> dict[str, Affiliate]:
    from sqlalchemy.orm import selectinload

    with db.read() as session:
        rows = session.scalars(
            select(Affiliate).options(
                selectinload(Affiliate.tags), selectinload(Affiliate.coupons), selectinload(Affiliate.socials)
            )
        ).all()
        session.expunge_all()  # keep the loaded values after the read session ends
        return {row.code: row for row in rows}


def history(db: Database, code: str) -> list[tuple[str | None, str, str | None]]:
    with db.read() as session:
        stmt = (
            select(StatusChange.from_status, StatusChange.to_status, StatusChange.reason)
            .join(Affiliate, Affiliate.id == StatusChange.affiliate_id)
            .where(Affiliate.code == code)
            .order_by(StatusChange.id)
        )
        return [tuple(row) for row in session.execute(stmt)]  # type: ignore[misc]


@pytest.fixture
def plans(db: Database) -> Database:
    with db.write() as session:
        now = datetime(2024, 1, 1)
        session.add_all([
            CommissionPlan(name="VIP", position=2, created_at=now),
            CommissionPlan(name="Standard", position=1, created_at=now),
        ])
    return db


@pytest.fixture
def jane(plans: Database) -> Database:
    """An existing affiliate with a coupon, a tag and an Instagram profile."""
    with plans.write() as session:
        tag = Tag(name="Hiking")
        affiliate = Affiliate(code="JANE", name="Jane Brooks", email="jane@example.com", status="active",
                              website="https://jane.example", total_followers=500, tags=[tag])
        affiliate.coupons = [CouponCode(code="JANE10", code_key="JANE10")]
        affiliate.socials = [SocialProfile(platform="instagram", handle="@jane", followers=500)]
        session.add(affiliate)
    return plans


def problems_of(db: Database, path: Path) -> list[tuple[int | None, str | None, str]]:
    preview = preview_affiliate_import(db, path)
    return [(p.line, p.column, p.message) for p in preview.problems]


def assert_refused(db: Database, path: Path) -> BadInput:
    before = dump(db)
    with pytest.raises(BadInput) as caught:
        import_affiliates(db, path)
    assert dump(db) == before
    return caught.value


# --- reading all kinds of files -----------------------------------------------------------------------------


def test_utf8_bom_csv_creates_affiliates_with_defaults(plans: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "partners.csv",
        [
            ["Code", "Name", "Email", "Coupon Codes", "Tags", "Instagram", "instagram_followers", "YouTube",
             "youtube_followers", "Joined_On"],
            ["zoe", "Zoë Ångström", "zoe@example.com", "ZOE10; zoe-summer", "hiking;Camping", "@zoe", "12,300",
             "https://youtube.com/@zoe", "700", "2024-03-05"],
            ["MAX_1", "Max", "", "", "", "", "", "", "", ""],
        ],
        encoding="utf-8-sig",
    )
    preview = preview_affiliate_import(plans, path)
    assert preview.ok, preview.problems
    assert (preview.kind, preview.encoding, preview.delimiter) == ("csv", "utf-8-sig", ",")
    assert (preview.new, preview.updated, preview.unchanged) == (2, 0, 0)
    assert ("Coupon Codes", COLUMNS["coupon_codes"]) in preview.columns
    assert preview.sample[0][1] == "Zoë Ångström"
    assert dump(plans)["affiliate"] == []  # a preview writes nothing

    result = import_affiliates(plans, path)
    assert (result.new, result.updated, result.unchanged) == (2, 0, 0)
    rows = affiliates(plans)
    zoe = rows["zoe"]
    assert zoe.name == "Zoë Ångström"
    assert zoe.status == "active"
    assert zoe.payee_email == "zoe@example.com"
    assert zoe.joined_on == date(2024, 3, 5)
    assert sorted(c.code for c in zoe.coupons) == ["ZOE10", "zoe-summer"]
    assert sorted(c.code_key for c in zoe.coupons) == ["ZOE-SUMMER", "ZOE10"]
    assert sorted(t.name for t in zoe.tags) == ["Camping", "hiking"]
    socials = {s.platform: (s.handle, s.url, s.followers) for s in zoe.socials}
    assert socials == {"instagram": ("@zoe", None, 12300), "youtube": (None, "https://youtube.com/@zoe", 700)}
    assert zoe.total_followers == 13000
    with plans.read() as session:
        standard = session.scalars(select(CommissionPlan.id).where(CommissionPlan.name == "Standard")).one()
    assert zoe.plan_id == standard  # the first plan by position
    assert rows["MAX_1"].email is None and rows["MAX_1"].total_followers == 0
    assert history(plans, "zoe") == [(None, "active", "import from partners.csv")]


def test_cp1252_csv(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "excel.csv", [["code", "name"], ["MUE", "Jürgen Müller"]], encoding="cp1252")
    preview = preview_affiliate_import(db, path)
    assert preview.encoding == "cp1252" and preview.ok
    import_affiliates(db, path)
    assert affiliates(db)["MUE"].name == "Jürgen Müller"
    assert affiliates(db)["MUE"].plan_id is None  # no plans in the program yet


def test_semicolon_delimiter(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "semi.csv",
        [["code", "name", "coupon_codes", "tiktok_followers"], ["A1", "Anna", "A10;A20", "1.500"]],
        delimiter=";",
    )
    preview = preview_affiliate_import(db, path)
    assert preview.delimiter == ";" and preview.ok, preview.problems
    import_affiliates(db, path)
    anna = affiliates(db)["A1"]
    assert sorted(c.code for c in anna.coupons) == ["A10", "A20"]
    assert anna.total_followers == 1500


def test_excel_made_xlsx(plans: Database, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "partners.xlsx",
        [
            ["NAME", "Code", "Status", "Plan", "Joined On", "Instagram Followers", "Phone", "Niches"],
            ["Lena Fischer", "LENA", "Screening", "vip", datetime(2023, 11, 2), 4200, "+49 30 1234", "yoga; hiking"],
            [None, None, None, None, None, None, None, None],
            ["Omar", "OMAR", None, None, None, None, None, None],
        ],
    )
    preview = preview_affiliate_import(plans, path)
    assert preview.ok, preview.problems
    assert (preview.kind, preview.new) == ("xlsx", 2)
    import_affiliates(plans, path)
    rows = affiliates(plans)
    lena = rows["LENA"]
    assert (lena.status, lena.joined_on, lena.phone, lena.niches) == (
        "screening", date(2023, 11, 2), "+49 30 1234", "yoga; hiking")
    assert [(s.platform, s.handle, s.followers) for s in lena.socials] == [("instagram", None, 4200)]
    assert lena.total_followers == 4200
    assert lena.plan_id != rows["OMAR"].plan_id  # "vip" named its plan; Omar got the default


def test_unreadable_file_is_a_problem_not_a_crash(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    preview = preview_affiliate_import(db, path)
    assert not preview.ok and "Excel 97-2003" in preview.problems[0].message
    assert_refused(db, path)


# --- refused files ------------------------------------------------------------------------------------------


def test_duplicate_codes_in_one_file_name_both_lines(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dupes.csv", [["code", "name"], ["abc", "One"], ["XYZ", "Two"], ["ABC", "Three"]])
    assert problems_of(db, path) == [(4, "code", "code 'ABC' is on lines 2 and 4; codes must be unique")]
    error = assert_refused(db, path)
    assert "dupes.csv, line 4, column 'code'" in str(error)


def test_unknown_and_missing_columns(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cols.csv", [["code", "Favourite Colour"], ["A", "blue"]])
    problems = problems_of(db, path)
    assert problems[0][:2] == (1, "Favourite Colour")
    assert problems[0][2].startswith("unknown column 'Favourite Colour'")
    assert (1, None, "the required column 'name' is missing") in problems
    assert_refused(db, path)


def test_every_bad_value_is_reported_with_line_and_column(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [
            ["code", "name", "status", "email", "joined_on", "x_followers", "plan"],
            ["ok-1", "Fine", "Active", "a@b.co", "2024-02-29", "12 300", ""],
            ["bad code", "X", "", "", "", "", ""],
            ["B", "", "retired", "not-an-email", "05/03/2024", "12.5", ""],
            ["C", "Cee", "", "", "2023-02-30", "-4", "Gold"],
        ],
    )
    problems = problems_of(db, path)
    columns = [(line, column) for line, column, _ in problems]
    assert columns == [(3, "code"), (4, "name"), (4, "status"), (4, "email"), (4, "joined_on"), (4, "x_followers"),
                       (5, "joined_on"), (5, "x_followers")]
    assert "unknown status 'retired'" in problems[2][2]
    assert_refused(db, path)
    # With only the plan wrong, the database check names it.
    fixed = write_csv(tmp_path / "plan.csv", [["code", "name", "plan"], ["C", "Cee", "Gold"]])
    assert problems_of(db, fixed) == [(2, "plan", "unknown plan 'Gold' (there are no commission plans yet)")]


def test_a_joining_date_in_the_future_is_refused_like_in_the_form(db: Database, tmp_path: Path) -> None:
    """The affiliate form says "Cannot be in the future": an import must not store a record the form cannot save."""
    path = write_csv(tmp_path / "future.csv", [["code", "name", "joined_on"], ["FUT1", "Future", "2099-01-01"],
                                               ["TODAY", "Today", date.today().isoformat()]])  # fmt: skip
    [(line, column, message)] = problems_of(db, path)
    assert (line, column) == (2, "joined_on") and message.startswith("'2099-01-01' is in the future (today is ")
    error = assert_refused(db, path)
    assert "future.csv, line 2, column 'joined_on': '2099-01-01' is in the future" in str(error)


def test_coupon_of_another_affiliate_is_refused_and_nothing_changes(jane: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "coupons.csv",
        [["code", "name", "coupon_codes"], ["NEW1", "Newbie", "jane10"], ["NEW2", "Other", "FREE;X1"],
         ["NEW3", "Third", "free"]],
    )
    problems = problems_of(jane, path)
    assert problems == [
        (2, "coupon_codes", "coupon 'jane10' already belongs to affiliate JANE"),
        (4, "coupon_codes", "coupon 'free' is given on lines 3 and 4"),
    ]
    error = assert_refused(jane, path)
    assert len(error.problems) == 2


def test_coupon_can_move_when_its_owner_gives_it_up_in_the_same_file(jane: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "move.csv", [["code", "name", "coupon_codes"], ["NEW1", "Newbie", "JANE10"], ["jane", "Jane", ""]]
    )
    import_affiliates(jane, path)
    rows = affiliates(jane)
    assert [c.code for c in rows["NEW1"].coupons] == ["JANE10"] and rows["JANE"].coupons == []


# --- updates ------------------------------------------------------------------------------------------------


def test_existing_code_is_updated_only_in_the_columns_given(jane: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "update.csv",
        [["code", "name", "status", "tags", "instagram_followers", "tiktok"],
         ["jane", "Jane B.", "paused", "vip; HIKING", "800", "@janeb"]],
    )
    preview = preview_affiliate_import(jane, path)
    assert (preview.new, preview.updated, preview.unchanged) == (0, 1, 0)
    import_affiliates(jane, path)
    rows = affiliates(jane)
    assert list(rows) == ["JANE"]  # updated, not duplicated; the stored spelling of the code stays
    updated = rows["JANE"]
    assert (updated.name, updated.status, updated.email) == ("Jane B.", "paused", "jane@example.com")
    assert updated.website == "https://jane.example" and [c.code for c in updated.coupons] == ["JANE10"]
    assert sorted(t.name for t in updated.tags) == ["Hiking", "vip"]  # an existing tag is reused whatever its case
    socials = {s.platform: (s.handle, s.followers) for s in updated.socials}
    assert socials == {"instagram": ("@jane", 800), "tiktok": ("@janeb", 0)}
    assert updated.total_followers == 800
    assert history(jane, "JANE") == [("active", "paused", "import from update.csv")]
    with jane.read() as session:
        assert len(session.scalars(select(Tag)).all()) == 2


def test_reimport_is_idempotent(plans: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "same.csv",
        [["code", "name", "email", "payee_email", "coupon_codes", "tags", "blog", "blog_followers", "niches"],
         ["S1", "Sam", "sam@example.com", "", "SAM1;SAM2", "a;b", "https://sam.blog", "1,000", "food;travel"],
         ["S2", "Sue", "sue@example.com", "pay@example.com", "", "", "", "", ""]],
    )
    assert import_affiliates(plans, path).new == 2
    before = dump(plans)
    preview = preview_affiliate_import(plans, path)
    assert (preview.new, preview.updated, preview.unchanged) == (0, 0, 2)
    result = import_affiliates(plans, path)
    assert (result.new, result.updated, result.unchanged) == (0, 0, 2)
    assert dump(plans) == before


# --- export -------------------------------------------------------------------------------------------------


def _varied_file(tmp_path: Path) -> Path:
    header = ["code", "name", "email", "status", "plan", "coupon_codes", "website", "joined_on", "tags", "instagram",
              "instagram_followers", "x", "audience", "country"]
    rows = [header,
            ["-lead", DANGEROUS_NAMES[0], "a@example.com", "paused", "VIP", "=C1;C2", "", "2022-01-31", "@tag", "@ig",
             "5", "", "line one\nline two", "+44"],
            ["P2", DANGEROUS_NAMES[1], "", "", "", "", "www.site.example", "", "", "", "", "@x", "", ""],
            ["P3", DANGEROUS_NAMES[2], "", "prospect", "", "", "", "", "", "", "0", "", "", "@home"]]
    return write_csv(tmp_path / "varied.csv", rows)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_changes_nothing(plans: Database, tmp_path: Path, suffix: str) -> None:
    import_affiliates(plans, _varied_file(tmp_path))
    with plans.write() as session:  # one made by hand: no payee, an empty profile with an engagement rate
        session.add(Affiliate(code="HAND", name="By hand", email="h@example.com", total_followers=0,
                              socials=[SocialProfile(platform="blog", followers=0, engagement_rate=3)]))
    before = dump(plans)
    out = tmp_path / f"export{suffix}"
    assert export_affiliates(plans, out) == 4
    preview = preview_affiliate_import(plans, out)
    assert preview.ok, preview.problems
    assert (preview.new, preview.updated, preview.unchanged) == (0, 0, 4)
    assert [header for header, _ in preview.columns] == list(COLUMNS)
    import_affiliates(plans, out)
    assert dump(plans) == before


def test_csv_export_is_formula_safe(plans: Database, tmp_path: Path) -> None:
    import_affiliates(plans, _varied_file(tmp_path))
    out = tmp_path / "out.csv"
    export_affiliates(plans, out)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    names = {row["code"]: row["name"] for row in rows}
    assert names == {"'-lead": "'" + DANGEROUS_NAMES[0], "P2": "'+1", "P3": "'@SUM(1)"}
    lead = rows[0]
    assert (lead["coupon_codes"], lead["tags"], lead["instagram"], lead["country"]) == ("'=C1; C2", "'@tag", "'@ig",
                                                                                           "'+44")
    assert lead["instagram_followers"] == "5" and lead["joined_on"] == "2022-01-31"


def test_xlsx_export_is_formula_safe_and_tidy(plans: Database, tmp_path: Path) -> None:
    import_affiliates(plans, _varied_file(tmp_path))
    out = tmp_path / "out.xlsx"
    export_affiliates(plans, out)
    sheet = load_workbook(out).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    assert header == list(COLUMNS)
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:X{sheet.max_row}"
    assert sheet.column_dimensions["B"].width > len("name") + 2  # sized to the long formula-like name
    by_code = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    col = {key: index for index, key in enumerate(COLUMNS)}
    for code, name in (("-lead", DANGEROUS_NAMES[0]), ("P2", "+1"), ("P3", "@SUM(1)")):
        cell = by_code[code][col["name"]]
        assert (cell.value, cell.data_type) == (name, "s")
    assert by_code["-lead"][col["code"]].data_type == "s"
    followers = by_code["-lead"][col["instagram_followers"]]
    assert (followers.value, followers.data_type) == (5, "n")
    assert by_code["-lead"][col["joined_on"]].is_date


def test_export_a_selection_or_a_status(plans: Database, tmp_path: Path) -> None:
    import_affiliates(plans, _varied_file(tmp_path))
    with plans.read() as session:
        p2 = session.scalars(select(Affiliate.id).where(Affiliate.code == "P2")).one()
    assert export_affiliates(plans, tmp_path / "one.csv", affiliate_ids=[p2]) == 1
    assert export_affiliates(plans, tmp_path / "paused.xlsx", status="paused") == 1
    sheet = load_workbook(tmp_path / "paused.xlsx").active
    assert sheet is not None and [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["-lead"]
    with pytest.raises(BadInput):
        export_affiliates(plans, tmp_path / "x.csv", status="retired")
    with pytest.raises(BadInput):
        export_affiliates(plans, tmp_path / "x.pdf")
    assert not (tmp_path / "x.csv").exists()


# --- size, progress, cancel -------------------------------------------------------------------------------------


def _big_file(tmp_path: Path, count: int) -> Path:
    rows: list[list[Any]] = [["code", "name", "email", "status", "coupon_codes", "tags", "instagram",
                              "instagram_followers", "youtube_followers", "joined_on"]]
    for index in range(count):
        rows.append([f"AFF{index:05d}", f"Partner {index}", f"p{index}@example.com", "active", f"C{index}",
                     f"tag{index % 7}", f"@p{index}", f"{index * 10:,}", index, "2024-01-02"])
    return write_csv(tmp_path / "big.csv", rows)


def test_five_thousand_rows_with_progress(plans: Database, tmp_path: Path) -> None:
    path = _big_file(tmp_path, 5_000)
    calls: list[tuple[int, int, str]] = []
    started = time.perf_counter()
    result = import_affiliates(plans, path, progress=lambda done, total, what: calls.append((done, total, what)))
    elapsed = time.perf_counter() - started
    assert result.new == 5_000
    assert elapsed < 10, elapsed
    assert len(calls) >= 10 and all(done <= total for done, total, _ in calls)
    assert affiliates(plans)["AFF04999"].total_followers == 49_990 + 4_999
    assert preview_affiliate_import(plans, path).unchanged == 5_000


def test_a_progress_callback_that_raises_rolls_everything_back(jane: Database, tmp_path: Path) -> None:
    path = _big_file(tmp_path, 1_200)
    before = dump(jane)

    def cancel(done: int, total: int, what: str) -> None:
        if what.startswith("Added"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_affiliates(jane, path, progress=cancel)
    assert dump(jane) == before


def test_the_same_import_on_postgresql(any_db: Database, tmp_path: Path) -> None:
    path = _varied_file(tmp_path)
    with any_db.write() as session:
        session.add(CommissionPlan(name="VIP", position=0, created_at=datetime(2024, 1, 1)))
    assert import_affiliates(any_db, path).new == 3
    before = dump(any_db)
    out = tmp_path / "round.xlsx"
    export_affiliates(any_db, out)
    assert import_affiliates(any_db, out).unchanged == 3
    assert dump(any_db) == before
