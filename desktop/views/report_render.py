"""Printing reports with Qt: report HTML into QTextDocuments, paged with footers onto a PDF, a printer or a preview.

Layout and painting happen on the thread that owns the documents (the GUI thread in the window); fonts have the
`liga` feature off so "Affiliate" stays searchable text, and pictures are the services' 300 dpi chart PNGs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrame,
)
from PySide6.QtWidgets import QApplication, QWidget

from desktop.services.report_program import ProgramReportData
from desktop.services.report_review import ReviewData
from desktop.services.safe_files import atomic_path
from desktop.services.statements import StatementData
from desktop.views.report_html import MUTED, ReportHtml, review_html
from desktop.views.report_program_html import program_html
from desktop.views.statement_html import statement_html

MARGINS_MM = QMarginsF(16, 14, 16, 10)  # left, top, right, bottom; the footer sits inside the bottom of the body
FOOTER_POINTS = 8.0
LETTER_TERRITORIES = (QLocale.Country.UnitedStates, QLocale.Country.Canada)  # PySide6 names territories Country
FOOTER_PROPERTY = "reportFooter"


def page_size_for(locale: QLocale | None = None) -> QPageSize:
    """Letter where people print on Letter (the United States and Canada), A4 everywhere else."""
    territory = (locale or QLocale()).territory()
    letter = territory in LETTER_TERRITORIES
    return QPageSize(QPageSize.PageSizeId.Letter if letter else QPageSize.PageSizeId.A4)


def report_font(points: float = 9.5) -> QFont:
    """The documents' font: the application's family, without ligatures ("ffi" must stay three letters)."""
    font = QFont(QGuiApplication.font())
    font.setPointSizeF(points)
    font.setFeature(QFont.Tag("liga"), 0)
    return font


def ensure_gui_application() -> QGuiApplication:
    """The command line prints without a window, but fonts and PDF painting need a GUI application: make one
    (offscreen where there is no display). A QApplication, so that widgets may still follow in the same process."""
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        return app
    if app is not None:
        raise RuntimeError("printing needs a QGuiApplication, and a plain QCoreApplication is running")
    no_display = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if sys.platform.startswith("linux") and no_display:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return QApplication(sys.argv[:1])


# --- documents ------------------------------------------------------------------------------------------------


def text_document(report: ReportHtml) -> QTextDocument:
    document = QTextDocument()
    document.setDefaultFont(report_font())
    document.setDocumentMargin(0)
    for name, image in report.images.items():
        picture = QImage.fromData(image.png)
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), picture)
    document.setHtml(report.html)
    document.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, report.title)
    document.setProperty(FOOTER_PROPERTY, report.footer)
    return document


def review_document(data: ReviewData) -> QTextDocument:
    return text_document(review_html(data))


def statement_document(data: StatementData) -> QTextDocument:
    return text_document(statement_html(data))


def program_document(data: ProgramReportData) -> QTextDocument:
    return text_document(program_html(data))


# --- pages ----------------------------------------------------------------------------------------------------


def _lay_out(document: QTextDocument, device: QPagedPaintDevice, body: QSizeF) -> None:
    document.documentLayout().setPaintDevice(device)
    document.setPageSize(body)
    _keep_together(document, body.height())


def _break_before(block_or_frame: object) -> None:
    if isinstance(block_or_frame, QTextFrame):
        frame_format = block_or_frame.frameFormat()
        frame_format.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
        block_or_frame.setFrameFormat(frame_format)
        return
    block_format = QTextBlockFormat()
    block_format.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
    QTextCursor(block_or_frame).mergeBlockFormat(block_format)  # type: ignore[call-overload]


def _keep_together(document: QTextDocument, page_height: float) -> None:
    """Move to the next page a short table that would straddle two pages, or a heading left alone at the bottom
    of a page, together with the heading before it: a reader should not turn the page mid-table."""
    layout = document.documentLayout()

    def page(y: float) -> int:
        return int(max(y, 0) // page_height)

    for _ in range(12):  # each fix moves content down; a dozen passes cover any report
        items: list[tuple[object, QRectF, bool]] = []  # (block or frame, its rectangle, is a heading)
        iterator = document.rootFrame().begin()
        while not iterator.atEnd():
            frame, block = iterator.currentFrame(), iterator.currentBlock()
            if frame is not None:
                items.append((frame, layout.frameBoundingRect(frame), False))
            elif block.isValid() and block.text().strip():
                items.append((block, layout.blockBoundingRect(block), block.blockFormat().headingLevel() > 0))
            iterator += 1
        moved = False
        for index, (item, rect, is_heading) in enumerate(items):
            following = items[index + 1] if index + 1 < len(items) else None
            straddles = isinstance(item, QTextFrame) and page(rect.top()) != page(rect.bottom() - 1)
            if straddles and rect.height() < page_height * 0.6:
                previous = items[index - 1] if index else None
                target = previous[0] if previous is not None and previous[2] else item
                _break_before(target)
                moved = True
                break
            alone = is_heading and following is not None and page(following[1].top()) != page(rect.top())
            if alone and page(rect.top()) * page_height + 1 < rect.top():  # and not at the top of a page already
                _break_before(item)
                moved = True
                break
        if not moved:
            return


def _footer(painter: QPainter, device: QPagedPaintDevice, document: QTextDocument, body: QSizeF, page: int,
            pages: int) -> None:  # fmt: skip
    font = report_font(FOOTER_POINTS)
    painter.setFont(font)
    painter.setPen(QColor(MUTED))
    height = QFontMetricsF(font, device).height()
    area = QRectF(0, device.height() - height, body.width(), height)
    text = str(document.property(FOOTER_PROPERTY) or "")
    number = f"Page {page} of {pages}"
    painter.drawText(area, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), number)
    room = area.adjusted(0, 0, -QFontMetricsF(font, device).horizontalAdvance(number) * 1.5, 0)
    elided = QFontMetricsF(font, device).elidedText(text, Qt.TextElideMode.ElideRight, room.width())
    painter.drawText(room, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), elided)


def paint_documents(painter: QPainter, device: QPagedPaintDevice, documents: Sequence[QTextDocument],
                    *, first_page: bool = True) -> int:  # fmt: skip
    """Lay each document out on the device's pages and paint them, with a footer; the number of pages painted.

    `first_page` False starts with a new page (appending to a PDF that already has pages).
    """
    # Charts are line art: Flate keeps them crisp where the PDF engine's default JPEG would smudge them.
    painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering)
    footer_room = QFontMetricsF(report_font(FOOTER_POINTS), device).height() * 2.2
    body = QSizeF(device.width(), device.height() - footer_room)
    painted = 0
    for document in documents:
        _lay_out(document, device, body)
        pages = document.pageCount()
        for index in range(pages):
            if painted or not first_page:
                device.newPage()
            painter.save()
            painter.translate(0, -index * body.height())
            document.drawContents(painter, QRectF(0, index * body.height(), body.width(), body.height()))
            painter.restore()
            _footer(painter, device, document, body, index + 1, pages)
            painted += 1
    return painted


def pdf_writer(path: Path | str, page_size: QPageSize | None = None, title: str = "") -> QPdfWriter:
    writer = QPdfWriter(str(path))
    writer.setPageLayout(QPageLayout(page_size or page_size_for(), QPageLayout.Orientation.Portrait, MARGINS_MM,
                                     QPageLayout.Unit.Millimeter))  # fmt: skip
    writer.setResolution(600)
    writer.setCreator("Affiliate Desk")
    writer.setTitle(title)
    return writer


def print_to_pdf(document: QTextDocument | Sequence[QTextDocument], path: Path | str,
                 page_size: QPageSize | None = None, title: str | None = None) -> int:  # fmt: skip
    """Write one document (or several, one after the other) as a PDF, replacing `path` only once it is complete;
    the number of pages. The page size is the locale's (A4 or Letter) unless given."""
    documents = [document] if isinstance(document, QTextDocument) else list(document)
    if title is None:
        title = documents[0].metaInformation(QTextDocument.MetaInformation.DocumentTitle) if documents else ""
    with atomic_path(path) as temporary:
        writer = pdf_writer(temporary, page_size, title)
        painter = QPainter()
        if not painter.begin(writer):
            raise OSError(f"cannot write {path}")
        try:
            pages = paint_documents(painter, writer, documents)
        finally:
            painter.end()
    return pages


def print_to_printer(printer: QPagedPaintDevice, documents: Sequence[QTextDocument]) -> int:
    """Paint the documents on a printer (or a preview's printer) as it is set up."""
    painter = QPainter()
    if not painter.begin(printer):
        return 0
    try:
        return paint_documents(painter, printer, documents)
    finally:
        painter.end()


def report_printer() -> Any:
    """A high-resolution QPrinter set up like the PDFs: the locale's paper, the reports' margins."""
    from PySide6.QtPrintSupport import QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageLayout(QPageLayout(page_size_for(), QPageLayout.Orientation.Portrait, MARGINS_MM,
                                      QPageLayout.Unit.Millimeter))  # fmt: skip
    return printer


def preview(documents: Sequence[QTextDocument], parent: QWidget | None = None) -> int:
    """Open the print preview of the documents (the user prints from there); the dialog's result."""
    from PySide6.QtPrintSupport import QPrintPreviewDialog

    dialog = QPrintPreviewDialog(report_printer(), parent)
    dialog.setWindowTitle("Print preview")
    dialog.paintRequested.connect(lambda target: print_to_printer(target, documents))
    return dialog.exec()
