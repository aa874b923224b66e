"""Asset library: a thumbnail grid with search and filters, a preview, files added by dialog or drag and drop."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDragLeaveEvent, QDropEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database, DatabaseError
from desktop.services import asset_library as lib
from desktop.services.errors import ServiceError
from desktop.services.kits import list_kits
from desktop.views.asset_parts import ASSET_ROLE, THUMB, AssetDialog, AssetGridModel, thumbnail
from desktop.views.kit_dialog import KitDialog, make_kit
from desktop.views.page_parts import page_title
from desktop.views.tasks import Task, run_with_progress

FILE_FILTER = ("Marketing files (*.png *.jpg *.jpeg *.gif *.webp *.svg *.pdf *.docx *.pptx *.xlsx *.txt *.md *.mp4 "
               "*.mov *.webm);;All files (*)")


class AssetsPage(QWidget):
    title = "Asset library"
    files_added = Signal(object)  # lib.AddFilesResult, once files were added (by dialog or drop)

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.today = date.today()
        self.task: Task | None = None
        self.setAcceptDrops(True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addWidget(
            page_title(
                "Asset library",
                "Banners, product images, videos, documents and ready-made texts for your partners. Drag files onto "
                "this page to add them; make a kit for an affiliate or a campaign.",
            )
        )
        self.message = QLabel()
        self.message.setWordWrap(True)
        outer.addWidget(self.message)
        bar = QHBoxLayout()
        self.search = QLineEdit(placeholderText="Search titles, tags, campaigns, texts…", clearButtonEnabled=True)
        self.kind = QComboBox()
        self.kind.addItem("All kinds", None)
        for key, label in lib.KIND_LABELS.items():
            self.kind.addItem(label, key)
        self.tag, self.campaign = QComboBox(), QComboBox()
        self.show_expired = QCheckBox("Show expired")
        self.show_expired.setChecked(True)
        self.search_timer = QTimer(self, singleShot=True, interval=200, timeout=self.reload)
        self.search.textChanged.connect(lambda _t: self.search_timer.start())
        for combo in (self.kind, self.tag, self.campaign):
            combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.show_expired.toggled.connect(lambda _c: self.reload())
        for widget, stretch in ((self.search, 2), (self.kind, 0), (self.tag, 0), (self.campaign, 0)):
            bar.addWidget(widget, stretch)
        bar.addWidget(self.show_expired)
        bar.addStretch(1)
        self.add_button = QPushButton("Add files…")
        self.text_button = QPushButton("New text…")
        self.kit_button = QPushButton("Make kit…")
        self.kit_button.setObjectName("primary")
        self.add_button.clicked.connect(self.add_files_dialog)
        self.text_button.clicked.connect(lambda: self.new_text())
        self.kit_button.clicked.connect(self.make_kit)
        for button in (self.add_button, self.text_button, self.kit_button):
            bar.addWidget(button)
        outer.addLayout(bar)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.model = AssetGridModel(self)
        self.grid = QListView()
        self.grid.setModel(self.model)
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setIconSize(THUMB)
        self.grid.setGridSize(QSize(THUMB.width() + 24, THUMB.height() + 48))
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setWordWrap(True)
        self.grid.setUniformItemSizes(True)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.grid.selectionModel().selectionChanged.connect(lambda *_: self._show_preview())
        self.grid.doubleClicked.connect(lambda _i: self.edit_selected())
        splitter.addWidget(self.grid)
        splitter.addWidget(self._preview_pane())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([760, 380])
        outer.addWidget(splitter, 1)

    def _preview_pane(self) -> QWidget:
        pane = QWidget()
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(12, 0, 0, 0)
        self.preview_image = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.preview_text = QPlainTextEdit(readOnly=True)
        self.details = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.details)
        buttons = QHBoxLayout()
        self.edit_button = QPushButton("Edit details…")
        self.open_button = QPushButton("Open file")
        self.delete_button = QPushButton("Delete")
        self.edit_button.clicked.connect(self.edit_selected)
        self.open_button.clicked.connect(self.open_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        for button in (self.edit_button, self.open_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addWidget(self.preview_image)
        layout.addWidget(self.preview_text, 1)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self._show_preview()
        return pane

    # loading --------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.today = date.today()
        for combo, everything, values in (
            (self.tag, "All tags", lib.list_asset_tags(self.db)),
            (self.campaign, "All campaigns", lib.list_campaigns(self.db)),
        ):
            keep = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(everything, None)
            for value in values:
                combo.addItem(value, value)
            combo.setCurrentIndex(max(0, combo.findData(keep)))
            combo.blockSignals(False)
        self.reload()

    def current_filter(self) -> lib.AssetFilter:
        return lib.AssetFilter(
            self.search.text().strip(),
            self.kind.currentData(),
            self.tag.currentData(),
            self.campaign.currentData(),
            self.show_expired.isChecked(),
        )

    def reload(self, select: Sequence[int] = ()) -> None:
        keep = list(select) or [a.id for a in self.selected_assets()]
        rows = lib.list_assets(self.db, self.current_filter(), self.today)
        self.model.set_rows(rows, self.today)
        for asset_id in keep:
            row = self.model.row_of(asset_id)
            if row >= 0:
                self.grid.selectionModel().select(
                    self.model.index(row), self.grid.selectionModel().SelectionFlag.Select
                )
        if not rows and self.current_filter() == lib.AssetFilter():
            self._say(
                "The library is empty: drag files onto this page, use Add files…, or write a text with New text…."
            )
        self._show_preview()

    def selected_assets(self) -> list[lib.AssetInfo]:
        rows = sorted(self.grid.selectionModel().selectedIndexes(), key=lambda i: i.row())
        return [index.data(ASSET_ROLE) for index in rows]

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {'#b3261e' if error else '#1f6f5c'};")
        self.message.setText(text)

    def _show_preview(self) -> None:
        chosen = self.selected_assets()
        asset = chosen[0] if len(chosen) == 1 else None
        for button in (self.edit_button, self.delete_button):
            button.setEnabled(asset is not None)
        self.open_button.setEnabled(asset is not None and asset.file_path is not None)
        self.preview_image.clear()
        self.preview_image.setVisible(asset is not None and not asset.is_text)
        self.preview_text.setVisible(asset is not None and asset.is_text)
        if asset is None:
            self.details.setText(
                f"<b>{len(chosen)} assets selected.</b> Make a kit of them with Make kit…"
                if chosen
                else "Select an asset to see it here."
            )
            return
        if asset.is_text:
            self.preview_text.setPlainText(asset.body or "")
        elif asset.kind == "image" and asset.file_path is not None and asset.file_path.is_file():
            pixmap, box = QPixmap(str(asset.file_path)), QSize(360, 300)
            if pixmap.width() > box.width() or pixmap.height() > box.height():  # shrink, never blow up
                pixmap = pixmap.scaled(
                    box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
                )
            self.preview_image.setPixmap(pixmap)
        else:
            self.preview_image.setPixmap(thumbnail(asset, False))
        self.details.setText(self._details(asset))

    def _details(self, asset: lib.AssetInfo) -> str:
        facts = [lib.KIND_LABELS.get(asset.kind, asset.kind), lib.human_size(asset.size_bytes)]
        if asset.width and asset.height:
            facts.append(f"{asset.width} × {asset.height} px")
        rows = [f"<h3>{escape(asset.title)}</h3><p>{escape(' · '.join(facts))}</p><p>"]
        if asset.original_name:
            rows.append(f"Added from: {escape(asset.original_name)}<br>")
        rows.append(
            f"Tags: {escape(', '.join(asset.tags) or 'none')}<br>Campaign: {escape(asset.campaign or 'none')}<br>"
        )
        if asset.expires_on is None:
            rows.append("No expiry date<br>")
        elif asset.is_expired(self.today):
            rows.append(f"<span style='color:#b3261e'><b>Expired on {asset.expires_on:%d %b %Y}</b></span><br>")
        else:
            rows.append(f"Use until {asset.expires_on:%d %b %Y}<br>")
        rows.append(f"Added {asset.created_at:%d %b %Y}</p>")
        if asset.file_path is not None and not asset.file_path.is_file():
            rows.append("<p style='color:#b3261e'>The file is missing from the library folder: add it again.</p>")
        kits = list_kits(self.db, asset_id=asset.id)
        sent = [f"{escape(k.affiliate_name or k.campaign or '?')} ({k.created_at:%d %b %Y})" for k in kits[:12]]
        rows.append("<p>Sent in kits to: " + (", ".join(sent) if sent else "nobody yet") + "</p>")
        return "".join(rows)

    # adding ---------------------------------------------------------------------------------------------

    def add_files_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add files to the library", str(Path.home()), FILE_FILTER)
        if paths:
            self.add_paths([Path(p) for p in paths])

    def add_paths(self, paths: Sequence[Path]) -> None:
        """Copy files in, off the GUI thread, behind a progress dialog that can cancel."""
        db, chosen = self.db, list(paths)

        def done(result: lib.AddFilesResult) -> None:
            parts = []
            if result.added:
                parts.append(f"Added {len(result.added)} file(s).")
            parts += [f"{a.title} is already in the library." for a in result.duplicates]
            parts += result.problems
            self._say(" ".join(parts) or "Nothing was added.", error=bool(result.problems))
            self.refresh()
            self.reload(select=[a.id for a in (*result.added, *result.duplicates)])
            self.files_added.emit(result)

        def failed(exc: Exception) -> None:
            self._say(str(exc), error=True)

        self.task = run_with_progress(
            self, "Adding files…", lambda progress: lib.add_files(db, chosen, progress=progress), done, failed
        )

    def _local_files(self, event: QDragEnterEvent | QDropEvent) -> list[Path]:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        return [Path(url.toLocalFile()) for url in urls if url.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._local_files(event):
            event.acceptProposedAction()
            self.grid.setStyleSheet("QListView { border: 2px dashed #1f6f5c; background: #eef6f3; }")
            self._say("Drop the files to add them to the library.")

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.grid.setStyleSheet("")
        self.message.clear()

    def dropEvent(self, event: QDropEvent) -> None:
        self.grid.setStyleSheet("")
        paths = self._local_files(event)
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    # editing --------------------------------------------------------------------------------------------

    def new_text(self, kind: str | None = None) -> None:
        if kind is None:
            choice = QMessageBox(QMessageBox.Icon.Question, "New text", "What do you want to write?", parent=self)
            post = choice.addButton("Social post", QMessageBox.ButtonRole.AcceptRole)
            email = choice.addButton("Email copy", QMessageBox.ButtonRole.AcceptRole)
            choice.addButton(QMessageBox.StandardButton.Cancel)
            choice.exec()
            if choice.clickedButton() not in (post, email):
                return
            kind = "social_post" if choice.clickedButton() is post else "email_copy"
        added: list[lib.AssetInfo] = []
        text_kind = kind
        dialog = self.asset_dialog(
            f"New {lib.KIND_LABELS[kind].lower()}",
            kind,
            lambda e: added.append(lib.add_text_asset(self.db, text_kind, e)),
        )
        if dialog.exec() == QDialog.DialogCode.Accepted and added:
            self.refresh()
            self.reload(select=[added[0].id])

    def asset_dialog(self, title: str, kind: str, submit: Callable[[lib.AssetEdit], Any]) -> AssetDialog:
        return AssetDialog(self, title, kind, lib.list_campaigns(self.db), submit)

    def edit_selected(self) -> None:
        chosen = self.selected_assets()
        if len(chosen) != 1:
            return
        asset = chosen[0]
        dialog = self.asset_dialog(f"Edit {asset.title}", asset.kind, lambda e: lib.update_asset(self.db, asset.id, e))
        dialog.load(asset)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.refresh()

    def open_selected(self) -> None:
        chosen = self.selected_assets()
        if len(chosen) == 1 and chosen[0].file_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(chosen[0].file_path)))

    def delete_selected(self) -> None:
        chosen = self.selected_assets()
        if len(chosen) != 1:
            return
        asset = chosen[0]
        answer = QMessageBox.question(self, "Delete asset?", f"Delete {asset.title} from the library?")
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            lib.delete_asset(self.db, asset.id)
        except (ServiceError, DatabaseError) as exc:
            self._say(str(exc), error=True)
            return
        self._say(f"Deleted {asset.title}.")
        self.refresh()

    def make_kit(self) -> None:
        result = make_kit(self.db, [a.id for a in self.selected_assets()], self)
        if result is not None:
            self._say(KitDialog.summary(result))
            self.reload()
