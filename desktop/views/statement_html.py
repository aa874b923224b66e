"""The affiliate statement as HTML for QTextDocument: activity, every order with its commission, money paid."""

from __future__ import annotations

from decimal import Decimal

from desktop.services.metrics import format_value
from desktop.services.statements import StatementData, StatementOrder
from desktop.views.report_html import (
    MUTED,
    ReportHtml,
    document,
    esc,
    heading,
    note,
    paragraph,
    section,
    small,
    table,
)

STATUS_WORDS = {"approved": "approved", "pending": "pending", "rejected": "rejected", "refunded": "refunded"}


def money(value: Decimal | None) -> str:
    return "" if value is None else esc(f"{value:,.2f}")


def _summary(data: StatementData) -> str:
    m = data.metrics
    activity = [
        ("Clicks", format_value("clicks", m.clicks)),
        ("Sales (approved orders)", format_value("sales", m.sales)),
        ("Revenue (approved sales, net)", f"{m.revenue:,.2f}"),
        ("Conversion rate", format_value("conversion_rate", m.conversion_rate)),
    ]
    if m.leads:
        activity.append(("Leads", format_value("leads", m.leads)))
    if m.signups:
        activity.append(("Signups", format_value("signups", m.signups)))
    earned = [("Commission on the orders", f"{data.commission_total:,.2f}")]
    if data.over_cap_total:
        earned.append(("Cut by the plan's cap", f"{-data.over_cap_total:,.2f}"))
    earned += [
        ("Bonuses", f"{data.bonuses_total:,.2f}"),
        ("Adjustments", f"{data.adjustments_total:,.2f}"),
        ("Paid out", f"{data.paid_total:,.2f}"),
    ]
    left = table(("Activity", ""), [(esc(k), f"<b>{esc(v)}</b>") for k, v in activity], "lr", (60, 40))
    right = table((f"Money ({data.currency})", ""), [(esc(k), f"<b>{esc(v)}</b>") for k, v in earned], "lr", (60, 40))
    return (f'<table width="100%" cellspacing="0" cellpadding="0"><tr><td width="48%" valign="top">{left}</td>'
            f'<td width="4%"></td><td width="48%" valign="top">{right}</td></tr></table>')  # fmt: skip


def _commission_from(order: StatementOrder) -> str:
    if order.sheet is not None:
        return f"{order.sheet} {order.sheet_state}"
    return "estimate" if order.commission is not None else ""


def _orders(data: StatementData) -> str:
    if not data.orders:
        return paragraph(f"No orders came through you in {esc(data.range_label)}.")
    with_types = any(o.type != "sale" for o in data.orders)
    with_refunds = any(o.refunded for o in data.orders)
    columns: list[tuple[str, str, int]] = [("Date", "l", 9), ("Order", "l", 17)]
    columns += [("Type", "l", 7)] if with_types else []
    columns += [("Status", "l", 10), ("Amount", "r", 12)]
    columns += [("Refunded", "r", 11)] if with_refunds else []
    columns += [("Net", "r", 12), ("Commission", "r", 14), ("On sheet", "l", 14)]
    rows = []
    for o in data.orders:
        quiet = "" if o.status == "approved" else f' style="color:{MUTED}"'
        row = [esc(o.day.strftime("%d %b")), esc(o.order_id)] + ([esc(o.type)] if with_types else [])
        row += [f"<span{quiet}>{esc(o.status)}</span>", money(o.amount)]
        row += [money(o.refunded) if o.refunded else ""] if with_refunds else []
        row += [money(o.net), f"<b>{money(o.commission)}</b>" if o.commission is not None else "—",
                f"<span style='color:{MUTED}'>{esc(_commission_from(o))}</span>"]  # fmt: skip
        rows.append(row)
    orders = data.orders
    totals = ["", f"{len(orders):,} order{'' if len(orders) == 1 else 's'}"] + ([""] if with_types else [])
    totals += ["", money(sum((o.amount for o in orders), Decimal(0)))]
    totals += [money(sum((o.refunded for o in orders), Decimal(0)))] if with_refunds else []
    totals += [money(data.net_total), money(data.commission_total), ""]
    # The net total splits into the approved sales (the summary's revenue) and the orders that earn nothing yet,
    # under the Net column, so that a reader can add the parts up to the total.
    after = []
    for part in data.net_parts if len(data.net_parts) > 1 else ():
        orders_text = f"{part.orders:,} order{'' if part.orders == 1 else 's'}"
        after.append([f"of which {esc(orders_text)} {esc(part.label)}", money(part.net), "", ""])
    width = sum(w for _, _, w in columns)
    return table([c[0] for c in columns], rows, "".join(c[1] for c in columns),
                 [round(w * 100 / width) for _, _, w in columns], totals, size="8pt", after=after)  # fmt: skip


def _adjustments(data: StatementData) -> str:
    if not data.adjustments:
        return paragraph("No bonuses or adjustments in this period.")
    rows = [
        (esc(a.period), f"<b>{esc(a.kind_label)}</b>", esc(a.reason) + (f" (order {esc(a.order_id)})" if a.order_id
         else ""), money(a.amount))
        for a in data.adjustments
    ]  # fmt: skip
    total = sum((a.amount for a in data.adjustments), Decimal(0))
    return table(("Sheet", "Kind", "Reason", "Amount"), rows, "lllr", (10, 18, 57, 15),
                 ("", "Total", "", money(total)))  # fmt: skip


def _payouts(data: StatementData) -> str:
    if not data.payouts:
        return paragraph("No payout sheet covers this period yet: the commission above is paid once it does.")
    capped = any(p.over_cap for p in data.payouts)
    rows = [
        [f"{esc(p.period)}<br>{small(p.status_text)}", money(p.commission + p.over_cap)]
        + ([money(-p.over_cap)] if capped else [])
        + [money(p.bonuses), money(p.adjustments), money(p.carried_in), f"<b>{money(p.payable)}</b>",
           money(p.carried_out)]
        for p in data.payouts
    ]  # fmt: skip
    headers = ["Sheet", "Commission"] + (["Cap"] if capped else []) + ["Bonuses", "Adjustments", "Carried in",
                                                                       "Payable", "Carried on"]  # fmt: skip
    widths = [17 if capped else 28, 13] + ([11] if capped else []) + [10, 14, 11, 11, 13]
    return table(headers, rows, "l" + "r" * (len(headers) - 1), widths, size="8pt")


def statement_html(data: StatementData) -> ReportHtml:
    """The statement to send to an affiliate: what they brought, what it earned, and what was paid."""
    details = [("Period", data.range_label), ("From", data.range.start.isoformat()), ("To", data.range.end.isoformat()),
               ("Currency", data.currency), ("Prepared", data.generated_on.strftime("%d %b %Y"))]  # fmt: skip
    if data.payee_email:
        details.insert(0, ("Paid to", data.payee_email))
    body = [heading(data.program_name, "Affiliate statement", f"{data.name} ({data.code})", details)]
    body += [section("Summary"), _summary(data)]
    body += [section("Orders and commission"), _orders(data)]
    if data.estimated_total:
        body.append(note(f"“estimate”: the commission your plan gives an order that is not on a payout sheet yet "
                         f"({data.estimated_total:,.2f} {esc(data.currency)} in all); it is final once the sheet "
                         "is approved (tiers, caps and refunds may change it)."))  # fmt: skip
    body += [section("Bonuses and adjustments"), _adjustments(data)]
    body += [section("Payouts"), _payouts(data)]
    body.append(note("Amounts in " + esc(data.currency) + ". Questions about an order? Reply with its order number."))
    return ReportHtml(data.title, f"{data.program_name} · {data.title}", document("".join(body)))
