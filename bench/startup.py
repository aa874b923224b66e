"""Time from process start to the main window painted, against a bare PySide6 QMainWindow."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
class W(QMainWindow):
    done = False
    def paintEvent(self, e):
        super().paintEvent(e)
        if not self.done:
            self.done = True
            QTimer.singleShot(0, app.quit)
app = QApplication([])
w = W()
w.resize(1200, 780)
w.show()
app.exec()
"""


def _time(cmd: list[str], env: dict[str, str], runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run() -> list[tuple[str, float, str, float]]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.sqlite3"
        env["XDG_CONFIG_HOME"] = folder
        subprocess.run(
            [sys.executable, "-m", "desktop", "--db", str(db), "demo"], check=True, env=env, stdout=subprocess.DEVNULL
        )
        app = _time([sys.executable, "-m", "desktop", "--db", str(db), "gui", "--exit-after-start"], env)
        bare = _time([sys.executable, "-c", BARE], env)
        python = _time([sys.executable, "-c", "pass"], env)
    return [
        ("start-up to painted main window (demo data)", app, "bare PySide6 QMainWindow painted", bare),
        ("  of which the Python interpreter itself", python, "", 0.0),
    ]


if __name__ == "__main__":
    from bench.__main__ import print_rows

    print_rows(run())
