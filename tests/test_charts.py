"""The figure builders plot exactly the numbers they are given (read back from the axes) and save PNG and SVG."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest

from desktop.services.charts import (
    funnel_chart,
    revenue_by_month_chart,
    save_figure,
    target_attainment_chart,
    top_affiliates_chart,
    trend_chart,
)

D = Decimal
MONTHS = [("2025-12", D("100.50"), D("40.00")), ("2026-01", D("0"), D("10.25")), ("2026-02", D("300"), D("0"))]


def bar_heights(chart_figure: object) -> list[float]:
    axes = chart_figure.axes[0]  # type: ignore[attr-defined]
    return [patch.get_height() for patch in axes.patches]


def bar_widths(chart_figure: object) -> list[float]:
    axes = chart_figure.axes[0]  # type: ignore[attr-defined]
    return [patch.get_width() for patch in axes.patches]


def test_revenue_by_month_stacks_organic_on_affiliate() -> None:
    chart = revenue_by_month_chart(MONTHS, "USD")
    assert chart.labels == ("2025-12", "2026-01", "2026-02")
    assert chart.series == {"affiliate": (100.5, 0.0, 300.0), "organic": (40.0, 10.25, 0.0)}
    assert bar_heights(chart.figure) == [100.5, 0.0, 300.0, 40.0, 10.25, 0.0]
    axes = chart.figure.axes[0]
    assert [p.get_y() for p in axes.patches[3:]] == [100.5, 0.0, 300.0]  # organic sits on top
    assert [t.get_text() for t in axes.get_xticklabels()] == ["Dec\n2025", "Jan\n2026", "Feb"]
    assert chart.figure.get_suptitle() == "Revenue by month (USD)"


@pytest.mark.parametrize("width", [3.6, 6.4])
def test_titles_legends_and_labels_keep_apart_on_a_narrow_chart(width: float) -> None:
    """The legend once sat beside the title and ran into it; a title aligned to the plot ran off the right after
    long bar labels. Drawn at a narrow panel's width, nothing overlaps and nothing leaves the figure."""
    charts = [
        revenue_by_month_chart(MONTHS, "USD"),
        trend_chart([(p, a, o) for p, a, o in MONTHS], "Revenue and commission (USD)"),
        target_attainment_chart([("tag:video · Clicks · 2026-11 (5/25 so far)", D("81"), "running"),
                                 ("FELIXKEL · Revenue · 2026-11", D("43"), "running")]),
        top_affiliates_chart([("CARMENMORENO", D("5360")), ("FELIXKEL", D("15385"))], "USD"),
    ]  # fmt: skip
    for chart in charts:
        figure = chart.figure
        figure.set_size_inches(width, 3.4)
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()
        whole = figure.bbox
        title = figure._suptitle.get_window_extent(renderer)
        assert whole.x0 <= title.x0 and title.x1 <= whole.x1 + 1, chart.title
        for legend in figure.legends:
            assert not legend.get_window_extent(renderer).overlaps(title), chart.title
            assert not legend.get_window_extent(renderer).overlaps(figure.axes[0].get_window_extent(renderer))


def test_top_affiliates_best_on_top() -> None:
    rows = [(f"A{n}", D(1000 - n * 50)) for n in range(12)]
    chart = top_affiliates_chart(rows)
    assert chart.labels == tuple(f"A{n}" for n in range(10))  # ten, in the rank order given
    assert bar_widths(chart.figure) == [float(1000 - n * 50) for n in range(10)]
    axes = chart.figure.axes[0]
    top = max(axes.patches, key=lambda patch: patch.get_y())
    assert top.get_width() == 1000.0


def test_funnel_keeps_its_counts() -> None:
    chart = funnel_chart(12_000, 340, 300)
    assert chart.series == {"count": (12_000.0, 340.0, 300.0)}
    assert bar_widths(chart.figure) == [12_000.0, 340.0, 300.0]
    texts = [t.get_text() for t in chart.figure.axes[0].texts]
    assert "340  (2.8% of clicks)" in texts and "300  (88% of orders)" in texts


def test_target_attainment_colours_by_state_and_caps_the_bars() -> None:
    chart = target_attainment_chart([("JANE", D("112.5"), "met"), ("all", D("64"), "missed"), ("TOM", D("450"), "met")])
    assert chart.series == {"percent": (112.5, 64.0, 450.0)}
    assert bar_widths(chart.figure) == [112.5, 64.0, 200.0]  # a bar stops at 200 %; its label says 450 %
    colours = [patch.get_facecolor()[:3] for patch in chart.figure.axes[0].patches]
    assert colours[0] == colours[2] != colours[1]


def test_trend_lines_carry_the_points() -> None:
    chart = trend_chart([("2026-09", D("10"), D("1")), ("2026-10", D("20.5"), D("2.05"))])
    revenue, commission = chart.figure.axes[0].get_lines()
    assert list(revenue.get_ydata()) == [10.0, 20.5]
    assert list(commission.get_ydata()) == [1.0, 2.05]
    assert list(revenue.get_xdata()) == [0, 1]


def test_nothing_to_plot_says_so() -> None:
    chart = revenue_by_month_chart([("2026-01", D(0), D(0))])
    assert chart.empty and bar_heights(chart.figure) == []
    assert "No sales" in chart.figure.axes[0].texts[0].get_text()
    assert top_affiliates_chart([]).empty and funnel_chart(0, 0, 0).empty and target_attainment_chart([]).empty


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_save_figure_writes_the_format_of_the_suffix(tmp_path: Path, suffix: str) -> None:
    path = save_figure(funnel_chart(10, 5, 4).figure, tmp_path / f"funnel{suffix}")
    head = path.read_bytes()[:200]
    assert head.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in head or b"<?xml" in head
    assert [p.name for p in tmp_path.iterdir()] == [f"funnel{suffix}"]  # no temporary file left behind


def test_save_figure_refuses_other_formats_and_keeps_the_old_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="png or .svg"):
        save_figure(funnel_chart(1, 1, 1).figure, tmp_path / "chart.pdf")
    target = tmp_path / "chart.png"
    target.write_bytes(b"old")

    class Broken:
        def savefig(self, *args: object, **kwargs: object) -> None:
            raise OSError("disk full")

    with pytest.raises(OSError):
        save_figure(Broken(), target)
    assert target.read_bytes() == b"old"


PROBE = """
import sys
import desktop.services.charts, desktop.services.dashboard, desktop.views.dashboard_page, desktop.views.targets_page
loaded_on_import = "matplotlib" in sys.modules
from decimal import Decimal
desktop.services.charts.funnel_chart(3, 2, 1)
print(loaded_on_import, "matplotlib.pyplot" in sys.modules, "matplotlib" in sys.modules)
"""


def test_matplotlib_loads_only_for_a_chart_and_never_pyplot() -> None:
    import subprocess

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=root, check=True,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})  # fmt: skip
    assert done.stdout.split() == ["False", "False", "True"]
