"""Charts for printed reports: the shared chart builders' figures rendered as print-resolution PNG or SVG bytes."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from desktop.services.charts import Chart

PRINT_DPI = 300  # sharp on paper: a 6.4-inch figure becomes 1,920 pixels wide


@dataclass(frozen=True)
class ChartImage:
    """A chart ready for a document: the picture, its size on paper, and the numbers it shows (for tests)."""

    title: str
    png: bytes
    width_in: float
    height_in: float
    labels: tuple[str, ...] = ()
    series: dict[str, tuple[float, ...]] = field(default_factory=dict)
    empty: bool = False


def chart_png(chart: Chart, dpi: int = PRINT_DPI) -> bytes:
    """The chart's figure as PNG bytes at `dpi` (white background, the figure's own size in inches)."""
    buffer = io.BytesIO()
    # Fast zlib: Qt decodes the PNG and compresses the picture again for the PDF anyway.
    chart.figure.savefig(buffer, format="png", dpi=dpi, facecolor="white", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def chart_svg(chart: Chart) -> bytes:
    """The chart's figure as SVG bytes, for documents that keep charts as vectors."""
    buffer = io.BytesIO()
    chart.figure.savefig(buffer, format="svg", facecolor="white")
    return buffer.getvalue()


def chart_image(chart: Chart, dpi: int = PRINT_DPI) -> ChartImage:
    width, height = (float(x) for x in chart.figure.get_size_inches())
    return ChartImage(chart.title, chart_png(chart, dpi), width, height, chart.labels, dict(chart.series), chart.empty)
