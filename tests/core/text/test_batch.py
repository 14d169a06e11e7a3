"""Batch scoring of a CSV column: right answers, every row written, streamed without a second copy."""
import tracemalloc
from pathlib import Path

import pandas as pd

from core.text.batch import EMPTY, score_csv, vader_scores
from core.text.io import open_csv

SAMPLES = Path(__file__).resolve().parents[3] / "assets" / "samples"


def test_vader_agrees_with_the_sample_reviews_labels(tmp_path):
    data = (SAMPLES / "reviews.csv").read_bytes()
    result = score_csv(open_csv(data), "text", vader_scores, tmp_path / "out.csv")
    scored = pd.read_csv(result.path)
    truth = pd.read_csv(SAMPLES / "reviews.csv")
    assert result.rows == len(scored) == len(truth) == 150
    assert (scored["label"] == truth["label"]).mean() >= 0.8
    assert set(result.counts) <= {"positive", "negative", "neutral"} and sum(result.counts.values()) == 150


def test_empty_rows_are_marked_not_dropped(tmp_path):
    data = b"text\nI love it\n\n\"   \"\nawful\n"
    result = score_csv(open_csv(data), "text", vader_scores, tmp_path / "out.csv")
    scored = pd.read_csv(result.path, keep_default_na=False)
    assert scored["label"].tolist() == ["positive", EMPTY, "negative"] and result.empty_rows == 1


def test_a_100000_row_csv_is_streamed_in_batches_with_progress(tmp_path):
    data = ("id,text\n" + "".join(f"{i},this is row number {i} of the file\n" for i in range(100_000))).encode()
    table = open_csv(data)
    progress = []

    def length_scorer(texts):  # cheap, so the test measures the streaming, not a model
        return pd.DataFrame({"label": ["long" if len(t) > 35 else "short" for t in texts]})

    tracemalloc.start()
    result = score_csv(table, "text", length_scorer, tmp_path / "out.csv", chunk_rows=5000,
                       progress=lambda f, message: progress.append(f))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.rows == 100_000 and len(progress) == 20 and progress[-1] == 1.0
    # Never a second copy of the file in memory (read whole, its 200,000 cells would be about 12 MB
    # of Python strings): one chunk of 5,000 rows, every column kept, peaks near 2.2 MB.
    assert peak < len(data)
    assert sum(1 for _ in open(result.path, encoding="utf-8")) == 100_001 and len(result.preview) == 500
    assert result.counts == {"long": 90_000, "short": 10_000}


def test_every_input_column_is_kept_as_it_was_and_a_clashing_name_is_marked(tmp_path):
    """Issue 22 item 8: the download replaced the user's `id` column with `row`."""
    data = 'id,text,label\n007,"I love it, thank you",mine\n008,awful,also mine\n'.encode()
    result = score_csv(open_csv(data), "text", vader_scores, tmp_path / "out.csv")
    scored = pd.read_csv(result.path, dtype=str, keep_default_na=False)
    assert list(scored.columns) == ["id", "text", "label", "label (scored)", "compound"]
    assert scored["id"].tolist() == ["007", "008"] and scored["label"].tolist() == ["mine", "also mine"]
    assert scored["label (scored)"].tolist() == ["positive", "negative"]
    assert result.counts == {"positive": 1, "negative": 1} and result.label_column == "label (scored)"
    assert result.score_column == "compound"
