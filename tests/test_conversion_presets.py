"""The shop presets on files shaped like the real exports (tests/data/conversions), and telling them apart."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from test_conversion_support import DATA, dump, generic, orders, program
from test_conversion_support import affiliates as make_affiliates

from desktop.db import Database
from desktop.services.conversion_import import import_conversions, preview_conversions
from desktop.services.conversion_presets import detect_preset
from desktop.services.errors import BadInput
from desktop.services.tabular import open_table

TENT_LINE = ("TENT-2P", "Ridgeline 2-person tent", 1, 22410)
SOCKS_LINE = ("SOCK-3", "Merino socks, 3 pairs", 2, 5382)


def values(order: dict[str, Any], *keys: str) -> tuple[Any, ...]:
    return tuple(order[key] for key in keys)


def header_of(name: str) -> list[str]:
    with open_table(DATA / name) as table:
        return table.header


@pytest.mark.parametrize(
    ("name", "preset", "evidence"),
    [
        ("shopify_orders.csv", "shopify", "Name, Financial Status and Lineitem price"),
        ("woocommerce_orders.csv", "woocommerce", "order_id, order_date and line_item_1"),
        ("stripe_payments.csv", "stripe", "id, Created date (UTC) and Amount"),
        ("stripe_payments_old.csv", "stripe", "id, Created (UTC) and Amount"),
    ],
)
def test_the_preset_is_told_by_the_header(name: str, preset: str, evidence: str) -> None:
    choice = detect_preset(header_of(name))
    assert choice is not None
    assert choice.name == preset and choice.reason.endswith(f"the header has {evidence}")


def test_shopify_export(db: Database) -> None:
    program(db, currency="USD", timezone="Europe/Berlin")
    make_affiliates(db, {"JANE": ["JANE10"]})
    preview = preview_conversions(db, DATA / "shopify_orders.csv")
    assert preview.ok, preview.problems
    summary = preview.summary
    assert (summary.preset, summary.rows, summary.orders) == ("shopify", 11, 8)
    assert summary.unknown_coupons == (("SUMMER5", 1),)
    assert "Billing Name" in summary.ignored_columns
    result = import_conversions(db, DATA / "shopify_orders.csv")
    assert result.summary.new == 8
    stored = orders(db)
    first = stored["#1001"]
    # price x quantity - line discount, per line item; the order's fields come from its first row
    assert first["lines"] == [
        ("TENT-2P", "Ridgeline 2-person tent", 1, 22410),
        ("SOCK-3", "Merino socks, 3 pairs", 2, 5382),
    ]
    assert (first["amount"], first["status"], first["affiliate"], first["attribution"]) == (
        27792,
        "approved",
        "JANE",
        "coupon",
    )
    assert (first["email"], first["coupon"], str(first["occurred_at"])[:19]) == (
        "ann@example.com",
        "JANE10",
        "2026-10-03 20:05:00",
    )
    partial = stored["#1002"]
    assert (partial["status"], partial["amount"], partial["refunded"], partial["net"]) == (
        "approved",
        15900,
        2000,
        13900,
    )
    refunded = stored["#1003"]  # Shopify's Refunded Amount includes shipping: the whole order is refunded
    assert (refunded["status"], refunded["amount"], refunded["refunded"], refunded["net"]) == (
        "refunded",
        10940,
        10940,
        0,
    )
    assert [line[0] for line in refunded["lines"]] == ["LAMP-1", "STOVE-1", "GIFT-25"]
    assert (stored["#1004"]["status"], stored["#1004"]["attribution"], stored["#1004"]["amount"]) == (
        "pending",
        "organic",
        2365,
    )
    assert stored["#1005"]["status"] == "rejected"  # cancelled
    assert stored["#1006"]["status"] == "pending"  # authorized
    assert (stored["#1007"]["status"], stored["#1007"]["amount"]) == ("rejected", 8970)  # voided
    late = stored["#1008"]  # 23:30 in New York on 31 October is 1 November in Berlin
    assert (str(late["local_date"]), late["affiliate"]) == ("2026-11-01", "JANE")


def test_shopify_reimport_with_a_refund(db: Database, tmp_path: Path) -> None:
    program(db, currency="USD", timezone="UTC")
    make_affiliates(db, {"JANE": ["JANE10"]})
    import_conversions(db, DATA / "shopify_orders.csv")
    text = (DATA / "shopify_orders.csv").read_text(encoding="utf-8")
    changed = text.replace("#1008,hal@example.com,paid,", "#1008,hal@example.com,partially_refunded,", 1)
    changed = changed.replace("c5008.1,0.00,", "c5008.1,40.00,", 1)  # Refunded Amount after the Payment Reference
    (tmp_path / "shopify_later.csv").write_text(changed, encoding="utf-8")
    result = import_conversions(db, tmp_path / "shopify_later.csv", preset="shopify")
    assert (result.summary.updated, result.summary.unchanged, result.summary.status_changes) == (1, 7, 1)
    assert (orders(db)["#1008"]["refunded"], orders(db)["#1008"]["net"]) == (4000, 4900)


def test_woocommerce_export(db: Database) -> None:
    program(db, currency="USD", timezone="UTC")
    make_affiliates(db, {"JANE": ["JANE10"]})
    result = import_conversions(db, DATA / "woocommerce_orders.csv")
    summary = result.summary
    assert (summary.preset, summary.orders, summary.rows) == ("woocommerce", 8, 9)
    assert summary.skipped == (("checkout drafts (not orders yet)", 1),)
    assert summary.unknown_coupons == (("WELCOME10", 1),)
    stored = orders(db)
    assert "5007" not in stored
    first = stored["5001"]
    assert first["lines"] == [
        ("TENT-2P", "Ridgeline 2-person tent", 1, 22410),
        ("SOCK-3", "Merino socks, 3 pairs", 2, 5382),
    ]
    assert (first["status"], first["affiliate"], first["coupon"], first["email"]) == (
        "approved",
        "JANE",
        "jane10",
        "buyer@example.com",
    )
    assert stored["5002"]["status"] == "approved"  # processing
    assert (stored["5003"]["status"], stored["5003"]["refunded"], stored["5003"]["net"]) == ("refunded", 3450, 0)
    assert (stored["5004"]["amount"], stored["5004"]["refunded"], stored["5004"]["status"]) == (12480, 1500, "approved")
    assert [stored[o]["status"] for o in ("5005", "5006", "5008", "5009")] == [
        "pending",
        "rejected",
        "rejected",
        "pending",
    ]


def with_column(source: Path, target: Path, name: str, values: dict[str, str], *, before: str) -> Path:
    """A copy of an export with one more column (placed before `before`), its value for some orders by id."""
    with source.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    at = rows[0].index(before)
    rows[0].insert(at, name)
    for row in rows[1:]:
        row.insert(at, values.get(row[0], ""))
    with target.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return target


def test_woocommerce_order_meta_carries_the_referral_code(db: Database, tmp_path: Path) -> None:
    """An affiliate plugin's order meta, exported by the plugin as a meta:KEY column, is the referral code."""
    program(db, currency="USD", timezone="UTC")
    make_affiliates(db, {"JANE": ["JANE10"], "OMAR": []})
    path = with_column(DATA / "woocommerce_orders.csv", tmp_path / "woo.csv", "meta:_affiliate_code",
                       {"5001": "OMAR", "5002": "OMAR", "5005": "omar"}, before="line_item_1")  # fmt: skip
    preview = preview_conversions(db, path)
    assert preview.ok, preview.problems
    assert ("meta:_affiliate_code", "affiliate_code") in preview.summary.columns
    import_conversions(db, path)
    stored = orders(db)
    # a coupon outranks a referral code (coupon priority): 5001 stays Jane's; 5002 is Omar's by its meta
    assert values(stored["5001"], "affiliate", "attribution") == ("JANE", "coupon")
    assert values(stored["5002"], "affiliate", "attribution") == ("OMAR", "referral")
    assert values(stored["5005"], "affiliate", "attribution") == ("OMAR", "referral")
    assert stored["5004"]["attribution"] != "referral"

    unknown = with_column(DATA / "woocommerce_orders.csv", tmp_path / "woo_unknown.csv", "meta:ref",
                          {"5002": "NOBODY"}, before="line_item_1")  # fmt: skip
    before_import = dump(db)
    with pytest.raises(BadInput) as excinfo:
        import_conversions(db, unknown)
    assert [str(p) for p in excinfo.value.problems] == [
        "woo_unknown.csv, line 3, column 'meta:ref': no affiliate has the code 'NOBODY'"
    ]
    assert dump(db) == before_import


def test_woocommerce_dates_month_first_as_the_file_shows(db: Database, tmp_path: Path) -> None:
    """The plugin writes order_date as 9/6/2016 6:29:00 on some shops; the first day above 12 tells the order."""
    program(db, currency="USD", timezone="UTC")
    make_affiliates(db, {"JANE": ["JANE10"]})
    with (DATA / "woocommerce_orders.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    at = rows[0].index("order_date")
    for row in rows[1:]:
        day = "13" if row[0] == "5009" else row[at][8:10]
        row[at] = f"{int(row[at][5:7])}/{int(day)}/{row[at][:4]} {row[at][11:]}"
    path = tmp_path / "woo_us.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    result = import_conversions(db, path)
    assert (result.summary.date_order, result.summary.date_reason) == (
        "mdy",
        "'10/13/2026 10:10:00' on line 10 shows it",
    )
    stored = orders(db)
    assert str(stored["5001"]["occurred_at"]).startswith("2026-10-03 14:05")
    assert str(stored["5009"]["local_date"]) == "2026-10-13"


def test_stripe_metadata_under_another_referral_key(db: Database, tmp_path: Path) -> None:
    program(db, currency="EUR", timezone="UTC")
    make_affiliates(db, {"JANE": [], "TOM": []})
    source = (DATA / "stripe_payments.csv").read_text(encoding="utf-8")
    path = tmp_path / "stripe.csv"
    path.write_text(source.replace(",affiliate (metadata),", ",ref (metadata),", 1), encoding="utf-8")
    import_conversions(db, path)
    assert values(orders(db)["ch_3NxA1001"], "affiliate", "attribution") == ("JANE", "referral")


def test_stripe_export_with_decimal_commas(db: Database) -> None:
    program(db, currency="EUR", timezone="Europe/Berlin")
    make_affiliates(db, {"JANE": [], "TOM": []})
    result = import_conversions(db, DATA / "stripe_payments.csv")
    summary = result.summary
    assert (summary.preset, summary.orders, summary.decimal_separator) == ("stripe", 5, ",")
    assert summary.decimal_reason == "'399,00' on line 2 shows it"
    assert dict(summary.by_attribution) == {"coupon": 0, "referral": 3, "click": 0, "organic": 2}
    stored = orders(db)
    first = stored["ch_3NxA1001"]
    assert (first["amount"], first["affiliate"], first["currency"]) == (39900, "JANE", "EUR")
    assert str(first["occurred_at"])[:19] == "2026-10-03 20:05:00"  # Created (UTC) in Berlin summer time
    assert stored["ch_3NxA1002"]["amount"] == 123450  # "1.234,50"
    assert (stored["ch_3NxA1003"]["status"], stored["ch_3NxA1003"]["net"]) == ("refunded", 0)
    assert (stored["ch_3NxA1004"]["refunded"], stored["ch_3NxA1004"]["net"]) == (5000, 10900)
    failed = stored["ch_3NxA1005"]
    assert (failed["status"], str(failed["local_date"])) == ("rejected", "2026-11-01")


def test_older_stripe_export(db: Database) -> None:
    program(db, currency="USD", timezone="UTC")
    make_affiliates(db, {"JANE": []})
    import_conversions(db, DATA / "stripe_payments_old.csv")
    stored = orders(db)
    assert (stored["ch_1A"]["amount"], stored["ch_1A"]["affiliate"], stored["ch_1A"]["lines"]) == (
        39900, "JANE", [(None, "Tent", 1, 39900)],
    )  # fmt: skip
    assert (stored["ch_1B"]["amount"], stored["ch_1B"]["refunded"]) == (115900, 15900)


def test_an_unknown_referral_in_stripe_metadata_is_an_error(db: Database) -> None:
    program(db, currency="EUR", timezone="UTC")
    make_affiliates(db, {"JANE": []})
    before = dump(db)
    with pytest.raises(BadInput) as excinfo:
        import_conversions(db, DATA / "stripe_payments.csv")
    assert [str(p) for p in excinfo.value.problems] == [
        "stripe_payments.csv, line 5, column 'affiliate (metadata)': no affiliate has the code 'TOM'"
    ]
    assert dump(db) == before


def test_a_preset_that_does_not_fit_the_file_names_the_missing_columns(db: Database, tmp_path: Path) -> None:
    program(db)
    path = generic(tmp_path / "orders.csv", ["A", "2026-10-01", "1.00"])
    with pytest.raises(BadInput) as excinfo:
        import_conversions(db, path, preset="shopify")
    assert [str(p) for p in excinfo.value.problems] == [
        f"orders.csv, line 1: the required column '{name}' is missing"
        for name in ("Name", "Created at", "Financial Status", "Lineitem quantity", "Lineitem price")
    ]
    with pytest.raises(BadInput, match="unknown preset 'amazon'"):
        import_conversions(db, path, preset="amazon")
    assert preview_conversions(db, path, preset="generic").ok


def test_shopify_referrals_in_note_attributes_and_tags(db: Database, tmp_path: Path) -> None:
    """Affiliate apps leave the referral on the order: a note attribute, or a tag (FORMATS.md)."""
    program(db, currency="USD", timezone="Europe/Berlin")
    make_affiliates(db, {"JANE": ["JANE10"], "TOM": []})
    with (DATA / "shopify_orders.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    notes, tags = header.index("Note Attributes"), header.index("Tags")
    marked = {"#1002": (notes, "utm_source: instagram\naffiliate: TOM"), "#1005": (tags, "vip, ref:TOM"),
              "#1006": (tags, "wholesale"), "#1008": (notes, "ref = TOM")}  # fmt: skip
    seen: set[str] = set()
    for row in rows[1:]:
        if row[0] in marked and row[0] not in seen:  # the order's first row
            column, text = marked[row[0]]
            row[column] = text
            seen.add(row[0])
    path = tmp_path / "orders_export.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    summary = import_conversions(db, path).summary
    assert ("Note Attributes", "affiliate_code (a note attribute affiliate, ref or referral)") in summary.columns
    assert "Tags" not in summary.ignored_columns
    stored = orders(db)
    assert values(stored["#1002"], "affiliate", "attribution", "referral") == ("TOM", "referral", "TOM")
    assert values(stored["#1005"], "affiliate", "attribution") == ("TOM", "referral")
    assert values(stored["#1006"], "affiliate", "attribution") == (None, "organic")  # a tag, but no referral
    # the coupon comes first (the program's coupon priority), the referral is kept beside it
    assert values(stored["#1008"], "affiliate", "attribution", "referral") == ("JANE", "coupon", "TOM")
    rows[1][notes] = "affiliate: NOBODY"  # #1001's first row
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(BadInput, match="orders_export.csv, line 2.*NOBODY"):
        import_conversions(db, path)


def test_shopify_discount_on_the_whole_order_comes_off_the_lines(db: Database, tmp_path: Path) -> None:
    """A discount code's amount off the order is in Subtotal (after discounts), not in the lines' own discounts
    (older exports have no Lineitem discount at all). The order's amount is its Subtotal, spread over the lines in
    proportion: commission is never paid on the price before the discount."""
    program(db, currency="USD", timezone="UTC")
    make_affiliates(db, {"JANE": ["JANE10"]})
    with (DATA / "shopify_orders.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    at = {name: header.index(name) for name in ("Name", "Subtotal", "Discount Amount", "Lineitem discount")}
    for row in rows[1:]:
        if row[at["Name"]] == "#1001":  # 249.00 + 2 x 29.90 = 308.80; 10 % off the order: Subtotal 277.92
            row[at["Lineitem discount"]] = "0.00"
    path = tmp_path / "orders_export.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    result = import_conversions(db, path)
    assert ("Subtotal", "order discount (Subtotal: the lines after every discount)") in result.summary.columns
    stored = orders(db)["#1001"]
    assert (stored["amount"], stored["net"]) == (27792, 27792)
    assert [line[3] for line in stored["lines"]] == [22410, 5382]  # 30.88 off, in proportion to 249.00 and 59.80
    assert sum(line[3] for line in stored["lines"]) == stored["amount"]
    # An export whose lines already carry the discounts (Subtotal equals them) reads the same.
    import_conversions(db, DATA / "shopify_orders.csv")
    assert orders(db)["#1001"]["lines"] == [TENT_LINE, SOCKS_LINE]


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("shopify_orders.csv", ",Discount Amount,", ",Discount Code,",
         "the column 'Discount Code' is given twice (columns 13 and 14): keep one, or rename the other"),
        (None, "", "", "the column 'amount' is given twice (columns 3 and 5): keep one, or rename the other"),
    ],
)  # fmt: skip
def test_a_column_read_that_is_given_twice_is_an_error(
    db: Database, tmp_path: Path, file: str | None, old: str, new: str, message: str
) -> None:
    """The first of the two was read, silently: the other could be the one that holds the real values."""
    program(db, timezone="UTC")
    path = tmp_path / "orders.csv"
    if file is None:
        path.write_text("order_id,occurred_at,amount,affiliate_code,amount\nA1,2026-10-03,10.00,,20.00\n")
    else:
        path.write_text((DATA / file).read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(BadInput) as refused:
        import_conversions(db, path)
    assert str(refused.value) == f"orders.csv, line 1: {message}"
    assert orders(db) == {}
