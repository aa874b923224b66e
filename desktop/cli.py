"""The command line: the same services as the window, with the exit codes of DESIGN.md §5."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from desktop import __version__

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT, EXIT_REFUSED = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="affiliate-desk",
        description="Run your affiliate program on your own computer. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"Affiliate Desk {__version__}")
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        help="database file or SQLAlchemy URL (default: $AFFILIATE_DESK_DB, else the user data folder)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the window (the default)")
    gui.add_argument("--exit-after-start", action="store_true", help="exit once the window has been painted")

    demo = sub.add_parser("demo", help="fill an empty database with demo data")
    demo.add_argument("--affiliates", type=int, default=60, metavar="N")
    demo.add_argument("--months", type=int, default=12, metavar="M")
    demo.add_argument("--seed", type=int, default=7, metavar="S")

    program = sub.add_parser("program", help="the program's settings as a TOML file")
    program_sub = program.add_subparsers(dest="program_command", metavar="ACTION", required=True)
    program_import = program_sub.add_parser("import", help="apply a program file")
    program_import.add_argument("file", type=Path)
    program_import.add_argument("--change-currency", action="store_true",
                                help="accept a new currency although orders in the old one are imported")  # fmt: skip
    program_sub.add_parser("export", help="write the program file").add_argument("file", type=Path)

    imports = sub.add_parser("import", help="add or update data from a file")
    import_sub = imports.add_subparsers(dest="import_command", metavar="WHAT", required=True)
    import_affiliates = import_sub.add_parser("affiliates", help="affiliates from a .csv or .xlsx file")
    import_affiliates.add_argument("file", type=Path)
    import_affiliates.add_argument("--dry-run", action="store_true", help="check the file and report; write nothing")
    from desktop.cli_imports import add_import_parsers

    add_import_parsers(import_sub)

    exports = sub.add_parser("export", help="write data to a file")
    export_sub = exports.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    export_affiliates = export_sub.add_parser("affiliates", help="affiliates to a .csv or .xlsx file")
    export_affiliates.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    export_affiliates.add_argument("--status", metavar="S", help="only affiliates with this status")

    from desktop.cli_fraud import add_fraud_parsers
    from desktop.cli_payouts import add_payout_parsers
    from desktop.cli_reports import add_report_parsers

    add_payout_parsers(sub)
    add_report_parsers(sub)
    add_fraud_parsers(sub)
    sub.add_parser("check", help="check the database's integrity")
    backup = sub.add_parser("backup", help="copy the database to a file")
    backup.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    restore = sub.add_parser("restore", help="replace the database by a backup (the old file is kept aside)")
    restore.add_argument("file", type=Path)
    return parser


def _open(args: argparse.Namespace) -> Any:
    from desktop.db import open_database

    return open_database(args.db)


def cmd_demo(args: argparse.Namespace) -> int:
    from desktop.services.demo import load_full_demo

    db = _open(args)
    try:
        summary = load_full_demo(
            db, affiliates=args.affiliates, months=args.months, seed=args.seed, progress=_progress_printer()
        )
    finally:
        db.dispose()
    print(f"Demo data loaded into {db.display_name}: {summary.affiliates} affiliates.")
    return EXIT_OK


def cmd_program(args: argparse.Namespace) -> int:
    from desktop.services.program_settings import export_program_file, import_program_file

    db = _open(args)
    try:
        if args.program_command == "import":
            settings = import_program_file(db, args.file, change_currency=args.change_currency)
            print(f"Program settings imported from {args.file}: {settings.name} ({settings.currency}).")
        else:
            export_program_file(db, args.file)
            print(f"Program settings written to {args.file}.")
    finally:
        db.dispose()
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    return IMPORTS[args.import_command](args)


def cmd_export(args: argparse.Namespace) -> int:
    return EXPORTS[args.export_command](args)


def cmd_import_affiliates(args: argparse.Namespace) -> int:
    from desktop.services.affiliate_files import import_affiliates, preview_affiliate_import
    from desktop.services.errors import BadInput

    db = _open(args)
    try:
        if args.dry_run:
            counts: Any = preview_affiliate_import(db, args.file, progress=_progress_printer())
            problems = list(counts.problems)
        else:
            counts, problems = import_affiliates(db, args.file, progress=_progress_printer()), []
    except BadInput as exc:
        problems = exc.problems
    finally:
        db.dispose()
    if problems:
        for problem in problems:  # "FILE, line N, column 'x': message", one per line
            print(problem, file=sys.stderr)
        print(f"affiliate-desk: {len(problems)} problem(s) in {args.file}; nothing was imported", file=sys.stderr)
        return EXIT_BAD_INPUT
    summary = f"{args.file}: {counts.new} new, {counts.updated} updated, {counts.unchanged} unchanged affiliates"
    print(summary + (" (dry run: nothing was written)." if args.dry_run else "."))
    return EXIT_OK


def cmd_export_affiliates(args: argparse.Namespace) -> int:
    from desktop.services.affiliate_files import export_affiliates

    db = _open(args)
    try:
        count = export_affiliates(db, args.output, status=args.status)
    finally:
        db.dispose()
    print(f"{count} affiliate{'' if count == 1 else 's'} written to {args.output}.")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from desktop.db import MalformedDatabase
    from desktop.services.maintenance import check_damaged_file, check_database

    try:
        db = _open(args)
    except MalformedDatabase as exc:  # refused for use, but what the check is for: its findings are the report
        if exc.path is None:
            raise
        report, name = check_damaged_file(exc.path), str(exc.path)
    else:
        try:
            report = check_database(db)
        finally:
            db.dispose()
        name = db.display_name
    for line in report.messages:
        print(line)
    print(f"{name}: {'ok' if report.ok else 'PROBLEMS FOUND'}")
    return EXIT_OK if report.ok else EXIT_ERROR


def cmd_backup(args: argparse.Namespace) -> int:
    from desktop.services.maintenance import backup_database

    db = _open(args)
    try:
        target = backup_database(db, args.output)
    finally:
        db.dispose()
    print(f"Backup written to {target}.")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from desktop.db import BadDatabaseLocation, InstanceLock, open_database, resolve_target, to_url
    from desktop.services.maintenance import restore_database

    url = to_url(resolve_target(args.db))
    if url.get_backend_name() != "sqlite" or not url.database:
        raise BadDatabaseLocation("restore works on a database file; restore a server database with its tools")
    lock = InstanceLock(Path(url.database))  # not under an open window: its later changes would go nowhere
    lock.acquire()
    try:
        restored = restore_database(Path(url.database), args.file)
    finally:
        lock.release()
    open_database(str(restored)).dispose()  # migrates an older backup and proves it opens
    print(f"{restored} restored from {args.file}.")
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from desktop.views.app import run_gui

    return run_gui(args.db, exit_after_start=getattr(args, "exit_after_start", False))


def _progress_printer() -> Callable[[int, int, str], None] | None:
    if not sys.stderr.isatty():
        return None

    def report(done: int, total: int, what: str) -> None:
        pct = 100 * done // total if total else 100
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{pct:3d}% {what[:60]:<60}{end}")
        sys.stderr.flush()

    return report


IMPORTS: dict[str, Callable[[argparse.Namespace], int]] = {"affiliates": cmd_import_affiliates}
EXPORTS: dict[str, Callable[[argparse.Namespace], int]] = {"affiliates": cmd_export_affiliates}

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "gui": cmd_gui,
    "demo": cmd_demo,
    "program": cmd_program,
    "check": cmd_check,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "import": cmd_import,
    "export": cmd_export,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "gui"
    try:
        handler = getattr(args, "handler", None)
        if handler is not None:  # commands that live in their own modules (cli_payouts, cli_imports, cli_fraud)
            return int(handler(args))
        return COMMANDS[command](args)
    except KeyboardInterrupt:
        print("affiliate-desk: interrupted; nothing was changed", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # one clear line per problem, never a traceback
        return _report(exc, args.db)


def _report(exc: Exception, target: str | None = None) -> int:
    from desktop.db import DatabaseError, MalformedDatabase, QueryError, driver_message, is_damage
    from desktop.services.errors import ServiceError

    if isinstance(exc, QueryError) and is_damage(exc):  # found by a query after opening: a check missed it
        exc = MalformedDatabase(f"the database is damaged ({driver_message(exc)}). {_restore_advice(target)}")
    elif isinstance(exc, QueryError):  # the database's own words, without SQLAlchemy's SQL text and parameters
        print(f"affiliate-desk: database error: {driver_message(exc)}", file=sys.stderr)
        return EXIT_ERROR
    if isinstance(exc, (DatabaseError, ServiceError)):
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"affiliate-desk: {line}", file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, ValueError):
        print(f"affiliate-desk: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if isinstance(exc, OSError):
        print(f"affiliate-desk: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_ERROR
    print(f"affiliate-desk: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
    return EXIT_ERROR


def _restore_advice(target: str | None) -> str:
    from desktop.db import resolve_target, restore_advice, to_url

    url = to_url(resolve_target(target))
    return restore_advice(Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None)


if __name__ == "__main__":
    sys.exit(main())
