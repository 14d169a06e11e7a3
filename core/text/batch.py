"""Score a CSV column in batches: streamed in, written to disk as it goes, summarised at the end.

    result = score_csv(open_csv(data), "review", vader_scores, out_path, progress=bar)
    result.rows, result.rows_per_second, result.counts   # 100000, 4200.0, {'positive': ...}

Only one chunk of rows is in memory at a time besides the uploaded bytes themselves; the scored
table goes straight to a CSV file the page offers for download.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from core.text.io import MAX_TEXT_CHARS, CsvTable

PREVIEW_ROWS = 500
EMPTY = "(empty)"


@dataclass
class BatchResult:
    rows: int
    seconds: float
    path: Path
    preview: pd.DataFrame                      # the first scored rows, to show
    counts: dict[str, int] = field(default_factory=dict)   # predicted label -> rows
    empty_rows: int = 0
    cut_rows: int = 0                          # texts longer than MAX_TEXT_CHARS, scored on their start
    label_column: str = "label"                # "label (scored)" when the input had a label column
    score_column: str = ""                     # the scorer's number (compound, confidence), as written

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def vader_scores(texts: list[str]) -> pd.DataFrame:
    """VADER's compound score and label per text."""
    from core.text.sentiment import NEGATIVE_AT, POSITIVE_AT, analyzer
    compound = [analyzer().polarity_scores(t)["compound"] if t else 0.0 for t in texts]
    labels = ["positive" if c >= POSITIVE_AT else "negative" if c <= NEGATIVE_AT else "neutral"
              for c in compound]
    return pd.DataFrame({"label": labels, "compound": compound})


def classifier_scores(classifier) -> Callable[[list[str]], pd.DataFrame]:
    """A scorer from a TextClassifier: predicted class, its probability, then every class's."""
    def score(texts: list[str]) -> pd.DataFrame:
        p = classifier.predict_batch(texts)
        frame = pd.DataFrame(p.round(4), columns=[f"p({name})" for name in classifier.class_names])
        frame.insert(0, "confidence", p.max(axis=1).round(4))
        frame.insert(0, "label", [classifier.class_names[i] for i in p.argmax(axis=1)])
        return frame
    return score


def score_csv(table: CsvTable, column: str, scorer: Callable[[list[str]], pd.DataFrame], out_path: Path,
              chunk_rows: int = 2000, progress: Callable[[float, str], None] | None = None) -> BatchResult:
    """Score every row's `column` with `scorer`, writing every input column as it was (an `id`
    stays an id, "007" stays "007") and then the scores to `out_path`. A score column whose name
    the input already uses is written as "<name> (scored)"."""
    start = time.perf_counter()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    rows = empty = cut = 0
    renamed, score_column = {}, ""
    counts: dict[str, int] = {}
    preview = []
    with open(out_path, "w", encoding="utf-8", newline="") as out:
        for chunk in table.chunks(column, chunk_rows):
            texts = chunk[column].astype(str).str.strip()
            cut += int((texts.str.len() > MAX_TEXT_CHARS).sum())
            texts = texts.str.slice(0, MAX_TEXT_CHARS)
            scored = scorer(texts.tolist())
            blank = (texts == "").to_numpy()
            scored.loc[blank, "label"] = EMPTY
            empty += int(blank.sum())
            renamed = {name: f"{name} (scored)" if name in chunk.columns else name for name in scored.columns}
            score_column = renamed[scored.columns[1]] if len(scored.columns) > 1 else ""  # compound, confidence
            for name, values in scored.items():  # into the chunk itself: no second copy of its rows
                chunk[renamed[name]] = values.to_numpy()
            scored = chunk
            scored.to_csv(out, index=False, header=rows == 0)
            for label, n in scored[renamed.get("label", "label")].value_counts().items():
                counts[label] = counts.get(label, 0) + int(n)
            if sum(len(p) for p in preview) < PREVIEW_ROWS:
                preview.append(scored.head(PREVIEW_ROWS))
            rows += len(texts)
            if progress:
                done = min(rows / max(table.approximate_rows, 1), 1.0)
                progress(done, f"Scored {rows:,} of about {table.approximate_rows:,} rows")
    preview_frame = pd.concat(preview).head(PREVIEW_ROWS) if preview else pd.DataFrame()
    return BatchResult(rows, time.perf_counter() - start, out_path, preview_frame,
                       dict(sorted(counts.items(), key=lambda kv: -kv[1])), empty, cut,
                       renamed.get("label", "label"), score_column)
