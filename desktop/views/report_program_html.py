"""The program report as HTML for QTextDocument: goals, KPIs, top performers, targets, payouts and charts."""

from __future__ import annotations

from desktop.services.report_program import ProgramReportData
from desktop.views.report_html import (
    ReportHtml,
    coloured,
    document,
    esc,
    heading,
    note,
    paragraph,
    percent,
    picture,
    result_badge,
    section,
    table,
)


def _north_star(data: ProgramReportData) -> str:
    star = data.north_star
    percent = star.percent
    state = "met" if percent is not None and percent >= 100 else "missed" if not data.in_progress else "running"
    verdict = {"met": "Goal met", "missed": "Goal missed", "running": "Running"}[state]
    shown = f" ({percent:,.1f} % of the goal)" if percent is not None else ""
    pace = f"<br><span style='font-size:8.5pt'>{esc(star.pace)}</span>" if star.pace else ""
    return paragraph(f"North Star · {esc(star.label)}: <b>{esc(star.text)}</b>{esc(shown)} "
                     f"{result_badge(state, verdict) if percent is not None else ''}{pace}")  # fmt: skip


def _kpis(data: ProgramReportData) -> str:
    rows = [(esc(t.label), f"<b>{esc(t.value)}</b>", esc(t.previous), coloured(t.change, t.good)) for t in data.kpis]
    said = "Commission, here and among the top affiliates, is the orders' commission before the plans' monthly caps."
    if data.payouts and data.payouts.over_cap > 0:
        said += (f" The payout sheet below takes {data.payouts.over_cap:,.2f} off it over the caps and pays "
                 f"{data.payouts.commission:,.2f} in commission.")  # fmt: skip
    header = ("Key figure", data.kpi_label, data.kpi_previous_label, "Change")
    table_html = table(header, rows, "lrrr", (40, 22, 22, 16))
    return table_html + note(said)


def _top(data: ProgramReportData) -> str:
    if not data.top:
        return paragraph("No affiliate sales this month.")
    rows = [
        (str(t.rank), f"{esc(t.name)} <span style='font-size:8pt'>({esc(t.code)})</span>", esc(t.text("revenue")),
         esc(t.text("sales")), esc(t.text("clicks")), esc(t.text("conversion_rate")), esc(t.text("commission")))
        for t in data.top
    ]  # fmt: skip
    return table(("#", "Affiliate", "Revenue", "Sales", "Clicks", "Conversion", "Commission"), rows, "rlrrrrr",
                 (5, 33, 15, 9, 10, 13, 15))  # fmt: skip


def _targets(data: ProgramReportData) -> str:
    if not data.targets:
        return paragraph(f"No targets were set for {esc(data.period_label)}.")
    rows = [
        (esc(t.scope), esc(t.metric_label), esc(t.goal_text), percent(t.attainment),
         result_badge(t.state, t.result))
        for t in data.targets
    ]  # fmt: skip
    return table(("For", "Target", "Goal", "Reached", "Result"), rows, "llrrl", (30, 16, 16, 10, 28))


def _sheet_state(state: str, state_text: str) -> str:
    if state == "paid":
        return ("Paid " + state_text.removeprefix("paid").strip()).strip()
    if state == "approved":
        return "Approved, not paid yet"
    return "Draft: may still change, nothing paid yet"


def _payouts(data: ProgramReportData) -> str:
    p = data.payouts
    if p is None:
        return paragraph(f"No payout sheet has been built for {esc(data.period_label)} yet.")
    c = data.currency
    who = [f"{p.paying:,} {p.pay_word}", f"{p.carrying:,} carried on", f"{p.held:,} held"]
    if p.settled:
        who.append(f"{p.settled:,} with nothing due")
    commission = f"Commission after the caps ({c})"
    if p.over_cap:
        commission = f"Commission ({c}), after {p.over_cap:,.2f} cut by the caps"
    rows = [
        ("Sheet", esc(_sheet_state(p.state, p.state_text))),
        ("Affiliates on the sheet", f"{p.affiliates:,}: {', '.join(who)}"),
        (f"Carried in from {data.previous_label} ({c})", f"{p.carried_in:,.2f}"),
        (f"+ {commission}", f"{p.commission:,.2f}"),
        (f"+ Bonuses ({c})", f"{p.bonuses:,.2f}"),
        (f"+ Adjustments ({c})", f"{p.adjustments:,.2f}"),
        (f"= Balance ({c})", f"<b>{p.balance:,.2f}</b>"),
        (f"of which {p.pay_word} ({c})", f"<b>{p.payable:,.2f}</b>"),
        (f"of which carried on to the next month ({c})", f"{p.carried_out:,.2f}"),
    ]
    said = (f"Balance {p.balance:,.2f} = {p.pay_word} {p.payable:,.2f} + carried on {p.carried_out:,.2f}: below the "
            "payout threshold, negative or held, a balance is not paid but carried to the next month.")  # fmt: skip
    return table(("Payouts", ""), [(esc(k), v) for k, v in rows], "lr", (60, 40)) + note(esc(said))


def program_html(data: ProgramReportData) -> ReportHtml:
    selling = f"{data.selling_affiliates:,}"
    if data.selling_not_active:
        selling += f" ({data.selling_not_active:,} not active today)"
    details = [("Period", data.period_label), ("Currency", data.currency),
               ("Active affiliates today", f"{data.active_affiliates:,}"), ("With sales in the month", selling),
               ("Prepared", data.generated_on.strftime("%d %b %Y"))]  # fmt: skip
    body = [heading(data.program_name, "Program report", data.period_label, details)]
    if data.in_progress:
        body.append(note(f"{esc(data.period_label)} is not over yet: the figures are as of "
                         f"{esc(data.generated_on.strftime('%d %b %Y'))}."))  # fmt: skip
    body += [section("Goals"), _north_star(data), section("Key figures"), _kpis(data)]
    body += [section("Top performers"), _top(data), section("Targets"), _targets(data)]
    body += [section("Payouts"), _payouts(data)]
    images = {}
    body.append(section("Charts"))
    for index, chart in enumerate(data.charts):
        name = f"chart:{index}"
        images[name] = chart
        body.append(picture(name, chart))
    return ReportHtml(data.title, data.title, document("".join(body)), images)
