"""PP-OCRv4 on the bundled examples: characters against their ground truth, both scripts, boxes,
stages timed, the detector's map, reading order, an upside-down page and a blank one."""
from __future__ import annotations

import numpy as np
import pytest

from core.document.ocr import Line, character_error_rate, load_reader, normalise, reading_order
from tests.core.document.conftest import NAMES, truth

# The targets (CER <= 3 % clean, <= 8 % photographed), per document.
TARGETS = {"clean": 0.03, "photographed": 0.08}


@pytest.mark.parametrize("kind", ["clean", "photographed"])
@pytest.mark.parametrize("name", NAMES)
def test_character_error_rate_against_ground_truth(readings, name, kind):
    _, reading = readings[name, kind]
    cer = character_error_rate(reading.text, "\n".join(truth(name)["lines"]))
    assert cer <= TARGETS[kind], f"{name} ({kind}): CER {cer:.3f}\n{reading.text}"


def test_chinese_and_english_lines_are_both_read(readings):
    text = normalise(readings["notice", "photographed"][1].text)
    assert normalise("因管道维修，本楼将于2024年6月8日停水。") in text
    assert normalise("Water Supply Notice") in text
    invoice = normalise(readings["invoice", "clean"][1].text)
    assert "北风贸易有限公司" in invoice and "Northwind" in invoice


def test_boxes_lie_inside_the_image_with_confidences(readings):
    for (name, kind), (document, reading) in readings.every().items():
        height, width = document.pages[0].shape[:2]
        assert reading.size == (width, height) and reading.lines, (name, kind)
        for line in reading.lines:
            x0, y0, x1, y1 = line.bounds
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, (name, kind, line)
            assert 0.5 <= line.confidence <= 1.0


def test_every_stage_is_timed_and_the_detector_map_covers_the_page(readings):
    _, reading = readings["invoice", "clean"]
    assert set(reading.seconds) == {"detection", "direction", "recognition", "total"}
    assert all(s > 0 for s in reading.seconds.values())
    assert reading.seconds["total"] >= reading.seconds["detection"] + reading.seconds["recognition"]
    heat = reading.probability
    assert heat.shape == (reading.size[1], reading.size[0]) and heat.dtype == np.uint8
    # Where it looked: high inside the text boxes, low on the empty paper below the last line.
    line = next(l for l in reading.lines if l.text.startswith("INVOICE"))
    x0, y0, x1, y1 = map(int, line.bounds)
    assert heat[y0:y1, x0:x1].mean() > 50 and heat[1400:, :].mean() < 5  # boxes carry a margin


def test_rows_follow_the_page_not_the_detector(readings):
    """The invoice's header holds two columns: a row reads left column, then right column."""
    rows = readings["invoice", "photographed"][1].text.splitlines()
    row = next(r for r in rows if "Northwind" in r)
    assert row.index("Northwind") < row.index("INV-2024-0815")


def test_reading_order_of_tilted_boxes():
    def box(x, y, w=200, h=30, tilt=0.05):  # a page tilted by about 3 degrees
        return [[x, y], [x + w, y + w * tilt], [x + w, y + w * tilt + h], [x, y + h]]
    lines = [Line("right", 0.9, box(600, 130)), Line("second", 0.9, box(100, 100 + 60)),
             Line("left", 0.9, box(100, 100))]
    assert [l.text for l in reading_order(lines)] == ["left", "right", "second"]


def test_an_upside_down_page_is_turned_and_read(readings):
    document, _ = readings["receipt", "clean"]
    reading = load_reader().read(np.ascontiguousarray(document.pages[0][::-1, ::-1]))
    assert reading.turned and "turned round" in reading.notes[0]
    assert character_error_rate(reading.text, "\n".join(truth("receipt")["lines"])) <= 0.03


def test_a_blank_page_has_no_lines():
    reading = load_reader().read(np.full((800, 600, 3), 250, np.uint8))
    assert reading.lines == [] and reading.text == ""


def test_character_error_rate_counts_edits():
    assert character_error_rate("abc", "abc") == 0
    assert character_error_rate("abd", "abc") == pytest.approx(1 / 3)
    assert character_error_rate("Total合计", "Total 合计") == 0  # a lost space is not an error
    assert character_error_rate("", "abcd") == 1


def test_spaces_can_be_counted_too():
    assert character_error_rate("Total合计", "Total 合计", spaces=True) == pytest.approx(1 / 8)
    assert character_error_rate("a  b\nc", "a b c", spaces=True) == 0
