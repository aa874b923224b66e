"""Program settings: validation, saving, and the program TOML file."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from desktop.db import Database
from desktop.services.errors import BadInput, ValidationFailed
from desktop.services.program_settings import (
    ProgramSettings,
    export_program_file,
    get_program,
    import_program_file,
    save_program,
    validate_program,
)

GOOD = ProgramSettings(
    name="Acme Outdoor",
    currency="EUR",
    timezone="Europe/Berlin",
    cookie_days=45,
    attribution="first_click",
    coupon_priority=False,
    payout_threshold=Decimal("25.50"),
    hold_days=14,
    north_star_metric="sales",
    north_star_target=Decimal("300"),
)


def test_unsaved_program_has_suggested_settings(db: Database) -> None:
    settings = get_program(db)
    assert settings.configured is False
    assert settings.currency == "USD"
    assert settings.payout_threshold == Decimal("50.00")


def test_save_and_read_back_on_both_databases(any_db: Database) -> None:
    saved = save_program(any_db, GOOD)
    assert saved.configured
    assert get_program(any_db) == replace(GOOD, configured=True)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "  "}, "name"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "eu1"}, "currency"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"timezone": "Europe"}, "timezone"),  # a folder of zones, typed on the way to Europe/Berlin
        ({"cookie_days": -1}, "cookie_days"),
        ({"cookie_days": 400}, "cookie_days"),
        ({"attribution": "linear"}, "attribution"),
        ({"payout_threshold": Decimal("-1.00")}, "payout_threshold"),
        ({"payout_threshold": Decimal("1.001")}, "payout_threshold"),
        ({"hold_days": 366}, "hold_days"),
        ({"north_star_metric": "vibes"}, "north_star_metric"),
        ({"north_star_target": Decimal("2.5")}, "north_star_target"),  # half a sale
        ({"referral_link_template": "https://acme.example/"}, "referral_link_template"),  # no {code}
        ({"referral_link_template": "acme.example/?ref={code}"}, "referral_link_template"),  # not a web address
        ({"referral_link_template": "ftp://acme.example/{code}"}, "referral_link_template"),
        ({"referral_link_template": "javascript:alert({code})"}, "referral_link_template"),
        ({"referral_link_template": "https:///?ref={code}"}, "referral_link_template"),  # no host
        ({"referral_link_template": "https://acme.example/?ref={code}&u={name}"}, "referral_link_template"),
        ({"referral_link_template": "https://acme.example/?ref= {code}"}, "referral_link_template"),
    ],
)
def test_validation_names_the_field(change: dict[str, object], field: str) -> None:
    errors = validate_program(replace(GOOD, **change))  # type: ignore[arg-type]
    assert set(errors) == {field}


def test_invalid_settings_are_not_saved(db: Database) -> None:
    with pytest.raises(ValidationFailed) as info:
        save_program(db, replace(GOOD, currency="XX", cookie_days=999))
    assert set(info.value.errors) == {"currency", "cookie_days"}
    assert get_program(db).configured is False


def test_currency_is_normalised(db: Database) -> None:
    assert save_program(db, replace(GOOD, currency=" gbp ")).currency == "GBP"


def test_toml_round_trip(db: Database, tmp_path: Path) -> None:
    save_program(db, GOOD)
    path = export_program_file(db, tmp_path / "program.toml")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["program"]["payout_threshold"] == "25.50"
    assert data["program"]["timezone"] == "Europe/Berlin"
    assert not list(tmp_path.glob(".*tmp*")), "no temporary file is left behind"
    other = tmp_path / "other.sqlite3"
    from desktop.db import open_database

    second = open_database(other)
    try:
        assert import_program_file(second, path) == replace(GOOD, configured=True)
    finally:
        second.dispose()


def test_import_of_the_design_example(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        '[program]\nname = "Acme Outdoor"\ncurrency = "USD"\ntimezone = "Europe/Berlin"\ncookie_days = 30\n'
        'attribution = "last_click"\ncoupon_priority = true\npayout_threshold = "50.00"\nhold_days = 0\n',
        encoding="utf-8",
    )
    settings = import_program_file(db, path)
    assert (settings.name, settings.timezone, settings.payout_threshold) == (
        "Acme Outdoor",
        "Europe/Berlin",
        Decimal("50.00"),
    )


def test_bad_file_names_line_and_key_and_changes_nothing(db: Database, tmp_path: Path) -> None:
    save_program(db, GOOD)
    path = tmp_path / "bad.toml"
    path.write_text(
        '# comment\n[program]\nname = "Shop"\ncookie_days = "thirty"\npayout_threshold = 50.1\n'
        'colour = "red"\ntimezone = "Nowhere/City"\n',
        encoding="utf-8",
    )
    with pytest.raises(BadInput) as info:
        import_program_file(db, path)
    text = str(info.value)
    assert "bad.toml, line 4, key 'cookie_days'" in text
    assert "bad.toml, line 5, key 'payout_threshold'" in text
    assert "bad.toml, line 6, key 'colour': unknown key" in text
    assert "bad.toml, line 7, key 'timezone'" in text
    assert get_program(db) == replace(GOOD, configured=True)


def test_syntax_error_names_line_and_column(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[program]\nname = "unterminated\n', encoding="utf-8")
    with pytest.raises(BadInput, match=r"broken.toml: .*line 2"):
        import_program_file(db, path)


def test_missing_file(db: Database, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such file"):
        import_program_file(db, tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("https://acme.example/", "Put {code} where the affiliate's code goes, like https://shop.example/?ref={code}"),
        ("acme.example/?ref={code}", "A web address starting with https:// or http://"),
        ("https://acme.example/?ref={code}&u={name}", "Only {code} is filled in: remove {name}"),
    ],
)
def test_a_bad_referral_link_is_explained(template: str, message: str) -> None:
    assert validate_program(replace(GOOD, referral_link_template=template))["referral_link_template"].startswith(
        message
    )


def test_the_referral_link_is_saved_trimmed_and_may_stay_empty(db: Database) -> None:
    assert validate_program(replace(GOOD, referral_link_template="")) == {}
    assert validate_program(replace(GOOD, referral_link_template="http://shop.example/r/{code}")) == {}
    saved = save_program(db, replace(GOOD, referral_link_template="  https://acme.example/?ref={code} "))
    assert saved.referral_link_template == get_program(db).referral_link_template == "https://acme.example/?ref={code}"


def test_the_referral_link_in_the_program_file(db: Database, tmp_path: Path) -> None:
    """Written as the optional `referral_link` key and read back; a file without it (older ones) keeps the link."""
    save_program(db, replace(GOOD, referral_link_template="https://acme.example/?ref={code}"))
    path = export_program_file(db, tmp_path / "program.toml")
    assert tomllib.loads(path.read_text(encoding="utf-8"))["program"]["referral_link"] == (
        "https://acme.example/?ref={code}"
    )
    old = tmp_path / "old.toml"
    old.write_text('[program]\nname = "Acme Outdoor"\ncookie_days = 30\n', encoding="utf-8")
    assert import_program_file(db, old).referral_link_template == "https://acme.example/?ref={code}"
    new = tmp_path / "new.toml"
    new.write_text('[program]\nreferral_link = "https://shop.example/a/{code}"\n', encoding="utf-8")
    assert import_program_file(db, new).referral_link_template == "https://shop.example/a/{code}"
    bad = tmp_path / "bad.toml"
    bad.write_text('[program]\nname = "Acme"\nreferral_link = "https://shop.example/"\n', encoding="utf-8")
    with pytest.raises(BadInput, match=r"bad.toml, line 3, key 'referral_link': Put \{code\} where"):
        import_program_file(db, bad)
    assert get_program(db).referral_link_template == "https://shop.example/a/{code}"


def test_a_database_from_before_the_referral_link_has_none(tmp_path: Path) -> None:
    import shutil

    from desktop.db import open_database

    path = tmp_path / "old.sqlite3"
    shutil.copy(Path(__file__).parent / "data" / "v0001.sqlite3", path)
    database = open_database(path)
    try:
        settings = get_program(database)
        assert (settings.name, settings.referral_link_template) == ("Old Program", "")  # its row, upgraded
    finally:
        database.dispose()


def test_a_program_file_changing_the_currency_of_imported_orders_must_say_so(db: Database, tmp_path: Path) -> None:
    """`program import` relabelled every USD amount as EUR without a word (the Program page asks first)."""
    from test_conversion_support import generic, program

    from desktop.services.conversion_import import import_conversions
    from desktop.services.errors import RefusedByState

    program(db, currency="USD", timezone="UTC")
    import_conversions(db, generic(tmp_path / "orders.csv", ["A1", "2026-10-03T10:00:00", "10.00"]))
    path = tmp_path / "eur.toml"
    path.write_text('[program]\nname = "Acme"\ncurrency = "EUR"\n', encoding="utf-8")
    with pytest.raises(RefusedByState, match="changes the program's currency from USD to EUR, but 1 imported orders"):
        import_program_file(db, path)
    assert get_program(db).currency == "USD"
    assert import_program_file(db, path, change_currency=True).currency == "EUR"
    path.write_text('[program]\nname = "Acme again"\ncurrency = "EUR"\n', encoding="utf-8")
    assert import_program_file(db, path).name == "Acme again"  # no change of currency: nothing to confirm
