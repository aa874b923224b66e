"""Make kit: choose the affiliate or campaign, the assets and where the zip goes; the kit is built and logged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database, DatabaseError
from desktop.services.asset_library import KIND_LABELS, AssetFilter, list_assets, list_campaigns
from desktop.services.errors import ServiceError
from desktop.services.kits import KitRecipient, KitResult, build_kit, kit_recipients, suggested_file_name
from desktop.views.page_parts import FieldError

ASSET_ID_ROLE = Qt.ItemDataRole.UserRole + 1
CAMPAIGN_ROLE = Qt.ItemDataRole.UserRole + 2
EXPIRED_ROLE = Qt.ItemDataRole.UserRole + 3


class KitDialog(QDialog):
    """After exec(), `result_kit` holds what was built (None when cancelled)."""

    def __init__(
        self,
        db: Database,
        asset_ids: Sequence[int] = (),
        parent: QWidget | None = None,
        *,
        settings: QSettings | None = None,
        today: date | None = None,
    ):
        super().__init__(parent)
        self.db = db
        self.settings = settings or QSettings()
        self.today = today or date.today()
        self.result_kit: KitResult | None = None
        self.setWindowTitle("Make a kit")
        self.setMinimumSize(560, 560)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.for_affiliate = QRadioButton("An affiliate: texts get their coupon code and referral link")
        self.for_campaign = QRadioButton("A campaign, for any partner: texts keep blanks to fill in")
        self.for_affiliate.setChecked(True)
        self.affiliate = QComboBox()
        self.recipients: tuple[KitRecipient, ...] = kit_recipients(db)
        for recipient in self.recipients:
            coupon = f" · coupon {recipient.coupon}" if recipient.coupon else " · no coupon code"
            paused = " · paused" if recipient.status == "paused" else ""
            self.affiliate.addItem(f"{recipient.name} ({recipient.code}){coupon}{paused}", recipient.id)
        self.affiliate.setEditable(True)  # type to find a partner among many
        self.affiliate.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.campaign = QComboBox()
        self.campaign.setEditable(True)
        self.campaign.addItem("")
        self.campaign.addItems(list(list_campaigns(db)))
        for_box = QVBoxLayout()
        for widget in (self.for_affiliate, self.affiliate, self.for_campaign):
            for_box.addWidget(widget)
        form.addRow("For", for_box)
        form.addRow("Campaign", self.campaign)
        self.assets = QListWidget()
        self.include_expired = QCheckBox("Include expired assets I ticked")
        campaign_button = QPushButton("Tick the campaign's assets")
        campaign_button.clicked.connect(self.tick_campaign)
        asset_box = QVBoxLayout()
        asset_box.addWidget(self.assets, 1)
        row = QHBoxLayout()
        row.addWidget(self.include_expired)
        row.addStretch(1)
        row.addWidget(campaign_button)
        asset_box.addLayout(row)
        form.addRow("Assets", asset_box)
        self.path = QLineEdit()
        choose = QPushButton("Choose…")
        choose.clicked.connect(self.choose_path)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(choose)
        form.addRow("Save as", path_row)
        layout.addLayout(form, 1)
        self.error = FieldError()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Make kit")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._fill_assets(set(asset_ids))
        self.for_affiliate.toggled.connect(self._update)
        self.affiliate.currentIndexChanged.connect(self._update)
        self.campaign.currentTextChanged.connect(self._update)
        if not self.recipients:
            self.for_campaign.setChecked(True)
            self.for_affiliate.setEnabled(False)
        self._update()

    def _fill_assets(self, chosen: set[int]) -> None:
        for asset in list_assets(self.db, AssetFilter(include_expired=True), self.today):
            expired = asset.is_expired(self.today)
            label = f"{asset.title}  ·  {KIND_LABELS.get(asset.kind, asset.kind)}"
            if asset.campaign:
                label += f"  ·  {asset.campaign}"
            if expired:
                label += f"  ·  expired {asset.expires_on:%d %b %Y}"
            item = QListWidgetItem(label)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if asset.id in chosen else Qt.CheckState.Unchecked)
            item.setData(ASSET_ID_ROLE, asset.id)
            item.setData(CAMPAIGN_ROLE, asset.campaign or "")
            item.setData(EXPIRED_ROLE, expired)
            if expired:
                item.setForeground(Qt.GlobalColor.darkRed)
            self.assets.addItem(item)

    def checked_ids(self) -> list[int]:
        items = (self.assets.item(row) for row in range(self.assets.count()))
        return [item.data(ASSET_ID_ROLE) for item in items if item.checkState() == Qt.CheckState.Checked]

    def tick_campaign(self) -> None:
        campaign = self.campaign.currentText().strip()
        for row in range(self.assets.count()):
            item = self.assets.item(row)
            if campaign and item.data(CAMPAIGN_ROLE) == campaign and not item.data(EXPIRED_ROLE):
                item.setCheckState(Qt.CheckState.Checked)

    def recipient(self) -> KitRecipient | None:
        if not self.for_affiliate.isChecked():
            return None
        chosen = self.affiliate.currentData()
        return next((r for r in self.recipients if r.id == chosen), None)

    def _update(self) -> None:
        self.affiliate.setEnabled(self.for_affiliate.isChecked())
        folder = self.settings.value("files/kit_folder", "") or str(Path.home())
        name = suggested_file_name(self.recipient(), self.campaign.currentText().strip() or None, self.today)
        current = self.path.text().strip()
        if not current or Path(current).name.startswith("kit"):  # still our suggestion: follow the choice
            self.path.setText(str(Path(current).parent / name if current else Path(str(folder)) / name))

    def choose_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the kit as", self.path.text(), "Zip archive (*.zip)")
        if path:
            self.path.setText(path if path.lower().endswith(".zip") else path + ".zip")

    def accept(self) -> None:
        recipient = self.recipient()
        if self.for_affiliate.isChecked() and recipient is None:
            self.error.show_message("Choose the affiliate the kit is for.")
            return
        path = self.path.text().strip()
        if not path:
            self.error.show_message("Choose where to save the kit.")
            return
        try:
            self.result_kit = build_kit(
                self.db,
                affiliate_id=recipient.id if recipient else None,
                campaign=self.campaign.currentText().strip() or None,
                asset_ids=self.checked_ids(),
                out_path=Path(path),
                include_expired=self.include_expired.isChecked(),
            )
        except (ServiceError, DatabaseError, OSError) as exc:
            self.error.show_message(str(exc))
            return
        self.settings.setValue("files/kit_folder", str(Path(path).parent))
        super().accept()

    @staticmethod
    def summary(result: KitResult) -> str:
        text = f"Kit for {result.for_whom} saved as {result.path} ({len(result.files)} files)."
        if result.onboarding_ticked:
            text += " Onboarding: asset kit sent is ticked."
        return " ".join([text, *result.warnings])


def make_kit(db: Database, asset_ids: Sequence[int], parent: QWidget) -> KitResult | None:
    dialog = KitDialog(db, asset_ids, parent)
    return dialog.result_kit if dialog.exec() == QDialog.DialogCode.Accepted else None
