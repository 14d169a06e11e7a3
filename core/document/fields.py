"""The fields a person looks for on an invoice, a receipt or a notice, each with the box it came from.

    fields = extract_fields(reading.lines)   # [Field(kind, value, text, box, confidence)]

Kinds: "invoice number", "order number" (a purchase order's PO number, an order's), "date",
"amount", "total", "email". Patterns allow for what OCR does to
printed text: the space between words is often lost ("InvoiceNo:INV-2024-0815") and Chinese
punctuation is full width ("日期：2024年6月8日"). A total is the amount on the row of a "Total" /
合计 / 总计 label (not a subtotal), which a table often prints in a box of its own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("invoice number", "order number", "date", "total", "amount", "email")

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
NUMBER = re.compile(r"(?:invoice|receipt|bill)\s*(?:no\.?|number|#)\s*[:：#.]?\s*([A-Z0-9][A-Z0-9/-]{2,})"
                    r"|(?:发票号码?|(?<![订购])单号|编号|票据号)\s*[:：]?\s*([A-Z0-9][A-Z0-9/-]{2,})", re.IGNORECASE)
# "PO Number: PO-7731-B", "Purchase Order #4500012", "P.O. No. 88-12", "Order No: A-551", 订单号：…
ORDER = re.compile(r"(?<![a-z])(?:purchase\s*order|p\.?\s*o\.?|order)\s*(?:no\.?|number|#)\s*[:：#.]?\s*"
                   r"([A-Z0-9][A-Z0-9/-]{2,})|(?:订单号|采购单号)\s*[:：]?\s*([A-Z0-9][A-Z0-9/-]{2,})", re.IGNORECASE)
MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
# No \b around the digits: OCR glues a date to its neighbours ("on8June2024", "12/05/202418:42").
DATE = re.compile(r"(?<!\d)\d{4}-\d{1,2}-\d{1,2}(?!\d)|(?<!\d)\d{1,2}/\d{1,2}/\d{4}|(?<!\d)\d{4}/\d{1,2}/\d{1,2}(?!\d)"
                  r"|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
                  rf"|(?<!\d)\d{{1,2}}\s*(?:{MONTHS})[a-z]*\.?\s*\d{{4}}"
                  rf"|(?<![a-z])(?:{MONTHS})[a-z]*\.?\s*\d{{1,2}},?\s*\d{{4}}", re.IGNORECASE)
AMOUNT = re.compile(r"(?:[$¥￥€£]|USD|CNY|RMB|EUR)\s?\d{1,3}(?:,\d{3})*(?:\.\d{1,2})?(?!\d)"
                    r"|(?<![\d.,:/-])\d{1,3}(?:,\d{3})*\.\d{2}(?![\d%])")
TOTAL = re.compile(r"(?<!sub)(?<!sub\s)total|合计|总计|总额|应付|amount\s*due|grand\s*total", re.IGNORECASE)


@dataclass
class Field:
    kind: str
    value: str
    text: str                  # the line it was read from
    box: list[list[float]]     # that line's box on the page
    confidence: float          # that line's recognition confidence

    def as_row(self) -> dict:
        x0, y0 = min(p[0] for p in self.box), min(p[1] for p in self.box)
        x1, y1 = max(p[0] for p in self.box), max(p[1] for p in self.box)
        return {"field": self.kind, "value": self.value, "read from": self.text,
                "confidence": round(self.confidence, 4), "box": f"{x0:.0f},{y0:.0f} → {x1:.0f},{y1:.0f}"}


def extract_fields(lines) -> list[Field]:
    """Every field found on the page's lines (core.document.ocr.Line, in reading order)."""
    found: list[Field] = []
    for line in lines:
        found += [Field("email", m.group(0), line.text, line.box, line.confidence) for m in EMAIL.finditer(line.text)]
        found += [Field("invoice number", (m.group(1) or m.group(2)).rstrip(".-"), line.text, line.box,
                        line.confidence) for m in NUMBER.finditer(line.text)]
        found += [Field("order number", (m.group(1) or m.group(2)).rstrip(".-"), line.text, line.box,
                        line.confidence) for m in ORDER.finditer(line.text)]
        found += [Field("date", _tidy_date(m.group(0)), line.text, line.box, line.confidence) for m in DATE.finditer(line.text)]
        without_dates = DATE.sub(" ", EMAIL.sub(" ", line.text))
        found += [Field("amount", m.group(0).strip().replace("￥", "¥"), line.text, line.box, line.confidence)
                  for m in AMOUNT.finditer(without_dates)]
    found += _totals(lines, found)
    return sorted(found, key=lambda f: KINDS.index(f.kind))


def _tidy_date(date: str) -> str:
    """'8June2024' -> '8 June 2024' (the spaces OCR lost between a day, a month's name and a year)."""
    return re.sub(r"(?<=\d)(?=[A-Za-z])|(?<=[A-Za-z.,])(?=\d)", " ", date)


def _totals(lines, found: list[Field]) -> list[Field]:
    """The last amount on each row that carries a total's label (the label's box and the amount's
    box may differ: the amount's box is the one given)."""
    totals = []
    for line in lines:
        if not TOTAL.search(line.text):
            continue
        row = [f for f in found if f.kind == "amount" and _row_of(f, lines) == line.row]
        if row:
            best = row[-1]
            totals.append(Field("total", best.value, best.text, best.box, best.confidence))
    return totals


def _row_of(field: Field, lines) -> int | None:
    return next((line.row for line in lines if line.box is field.box), None)


def first(fields: list[Field], kind: str) -> Field | None:
    return next((f for f in fields if f.kind == kind), None)
