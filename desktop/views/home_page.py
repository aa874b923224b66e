"""Home: the welcome page of an empty database, the dashboard once there is data."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database, QueryError
from desktop.services.maintenance import is_empty
from desktop.views.dashboard_page import DashboardPage
from desktop.views.page_parts import page_title


class WelcomePanel(QWidget):
    load_demo_requested = Signal()
    setup_requested = Signal()
    import_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 40, 48, 40)
        layout.addWidget(
            page_title(
                "Welcome to Affiliate Desk",
                "Everything about your affiliate program lives in one file on this computer. "
                "Start with demo data to look around, or set up your own program.",
            )
        )
        self.demo_button = self._action(
            layout,
            "Load demo data",
            "A sample outdoor shop with 60 affiliates. Explore freely; "
            "start a new database (File ▸ New database…) for your real program.",
            primary=True,
        )
        self.demo_button.clicked.connect(self.load_demo_requested)
        self.import_button = self._action(
            layout,
            "Import affiliates…",
            "Bring in your partners from a spreadsheet (CSV or Excel) with columns "
            "like code, name, email, coupon_codes. You see every row checked before anything is saved.",
        )
        self.import_button.clicked.connect(self.import_requested)
        self.setup_button = self._action(
            layout,
            "Set up the program",
            "Name your program, its currency and time zone, the cookie window, "
            "the payout threshold and the monthly goal.",
        )
        self.setup_button.clicked.connect(self.setup_requested)
        layout.addStretch(1)

    def _action(self, layout: QVBoxLayout, label: str, explanation: str, primary: bool = False) -> QPushButton:
        row = QHBoxLayout()
        button = QPushButton(label)
        button.setMinimumWidth(200)
        if primary:
            button.setObjectName("primary")
        text = QLabel(explanation)
        text.setWordWrap(True)
        row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(text, 1)
        layout.addSpacing(12)
        layout.addLayout(row)
        return button


class HomePage(QWidget):
    title = "Home"

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.stack = QStackedWidget()
        self.welcome = WelcomePanel()
        self.overview = DashboardPage(db)
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.overview)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    @property
    def showing_welcome(self) -> bool:
        return self.stack.currentWidget() is self.welcome

    def refresh(self) -> None:
        try:
            empty = is_empty(self.db)
        except QueryError:
            self.stack.setCurrentWidget(self.overview)  # not the welcome of a new database; the window says why
            raise
        if empty:
            self.stack.setCurrentWidget(self.welcome)
        else:
            self.stack.setCurrentWidget(self.overview)
            self.overview.refresh()
