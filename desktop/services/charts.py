"""Charts as matplotlib Figures (Agg, never pyplot) built from plain numbers: views embed them, reports print them."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from desktop.services.safe_files import atomic_write

GREEN = "#1f6f5c"
LIGHT_GREEN = "#8cc5b3"
GREY = "#b9c4c1"
RED = "#b3261e"
BLUE = "#3b6ea8"
INK = "#1f2d2a"
MUTED = "#5b6b67"
STATE_COLOURS = {"met": GREEN, "missed": RED, "running": BLUE}
FORMATS = {".png": "png", ".svg": "svg"}


@dataclass(frozen=True)
class Chart:
    """A figure and the values it plotted (by series, in the order of `labels`), for tests and for tables beside it."""

    figure: Any  # matplotlib.figure.Figure
    title: str
    labels: tuple[str, ...]
    series: dict[str, tuple[float, ...]] = field(default_factory=dict)
    empty: bool = False  # nothing to plot: the figure says so


def _figure(width: float = 6.4, height: float = 3.4) -> Any:
    # Imported here, not at the top: the window opens without loading matplotlib.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    figure.patch.set_facecolor("white")
    return figure


def _axes(figure: Any, title: str) -> Any:
    axes = figure.add_subplot()
    # At the figure's left edge, not the plot's: after long bar labels a plot-aligned title ran off the right.
    figure.suptitle(title, x=0.01, ha="left", fontsize=11, color=INK, fontweight="bold")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(GREY)
    axes.tick_params(colors=MUTED, labelsize=8)
    return axes


def _legend(figure: Any, axes: Any) -> None:
    """The series' names on a row of their own under the chart: beside the title (where they were) they ran into it
    on a narrow chart."""
    handles, labels = axes.get_legend_handles_labels()
    figure.legend(handles, labels, frameon=False, fontsize=8, loc="outside lower center", ncols=len(labels))


def _thousands(axes: Any, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    def short(value: float, _position: int) -> str:
        if abs(value) >= 1_000_000:
            return f"{value / 1_000_000:,.1f}".removesuffix(".0") + "M"
        if abs(value) >= 1_000:
            return f"{value / 1_000:,.1f}".removesuffix(".0") + "k"
        return f"{value:,.0f}"

    (axes.yaxis if axis == "y" else axes.xaxis).set_major_formatter(FuncFormatter(short))


def _nothing(figure: Any, axes: Any, message: str) -> None:
    axes.set_xticks([])
    axes.set_yticks([])
    for spine in axes.spines.values():
        spine.set_visible(False)
    axes.text(0.5, 0.5, message, ha="center", va="center", color=MUTED, fontsize=10, transform=axes.transAxes)


def _month_ticks(periods: Sequence[str]) -> list[str]:
    """ "2026-10" -> "Oct", with the year under the first month and under each January."""
    ticks = []
    for index, period in enumerate(periods):
        day = date(int(period[:4]), int(period[5:7]), 1)
        ticks.append(day.strftime("%b\n%Y") if index == 0 or day.month == 1 else day.strftime("%b"))
    return ticks


def revenue_by_month_chart(months: Sequence[tuple[str, Decimal, Decimal]], currency: str = "") -> Chart:
    """Stacked bars per month: revenue through affiliates under the organic rest. `months`: (YYYY-MM, aff., organic)."""
    figure = _figure()
    title = "Revenue by month" + (f" ({currency})" if currency else "")
    axes = _axes(figure, title)
    labels = tuple(period for period, _, _ in months)
    affiliate = tuple(float(a) for _, a, _ in months)
    organic = tuple(float(o) for _, _, o in months)
    empty = not any(affiliate) and not any(organic)
    if empty:
        _nothing(figure, axes, "No sales in these months yet")
    else:
        positions = range(len(labels))
        axes.bar(positions, affiliate, color=GREEN, label="Through affiliates", width=0.7)
        axes.bar(positions, organic, bottom=affiliate, color=GREY, label="Organic", width=0.7)
        axes.set_xticks(list(positions), _month_ticks(labels))
        _thousands(axes)
        axes.grid(axis="y", color="#e6ecea", linewidth=0.8)
        axes.set_axisbelow(True)
        _legend(figure, axes)
    return Chart(figure, title, labels, {"affiliate": affiliate, "organic": organic}, empty)


def top_affiliates_chart(rows: Sequence[tuple[str, Decimal]], currency: str = "", limit: int = 10) -> Chart:
    """Horizontal bars, the best on top: (label, revenue) pairs, already in rank order."""
    rows = list(rows)[:limit]
    figure = _figure()
    title = f"Top {limit} affiliates by revenue" + (f" ({currency})" if currency else "")
    axes = _axes(figure, title)
    labels = tuple(label for label, _ in rows)
    values = tuple(float(value) for _, value in rows)
    empty = not any(values)
    if empty:
        _nothing(figure, axes, "No affiliate sales in this range")
    else:
        positions = list(range(len(rows)))[::-1]  # rank 1 at the top
        bars = axes.barh(positions, values, color=GREEN, height=0.65)
        axes.set_yticks(positions, labels)
        axes.bar_label(bars, labels=[f"{v:,.0f}" for v in values], padding=3, fontsize=8, color=MUTED)
        _thousands(axes, "x")
        axes.set_xlim(0, max(values) * 1.15)
    return Chart(figure, title, labels, {"revenue": values}, empty)


def funnel_chart(clicks: int, orders: int, approved: int) -> Chart:
    """Clicks → orders → approved sales, each bar with its share of the step before."""
    figure = _figure()
    title = "Funnel: clicks → orders → approved"
    axes = _axes(figure, title)
    labels = ("Clicks", "Orders", "Approved")
    values = (float(clicks), float(orders), float(approved))
    empty = not any(values)
    if empty:
        _nothing(figure, axes, "No clicks or orders in this range")
    else:
        positions = [2, 1, 0]
        bars = axes.barh(positions, values, color=[LIGHT_GREEN, GREEN, INK], height=0.6)
        axes.set_yticks(positions, labels)
        notes = [f"{clicks:,}"]
        notes.append(f"{orders:,}" + (f"  ({orders / clicks:.1%} of clicks)" if clicks else ""))
        notes.append(f"{approved:,}" + (f"  ({approved / orders:.0%} of orders)" if orders else ""))
        axes.bar_label(bars, labels=notes, padding=3, fontsize=8, color=MUTED)
        axes.set_xscale("symlog", linthresh=10)  # clicks dwarf orders: a log scale keeps both readable
        axes.set_xlim(0, max(values) * 40)
        axes.set_xticks([])
        axes.spines["bottom"].set_visible(False)
        axes.set_xlabel("bar lengths on a log scale", fontsize=7, color=MUTED, loc="right")
    return Chart(figure, title, labels, {"count": values}, empty)


def target_attainment_chart(items: Sequence[tuple[str, Decimal, str]]) -> Chart:
    """Percent of goal reached per target: (label, percent, state met | missed | running), a line at 100 %."""
    items = list(items)
    figure = _figure(height=max(2.6, 0.9 + 0.32 * len(items)))
    title = "Target attainment (% of goal)"
    axes = _axes(figure, title)
    labels = tuple(label for label, _, _ in items)
    values = tuple(float(percent) for _, percent, _ in items)
    if not items:
        _nothing(figure, axes, "No targets in this range")
    else:
        positions = list(range(len(items)))[::-1]
        shown = [min(v, 200.0) for v in values]  # a target met five times over would flatten the others
        bars = axes.barh(positions, shown, color=[STATE_COLOURS.get(s, GREY) for _, _, s in items], height=0.6)
        # Long labels ("tag:video · Clicks · 2026-11 (5/25 so far)") on two lines leave the bars their width.
        axes.set_yticks(positions, [textwrap.fill(label, 26) for label in labels], fontsize=8)
        axes.axvline(100, color=INK, linewidth=1, linestyle="--")
        axes.bar_label(bars, labels=[f"{v:,.0f} %" for v in values], padding=3, fontsize=8, color=MUTED)
        axes.set_xlim(0, max(130.0, max(shown) * 1.2))
        from matplotlib.patches import Patch

        handles = [Patch(color=colour, label=state) for state, colour in STATE_COLOURS.items()]
        axes.legend(handles=handles, frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08),
                    ncols=3)
    return Chart(figure, title, labels, {"percent": values}, not items)


def trend_chart(points: Sequence[tuple[str, Decimal, Decimal]], title: str = "Revenue and commission") -> Chart:
    """Lines per month: (YYYY-MM, revenue, commission)."""
    figure = _figure(height=3.0)
    axes = _axes(figure, title)
    labels = tuple(period for period, _, _ in points)
    revenue = tuple(float(r) for _, r, _ in points)
    commission = tuple(float(c) for _, _, c in points)
    empty = not any(revenue) and not any(commission)
    if empty:
        _nothing(figure, axes, "No sales in these months")
    else:
        positions = list(range(len(labels)))
        axes.plot(positions, revenue, color=GREEN, marker="o", markersize=4, label="Revenue")
        axes.plot(positions, commission, color=BLUE, marker="o", markersize=4, label="Commission")
        axes.fill_between(positions, revenue, color=GREEN, alpha=0.08)
        axes.set_xticks(positions, _month_ticks(labels))
        _thousands(axes)
        axes.set_ylim(bottom=0)
        axes.grid(axis="y", color="#e6ecea", linewidth=0.8)
        _legend(figure, axes)
    return Chart(figure, title, labels, {"revenue": revenue, "commission": commission}, empty)


def save_figure(figure: Any, path: Path | str) -> Path:
    """Write a figure as PNG or SVG (by the file's suffix) under a temporary name, then rename it into place."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path.name}: charts are saved as .png or .svg")
    with atomic_write(path, "wb") as stream:
        figure.savefig(stream, format=kind, dpi=150 if kind == "png" else 100, facecolor="white")
    return path
