"""Make kit: choose the affiliate or campaign, the assets and where the zip goes; the kit is built and logged.

The affiliate is whoever the text in the box names (typed or picked), never a stale earlier choice; the file name
follows the choices only until the person types or chooses one, and an existing file is replaced only when they say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database, DatabaseError
from desktop.services.asset_library import KIND_LABELS, AssetFilter, list_assets, list_campaigns
from desktop.services.errors import BadInput, ServiceError
from desktop.services.kits import (
    BLANKS,
    KitRecipient,
    KitResult,
    build_kit,
    find_recipient,
    kit_recipients,
    recipient_label,
    suggested_file_name,
)
from desktop.services.program_settings import get_program
from desktop.services.safe_files import check_target
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
            self.affiliate.addItem(recipient_label(recipient), recipient.id)
        self.affiliate.setEditable(True)  # type to find a partner among many
        self.affiliate.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.affiliate.setCurrentIndex(-1)  # nobody until chosen: the first partner was taken without a word
        self.affiliate.lineEdit().setPlaceholderText("Type part of the name or the code")
        # any part of the name, the code or the coupon, like find_recipient() reads the text
        completer = QCompleter(self.affiliate.model(), self.affiliate)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.affiliate.setCompleter(completer)
        self.affiliate_error = FieldError()
        self.link_note = QLabel(
            f"The shop's referral link is not set yet, so the texts will say {BLANKS['link']} where the "
            "affiliate's link goes. Set it on the Program page (Referral link) to have each link filled in."
        )
        self.link_note.setWordWrap(True)
        self.link_note.setStyleSheet(
            "QLabel { background: #fff4e5; color: #5f3b00; border: 1px solid #f0c98a; border-radius: 4px; "
            "padding: 6px 8px; }"
        )
        self.link_set = bool(get_program(db).referral_link_template)
        self.campaign = QComboBox()
        self.campaign.setEditable(True)
        self.campaign.addItem("")
        self.campaign.addItems(list(list_campaigns(db)))
        for_box = QVBoxLayout()
        for widget in (self.for_affiliate, self.affiliate, self.affiliate_error, self.link_note, self.for_campaign):
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
        self.path_typed = False  # True once the person typed or chose a path: it no longer follows the choices
        self.confirmed_replace: Path | None = None  # a file the save dialog already asked to replace
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
        self.affiliate.currentTextChanged.connect(self._affiliate_typed)
        self.affiliate.lineEdit().editingFinished.connect(self._settle_affiliate)
        self.campaign.currentTextChanged.connect(self._update)
        self.path.textEdited.connect(self._path_edited)
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
        """The affiliate the text in the box names, or None (a campaign kit, or a text naming nobody or several)."""
        if not self.for_affiliate.isChecked():
            return None
        try:
            return find_recipient(self.recipients, self.affiliate.currentText())
        except BadInput:
            return None

    def _affiliate_typed(self) -> None:
        self.affiliate_error.show_message(None)
        self._update()

    def _settle_affiliate(self) -> None:
        """Leaving the box: show the whole entry of the affiliate the text names, or say why it names nobody."""
        if not self.for_affiliate.isChecked() or not self.affiliate.currentText().strip():
            return
        try:
            found = find_recipient(self.recipients, self.affiliate.currentText())
        except BadInput as exc:
            self.affiliate_error.show_message(str(exc))
            return
        index = self.affiliate.findData(found.id)
        if self.affiliate.currentText() != self.affiliate.itemText(index):
            self.affiliate.setCurrentIndex(index)
            self.affiliate.setEditText(self.affiliate.itemText(index))

    def _update(self) -> None:
        for_affiliate = self.for_affiliate.isChecked()
        self.affiliate.setEnabled(for_affiliate)
        self.link_note.setVisible(for_affiliate and not self.link_set)
        if not for_affiliate:
            self.affiliate_error.show_message(None)
        recipient = self.recipient()
        if self.path_typed or (for_affiliate and recipient is None):  # their own name stays; a half-typed one waits
            return
        folder = Path(str(self.settings.value("files/kit_folder", "") or Path.home()))
        campaign = self.campaign.currentText().strip() or None
        self.path.setText(str(folder / suggested_file_name(recipient, campaign, self.today, folder)))

    def _path_edited(self, text: str) -> None:
        self.path_typed = bool(text.strip())  # emptied: follow the choices again
        self.confirmed_replace = None

    def choose_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the kit as", self.path.text(), "Zip archive (*.zip)")
        if path:
            # the save dialog asked before choosing an existing file, but not about a name we add ".zip" to
            self.confirmed_replace = Path(path) if path.lower().endswith(".zip") else None
            self.path.setText(path if path.lower().endswith(".zip") else path + ".zip")
            self.path_typed = True

    def _replace_confirmed(self, path: Path) -> bool:
        if not path.exists() or path == self.confirmed_replace:
            return True
        answer = QMessageBox.question(
            self,
            "Replace the file?",
            f"{path.name} already exists in {path.parent}.\n\nReplace it with this kit? The file there now is lost.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def accept(self) -> None:
        self.error.show_message(None)
        recipient: KitRecipient | None = None
        if self.for_affiliate.isChecked():
            try:
                recipient = find_recipient(self.recipients, self.affiliate.currentText())
            except BadInput as exc:
                self.affiliate_error.show_message(str(exc))
                self.affiliate.setFocus()
                return
        path = self.path.text().strip()
        if not path:
            self.error.show_message("Choose where to save the kit.")
            return
        if not path.lower().endswith(".zip"):  # a name typed without its extension: the kit is a zip archive
            path += ".zip"
            self.path.setText(path)
        try:
            check_target(path)  # a folder, a database, a folder that is not there: said before asking to replace
        except BadInput as exc:
            self.error.show_message(str(exc))
            self.path.setFocus()
            return
        if not self._replace_confirmed(Path(path)):
            self.error.show_message("Not made: type another name under Save as, or agree to replace the file.")
            self.path.setFocus()
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
