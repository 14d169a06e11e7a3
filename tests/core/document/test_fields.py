"""Fields pulled from what the model read (the invoice, the receipt, the notice) and from text."""
from __future__ import annotations

from core.document.fields import extract_fields, first
from core.document.ocr import Line
from tests.core.document.conftest import truth


def values(fields, kind):
    return [f.value for f in fields if f.kind == kind]


def test_invoice_fields_with_their_boxes(readings):
    for kind in ("clean", "photographed"):
        _, reading = readings["invoice", kind]
        fields, expected = extract_fields(reading.lines), truth("invoice")["fields"]
        assert first(fields, "invoice number").value == expected["invoice number"], kind
        assert values(fields, "total") == [expected["total"]], kind  # the subtotal is not a total
        assert values(fields, "date") == expected["date"], kind
        assert values(fields, "email") == [expected["email"]], kind
        total = first(fields, "total")
        assert total.box in [l.box for l in reading.lines] and total.text == "$2,416.80"


def test_receipt_and_notice_fields(readings):
    fields = extract_fields(readings["receipt", "photographed"][1].lines)
    assert values(fields, "total") == ["¥57.80"] and values(fields, "date") == ["12/05/2024"]
    assert first(fields, "invoice number").value == "R-58213"
    notice = extract_fields(readings["notice", "photographed"][1].lines)
    assert set(values(notice, "date")) == set(truth("notice")["fields"]["date"])


def line(text, row=0):
    return Line(text, 0.99, [[0, 0], [100, 0], [100, 20], [0, 20]], row)


def test_patterns_survive_lost_spaces_and_full_width_punctuation():
    fields = extract_fields([line("InvoiceNo:INV-77/3"), line("发票号码：A12345"), line("日期：2024年6月8日"),
                             line("Paid on 3 Mar 2025, see March 4, 2025"), line("mail x.y@z.co.uk now")])
    assert values(fields, "invoice number") == ["INV-77/3", "A12345"]
    assert values(fields, "date") == ["2024年6月8日", "3 Mar 2025", "March 4, 2025"]
    assert values(fields, "email") == ["x.y@z.co.uk"]


def test_no_fields_in_plain_text_and_a_subtotal_is_no_total():
    assert extract_fields([line("Thank you for shopping with us")]) == []
    fields = extract_fields([line("Subtotal", 0), line("$10.00", 0)])
    assert values(fields, "amount") == ["$10.00"] and values(fields, "total") == []


def test_a_purchase_orders_number_is_a_field_of_its_own():
    """Issue 22 item 11: "PO Number: PO-7731-B" was not pulled out."""
    fields = extract_fields([line("PO Number: PO-7731-B"), line("Purchase Order #4500012"), line("P.O. No. 88-12"),
                             line("OrderNo:A-551"), line("订单号：DD20240601"), line("Invoice No: INV-9")])
    assert values(fields, "order number") == ["PO-7731-B", "4500012", "88-12", "A-551", "DD20240601"]
    assert values(fields, "invoice number") == ["INV-9"]  # an invoice's number is not an order's
