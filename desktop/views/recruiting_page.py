"""Recruiting: the candidate pipeline with fit scores, the screening checklist, approval and onboarding."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TypeVar

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database, DatabaseError
from desktop.services.errors import ServiceError, ValidationFailed
from desktop.services.recruiting import (
    STAGE_LABELS,
    Candidate,
    Decision,
    Pipeline,
    ScreeningInput,
    ScreeningView,
    decide,
    get_screening,
    list_candidates,
    list_onboarding,
    missing_for_approval,
    move_to_stage,
    save_screening,
    update_onboarding,
)
from desktop.views.page_parts import FieldError, page_title
from desktop.views.recruiting_parts import (
    COL_FIT,
    COL_NAME,
    ROW_ROLE,
    SORT_ROLE,
    CandidateTableModel,
    ReasonDialog,
    fit_colour,
)

STAGES = tuple(STAGE_LABELS)
STATUS_WORDS = {"prospect": "Prospect", "applied": "Applied", "screening": "In screening"}
CHECK_LABELS = (  # (field, label, what to look for)
    ("website_reviewed", "Website reviewed", "Content and quality fit your brand; nothing against your guidelines."),
    ("backlinks_checked", "Backlinks checked", "No spammy link networks or link farms point to the site."),
    ("socials_verified", "Social profiles verified", "Real followers, and they are who they say they are."),
    ("reviews_checked", "Online reviews checked", "What others say about them: complaints, scandals, scams."),
)
RISK_CHOICES = ((None, "Not rated yet"), ("low", "Low risk"), ("medium", "Medium risk"), ("high", "High risk"))
ONBOARDING_STEPS = ("Goals and KPIs sent", "Terms accepted", "Asset kit sent")

T = TypeVar("T")


def _text(text: str = "", name: str = "") -> QLabel:
    """A word-wrapping label of plain text: it shows names, niches and errors as typed, never as markup."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    return label


def _plain(label: FieldError) -> FieldError:
    label.setTextFormat(Qt.TextFormat.PlainText)  # service errors quote names
    return label


class RecruitingPage(QWidget):
    title = "Recruiting"

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.pipeline = Pipeline((), (), (), ())
        self.current: Candidate | None = None
        self.loaded: ScreeningView | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addWidget(
            page_title(
                "Recruiting",
                "Candidates move from prospect to applied to screening; the best fit is on top. "
                "Screen them, then approve or reject. Approved partners are onboarded at the bottom.",
            )
        )
        self.niches_hint = _text(
            "Tip: enter the niches you recruit for in Program ▸ Niches we recruit for. "
            "Until then every candidate gets a neutral audience score."
        )
        self.niches_hint.setStyleSheet("background: #fff4d6; padding: 6px; border-radius: 4px;")
        self.message = _text()
        outer.addWidget(self.niches_hint)
        outer.addWidget(self.message)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(splitter, 1)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 8, 0)
        self.tabs = QTabWidget()
        self.models: dict[str, CandidateTableModel] = {}
        self.tables: dict[str, QTableView] = {}
        for stage in STAGES:
            self.tabs.addTab(self._make_table(stage), STAGE_LABELS[stage])
        self.tabs.currentChanged.connect(lambda _i: self._show_current_of_tab())
        left_layout.addWidget(self.tabs, 3)
        self.onboarding_box = QGroupBox("Onboarding")
        onboarding_layout = QVBoxLayout(self.onboarding_box)
        onboarding_layout.addWidget(_text("Partners you approved: tick each step as you do it.", "pageSubtitle"))
        rows = QWidget()
        self.onboarding_grid = QGridLayout(rows)
        self.onboarding_grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.onboarding_rows: dict[int, tuple[QCheckBox, QCheckBox, QCheckBox]] = {}
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(rows)
        onboarding_layout.addWidget(scroll)
        left_layout.addWidget(self.onboarding_box, 1)
        splitter.addWidget(left)

        right = QWidget()
        right.setMinimumWidth(400)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._make_detail())
        right_layout.addWidget(scroll, 1)
        right_layout.addWidget(self.actions_bar)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self._revert)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, self.save_screening)

    # building -------------------------------------------------------------------------------------------

    def _make_table(self, stage: str) -> QTableView:
        model = CandidateTableModel(self)
        proxy = QSortFilterProxyModel(self)
        proxy.setSourceModel(model)
        proxy.setSortRole(SORT_ROLE)
        table = QTableView()
        table.setModel(proxy)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSortingEnabled(True)
        table.sortByColumn(COL_FIT, Qt.SortOrder.DescendingOrder)
        table.verticalHeader().hide()
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        for col in range(1, model.columnCount()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        table.selectionModel().currentRowChanged.connect(lambda current, _prev: self._select(current))
        self.models[stage], self.tables[stage] = model, table
        return table

    def _make_detail(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        self.placeholder = _text("Select a candidate on the left to see the fit score and the screening checklist.")
        self.placeholder.setObjectName("pageSubtitle")
        layout.addWidget(self.placeholder)
        self.detail = QWidget()
        box = QVBoxLayout(self.detail)
        box.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        self.name_label = _text(name="pageTitle")
        self.move_button = QPushButton("Move to…")
        self.move_button.setToolTip("Put the candidate in another stage of the pipeline")
        self.move_menu = QMenu(self.move_button)
        self.move_button.setMenu(self.move_menu)
        header.addWidget(self.name_label, 1)
        header.addWidget(self.move_button, 0, Qt.AlignmentFlag.AlignTop)
        box.addLayout(header)
        self.facts_label = _text(name="pageSubtitle")
        box.addWidget(self.facts_label)

        fit_box = QGroupBox("Fit score")
        fit_layout = QGridLayout(fit_box)
        self.fit_total = QLabel()
        fit_layout.addWidget(self.fit_total, 0, 0, 1, 2)
        self.fit_bars: list[QProgressBar] = []
        self.fit_reasons: list[QLabel] = []
        for row, (label, maximum) in enumerate((("Audience match", 40), ("Reach", 30), ("Engagement", 30))):
            bar = QProgressBar()
            bar.setRange(0, maximum)
            bar.setTextVisible(False)  # the sentence under it says "20 of 40"
            bar.setMaximumHeight(10)
            reason = _text()
            fit_layout.addWidget(QLabel(label), 1 + 2 * row, 0)
            fit_layout.addWidget(bar, 1 + 2 * row, 1)
            fit_layout.addWidget(reason, 2 + 2 * row, 0, 1, 2)
            self.fit_bars.append(bar)
            self.fit_reasons.append(reason)
        fit_layout.setColumnStretch(1, 1)
        box.addWidget(fit_box)

        check_box = QGroupBox("Screening checklist")
        check_layout = QVBoxLayout(check_box)
        self.checks: dict[str, QCheckBox] = {}
        for field, label, hint in CHECK_LABELS:
            self.checks[field] = QCheckBox(label)
            self.checks[field].setToolTip(hint)
            self.checks[field].toggled.connect(self._form_changed)
            check_layout.addWidget(self.checks[field])
        risk_row = QHBoxLayout()
        risk_row.addWidget(QLabel("Risk rating"))
        self.risk = QComboBox()
        for key, label in RISK_CHOICES:
            self.risk.addItem(label, key)
        self.risk.currentIndexChanged.connect(self._form_changed)
        risk_row.addWidget(self.risk, 1)
        check_layout.addLayout(risk_row)
        self.risk_error = _plain(FieldError())
        check_layout.addWidget(self.risk_error)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Notes: what you found, links, red flags…")
        self.notes.setMaximumHeight(60)
        self.notes.textChanged.connect(self._form_changed)
        check_layout.addWidget(self.notes)
        self.missing_label = _text(name="pageSubtitle")
        check_layout.addWidget(self.missing_label)
        box.addWidget(check_box)
        box.addStretch(1)
        layout.addWidget(self.detail)
        layout.addStretch(1)
        self.detail.hide()

        # the actions stay in sight below the scrolling detail, however long it gets
        self.actions_bar = QWidget()
        actions = QVBoxLayout(self.actions_bar)
        actions.setContentsMargins(0, 6, 0, 0)
        self.unsaved = _text(name="pageSubtitle")
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save screening")
        self.save_button.clicked.connect(self.save_screening)
        self.approve_button = QPushButton("Approve…")
        self.approve_button.setObjectName("primary")
        self.approve_button.clicked.connect(self.approve)
        self.reject_button = QPushButton("Reject…")
        self.reject_button.clicked.connect(self.reject)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.reject_button)
        self.action_error = _plain(FieldError())
        actions.addWidget(self.unsaved)
        actions.addLayout(buttons)
        actions.addWidget(self.action_error)
        self.actions_bar.hide()
        return panel

    # loading --------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the pipeline; screening edits on screen are saved first (they were thrown away)."""
        if not self._store_screening():
            return
        keep = self.current.id if self.current else None
        pipeline = self._call(lambda: list_candidates(self.db))
        if pipeline is None:
            return
        self.pipeline = pipeline
        self.niches_hint.setVisible(not self.pipeline.target_niches)
        for index, stage in enumerate(STAGES):
            self.models[stage].set_rows(self.pipeline.stage(stage))
            self.tabs.setTabText(index, f"{STAGE_LABELS[stage]} ({len(self.pipeline.stage(stage))})")
        self._load_onboarding()
        empty = not (self.pipeline.prospect or self.pipeline.applied or self.pipeline.screening)
        self.placeholder.setText(
            "No candidates yet. Affiliates with the status prospect, applied or screening appear here."
            if empty
            else "Select a candidate on the left to see the fit score and the screening checklist."
        )
        candidate = self.pipeline.find(keep) if keep is not None else None
        if candidate is None:
            self._show(None)
        else:
            self.select_candidate(candidate.id)

    def select_candidate(self, affiliate_id: int) -> bool:
        candidate = self.pipeline.find(affiliate_id)
        if candidate is None:
            return False
        self.tabs.setCurrentIndex(STAGES.index(candidate.status))
        table, model = self.tables[candidate.status], self.models[candidate.status]
        proxy = table.model()
        assert isinstance(proxy, QSortFilterProxyModel)
        table.setCurrentIndex(proxy.mapFromSource(model.index(model.row_of(affiliate_id), COL_NAME)))
        if self.current is not candidate:
            self._show(candidate)
        return True

    def _select(self, index: QModelIndex) -> None:
        self._show(index.data(ROW_ROLE) if index.isValid() else None)

    def _show_current_of_tab(self) -> None:
        self._select(self.tables[STAGES[self.tabs.currentIndex()]].currentIndex())

    def _show(self, candidate: Candidate | None) -> None:
        if (candidate is None or self.current is None or candidate.id != self.current.id) and (
            not self._store_screening()
        ):
            return  # the edits stay on screen with the reason they could not be saved
        self.action_error.show_message(None)
        self.risk_error.show_message(None)
        chosen = candidate.id if candidate is not None else None
        self.loaded = None if chosen is None else self._call(lambda: get_screening(self.db, chosen))
        if self.loaded is None:
            candidate = None
        self.current = candidate
        self.detail.setVisible(candidate is not None)
        self.actions_bar.setVisible(candidate is not None)
        self.placeholder.setVisible(candidate is None)
        if candidate is None or self.loaded is None:
            return
        self.name_label.setText(f"{candidate.name}  ({candidate.code})")
        facts = [STATUS_WORDS[candidate.status], f"{candidate.total_followers:,} followers"]
        facts.append("niches: " + (", ".join(candidate.niches) or "none recorded"))
        self.facts_label.setText(" · ".join(facts))
        self.fit_total.setText(f"{candidate.fit.total} of 100")
        colour = fit_colour(candidate.fit.total).name()
        self.fit_total.setStyleSheet(f"font-size: 22px; font-weight: 600; color: {colour};")
        parts = (candidate.fit.audience, candidate.fit.reach, candidate.fit.engagement)
        for bar, label, value, sentence in zip(
            self.fit_bars, self.fit_reasons, parts, candidate.fit.explanation, strict=True
        ):
            bar.setValue(value)
            label.setText(sentence)
        self._fill_form(self.loaded.checklist)
        self.move_menu.clear()
        for stage in STAGES:
            if stage != candidate.status:
                action = self.move_menu.addAction(STAGE_LABELS[stage])
                action.triggered.connect(lambda _c=False, s=stage: self.move_to(s))

    def _fill_form(self, checklist: ScreeningInput) -> None:
        for field, box in self.checks.items():
            box.blockSignals(True)
            box.setChecked(bool(getattr(checklist, field)))
            box.blockSignals(False)
        self.risk.blockSignals(True)
        self.risk.setCurrentIndex(max(0, self.risk.findData(checklist.risk_rating)))
        self.risk.blockSignals(False)
        self.notes.blockSignals(True)
        self.notes.setPlainText(checklist.notes)
        self.notes.blockSignals(False)
        self._form_changed()

    def form_checklist(self) -> ScreeningInput:
        values = {field: box.isChecked() for field, box in self.checks.items()}
        return ScreeningInput(**values, risk_rating=self.risk.currentData(), notes=self.notes.toPlainText())

    def _dirty(self) -> bool:
        return self.loaded is not None and self.form_checklist() != self.loaded.checklist

    def _form_changed(self) -> None:
        dirty = self._dirty()
        self.unsaved.setText("Not saved yet: Save screening (or moving on) keeps them, Esc undoes them.")
        self.unsaved.setVisible(dirty)
        self.save_button.setEnabled(dirty)
        missing = missing_for_approval(self.form_checklist())
        self.approve_button.setEnabled(not missing)
        text = "Before you can approve: " + "; ".join(missing) + "." if missing else "Checklist complete."
        self.missing_label.setText(text)
        self.approve_button.setToolTip(text)

    def _revert(self) -> None:
        if self.loaded is not None:
            self._fill_form(self.loaded.checklist)

    # actions --------------------------------------------------------------------------------------------

    def _call(self, call: Callable[[], T], where: FieldError | None = None) -> T | None:
        """Run a service call; its error is shown next to the control (`where`) or above, never as a traceback."""
        try:
            return call()
        except ValidationFailed as exc:
            if "risk_rating" in exc.errors:
                self.risk_error.show_message(exc.errors["risk_rating"])
                return None
            text = str(exc)
        except (ServiceError, DatabaseError) as exc:
            text = str(exc)
        if where is not None:
            where.show_message(text)
        else:
            self.message.setStyleSheet("color: #b3261e;")
            self.message.setText(text)
        return None

    def _done(self, text: str) -> None:
        self.message.setStyleSheet("color: #1f6f5c;")
        self.message.setText(text)
        self.refresh()

    def save_screening(self) -> bool:
        if self.current is None or not self._dirty():
            return False
        name = self.current.name
        if not self._store_screening():
            return False
        self._done(f"Screening of {name} saved.")
        return True

    def keep_unsaved(self) -> str | None:
        """Before the window closes: screening edits are saved; what could not be, named."""
        if self._store_screening() or self.current is None:
            return None
        return f"the screening of {self.current.name}"

    def _store_screening(self) -> bool:
        """Save the screening form if it was edited (moving on saves it, like a draft): whether nothing is left
        unsaved."""
        if self.current is None or not self._dirty():
            return True
        candidate, checklist = self.current, self.form_checklist()
        if self._call(lambda: save_screening(self.db, candidate.id, checklist), self.action_error) is None:
            return False
        self.loaded = self._call(lambda: get_screening(self.db, candidate.id))
        self._form_changed()
        return self.loaded is not None

    def _decide(self, decision: Decision, verb: str, prompt: str, done: str) -> None:
        candidate = self.current
        if candidate is None:
            return
        save_first, checklist = self._dirty(), self.form_checklist()
        saved: list[bool] = []

        def submit(reason: str) -> str | None:
            try:
                if save_first and not saved:  # the ticks on screen are what the decision is based on
                    save_screening(self.db, candidate.id, checklist)
                    saved.append(True)
                decide(self.db, candidate.id, decision, reason)
            except ValidationFailed as exc:
                return next(iter(exc.errors.values()), str(exc))
            except (ServiceError, DatabaseError) as exc:
                return str(exc)
            return None

        dialog = ReasonDialog(self, f"{verb} {candidate.name}", prompt, verb, submit)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.current = self.loaded = None  # no longer a candidate: nothing of the form is left to keep
            self._done(done.format(name=candidate.name))
        elif saved:  # the checklist was saved before the decision failed or was cancelled
            self.loaded = self._call(lambda: get_screening(self.db, candidate.id))
            self.refresh()

    def approve(self) -> None:
        prompt = "Why do you approve this partner? The reason is kept in their history."
        if self.form_checklist().risk_rating == "high":
            prompt = "You rated the risk high. Say why you approve this partner anyway; it is kept in their history."
        done = "{name} is now an active affiliate. Tick off the onboarding steps below as you do them."
        self._decide("approved", "Approve", prompt, done)

    def reject(self) -> None:
        prompt = "Why do you turn this candidate down? The reason is kept in their history."
        self._decide("rejected", "Reject", prompt, "{name} was rejected and has left the pipeline.")

    def move_to(self, stage: str) -> None:
        candidate = self.current
        if candidate is None or not self._store_screening():  # the ticks first: saving them starts screening
            return

        def move() -> bool:
            move_to_stage(self.db, candidate.id, stage)
            return True

        if self._call(move, self.action_error):
            self._done(f"{candidate.name} moved to {STAGE_LABELS[stage]}.")

    # onboarding -----------------------------------------------------------------------------------------

    def _load_onboarding(self) -> None:
        while self.onboarding_grid.count():
            item = self.onboarding_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.onboarding_rows = {}
        rows = self._call(lambda: list_onboarding(self.db)) or ()
        if not rows:
            empty = _text("Nobody is waiting for onboarding. Partners you approve appear here.", "pageSubtitle")
            self.onboarding_grid.addWidget(empty, 0, 0)
            return
        for row, view in enumerate(rows):
            name = QLabel(f"<b>{escape(view.name)}</b> ({escape(view.code)}), approved {view.started_at:%d %b %Y}")
            self.onboarding_grid.addWidget(name, 2 * row, 0, 1, 4)
            values = (view.goals_communicated, view.terms_accepted, view.asset_kit_sent)
            boxes = tuple(QCheckBox(label) for label in ONBOARDING_STEPS)
            boxes[1].setToolTip("Once terms are published, this follows their recorded acceptance of the latest "
                                "version (Guidelines page ▸ Acceptance).")  # fmt: skip
            for col, (box, value) in enumerate(zip(boxes, values, strict=True)):
                box.setChecked(value)
                box.toggled.connect(lambda _v, a=view.affiliate_id: self._onboarding_changed(a))
                self.onboarding_grid.addWidget(box, 2 * row + 1, col)
            self.onboarding_rows[view.affiliate_id] = (boxes[0], boxes[1], boxes[2])
        self.onboarding_grid.setColumnStretch(3, 1)

    def _onboarding_changed(self, affiliate_id: int) -> None:
        goals, terms, kit = (box.isChecked() for box in self.onboarding_rows[affiliate_id])
        steps = {"goals_communicated": goals, "terms_accepted": terms, "asset_kit_sent": kit}
        result = self._call(lambda: update_onboarding(self.db, affiliate_id, **steps))
        if result is None:
            self.refresh()  # show what is really saved
        elif result.complete:
            self._done(f"Onboarding of {result.name} is complete.")
