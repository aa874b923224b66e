"""The affiliate detail window shows the traffic quality with its reasons, not only the table's "33 · poor"."""

from __future__ import annotations

from test_fraud_helpers import add_affiliate, add_orders, series, setup_program

from desktop.db import Database
from desktop.services.fraud import scan
from desktop.services.quality_score import quality_scores
from desktop.views.affiliate_detail import AffiliateDetailDialog


def test_the_profile_explains_the_traffic_quality(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    setup_program(db)
    jane = add_affiliate(db, "JANE", "Jane Doe", email="jane.doe@gmail.com")
    clean = add_affiliate(db, "ZOE", "Zoe Kim")
    add_orders(db, series("J", jane, 3, customer_email="jane.doe+1@gmail.com"))  # her own orders: a flag
    scan(db)
    score = quality_scores(db, [jane])[jane]
    dialog = AffiliateDetailDialog(db, jane)
    qtbot.addWidget(dialog)
    text = dialog.profile.toPlainText()
    assert f"Traffic quality: {score.score} · {score.grade}" in text and score.open_flags == 1
    assert all(line in text for line in score.explanation)  # every reason, with its points
    assert "1 open fraud flag to review on the Fraud & quality page." in text
    other = AffiliateDetailDialog(db, clean)
    qtbot.addWidget(other)
    assert "Traffic quality: 100 · good" in other.profile.toPlainText()
    assert "No open fraud flags." in other.profile.toPlainText()
