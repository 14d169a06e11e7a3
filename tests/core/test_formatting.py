"""core/formatting.py: what people read instead of raw floats, byte counts and snake_case names.

The examples are the ones seen on screen in issue #14 ("6.7342", "616320000", "None", "nan",
"val_loss").
"""
import math

import pytest

from core.formatting import (format_bytes, format_metric, format_number, format_percent, format_seconds,
                             metric_label)


@pytest.mark.parametrize("value, shown", [
    (6.7342, "6.73"), (616320000, "616,320,000"), (616320000.0, "616,320,000"), (0.000123, "0.000123"), (1.2e-9, "1.2e-09"),
    (1234.56, "1,235"), (0, "0"), (-2.5, "-2.50"), (True, "yes"), (12, "12"),
])
def test_numbers_get_a_few_significant_digits_and_thousands_separators(value, shown):
    assert format_number(value) == shown


@pytest.mark.parametrize("missing", [None, float("nan"), math.inf, -math.inf])
def test_missing_values_never_show_as_none_or_nan(missing):
    for shown in (format_number(missing), format_percent(missing), format_bytes(missing),
                  format_metric("val_loss", missing), format_seconds(missing)):
        assert shown.lower() not in ("none", "nan", "inf", "-inf") and "None" not in shown
    assert format_number(missing) == "—" and format_seconds(missing, dash="—") == "—"


@pytest.mark.parametrize("key, label", [
    ("val_loss", "Validation loss"), ("loss", "Training loss"), ("val_accuracy", "Validation accuracy"),
    ("test_accuracy", "Test accuracy"), ("g_loss", "Generator loss"),
    ("val_top_5_error", "Validation top 5 error"),  # unknown keys still lose their underscores
])
def test_metric_names_are_words(key, label):
    assert metric_label(key) == label
    assert "_" not in metric_label(key)


def test_durations_sizes_and_percentages():
    assert format_seconds(97) == "1 min 37 s" and format_seconds(4) == "4.0 s"
    assert format_seconds(4000) == "1 h 06 min" and format_seconds(0.012) == "12 ms"
    assert format_seconds(0) == "0 s"
    assert format_bytes(1536) == "1.5 KB" and format_bytes(18_800_000) == "17.9 MB" and format_bytes(12) == "12 B"
    assert format_percent(0.9731) == "97.3%"


def test_a_metric_is_shown_in_its_own_unit():
    assert format_metric("val_accuracy", 0.9731) == "97.3%"
    assert format_metric("fit_seconds", 97) == "1 min 37 s"
    assert format_metric("peak_rss_mb", 1677.8) == "1.6 GB"
    assert format_metric("val_loss", 6.7342) == "6.73"
