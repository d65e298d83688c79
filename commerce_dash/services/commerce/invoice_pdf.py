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
from commerce_dash.services.learning import faces_for

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#5b6470")
RULE = colors.HexColor("#d0d5dd")


class _Styles:
    """The text styles of one document, in faces that can print all of its text (the base
    Helvetica for Windows-1252, embedded DejaVu beyond it: a "Łukasz" or "李" buyer)."""

    def __init__(self, texts: list[str]) -> None:
        self.regular, self.bold, _ = faces_for("Helvetica", texts)
        self.body = ParagraphStyle(
            "body", fontName=self.regular, fontSize=9.5, leading=12.5, textColor=INK
        )
        self.small = ParagraphStyle(
            "small", parent=self.body, fontSize=8.5, leading=11, textColor=MUTED
        )
        self.head = ParagraphStyle(
            "head", parent=self.body, fontName=self.bold, fontSize=18, leading=22
        )
        self.label = ParagraphStyle(
            "label", parent=self.body, fontName=self.bold, fontSize=9, textColor=MUTED
        )


def _texts(value: Any) -> list[str]:
    """Every string in the content, to choose faces that print them all."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return [value] if isinstance(value, str) else []


TITLES = {"invoice": "Invoice", "credit_note": "Credit note"}


def _money(amount: int, currency: str, locale: str) -> str:
    try:
        return format_minor(amount, currency, locale)
    except ValueError:
        return f"{amount} {currency}"


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _party(st: _Styles, label: str, lines: list[str]) -> list[Paragraph]:
    return [_para(label.upper(), st.label), *(_para(line, st.body) for line in lines if line)]


def render_document_pdf(content: dict[str, Any], *, locale: str = "en_US") -> bytes:
    """The document as PDF bytes (deterministic for the same content)."""
    out = BytesIO()
    a85 = rl_config.useA85
    rl_config.useA85 = 0
    try:
        title = TITLES.get(str(content.get("kind")), "Invoice")
        doc = SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=16 * mm,
            bottomMargin=16 * mm,
            invariant=1,
            title=f"{title} {content.get('number', '')}",
            author=str(content.get("seller", {}).get("name", "")),
            creator="Commerce Dash",
        )
        currencies = {
            str(content.get(key, {}).get("currency", ""))
            for key in ("display", "settlement")
            if content.get(key)
        } | {str(content["currency"])}
        # the currency signs are printed too (a "₹" is outside Windows-1252)
        signs = [_money(0, currency, locale) for currency in currencies if currency]
        doc.build(_story(content, title, locale, _Styles(_texts(content) + signs)))
    finally:
        rl_config.useA85 = a85
    return out.getvalue()


def _story(content: dict[str, Any], title: str, locale: str, st: _Styles) -> list[Any]:
    currency = str(content["currency"])

    def money(amount: int) -> str:
        return _money(int(amount), currency, locale)

    seller, buyer = content.get("seller", {}), content.get("buyer", {})
    facts = [
        f"Number: {content['number']}",
        f"Date: {content['issued_on']}",
        f"Order: {content['order_number']}",
    ]
    if content.get("invoice_number"):
        facts.append(f"Credits invoice: {content['invoice_number']}")
    head = Table(
        [[_para(title, st.head), [_para(f, st.body) for f in facts]]], colWidths=[95 * mm, 79 * mm]
    )
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    seller_lines = [
        seller.get("name", ""),
        *str(seller.get("address", "")).split("\n"),
        f"Tax ID: {seller['tax_id']}" if seller.get("tax_id") else "",
        seller.get("email", ""),
    ]
    where = ", ".join(p for p in (buyer.get("region", ""), buyer.get("country", "")) if p)
    buyer_lines = [
        buyer.get("name", ""),
        buyer.get("email", ""),
        f"Billing country/region: {where}" if where else "",
    ]
    parties = Table(
        [[_party(st, "From", seller_lines), _party(st, "Billed to", buyer_lines)]],
        colWidths=[87 * mm, 87 * mm],
    )
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story: list[Any] = [head, Spacer(1, 8 * mm), parties, Spacer(1, 8 * mm)]
    if content.get("reason"):
        story += [_para(f"Reason: {content['reason']}", st.small), Spacer(1, 4 * mm)]
    story.append(_lines_table(content, money, st))
    story += [Spacer(1, 6 * mm), _totals_table(content, money, locale, st)]
    note = content.get("note")
    if note:
        story += [Spacer(1, 8 * mm), _para(str(note), st.small)]
    return story


def _lines_table(content: dict[str, Any], money: Any, st: _Styles) -> Table:
    rows: list[list[Any]] = [["Item", "Price", "Discount", "Net", "Tax", "Total"]]
    for line in content.get("lines", []):
        rows.append(
            [
                _para(str(line["title"]), st.body),
                money(line["list"]),
                money(line["discount"]),
                money(line["net"]),
                money(line["tax"]),
                money(line["total"]),
            ]
        )
    table = Table(
        rows, colWidths=[64 * mm, 22 * mm, 22 * mm, 22 * mm, 20 * mm, 24 * mm], repeatRows=1
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), st.bold, 9),
                ("FONT", (0, 1), (-1, -1), st.regular, 9),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
            ]
        )
    )
    return table


def _totals_table(content: dict[str, Any], money: Any, locale: str, st: _Styles) -> Table:
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
        rows.append(
            [
                f"Shown as ({display['currency']}, at 1 {content['currency']} = "
                f"{display['rate']} {display['currency']})",
                "about " + _money(int(display["total"]), display["currency"], locale),
            ]
        )
    settlement = content.get("settlement")
    if settlement:
        rows.append(
            [
                f"Settlement ({settlement['currency']})",
                _money(int(settlement["total"]), settlement["currency"], locale),
            ]
        )
    table = Table(rows, colWidths=[120 * mm, 54 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), st.regular, 9.5),
                ("FONT", (0, strong), (-1, strong), st.bold, 10.5),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                ("LINEABOVE", (0, strong), (-1, strong), 0.8, INK),
            ]
        )
    )
    return table
