"""The asset library page driven like a person would: drop files, filter, preview, write a text, make a kit."""

from __future__ import annotations

import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDialog

from desktop.db import Database
from desktop.models import Affiliate, CouponCode
from desktop.services import asset_library as lib
from desktop.services.demo_library import banner_png
from desktop.services.kits import list_kits
from desktop.views.app import make_application
from desktop.views.assets_page import ASSET_ROLE, AssetDialog, AssetGridModel, AssetsPage
from desktop.views.kit_dialog import KitDialog

TODAY = date.today()


@pytest.fixture
def page(qtbot, db: Database) -> AssetsPage:  # type: ignore[no-untyped-def]
    make_application()
    widget = AssetsPage(db)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    qtbot.waitExposed(widget)
    widget.refresh()
    return widget


def mime_with(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drop(qtbot, page: AssetsPage, *paths: Path) -> lib.AddFilesResult:  # type: ignore[no-untyped-def]
    """Drag the files over the grid and let go, as a file manager would.

    The events go to the grid's viewport, where the mouse is: Qt hands them up to the first parent that accepts
    drops (the page), exactly as in a real drag.
    """
    mime = mime_with(*paths)
    viewport = page.grid.viewport()
    assert not viewport.acceptDrops()  # the grid itself takes no drops: it must not swallow them
    where = QPointF(viewport.rect().center())
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(where.toPoint(), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    assert "Drop the files" in page.message.text()
    event = QDropEvent(where, Qt.DropAction.CopyAction, mime, buttons, keys)
    with qtbot.waitSignal(page.files_added, timeout=10_000) as blocker:
        QApplication.sendEvent(viewport, event)
    result = blocker.args[0]
    assert isinstance(result, lib.AddFilesResult)
    return result


def test_dropping_files_adds_them_to_the_library(qtbot, page: AssetsPage, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "library is empty" in page.message.text()
    banner = tmp_path / "C:\\evil..\\..banner.png"  # a real, legal file name on this system
    banner.write_bytes(banner_png(300, 250, ("Acme",), (120, 170, 200), seed=1))
    junk = tmp_path / "notes.exe"
    junk.write_bytes(b"MZ\x90\x00 not a picture")
    result = drop(qtbot, page, banner, junk)
    assert [a.original_name for a in result.added] == [banner.name]
    assert "Added 1 file(s)." in page.message.text() and "notes.exe is not a file type" in page.message.text()
    stored = lib.library_folder(db) / f"{result.added[0].sha256}.png"
    assert stored.is_file() and sorted(p.name for p in stored.parent.iterdir()) == [stored.name]
    assert page.model.rowCount() == 1
    icon = page.model.data(page.model.index(0), Qt.ItemDataRole.DecorationRole)
    assert not icon.isNull()
    assert [a.id for a in page.selected_assets()] == [result.added[0].id]  # the new asset is shown
    assert "300 × 250 px" in page.details.text() and "Added from: C:\\evil..\\..banner.png" in page.details.text()
    again = drop(qtbot, page, banner)
    assert again.duplicates and "already in the library" in page.message.text()
    assert page.model.rowCount() == 1


def test_a_drag_of_something_other_than_files_is_ignored(page: AssetsPage) -> None:
    mime = QMimeData()
    mime.setText("just text")
    enter = QDragEnterEvent(
        QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    enter.ignore()
    QApplication.sendEvent(page, enter)
    assert not enter.isAccepted()
    web = QMimeData()
    web.setUrls([QUrl("https://example.com/banner.png")])
    enter = QDragEnterEvent(
        QPoint(10, 10), Qt.DropAction.CopyAction, web, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    enter.ignore()
    QApplication.sendEvent(page, enter)
    assert not enter.isAccepted()


def test_filters_search_and_expired_marking(page: AssetsPage, db: Database, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    old = tmp_path / "old.png"
    old.write_bytes(banner_png(40, 40, ("A",), (10, 20, 30), seed=2))
    lib.add_file(
        db, old, title="Spring banner", tags=["banner"], campaign="Spring", expires_on=TODAY - timedelta(days=1)
    )
    lib.add_text_asset(db, "social_post", lib.AssetEdit("Summer post", ("instagram",), "Summer", None, "Use {coupon}"))
    page.refresh()
    assert page.model.rowCount() == 2
    expired_row = page.model.row_of(lib.list_assets(db, lib.AssetFilter(kind="image"))[0].id)
    index = page.model.index(expired_row)
    assert index.data(Qt.ItemDataRole.ForegroundRole) is not None and "Expired on" in index.data(
        Qt.ItemDataRole.ToolTipRole
    )
    page.show_expired.setChecked(False)
    assert page.model.rowCount() == 1
    page.show_expired.setChecked(True)
    qtbot.keyClicks(page.search, "coupon")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    assert page.model.index(0).data() == "Summer post"
    page.search.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    page.campaign.setCurrentIndex(page.campaign.findData("Spring"))
    assert [page.model.index(r).data() for r in range(page.model.rowCount())] == ["Spring banner"]
    page.campaign.setCurrentIndex(0)
    page.tag.setCurrentIndex(page.tag.findData("instagram"))
    assert page.model.rowCount() == 1
    page.grid.setCurrentIndex(page.model.index(0))
    assert page.preview_text.isVisible() and page.preview_text.toPlainText() == "Use {coupon}"


def test_the_grid_model_without_a_view(db: Database) -> None:
    post = lib.add_text_asset(db, "email_copy", lib.AssetEdit("Mail", (), None, TODAY - timedelta(days=3), "Hi {name}"))
    model = AssetGridModel()
    model.set_rows([post], TODAY)
    index = model.index(0)
    assert model.rowCount() == 1 and index.data() == "Mail" and index.data(ASSET_ROLE) == post
    assert not index.data(Qt.ItemDataRole.DecorationRole).isNull()
    model.set_rows([post], TODAY - timedelta(days=5))
    assert model.index(0).data(Qt.ItemDataRole.ForegroundRole) is None  # not expired back then


def test_writing_a_social_post(page: AssetsPage, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    def person(dialog: AssetDialog) -> int:
        dialog.show()
        dialog.accept()  # empty: the messages appear next to the fields
        assert dialog.errors["title"].isVisible() and dialog.errors["body"].isVisible()
        dialog.title_edit.setText("Launch post")
        dialog.tags.setText("launch, instagram; launch")
        dialog.campaign.setCurrentText("Launch")
        dialog.body.setPlainText("New! {coupon} {link}")
        dialog.accept()
        return int(dialog.result())

    monkeypatch.setattr(AssetDialog, "exec", person)
    page.new_text("social_post")
    (post,) = lib.list_assets(db)
    assert (post.kind, post.title, post.tags, post.campaign) == (
        "social_post",
        "Launch post",
        ("launch", "instagram"),
        "Launch",
    )
    assert [a.id for a in page.selected_assets()] == [post.id]


def test_make_a_kit_from_the_dialog(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_application()
    with db.write() as session:
        session.add(
            Affiliate(
                code="JANE", name="Jane Hiker", status="active", coupons=[CouponCode(code="JANE10", code_key="JANE10")]
            )
        )
    post = lib.add_text_asset(db, "social_post", lib.AssetEdit("Post", (), "Summer", None, "Code {coupon}"))
    other = lib.add_text_asset(db, "social_post", lib.AssetEdit("Other", (), None, None, "x"))
    dialog = KitDialog(db, [post.id], settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(dialog)
    assert dialog.checked_ids() == [post.id]
    assert dialog.path.text() == ""  # nobody is chosen yet
    dialog.affiliate.setCurrentIndex(0)  # a person picks her from the list
    assert Path(dialog.path.text()).name == f"kit-jane-{TODAY.isoformat()}.zip"
    dialog.campaign.setCurrentText("Summer")
    assert Path(dialog.path.text()).name == f"kit-jane-summer-{TODAY.isoformat()}.zip"
    dialog.path.setText(str(tmp_path / "jane.zip"))
    dialog.tick_campaign()
    assert other.id not in dialog.checked_ids()
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.result_kit is not None
    with zipfile.ZipFile(tmp_path / "jane.zip") as archive:
        assert archive.read("post.txt").decode() == "Code JANE10\n"
    assert len(list_kits(db)) == 1
    assert "Onboarding: asset kit sent is ticked." in KitDialog.summary(dialog.result_kit)
