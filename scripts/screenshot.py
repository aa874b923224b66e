"""Save a screenshot of one page of the main window: `python scripts/screenshot.py DB OUT.png [PAGE [MS]]`.

Run it under `xvfb-run -a -s "-screen 0 1440x900x24"` to see the window exactly as a user would.
"""

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer

from desktop.db import open_database
from desktop.views.app import make_application
from desktop.views.main_window import MainWindow


def main() -> None:
    app = make_application()
    db = open_database(sys.argv[1])
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(db, settings=settings)
    window.resize(1280, 800)
    window.show()
    page = sys.argv[3] if len(sys.argv) > 3 else "home"
    window.show_page(page)  # first: the page loads in the background meanwhile

    def grab() -> None:
        app.processEvents()
        window.grab().save(sys.argv[2])
        app.quit()

    QTimer.singleShot(int(sys.argv[4]) if len(sys.argv) > 4 else 2500, grab)  # time for background loading
    app.exec()


if __name__ == "__main__":
    main()
