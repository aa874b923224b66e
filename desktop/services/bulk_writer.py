"""A second process that writes a big import into SQLite while this one reads and checks the file.

An import of a million lines spends about half its time in Python (reading, checking, attributing) and half in
SQLite (inserting, indexing, committing). One Python process does them one after the other; with the writing in a
child process the two halves overlap on two cores.

The child owns the whole write transaction: BEGIN IMMEDIATE when asked, the statements it is sent, COMMIT only when
told to. If this process goes away or says anything but "commit" (a problem in the file, a cancel, an exception,
SIGKILL), the child's connection closes without committing, and SQLite rolls everything back.

Foreign keys are not checked row by row in the child: every id it writes comes from the importer, which read the
affiliates under the child's write lock and reserved the order ids itself. That is a quarter of the insert time.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

TIMING_VAR = "AFFILIATE_DESK_WRITER_TIMING"  # set: the writer prints where its time went (bench/import_conversions)
CHILD_FLAG = "--bulk-writer"  # how the bundled executable is told to be the writer (see desktop/__main__.py)
# messages: ("begin",) ("many", sql, rows) ("columns", sql, columns) ("scalar", sql, params) ("commit",) ("rollback",),
# pickled on the child's stdin (a column of texts as one joined text in a tuple: see _packed); replies, pickled on
# its stdout, to "begin", "scalar" and "commit": ("ok", value) or ("error", text). A failed "many" or "columns" is
# answered by the reply to the next of those.


class WriterFailed(RuntimeError):
    """The writer process reported an error, or went away; nothing it wrote was committed."""


def child_main(path: str) -> int:
    """The writer process: serve the importer on stdin/stdout until it commits, rolls back or goes away."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing but replies may reach the importer's end of the pipe
    # Ctrl+C reaches the whole process group: the importer decides (and rolls back by closing the pipe).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(BrokenPipeError):  # the importer went away before our answer: nothing was committed
        serve(sys.stdin.buffer, replies, path)
    return 0


def serve(requests: IO[bytes], replies: IO[bytes], path: str) -> None:
    database: sqlite3.Connection | None = None
    failure: str | None = None
    timing = os.environ.get(TIMING_VAR) is not None
    spent = {"waiting and unpickling": 0.0, "inserting": 0.0, "other statements": 0.0}
    clock = time.perf_counter

    def reply(status: str, value: Any) -> None:
        pickle.dump((status, value), replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()

    try:
        while True:
            started = clock()
            try:
                message = pickle.load(requests)
            except EOFError:  # the importer is gone: close without committing
                return
            kind = message[0]
            spent["waiting and unpickling"] += clock() - started
            started = clock()
            if kind == "many" or kind == "columns":
                if failure is None:
                    try:
                        assert database is not None
                        rows = message[2] if kind == "many" else zip(*map(_unpacked, message[2]), strict=True)
                        database.executemany(message[1], rows)
                    except Exception as exc:  # answered with the next message that expects a reply
                        failure = _describe(exc)
                spent["inserting"] += clock() - started
                continue
            if failure is not None:
                reply("error", failure)
                return
            try:
                if kind == "begin":
                    database = sqlite3.connect(path, isolation_level=None)
                    database.execute("PRAGMA busy_timeout = 5000")
                    database.execute("PRAGMA foreign_keys = OFF")
                    database.execute("PRAGMA journal_mode = WAL")
                    database.execute("PRAGMA synchronous = FULL")
                    database.execute("PRAGMA threads = 2")  # index builds sort on a second core
                    database.execute("PRAGMA wal_autocheckpoint = 0")  # after COMMIT, not in it: see below
                    database.execute("BEGIN IMMEDIATE")
                    reply("ok", None)
                elif kind == "scalar":
                    assert database is not None
                    row = database.execute(message[1], message[2]).fetchone()
                    spent["other statements"] += clock() - started
                    reply("ok", row[0] if row else None)
                elif kind == "commit":
                    assert database is not None
                    database.execute("COMMIT")
                    spent["other statements"] += clock() - started
                    if timing:  # processor time: all of this process's threads (SQLite sorts on two), start-up too
                        used = ", ".join(f"{k} {v:.2f} s" for k, v in spent.items())
                        print(f"writer process: {used}; processor time {time.process_time():.2f} s", file=sys.stderr)
                    reply("ok", None)
                    # The importer goes on now. Copying the log into the database file (300 MB for a million
                    # orders) happens here meanwhile, on the other core, instead of inside COMMIT; readers and
                    # writers carry on during it, and whoever writes next finishes it if this process cannot.
                    with contextlib.suppress(sqlite3.Error):
                        database.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    return
                else:  # rollback: nobody waits for an answer
                    return
            except Exception as exc:
                reply("error", _describe(exc))
                return
    finally:
        if database is not None:
            database.close()  # without COMMIT: rolled back


_SEPARATOR = "\x00"


def _packed(column: Sequence[Any]) -> Any:
    """A column of texts as one text in a tuple (when no text holds the separator: cheaper to pickle than
    thousands of small ones); any other column as it is (a list)."""
    if not column or type(column[0]) is not str:
        return column
    try:
        joined = _SEPARATOR.join(column)  # TypeError when one of them is no text
    except TypeError:
        return column
    if joined.count(_SEPARATOR) != len(column) - 1:
        return column
    return (joined,)


def _unpacked(column: Any) -> Any:
    return column[0].split(_SEPARATOR) if type(column) is tuple else column


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


class WriterProcess:
    """The importer's end: send statements, ask for values, commit. Use it as a context manager.

    `many` does not wait for the child: its statement is pickled and queued, and a thread feeds the queue into the
    pipe (a pipe holds 64 KB, a batch of orders ten times that: without the queue both processes would take turns).
    The queue holds QUEUED messages, so memory stays bounded when the child falls behind. An error in a `many`
    is raised by the next call that waits for an answer.
    """

    QUEUED = 16

    dialect_name = "sqlite"
    paramstyle = "qmark"

    def __init__(self, path: Path) -> None:
        self.path = path
        if getattr(sys, "frozen", False):  # the bundle: its executable knows the flag
            command = [sys.executable, CHILD_FLAG, str(path)]
        else:
            command = [sys.executable, "-m", "desktop.services.bulk_writer", str(path)]
        package_root = str(Path(__file__).resolve().parent.parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        # On Windows the bundle is a console program: without this flag the writer would open a console window.
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, creationflags=flags
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._requests: IO[bytes] = self._process.stdin
        self._replies: IO[bytes] = self._process.stdout
        self._open = True
        self._closed = False
        self._queue: queue.Queue[bytes | None] = queue.Queue(self.QUEUED)
        self._broken: OSError | None = None
        self._feeder = threading.Thread(target=self._feed, name="bulk-writer-feeder", daemon=True)
        self._feeder.start()

    def __enter__(self) -> WriterProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def begin(self) -> None:
        self._ask(("begin",))

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._send(("many", sql, rows))

    def many_columns(self, sql: str, columns: Sequence[Sequence[Any]]) -> None:
        if columns and columns[0]:
            self._send(("columns", sql, list(map(_packed, columns))))

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._ask(("scalar", sql, tuple(params)))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._ask(("scalar", sql, tuple(params)))

    def commit(self) -> None:
        """Commit and return at once: the process then checkpoints the log on its own and ends (_reap)."""
        self._ask(("commit",))
        self._open = False
        self.close(wait=False)

    def close(self, *, wait: bool = True) -> None:
        """Roll back unless committed, and end the child (or let it end in its time: `wait` False)."""
        if self._closed:
            return
        self._closed = True
        if self._open:
            self._open = False
            with contextlib.suppress(WriterFailed):
                self._send(("rollback",))
        if self._feeder.is_alive():
            self._queue.put(None)
            self._feeder.join()
        for pipe in (self._requests, self._replies):
            with contextlib.suppress(OSError):
                pipe.close()
        if not wait:
            threading.Thread(target=self._process.wait, name="bulk-writer-reaper", daemon=True).start()
            return
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _send(self, message: tuple[Any, ...]) -> None:
        if self._broken is not None or not self._feeder.is_alive():
            raise WriterFailed(f"the writing process stopped ({self._broken}); nothing was saved")
        self._queue.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def _feed(self) -> None:
        """The feeder thread: queued messages into the pipe, whole (one write each, the GIL released meanwhile)."""
        fd = self._requests.fileno()
        while (data := self._queue.get()) is not None:
            if self._broken is not None:
                continue  # drain: the child is gone
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            except OSError as exc:
                self._broken = exc

    def _ask(self, message: tuple[Any, ...]) -> Any:
        self._send(message)
        try:
            status, value = pickle.load(self._replies)
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            self._open = False
            raise WriterFailed("the writing process stopped; nothing was saved") from exc
        if status != "ok":
            self._open = False
            raise WriterFailed(f"writing failed, nothing was saved: {value}")
        return value


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1]))
