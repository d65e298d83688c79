"""An invoice or credit note as an A4 PDF, drawn with reportlab from the document's frozen
``content`` (see ``invoices.py``): seller and buyer, the lines, the discount, the tax by
rate, the totals in the charged currency, and what they came to in the currency the learner
saw and in the settlement currency where those differ.

Pure rendering (no database); callers keep it off the event loop (API routes are sync, run
in the thread pool; completion renders in the worker that settles the payment).
"""

from __future__ import annotations

from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from commerce_dash.domain.money import format_minor

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#5b6470")
RULE = colors.HexColor("#d0d5dd")
_BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9.5, leading=12.5, textColor=INK)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8.5, leading=11, textColor=MUTED)
_HEAD = ParagraphStyle("head", parent=_BODY, fontName="Helvetica-Bold", fontSize=18,
                       leading=22)
_LABEL = ParagraphStyle("label", parent=_BODY, fontName="Helvetica-Bold", fontSize=9,
                        textColor=MUTED)

TITLES = {"invoice": "Invoice", "credit_note": "Credit note"}


def _money(amount: int, currency: str, locale: str) -> str:
    try:
        return format_minor(amount, currency, locale)
    except ValueError:
        return f"{amount} {currency}"


def _para(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _party(label: str, lines: list[str]) -> list[Paragraph]:
    return [_para(label.upper(), _LABEL), *(_para(line) for line in lines if line)]


def render_document_pdf(content: dict[str, Any], *, locale: str = "en_US") -> bytes:
    """The document as PDF bytes (deterministic for the same content)."""
    out = BytesIO()
    a85 = rl_config.useA85
    rl_config.useA85 = 0
    try:
        title = TITLES.get(str(content.get("kind")), "Invoice")
        doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                                topMargin=16 * mm, bottomMargin=16 * mm, invariant=1,
                                title=f"{title} {content.get('number', '')}",
                                author=str(content.get("seller", {}).get("name", "")),
                                creator="Commerce Dash")
        doc.build(_story(content, title, locale))
    finally:
        rl_config.useA85 = a85
    return out.getvalue()


def _story(content: dict[str, Any], title: str, locale: str) -> list[Any]:
    currency = str(content["currency"])

    def money(amount: int) -> str:
        return _money(int(amount), currency, locale)

    seller, buyer = content.get("seller", {}), content.get("buyer", {})
    facts = [f"Number: {content['number']}", f"Date: {content['issued_on']}",
             f"Order: {content['order_number']}"]
    if content.get("invoice_number"):
        facts.append(f"Credits invoice: {content['invoice_number']}")
    head = Table([[_para(title, _HEAD), [_para(f, _BODY) for f in facts]]],
                 colWidths=[95 * mm, 79 * mm])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    seller_lines = [seller.get("name", ""), *str(seller.get("address", "")).split("\n"),
                    f"Tax ID: {seller['tax_id']}" if seller.get("tax_id") else "",
                    seller.get("email", "")]
    where = ", ".join(p for p in (buyer.get("region", ""), buyer.get("country", "")) if p)
    buyer_lines = [buyer.get("name", ""), buyer.get("email", ""),
                   f"Billing country/region: {where}" if where else ""]
    parties = Table([[_party("From", seller_lines), _party("Billed to", buyer_lines)]],
                    colWidths=[87 * mm, 87 * mm])
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story: list[Any] = [head, Spacer(1, 8 * mm), parties, Spacer(1, 8 * mm)]
    if content.get("reason"):
        story += [_para(f"Reason: {content['reason']}", _SMALL), Spacer(1, 4 * mm)]
    story.append(_lines_table(content, money))
    story += [Spacer(1, 6 * mm), _totals_table(content, money, locale)]
    note = content.get("note")
    if note:
        story += [Spacer(1, 8 * mm), _para(str(note), _SMALL)]
    return story


def _lines_table(content: dict[str, Any], money: Any) -> Table:
    rows: list[list[Any]] = [["Item", "Price", "Discount", "Net", "Tax", "Total"]]
    for line in content.get("lines", []):
        rows.append([_para(str(line["title"])), money(line["list"]), money(line["discount"]),
                     money(line["net"]), money(line["tax"]), money(line["total"])])
    table = Table(rows, colWidths=[64 * mm, 22 * mm, 22 * mm, 22 * mm, 20 * mm, 24 * mm],
                  repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
    ]))
    return table


def _totals_table(content: dict[str, Any], money: Any, locale: str) -> Table:
    rows: list[list[str]] = [["Subtotal", money(content["subtotal"])]]
    discount = content.get("discount", {})
    if discount.get("amount"):
        code = f" ({discount['code']})" if discount.get("code") else ""
        rows.append([f"Discount{code}", money(-int(discount["amount"]))])
    for group in content.get("tax_by_rate", []):
        rows.append([f"{group['label']} on {money(group['base'])}", money(group["tax"])])
    if not content.get("tax_by_rate"):
        rows.append(["Tax", money(content.get("tax_total", 0))])
    rows.append([f"Total ({content['currency']})", money(content["total"])])
    strong = len(rows) - 1
    display = content.get("display")
    if display:
        rows.append([f"Shown as ({display['currency']}, at 1 {content['currency']} = "
                     f"{display['rate']} {display['currency']})",
                     "≈ " + _money(int(display["total"]), display["currency"], locale)])
    settlement = content.get("settlement")
    if settlement:
        rows.append([f"Settlement ({settlement['currency']})",
                     _money(int(settlement["total"]), settlement["currency"], locale)])
    table = Table(rows, colWidths=[120 * mm, 54 * mm])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", 9.5),
        ("FONT", (0, strong), (-1, strong), "Helvetica-Bold", 10.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
        ("LINEABOVE", (0, strong), (-1, strong), 0.8, INK),
    ]))
    return table
