"""One affiliate at a glance: profile and traffic quality, socials, notes, status history, performance."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.services.affiliates import AffiliateDetail, add_note, get_affiliate
from desktop.services.errors import ServiceError
from desktop.services.fraud_rules import plural
from desktop.services.quality_score import WINDOW_DAYS, QualityScore, quality_scores
from desktop.services.recruiting import get_onboarding
from desktop.views.affiliate_performance import AffiliatePerformanceTab
from desktop.views.affiliate_table_model import GRADE_COLOURS
from desktop.views.feedback_panel import FeedbackPanel
from desktop.views.page_parts import table_of


def _quality_html(score: QualityScore | None) -> str:
    """The score with every reason for it (the affiliates table has room only for "33 · poor") and the open flags."""
    if score is None:
        return ""
    colour = GRADE_COLOURS.get(score.grade, "#000000")
    reasons = "".join(f"<li>{escape(line)}</li>" for line in score.explanation)
    flags = (f"<b>{plural(score.open_flags, 'open fraud flag')}</b> to review on the Fraud &amp; quality page."
             if score.open_flags else "No open fraud flags.")  # fmt: skip
    return (f"<h3>Traffic quality: <span style='color:{colour}'>{escape(score.text)}</span></h3>"
            f"<p style='color:#5b6b67'>Out of 100, over the last {WINDOW_DAYS} days: refunds, an odd conversion "
            f"rate and fraud flags take points off.</p><ul>{reasons}</ul><p>{flags}</p>")  # fmt: skip


class AffiliateDetailDialog(QDialog):
    def __init__(self, db: Database, affiliate_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.affiliate_id = affiliate_id
        self.changed = False
        self.resize(760, 560)
        self.tabs = QTabWidget()
        self.performance: AffiliatePerformanceTab | None = None
        self.tabs.currentChanged.connect(self._tab_shown)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.edit_button = QPushButton("Edit…")
        self.note_button = QPushButton("Add note…")
        buttons.addButton(self.edit_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.note_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.edit_button.clicked.connect(self.edit)
        self.note_button.clicked.connect(self.ask_note)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        detail = get_affiliate(self.db, self.affiliate_id)
        self.detail = detail
        self.setWindowTitle(f"{detail.data.name} ({detail.data.code})")
        current = self.tabs.currentIndex()
        self.tabs.clear()
        self.profile = QTextBrowser()
        self.profile.setHtml(self._profile_html(detail))
        self.tabs.addTab(self.profile, "Profile")
        self.socials_table = table_of(
            ("Platform", "Handle", "URL", "Followers", "Engagement"),
            [
                (
                    s.platform,
                    s.handle or "",
                    s.url or "",
                    f"{s.followers:,}",
                    "" if s.engagement_rate is None else f"{s.engagement_rate} %",
                )
                for s in detail.socials
            ],
        )
        self.tabs.addTab(self.socials_table, f"Social profiles ({len(detail.socials)})")
        self.notes_table = table_of(
            ("Written", "By", "Note"),
            [(n.written_at.strftime("%Y-%m-%d %H:%M"), n.author, n.text) for n in detail.notes],
        )
        self.tabs.addTab(self.notes_table, f"Notes ({len(detail.notes)})")
        self.history_table = table_of(
            ("When", "From", "To", "By", "Why"),
            [
                (
                    h.changed_at.strftime("%Y-%m-%d %H:%M"),
                    h.from_status or "—",
                    h.to_status,
                    h.changed_by,
                    h.reason or "",
                )
                for h in detail.history
            ],
        )
        self.tabs.addTab(self.history_table, "Status history")
        self.feedback = FeedbackPanel(self.db, self.affiliate_id)
        self.tabs.addTab(self.feedback, "Feedback")
        self.performance = AffiliatePerformanceTab(self.db, self.affiliate_id)
        self.tabs.addTab(self.performance, "Performance")
        if current >= 0:
            self.tabs.setCurrentIndex(current)

    def _tab_shown(self, index: int) -> None:
        """The performance tab computes its months and loads matplotlib only when someone looks at it."""
        tab = self.performance
        if tab is not None and self.tabs.widget(index) is tab and not tab.is_loaded:
            tab.load()

    def _profile_html(self, detail: AffiliateDetail) -> str:
        d = detail.data

        def row(label: str, value: object) -> str:
            text = "" if value in (None, "", ()) else str(value)
            return f"<tr><td style='color:#5b6b67;padding-right:16px'>{escape(label)}</td><td>{escape(text)}</td></tr>"

        rows = [
            row("Code", d.code),
            row("Status", d.status.capitalize()),
            row("Email", d.email),
            row("Phone", d.phone),
            row("Website", d.website),
            row("Country", d.country),
            row("Joined", d.joined_on.isoformat() if d.joined_on else ""),
            row("Niches", ", ".join(d.niches)),
            row("Audience", d.audience),
            row("Followers (all platforms)", f"{detail.total_followers:,}"),
            row("Tags", ", ".join(d.tags)),
            row("Coupon codes", ", ".join(d.coupon_codes)),
            row("Commission plan", detail.plan_name or "none"),
            row("Payee (PayPal)", d.payee_email or d.email),
        ]
        html = f"<h2>{escape(d.name)}</h2><table>{''.join(rows)}</table>"
        html += _quality_html(quality_scores(self.db, [self.affiliate_id]).get(self.affiliate_id))
        onboarding = get_onboarding(self.db, self.affiliate_id)
        if onboarding is not None:

            def mark(done: bool) -> str:
                return "✔" if done else "✘"

            state = "complete" if onboarding.completed_at else "in progress"
            html += (
                f"<h3>Onboarding ({state})</h3><p>{mark(onboarding.goals_communicated)} goals and KPIs communicated"
                f"<br>{mark(onboarding.terms_accepted)} terms accepted<br>{mark(onboarding.asset_kit_sent)} asset kit "
                "sent</p>"
            )
        return html

    def edit(self) -> None:
        from desktop.views.affiliate_dialog import AffiliateDialog

        dialog = AffiliateDialog(self.db, self.affiliate_id, self)
        if dialog.exec():
            self.changed = True
            self.reload()

    def ask_note(self) -> None:
        text, ok = QInputDialog.getMultiLineText(self, "Add note", f"Note about {self.detail.data.name}:")
        if ok and text.strip():
            self.save_note(text)

    def save_note(self, text: str) -> None:
        try:
            add_note(self.db, self.affiliate_id, text)
        except ServiceError as exc:
            QMessageBox.warning(self, "Add note", str(exc))
            return
        self.changed = True
        self.reload()
        self.tabs.setCurrentIndex(2)
