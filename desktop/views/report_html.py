"""Report pages as HTML for QTextDocument: shared pieces and the performance review."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from desktop.services.report_charts import ChartImage
from desktop.services.report_review import ReviewData

GREEN = "#1f6f5c"
RED = "#b3261e"
INK = "#1f2d2a"
MUTED = "#5b6b67"
RULE = "#c9d3d0"
SHADE = "#eef3f1"
SCREEN_DPI = 96  # QTextDocument sizes images in pixels of a 96 dpi screen, whatever it prints on


@dataclass(frozen=True)
class ReportHtml:
    """One printable document: its HTML, the pictures it names (by `src`), and what its page footers say."""

    title: str
    footer: str
    html: str
    images: dict[str, ChartImage] = field(default_factory=dict)


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def heading(program: str, title: str, subject: str, details: Sequence[tuple[str, str]]) -> str:
    """The document's head: program name, title and subject on the left, small facts on the right."""
    facts = "".join(
        f'<tr><td style="color:{MUTED}; padding-right:10px">{esc(k)}</td><td>{esc(v)}</td></tr>' for k, v in details
    )
    return (
        '<table width="100%" cellspacing="0" cellpadding="0"><tr>'
        f'<td valign="top"><p style="color:{GREEN}; font-size:10pt; font-weight:600; margin:0">{esc(program)}</p>'
        f'<p style="font-size:20pt; font-weight:bold; color:{INK}; margin-top:2px; margin-bottom:0">{esc(title)}</p>'
        f'<p style="font-size:12.5pt; color:{INK}; margin-top:2px">{esc(subject)}</p></td>'
        f'<td valign="top" align="right"><table cellspacing="0" cellpadding="1" style="font-size:8.5pt">{facts}'
        "</table></td></tr></table>"
        f'<table width="100%" cellspacing="0" cellpadding="0" style="margin-top:6px; margin-bottom:4px">'
        f'<tr><td style="border-bottom:2px solid {GREEN}; font-size:2pt">&nbsp;</td></tr></table>'
    )


def section(title: str) -> str:
    return f'<h2 style="font-size:12pt; color:{GREEN}; margin-top:14px; margin-bottom:5px">{esc(title)}</h2>'


def note(text: str) -> str:
    return f'<p style="color:{MUTED}; font-size:8.5pt; margin-top:3px">{text}</p>'


def paragraph(text: str) -> str:
    return f'<p style="margin-top:2px; margin-bottom:2px">{text}</p>'


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    align: str = "",
    widths: Sequence[int] = (),
    totals: Sequence[str] | None = None,
    size: str = "9pt",
    after: Iterable[Sequence[str]] = (),
) -> str:
    """A ruled table; cells are HTML already (escape user text first). `align`: one letter per column, l or r.
    `after`: quieter rows under the totals, such as the parts a total splits into; a row shorter than the headers
    has its first cell span the columns missing, so that it fills the last columns."""

    def cell(tag: str, index: int, content: str, style: str) -> str:
        side = "right" if index < len(align) and align[index] == "r" else "left"
        width = f' width="{widths[index]}%"' if index < len(widths) else ""
        # An empty last cell makes Qt's HTML import drop the block after the table (the gap before the next heading).
        return f'<{tag} align="{side}"{width} style="{style}">{content or "&nbsp;"}</{tag}>'

    head_style = f"border-bottom:1px solid {INK}; color:{INK}; font-weight:bold; background-color:{SHADE}"
    body_style = f"border-bottom:1px solid {RULE}"
    parts = [f'<table width="100%" cellspacing="0" cellpadding="4" style="border-collapse:collapse; '
             f'font-size:{size}"><thead><tr>']  # fmt: skip
    parts += [cell("th", i, esc(h), head_style) for i, h in enumerate(headers)]
    parts.append("</tr></thead>")
    for row in rows:
        parts.append("<tr>" + "".join(cell("td", i, c, body_style) for i, c in enumerate(row)) + "</tr>")
    if totals is not None:
        style = f"border-top:1px solid {INK}; font-weight:bold"
        parts.append("<tr>" + "".join(cell("td", i, c, style) for i, c in enumerate(totals)) + "</tr>")
    for row in after:
        span = len(headers) - len(row) + 1
        first = f'<td colspan="{span}" style="color:{MUTED}">{row[0]}</td>'
        rest = "".join(cell("td", i + span, c, f"color:{MUTED}") for i, c in enumerate(row[1:]))
        parts.append(f"<tr>{first}{rest}</tr>")
    parts.append("</table>")
    return "".join(parts)


def percent(value: Decimal) -> str:
    """A share of a goal as people round it: 112.5 -> "113 %"."""
    return f"{value.quantize(Decimal(1), ROUND_HALF_UP):,} %"


def small(text: str) -> str:
    """A second, quieter line in a table cell."""
    return f'<span style="color:{MUTED}; font-size:8pt">{esc(text)}</span>'


def coloured(text: str, good: bool | None) -> str:
    if good is None or not text:
        return esc(text)
    return f'<span style="color:{GREEN if good else RED}">{esc(text)}</span>'


def result_badge(state: str, text: str) -> str:
    colour = {"met": GREEN, "missed": RED}.get(state, MUTED)
    return f'<span style="color:{colour}; font-weight:bold">{esc(text)}</span>'


def picture(name: str, image: ChartImage, caption: str = "") -> str:
    width, height = round(image.width_in * SCREEN_DPI), round(image.height_in * SCREEN_DPI)
    text = note(esc(caption)) if caption else ""
    return f'<p align="center" style="margin-top:4px"><img src="{name}" width="{width}" height="{height}"></p>{text}'


def comments_box(lines: int = 6) -> str:
    """A framed box with ruled lines to write on, and signature lines under it."""
    ruled = "".join(
        f'<tr><td style="border-bottom:1px solid {RULE}; padding-top:17px; font-size:8pt">&nbsp;</td></tr>'
        for _ in range(lines)
    )
    box = (
        f'<table width="100%" border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse; '
        f'border-color:{MUTED}"><tr><td style="padding:10px">'
        f'<table width="100%" cellspacing="0" cellpadding="3" style="border-collapse:collapse">{ruled}</table>'
        "</td></tr></table>"
    )
    columns = (("Program manager", 32), ("Date", 14), ("Affiliate", 32), ("Date", 14))
    gap = '<td width="2%"></td>'
    sign = gap.join(
        f'<td width="{w}%" style="border-bottom:1px solid {INK}; padding-top:22px">&nbsp;</td>' for _, w in columns
    )
    labels = gap.join(f'<td style="color:{MUTED}; font-size:8pt">{esc(t)}</td>' for t, _ in columns)
    return box + (
        f'<table width="100%" cellspacing="0" cellpadding="2" style="margin-top:6px"><tr>{sign}</tr>'
        f"<tr>{labels}</tr></table>"
    )


def document(body: str) -> str:
    return f'<html><body style="color:{INK}">{body}</body></html>'


# --- the performance review ------------------------------------------------------------------------------------


def _summary(data: ReviewData) -> str:
    revenue = next((k for k in data.kpis if k.metric == "revenue"), None)
    parts = []
    if revenue is not None:
        if revenue.change == "new":
            change = f" (none in {data.compared_label})"
        elif revenue.change:
            change = f" ({revenue.change} against {data.compared_label})"
        else:
            change = ""
        parts.append(f"Revenue <b>{esc(revenue.value_text)} {esc(data.currency)}</b>{esc(change)}")
    if data.targets:
        parts.append(f"<b>{data.targets_met} of {len(data.targets)}</b> target{'s' if len(data.targets) != 1 else ''}"
                     " met")  # fmt: skip
    if data.rank is not None:
        parts.append(f"rank <b>{data.rank} of {data.ranked}</b>")
    return paragraph(" · ".join(parts)) if parts else ""


def _kpis(data: ReviewData) -> str:
    rows = [
        (esc(k.label), f"<b>{esc(k.value_text)}</b>", esc(k.previous_text), coloured(k.change, k.good),
         esc(k.average_text))
        for k in data.kpis
    ]  # fmt: skip
    headers = ("Key figure", data.current_label, data.compared_label, "Change", "Program average")
    average = ("Program average: sums per active affiliate; rates (conversion, EPC, average order value, refunds) "
               "over all active affiliates together. Money in " + esc(data.currency) + ". Commission is the orders' "
               "commission before the plan's monthly cap, if it has one.")  # fmt: skip
    if data.sheet_commission and data.sheet_commission[1] > 0:
        paid, cut = data.sheet_commission
        average += (f" The cap took {cut:,.2f} off it on the {esc(data.period_label)} payout sheet, which pays "
                    f"{paid:,.2f} in commission.")  # fmt: skip
    return table(headers, rows, "lrrrr", (28, 18, 18, 14, 22)) + note(average)


def _targets(data: ReviewData) -> str:
    if not data.targets:
        return paragraph(f"No targets were set for {esc(data.period_label)}.")
    rows = [
        (f"{esc(t.metric_label)}<br>{small(t.scope)}",
         esc(t.goal_text), esc(t.actual_text), percent(t.percent), result_badge(t.state, t.result),
         _reward(t.reward))
        for t in data.targets
    ]  # fmt: skip
    return table(("Target", "Goal", "Actual", "Reached", "Result", "Reward when met"), rows, "lrrrll",
                 (22, 13, 13, 10, 17, 25))  # fmt: skip


def _reward(text: str) -> str:
    return "—" if text == "no reward" else esc(text)


def _feedback(data: ReviewData) -> str:
    if not data.feedback:
        return paragraph(f"No feedback notes in {esc(data.period_label)}.")
    rows = [
        (esc(f.written_on.strftime("%d %b")), f"<b>{esc(f.kind_label)}</b>", esc(f.text).replace("\n", "<br>"))
        for f in data.feedback
    ]
    return table(("Date", "Kind", "Note"), rows, "lll", (10, 13, 77))


def _rewards(data: ReviewData) -> str:
    if not data.rewards:
        return paragraph(f"No rewards in {esc(data.period_label)}.")
    rows = [
        (f"<b>{esc(r.kind)}</b>", esc(r.text), esc(f"{r.amount:,.2f} {data.currency}") if r.amount is not None else "")
        for r in data.rewards
    ]
    return table(("Reward", "What for", "Amount"), rows, "llr", (16, 64, 20))


def _next_targets(data: ReviewData) -> str:
    if not data.next_targets:
        return paragraph(f"No targets are set for {esc(data.next_label)} yet.")
    rows = [
        (esc(t.metric_label), esc(t.goal_text) + (f"<br>{small(t.basis)}" if t.basis else ""), _reward(t.reward),
         esc(t.scope))
        for t in data.next_targets
    ]  # fmt: skip
    return table(("Target", "Goal", "Reward when met", "For"), rows, "lrll", (20, 24, 34, 22))


def review_html(data: ReviewData) -> ReportHtml:
    """The performance review as one HTML document with its trend chart (1–2 pages)."""
    details = [("Period", data.period_label), ("Status", data.status.capitalize())]
    if data.plan:
        details.append(("Plan", data.plan))
    if data.joined_on:
        details.append(("Partner since", data.joined_on.strftime("%d %b %Y")))
    details.append(("Prepared", data.generated_on.strftime("%d %b %Y")))
    body = [heading(data.program_name, "Performance review", f"{data.name} ({data.code})", details)]
    if data.in_progress:
        body.append(note(f"{esc(data.period_label)} is not over yet: the figures are for its days so far, "
                         f"{esc(data.current_label)}, and the changes compare them with the same days of "
                         f"{esc(data.previous_label)}, {esc(data.compared_label)}. The trend's last month is "
                         "unfinished too."))  # fmt: skip
    if data.joined_on and data.joined_on > data.period_end:
        body.append(note(f"{esc(data.name)} joined on {esc(data.joined_on.strftime('%d %b %Y'))}, after "
                         f"{esc(data.period_label)}: there is nothing of theirs to review in it."))  # fmt: skip
    body += [_summary(data), section("Key figures"), _kpis(data), section("Targets"), _targets(data)]
    body += [section("Six-month trend"), picture("chart:trend", data.trend)]
    body += [section("Ranking"), paragraph(esc(data.rank_text))]
    body += [section("Feedback"), _feedback(data), section("Rewards earned"), _rewards(data)]
    body += [section(f"Targets for {data.next_label}"), _next_targets(data), section("Comments"), comments_box()]
    return ReportHtml(data.title, f"{data.program_name} · {data.title}", document("".join(body)),
                      {"chart:trend": data.trend})  # fmt: skip
