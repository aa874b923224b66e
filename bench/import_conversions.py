"""Importing a 1,000,000-line generic orders CSV (checked and attributed) against sqlite3's bare bulk load of it."""

from __future__ import annotations

import csv
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

LINES = 1_000_000
AFFILIATES = 10_000
CLICK_VISITORS = 50_000
TODAY = date(2026, 11, 1)
HEADER = ["order_id", "occurred_at", "type", "amount", "quantity", "sku", "currency", "affiliate_code",
          "coupon_code", "visitor_id", "customer_email", "status", "refunded_amount"]  # fmt: skip
SKUS = ("TENT-2P", "TENT-4P", "BAG-20", "STOVE-1", "HAT-1", "BOOT-42", "GIFT-25", "BUNDLE-CAMP", "", "")

# The import runs in a child process so that its peak memory is its own, not the generator's. The fraud rules
# that follow every import are timed apart: they are their own feature, and their own figure.
CHILD = """
import json, os, resource, sys, time
os.environ["AFFILIATE_DESK_WRITER_TIMING"] = "1"
from desktop.db import open_database
from desktop.services.conversion_import import import_conversions
from desktop.services.fraud import run_after_import
db = open_database(sys.argv[1])
started, cpu = time.perf_counter(), time.process_time()
result = import_conversions(db, sys.argv[2], check_fraud=False)
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
run_after_import(db, result.batch_id)
fraud = time.perf_counter() - started
db.dispose()
print(json.dumps({"seconds": seconds, "cpu": cpu, "fraud": fraud, "orders": result.summary.orders,
                  "peak_mb": peak_kb / 1024, "by": dict(result.summary.by_attribution)}))
"""


def prepare(folder: Path) -> tuple[Path, Path]:
    """A demo database with 10,000 affiliates and some clicks, and the orders file."""
    from desktop.db import open_database
    from desktop.services.click_import import import_clicks
    from desktop.services.demo import load_demo

    db_path = folder / "bench.sqlite3"
    db = open_database(db_path)
    load_demo(db, affiliates=AFFILIATES, today=TODAY)
    from sqlalchemy import select

    from desktop.models import Affiliate, CouponCode

    with db.read() as session:
        codes = list(session.scalars(select(Affiliate.code)))
        coupons = list(session.scalars(select(CouponCode.code)))
    rnd = random.Random(2026)
    start = datetime(2026, 10, 1)
    clicks = folder / "clicks.csv"
    with clicks.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["clicked_at", "affiliate_code", "visitor_id"])
        for visitor in range(CLICK_VISITORS):
            at = start + timedelta(minutes=rnd.randrange(20 * 24 * 60))
            writer.writerow([at.isoformat(timespec="seconds"), rnd.choice(codes), f"v-{visitor}"])
    import_clicks(db, clicks)
    db.dispose()
    orders = folder / "orders.csv"
    write_orders(orders, codes, coupons, rnd)
    return db_path, orders


def write_orders(path: Path, codes: list[str], coupons: list[str], rnd: random.Random) -> None:
    start = datetime(2026, 10, 1)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        written = 0
        number = 100_000
        while written < LINES:
            number += 1
            at = start + timedelta(minutes=rnd.randrange(31 * 24 * 60))
            occurred = at.isoformat(timespec="seconds") + "-04:00"
            signal = rnd.random()
            code = rnd.choice(codes) if signal < 0.55 else ""
            coupon = rnd.choice(coupons) if coupons and 0.55 <= signal < 0.65 else ""
            visitor = f"v-{rnd.randrange(CLICK_VISITORS * 2)}" if 0.65 <= signal < 0.8 else ""
            status = rnd.choices(("approved", "pending", "refunded"), (90, 7, 3))[0]
            count = min(rnd.choice((1, 1, 1, 2, 3)), LINES - written)
            for line in range(count):
                first = line == 0
                writer.writerow([
                    f"#{number}", occurred if first else "", "sale", f"{rnd.randrange(500, 40_000) / 100:.2f}",
                    rnd.choice((1, 1, 2)), rnd.choice(SKUS), "USD" if first else "", code if first else "",
                    coupon if first else "", visitor if first else "", f"c{number}@example.com" if first else "",
                    status if first else "", "",
                ])  # fmt: skip
            written += count


def settle() -> None:
    """Write out what earlier steps left in the page cache, so that no run pays for another's files."""
    if hasattr(os, "sync"):
        os.sync()
    time.sleep(0.5)


def anchor(orders: Path, folder: Path) -> float:
    """sqlite3's executemany of the same rows (csv.reader) into a bare table of a fresh file."""
    target = folder / "anchor.sqlite3"
    target.unlink(missing_ok=True)
    settle()
    started = time.perf_counter()
    database = sqlite3.connect(target)
    database.execute(f"CREATE TABLE orders ({', '.join(HEADER)})")
    with orders.open(newline="", encoding="utf-8") as fh:
        rows = csv.reader(fh)
        next(rows)
        database.executemany(f"INSERT INTO orders VALUES ({', '.join('?' * len(HEADER))})", rows)
    database.commit()
    database.close()
    return time.perf_counter() - started


def cli_anchor(orders: Path, folder: Path) -> tuple[float, float] | None:
    """The sqlite3 command line's `.import --csv` of the file into a new table of a fresh file (if installed):
    its time, and its processor time."""
    program = shutil.which("sqlite3")
    if program is None:
        return None
    target = folder / "cli-anchor.sqlite3"
    target.unlink(missing_ok=True)
    settle()
    before = _children_cpu()
    started = time.perf_counter()
    subprocess.run([program, str(target), f".import --csv {orders} orders"], check=True)
    return time.perf_counter() - started, _children_cpu() - before


def _children_cpu() -> float:
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run() -> list[tuple[str, float, str, float]]:
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        db_path, orders = prepare(folder)
        anchor_seconds = anchor(orders, folder)
        cli = cli_anchor(orders, folder)
        root = Path(__file__).resolve().parent.parent
        settle()
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(db_path), str(orders)],
            check=True, capture_output=True, text=True, cwd=root,
        )  # fmt: skip
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        writer = [line for line in child.stderr.splitlines() if line.startswith("writer process:")]
    print(f"import_conversions: {measured['orders']:,} orders, attribution {measured['by']}, "
          f"peak memory {measured['peak_mb']:.0f} MB; {writer[-1] if writer else 'no writer process'}")  # fmt: skip
    name = f"import_conversions, {LINES:,}-line generic CSV (one run)"
    rows = [(name, measured["seconds"], "sqlite3 executemany of its rows, bare table (one run)", anchor_seconds)]
    cli_name = "sqlite3 CLI .import --csv, bare table (one run)"
    cli_seconds = cli[0] if cli else anchor_seconds
    if cli is not None:
        rows.append((name, measured["seconds"], cli_name, cli_seconds))
    if writer:  # the floor of the two-process design: what SQLite itself spends, whoever reads the file
        spent = dict(re.findall(r"(inserting|other statements) ([\d.]+) s", writer[-1]))
        sqlite_seconds = sum(float(value) for value in spent.values())
        rows.append(("  of which the writer's SQLite work alone (inserts, indexes, commit)", sqlite_seconds,
                     cli_name if cli else "sqlite3 executemany", cli_seconds))  # fmt: skip
        # The other floor: all the processor time both processes spend, spread perfectly over the cores there are.
        found = re.search(r"processor time ([\d.]+) s", writer[-1])
        if found and cli is not None:
            work = measured["cpu"] + float(found.group(1))
            rows.append(("  processor time, importer + writer (core-seconds)", work,
                         "sqlite3 CLI .import, its processor time", cli[1]))  # fmt: skip
            cores = os.cpu_count() or 1
            rows.append((f"  that work shared by this machine's {cores} cores, at best", work / cores, cli_name,
                         cli_seconds))  # fmt: skip
    rows.append(("then the fraud rules over the month imported (one run)", measured["fraud"], "", 0.0))
    return rows


if __name__ == "__main__":
    for name, seconds, anchor_name, anchor_seconds in run():
        print(f"{name}: {seconds:.2f} s  |  {anchor_name}: {anchor_seconds:.2f} s")
