"""Batch printing for many affiliates: one PDF each in a folder, or one combined PDF; cancelling leaves nothing.

Threads: QTextDocument and the PDF painter stay on the GUI thread (text layout and the font engine belong to it),
so a worker only gathers each affiliate's data (queries and the 300 dpi chart, the slow part) and hands it over a
small queue; the GUI thread turns one item into a document and paints it per timer tick, so the window stays
responsive. Files go to a hidden staging folder (or a temporary PDF) and are put in place only when all are done.
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from PySide6.QtGui import QPageSize, QPainter, QPdfWriter, QTextDocument

from desktop.db import Database
from desktop.services.metrics import DateRange
from desktop.services.reports import AffiliateChoice, iter_reviews, period_key, report_file_name, statement_data
from desktop.views.report_render import (
    paint_documents,
    pdf_writer,
    print_to_pdf,
    review_document,
    statement_document,
)
from desktop.views.tasks import ProgressFn, Task

BATCH_KINDS = ("review", "statement")
_DONE = object()


def iter_batch_data(
    db: Database, kind: str, period: str | DateRange, affiliates: Sequence[AffiliateChoice]
) -> Iterator[Any]:
    """Each affiliate's report data, in order (reviews share one month's program numbers; statements may cover a
    range of months)."""
    if kind == "review":
        yield from iter_reviews(db, period_key(period), [a.id for a in affiliates])
    elif kind == "statement":
        for affiliate in affiliates:
            yield statement_data(db, affiliate.id, period)
    else:
        raise ValueError(f"batch printing makes reviews or statements, not {kind!r}")


def document_for(kind: str, data: Any) -> QTextDocument:
    return review_document(data) if kind == "review" else statement_document(data)


class PdfSink:
    """Where a batch's documents go. Nothing appears at the target until close(); discard() removes every trace."""

    def __init__(self, target: Path, combined: bool, page_size: QPageSize | None = None, title: str = "") -> None:
        self.target = Path(target)
        self.combined = combined
        self.page_size = page_size
        self.pages = 0
        self.staged: list[Path] = []
        self.made_folder = False
        token = secrets.token_hex(4)
        self._painter: QPainter | None = None
        self._writer: QPdfWriter | None = None
        if combined:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.staging = self.target.with_name(f".{self.target.name}.{token}.tmp.pdf")
            self._writer = pdf_writer(self.staging, page_size, title)
            self._painter = QPainter()
            if not self._painter.begin(self._writer):
                raise OSError(f"cannot write {self.target}")
        else:
            self.made_folder = not self.target.exists()  # removed again if the batch does not finish
            self.target.mkdir(parents=True, exist_ok=True)
            self.staging = self.target / f".affiliate-desk-batch-{token}"
            self.staging.mkdir()

    def add(self, document: QTextDocument, file_name: str) -> None:
        if self._painter is not None and self._writer is not None:
            self.pages += paint_documents(self._painter, self._writer, [document], first_page=self.pages == 0)
            return
        path = self.staging / file_name
        self.pages += print_to_pdf(document, path, self.page_size)
        self.staged.append(path)

    def _end(self) -> None:
        if self._painter is not None:
            self._painter.end()
            self._painter = None
            self._writer = None  # the writer closes its file once its painter has ended

    def close(self) -> list[Path]:
        """Put the files in place; the paths written."""
        self._end()
        if self.combined:
            os.replace(self.staging, self.target)
            return [self.target]
        placed = []
        for path in self.staged:
            final = self.target / path.name
            os.replace(path, final)
            placed.append(final)
        shutil.rmtree(self.staging, ignore_errors=True)
        return placed

    def discard(self) -> None:
        self._end()
        if self.combined:
            with suppress(OSError):
                self.staging.unlink()
        else:
            shutil.rmtree(self.staging, ignore_errors=True)
            if self.made_folder:
                with suppress(OSError):
                    self.target.rmdir()  # only when empty


@dataclass(frozen=True)
class BatchResult:
    paths: tuple[Path, ...]
    documents: int
    pages: int


class ReportBatch(QObject):
    """One batch run. Connect `progress(done, total, what)`, `finished(BatchResult)`, `failed(exc)`, `cancelled()`,
    then start(). cancel() stops the worker and the rendering, and removes what was written."""

    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()

    def __init__(self, db: Database, kind: str, period: str | DateRange, affiliates: Sequence[AffiliateChoice],
                 target: Path, *, combined: bool = False, page_size: QPageSize | None = None,
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        if kind not in BATCH_KINDS:
            raise ValueError(f"batch printing makes reviews or statements, not {kind!r}")
        self.db, self.kind, self.period = db, kind, period
        self.affiliates = tuple(affiliates)
        self.target, self.combined, self.page_size = Path(target), combined, page_size
        self.done = 0
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=4)  # a few items ahead: memory stays flat
        self._sink: PdfSink | None = None
        self._task: Task | None = None
        self._over = False

    def start(self, pool: QThreadPool | None = None) -> None:
        kind_label = "Performance reviews" if self.kind == "review" else "Affiliate statements"
        self._sink = PdfSink(self.target, self.combined, self.page_size, f"{kind_label} · {period_key(self.period)}")
        self._task = Task(self._gather, self)
        self._task.failed.connect(self._fail)
        self._task.start(pool)
        self.progress.emit(0, len(self.affiliates), "Gathering the figures")
        QTimer.singleShot(0, self._tick)

    def _gather(self, progress: ProgressFn) -> None:
        """The worker: data only (no Qt), one item at a time into the queue; Cancelled ends it."""
        total = len(self.affiliates)
        for index, data in enumerate(iter_batch_data(self.db, self.kind, self.period, self.affiliates)):
            self._put(data, progress, index, total)
        self._put(_DONE, progress, total, total)

    def _put(self, item: Any, progress: ProgressFn, done: int, total: int) -> None:
        while True:
            progress(done, total, "gathering")  # raises Cancelled once the user cancelled
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def _tick(self) -> None:
        if self._over or self._sink is None:
            return
        try:
            item = self._queue.get_nowait()
        except queue.Empty:
            QTimer.singleShot(15, self._tick)
            return
        if item is _DONE:
            self._finish()
            return
        affiliate = self.affiliates[self.done]
        try:
            name = report_file_name(self.kind, period_key(self.period), affiliate.code)
            self._sink.add(document_for(self.kind, item), name)
        except Exception as exc:  # a file that cannot be written: stop, clean up, tell
            self._fail(exc)
            return
        self.done += 1
        self.progress.emit(self.done, len(self.affiliates), f"{affiliate.name} ({affiliate.code})")
        QTimer.singleShot(0, self._tick)

    def _finish(self) -> None:
        assert self._sink is not None
        self._over = True
        try:
            paths = self._sink.close()
        except OSError as exc:
            self._sink.discard()
            self.failed.emit(exc)
            return
        self.finished.emit(BatchResult(tuple(paths), self.done, self._sink.pages))

    def _stop(self) -> bool:
        if self._over:
            return False
        self._over = True
        if self._task is not None:
            self._task.cancel()
        with suppress(queue.Empty):
            while True:  # unblock a worker waiting to put
                self._queue.get_nowait()
        if self._sink is not None:
            self._sink.discard()
        return True

    def cancel(self) -> None:
        if self._stop():
            self.cancelled.emit()

    def _fail(self, exc: object) -> None:
        if self._stop():
            self.failed.emit(exc)
