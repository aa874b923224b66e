"""The Make-a-kit dialog driven like a person: find the partner by typing, the shop's link, and the file to write."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from desktop.db import Database
from desktop.models import Affiliate, CouponCode
from desktop.services import asset_library as lib
from desktop.services.kits import list_kits
from desktop.services.program_settings import ProgramSettings, save_program
from desktop.views.app import make_application
from desktop.views.kit_dialog import KitDialog

TODAY = date(2026, 5, 20)
SHOP_LINK = "https://acme.example/?ref={code}"


@pytest.fixture
def post(db: Database) -> int:
    """Three partners named like the demo's (two Vidals) and one text that uses the link."""
    make_application()
    save_program(db, ProgramSettings(name="Acme", timezone="UTC", referral_link_template=SHOP_LINK))
    with db.write() as session:
        for code, name in (("AISHA", "Aisha Lin"), ("AMARAVID", "Amara Vidal"), ("LUCASVID", "Lucas Vidal")):
            session.add(
                Affiliate(code=code, name=name, status="active", coupons=[CouponCode(code=code + "10", code_key=code)])
            )
    return lib.add_text_asset(db, "social_post", lib.AssetEdit("Post", (), "Summer", None, "{coupon} at {link}")).id


def open_dialog(qtbot, db: Database, asset_id: int, folder: Path, choose: str | None = "AISHA") -> KitDialog:  # type: ignore[no-untyped-def]
    settings = QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("files/kit_folder", str(folder))
    dialog = KitDialog(db, [asset_id], settings=settings, today=TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    if choose is not None:
        type_affiliate(qtbot, dialog, choose)
    return dialog


def type_affiliate(qtbot, dialog: KitDialog, text: str) -> None:  # type: ignore[no-untyped-def]
    edit = dialog.affiliate.lineEdit()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def read_post(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("post.txt").decode()


def test_typing_a_code_or_a_name_makes_the_kit_for_that_partner(qtbot, db: Database, post: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, db, post, tmp_path, choose=None)
    assert dialog.affiliate.currentText() == ""  # nobody until chosen (the first partner was taken silently)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result_kit is None and list_kits(db) == ()
    assert dialog.affiliate_error.text().startswith("Choose the affiliate the kit is for")
    type_affiliate(qtbot, dialog, "AMARAVID")
    assert Path(dialog.path.text()).name == "kit-amaravid-2026-05-20.zip"  # the name follows what was typed
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.result_kit is not None
    assert dialog.result_kit.for_whom == "Amara Vidal (AMARAVID)"  # not Aisha, still "current" in the combo
    assert read_post(tmp_path / "kit-amaravid-2026-05-20.zip") == "AMARAVID10 at https://acme.example/?ref=AMARAVID\n"
    assert [k.affiliate_name for k in list_kits(db)] == ["Amara Vidal"]

    second = open_dialog(qtbot, db, post, tmp_path)
    type_affiliate(qtbot, second, "lucas vi")  # any part of the name, any case
    qtbot.mouseClick(second.ok_button, Qt.MouseButton.LeftButton)
    assert second.result_kit is not None and second.result_kit.for_whom == "Lucas Vidal (LUCASVID)"


def test_a_text_naming_several_partners_or_none_is_refused_next_to_the_box(  # type: ignore[no-untyped-def]
    qtbot, db: Database, post: int, tmp_path: Path
) -> None:
    dialog = open_dialog(qtbot, db, post, tmp_path)
    type_affiliate(qtbot, dialog, "Vidal")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.result_kit is None
    assert dialog.affiliate_error.isVisible()
    assert dialog.affiliate_error.text() == (
        "“Vidal” fits 2 affiliates (Amara Vidal (AMARAVID), Lucas Vidal (LUCASVID)): "
        "type more of the name, or the code."
    )
    type_affiliate(qtbot, dialog, "Nobody")
    assert not dialog.affiliate_error.isVisible()  # typing again clears the old message
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "No active or paused affiliate fits “Nobody”" in dialog.affiliate_error.text()
    assert list_kits(db) == () and not list(tmp_path.glob("*.zip"))


def test_leaving_the_box_shows_the_partner_found(qtbot, db: Database, post: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, db, post, tmp_path)
    type_affiliate(qtbot, dialog, "amara")
    dialog.affiliate.lineEdit().editingFinished.emit()  # what Tab or a click elsewhere does
    assert dialog.affiliate.currentText() == "Amara Vidal (AMARAVID) · coupon AMARAVID10"
    assert dialog.affiliate.currentData() == dialog.recipient().id  # type: ignore[union-attr]


def test_the_dialog_says_when_the_shops_link_is_not_set(qtbot, db: Database, post: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, db, post, tmp_path)
    assert not dialog.link_note.isVisible()
    save_program(db, ProgramSettings(name="Acme", timezone="UTC"))
    unset = open_dialog(qtbot, db, post, tmp_path)
    assert unset.link_note.isVisible()
    assert "referral link is not set yet" in unset.link_note.text() and "Program page" in unset.link_note.text()
    unset.for_campaign.setChecked(True)  # a campaign kit keeps every blank anyway
    assert not unset.link_note.isVisible()
    unset.for_affiliate.setChecked(True)
    qtbot.mouseClick(unset.ok_button, Qt.MouseButton.LeftButton)
    assert unset.result_kit is not None
    assert read_post(unset.result_kit.path) == "AISHA10 at [your referral link]\n"
    assert "Set it on the Program page" in KitDialog.summary(unset.result_kit)


def test_a_second_kit_the_same_day_gets_its_own_name(qtbot, db: Database, post: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = open_dialog(qtbot, db, post, tmp_path)
    qtbot.mouseClick(first.ok_button, Qt.MouseButton.LeftButton)
    second = open_dialog(qtbot, db, post, tmp_path)
    assert Path(second.path.text()).name == "kit-aisha-2026-05-20-2.zip"
    qtbot.mouseClick(second.ok_button, Qt.MouseButton.LeftButton)
    assert sorted(p.name for p in tmp_path.glob("*.zip")) == ["kit-aisha-2026-05-20-2.zip", "kit-aisha-2026-05-20.zip"]
    assert len(list_kits(db)) == 2


def test_an_existing_file_is_replaced_only_when_the_person_agrees(  # type: ignore[no-untyped-def]
    qtbot, db: Database, post: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = tmp_path / "aisha.zip"
    existing.write_bytes(b"the kit sent last week")
    asked: list[str] = []
    answer = QMessageBox.StandardButton.No

    def question(parent: object, title: str, text: str, *args: object) -> QMessageBox.StandardButton:
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", question)
    dialog = open_dialog(qtbot, db, post, tmp_path)
    dialog.path.selectAll()
    qtbot.keyClicks(dialog.path, str(existing))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert asked and asked[0].startswith(f"aisha.zip already exists in {tmp_path}.")
    assert dialog.isVisible() and dialog.result_kit is None and "Not made" in dialog.error.text()
    assert existing.read_bytes() == b"the kit sent last week" and list_kits(db) == ()
    answer = QMessageBox.StandardButton.Yes
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result_kit is not None and read_post(existing).startswith("AISHA10")


def test_a_typed_name_stays_when_the_choices_change(qtbot, db: Database, post: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Even one starting with "kit", like the suggestions: what the person typed is theirs."""
    dialog = open_dialog(qtbot, db, post, tmp_path)
    typed = str(tmp_path / "kit for amara.zip")
    dialog.path.selectAll()
    qtbot.keyClicks(dialog.path, typed)
    type_affiliate(qtbot, dialog, "AMARAVID")
    dialog.campaign.setCurrentText("Summer")
    assert dialog.path.text() == typed
    dialog.path.selectAll()
    qtbot.keyClick(dialog.path, Qt.Key.Key_Delete)  # emptied: the suggestion comes back and follows again
    dialog.campaign.setCurrentText("")
    assert Path(dialog.path.text()).name == "kit-amaravid-2026-05-20.zip"


def test_a_name_typed_without_zip_gets_it(qtbot, db: Database, post: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, db, post, tmp_path)
    dialog.path.selectAll()
    qtbot.keyClicks(dialog.path, str(tmp_path / "for aisha"))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result_kit is not None and dialog.result_kit.path == tmp_path / "for aisha.zip"
    assert read_post(tmp_path / "for aisha.zip").startswith("AISHA10") and not (tmp_path / "for aisha").exists()


def test_a_folder_or_a_missing_folder_is_refused_without_asking_to_replace(  # type: ignore[no-untyped-def]
    qtbot, db: Database, post: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args: asked.append(args[2]) or QMessageBox.StandardButton.Yes)
    folder = tmp_path / "kits.zip"  # a folder with a name like an archive's
    folder.mkdir()
    dialog = open_dialog(qtbot, db, post, tmp_path)
    for path, message in ((folder, "is a folder"), (tmp_path / "gone" / "kit.zip", "does not exist")):
        dialog.path.selectAll()
        qtbot.keyClicks(dialog.path, str(path))
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        assert message in dialog.error.text() and "Errno" not in dialog.error.text()
        assert dialog.isVisible() and dialog.result_kit is None
    assert asked == [] and list_kits(db) == () and folder.is_dir() and not (tmp_path / "gone").exists()
