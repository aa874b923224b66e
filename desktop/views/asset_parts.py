"""The asset library page's thumbnails, its grid model and the dialog that edits an asset's details."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractListModel, QDate, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QImageReader, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from desktop.db import DatabaseError
from desktop.services import asset_library as lib
from desktop.services.errors import ServiceError, ValidationFailed
from desktop.views.page_parts import FieldError

THUMB = QSize(160, 112)
ASSET_ROLE = Qt.ItemDataRole.UserRole + 1
TILE_COLOURS = {"pdf": "#b3261e", "video": "#4a3f8c", "document": "#5b6b67", "social_post": "#1f6f5c"}
TILE_WORDS = {"pdf": "PDF", "video": "VIDEO", "document": "DOC", "social_post": "POST", "email_copy": "EMAIL"}
Index = QModelIndex | QPersistentModelIndex


def thumbnail(asset: lib.AssetInfo, expired: bool) -> QPixmap:
    """The image scaled into the tile, or a coloured tile naming the kind (with the text's start for texts)."""
    canvas = QPixmap(THUMB)
    canvas.fill(QColor("#f6f8f7"))
    painter = QPainter(canvas)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    area = QRect(0, 0, THUMB.width(), THUMB.height())
    image = None
    if asset.kind == "image" and asset.file_path is not None and asset.file_path.is_file():
        reader = QImageReader(str(asset.file_path))
        reader.setAutoTransform(True)
        if reader.size().isValid():  # decode at thumbnail size: fast, even for large photos
            reader.setScaledSize(reader.size().scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
    if image is not None and not image.isNull():
        painter.drawImage((THUMB.width() - image.width()) // 2, (THUMB.height() - image.height()) // 2, image)
    else:
        missing = asset.file_path is not None and not asset.file_path.is_file()
        painter.fillRect(area.adjusted(4, 4, -4, -4), QColor(TILE_COLOURS.get(asset.kind, "#9a6700")))
        painter.setPen(QColor("white"))
        font = QFont(painter.font())
        font.setBold(True)
        font.setPointSize(13)
        painter.setFont(font)
        word = "MISSING" if missing else TILE_WORDS.get(asset.kind, asset.kind.upper())
        if asset.is_text:
            painter.drawText(area.adjusted(12, 8, -12, 0), Qt.AlignmentFlag.AlignTop, word)
            font.setBold(False)
            font.setPointSize(8)
            painter.setFont(font)
            flags = Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap
            painter.drawText(area.adjusted(12, 34, -12, -8), flags, (asset.body or "")[:140])
        else:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, word)
    if expired:
        badge = QRect(THUMB.width() - 64, 0, 64, 18)
        painter.fillRect(badge, QColor("#b3261e"))
        painter.setPen(QColor("white"))
        painter.setFont(QFont(painter.font().family(), 8, QFont.Weight.Bold))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, "EXPIRED")
    painter.end()
    return canvas


class AssetGridModel(QAbstractListModel):
    """The assets shown in the grid; thumbnails are made on first display and cached by content."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._rows: tuple[lib.AssetInfo, ...] = ()
        self.today = date.today()
        self._icons: dict[tuple[object, ...], QIcon] = {}

    def set_rows(self, rows: Sequence[lib.AssetInfo], today: date) -> None:
        self.beginResetModel()
        self._rows, self.today = tuple(rows), today
        self.endResetModel()

    def row_of(self, asset_id: int) -> int:
        return next((row for row, asset in enumerate(self._rows) if asset.id == asset_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        asset = self._rows[index.row()]
        expired = asset.is_expired(self.today)
        if role == ASSET_ROLE:
            return asset
        if role == Qt.ItemDataRole.DisplayRole:
            return asset.title
        if role == Qt.ItemDataRole.DecorationRole:
            key = (asset.id, asset.sha256, asset.body, expired)
            if key not in self._icons:
                self._icons[key] = QIcon(thumbnail(asset, expired))
            return self._icons[key]
        if role == Qt.ItemDataRole.ToolTipRole:
            expiry = f"\nExpired on {asset.expires_on:%d %b %Y}" if expired else ""
            kind = lib.KIND_LABELS.get(asset.kind, asset.kind)
            return f"{asset.title}\n{kind}, {lib.human_size(asset.size_bytes)}{expiry}"
        if role == Qt.ItemDataRole.ForegroundRole and expired:
            return QColor("#b3261e")
        return None


class AssetDialog(QDialog):
    """Title, tags, campaign, expiry and, for texts, the text itself. `submit(edit)` saves or raises."""

    def __init__(
        self, parent: QWidget, title: str, kind: str, campaigns: Sequence[str], submit: Callable[[lib.AssetEdit], None]
    ):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.kind, self._submit = kind, submit
        form = QFormLayout(self)
        self.title_edit = QLineEdit()
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("summer; banner; instagram")
        self.campaign = QComboBox()
        self.campaign.setEditable(True)
        self.campaign.addItems(["", *campaigns])
        self.expires = QCheckBox("Expires on")
        self.expires_on = QDateEdit(QDate.currentDate().addMonths(1), calendarPopup=True)
        self.expires_on.setDisplayFormat("d MMM yyyy")
        self.expires.toggled.connect(self.expires_on.setEnabled)
        self.expires_on.setEnabled(False)
        expiry = QHBoxLayout()
        expiry.addWidget(self.expires)
        expiry.addWidget(self.expires_on, 1)
        self.body = QPlainTextEdit()
        self.errors = {name: FieldError() for name in ("title", "tags", "campaign", "body")}
        for label, widget, name in (("Title", self.title_edit, "title"), ("Tags", self.tags, "tags")):
            form.addRow(label, widget)
            form.addRow("", self.errors[name])
        form.addRow("Campaign", self.campaign)
        form.addRow("", self.errors["campaign"])
        form.addRow("", expiry)
        if kind in lib.TEXT_KINDS:
            self.body.setPlaceholderText(
                "Write the post or email. {coupon}, {link} and {name} are filled in per affiliate."
            )
            self.body.setMinimumHeight(200)
            form.addRow("Text", self.body)
            form.addRow("", self.errors["body"])
            hint = QLabel("Fields: {coupon} coupon code · {link} referral link · {name} first name")
            hint.setObjectName("pageSubtitle")
            form.addRow("", hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def load(self, asset: lib.AssetInfo) -> None:
        self.title_edit.setText(asset.title)
        self.tags.setText("; ".join(asset.tags))
        self.campaign.setCurrentText(asset.campaign or "")
        self.expires.setChecked(asset.expires_on is not None)
        if asset.expires_on is not None:
            self.expires_on.setDate(QDate(asset.expires_on))
        self.body.setPlainText(asset.body or "")

    def edit(self) -> lib.AssetEdit:
        expires = self.expires_on.date().toPython() if self.expires.isChecked() else None
        campaign = self.campaign.currentText().strip() or None
        body = self.body.toPlainText() if self.kind in lib.TEXT_KINDS else None
        return lib.AssetEdit(self.title_edit.text(), lib.split_tags(self.tags.text()), campaign, expires, body)

    def accept(self) -> None:
        for error in self.errors.values():
            error.show_message(None)
        try:
            self._submit(self.edit())
        except ValidationFailed as exc:
            for name, message in exc.errors.items():
                self.errors.get(name, self.errors["title"]).show_message(message)
            return
        except (ServiceError, DatabaseError) as exc:
            self.errors["title"].show_message(str(exc))
            return
        super().accept()
