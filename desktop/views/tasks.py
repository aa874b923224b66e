"""Long work off the GUI thread: a Qt-free function runs in the thread pool, its progress and result come back.

The function receives a `progress(done, total, what)` callback. Cancelling makes that callback raise
`Cancelled` inside the worker, so the service's transaction rolls back and nothing is changed.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

ProgressFn = Callable[[int, int, str], None]


class Cancelled(Exception):
    """Raised inside the worker when the user pressed Cancel."""


class _Signals(QObject):
    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()


class _Runnable(QRunnable):
    def __init__(self, task: Task):
        super().__init__()
        self.task = task

    def run(self) -> None:
        self.task._run()


class Task(QObject):
    """One piece of background work. Connect to `finished`, `failed`, `cancelled`, `progress`."""

    def __init__(self, func: Callable[[ProgressFn], Any], parent: QObject | None = None):
        super().__init__(parent)
        self._func = func
        self._cancel = threading.Event()
        self.signals = _Signals()
        self.finished = self.signals.finished
        self.failed = self.signals.failed
        self.cancelled = self.signals.cancelled
        self.progress = self.signals.progress
        self.traceback = ""

    def cancel(self) -> None:
        self._cancel.set()

    def _report(self, done: int, total: int, what: str) -> None:
        if self._cancel.is_set():
            raise Cancelled()
        try:
            self.signals.progress.emit(done, total, what)
        except RuntimeError as exc:  # the window is gone: stop the work, which rolls it back
            raise Cancelled() from exc

    def _run(self) -> None:
        try:
            result = self._func(self._report)
        except Cancelled:
            self._emit(self.signals.cancelled)
        except Exception as exc:  # handed to the GUI thread, which shows it
            self.traceback = traceback.format_exc()
            self._emit(self.signals.failed, exc)
        else:
            self._emit(self.signals.finished, result)

    @staticmethod
    def _emit(signal: Any, *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the window that asked is gone (closed meanwhile): nobody to tell
            signal.emit(*args)

    def start(self, pool: QThreadPool | None = None) -> Task:
        (pool or QThreadPool.globalInstance()).start(_Runnable(self))
        return self


def run_with_progress(
    parent: QWidget,
    title: str,
    func: Callable[[ProgressFn], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[Exception], None],
) -> Task:
    """Run `func` in the background behind a progress dialog with a Cancel button."""
    dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    task = Task(func, parent)
    dialog.canceled.connect(task.cancel)

    def progress(done: int, total: int, what: str) -> None:
        dialog.setMaximum(max(total, 1))
        dialog.setValue(done)
        dialog.setLabelText(what)

    def close() -> None:
        dialog.canceled.disconnect(task.cancel)
        dialog.close()
        dialog.deleteLater()

    task.progress.connect(progress)
    task.finished.connect(lambda result: (close(), on_done(result)))
    task.failed.connect(lambda exc: (close(), on_error(exc)))
    task.cancelled.connect(close)
    task.dialog = dialog  # type: ignore[attr-defined]
    return task.start()
