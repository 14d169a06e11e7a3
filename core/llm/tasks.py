"""What the language model is taught: prompt/response pairs, and how its answers are scored.

    pairs = bundled()                              # assets/samples/llm_tasks.jsonl: four business tasks
    pairs = read_pairs(upload_bytes, "mine.csv")   # or the user's CSV / JSONL, checked
    examples, too_long = encode_pairs(tokenizer, pairs, max_tokens=256)
    score("ticket", "Billing.", "billing")         # {"category exact match": 1.0}

A user's file needs a `prompt` and a `response` column (CSV) or key (JSONL); `task` and `split`
("train" / "held-out") are optional: without `split`, a fifth of the rows is held out. Every
refusal says what was wrong and what to do.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

from core import paths

BUNDLED_FILE = paths.ASSETS_DIR / "samples" / "llm_tasks.jsonl"   # made by assets/make_llm_tasks.py
HELD_OUT = 0.2
MAX_ROWS = 20_000
SPLITS = ("train", "held-out")


class TaskDataError(ValueError):
    """A file of prompt/response pairs that cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Pair:
    prompt: str
    response: str
    task: str = "custom"
    split: str = "train"


def bundled() -> list[Pair]:
    """The four bundled business tasks (ticket, fields, reply, summary), split as committed."""
    return [Pair(**json.loads(line)) for line in BUNDLED_FILE.read_text(encoding="utf-8").splitlines() if line]


def read_pairs(data: bytes, filename: str, seed: int = 0) -> tuple[list[Pair], list[str]]:
    """(pairs, notes) from an uploaded CSV or JSONL; notes say what was skipped or assumed."""
    from core.text.io import TextInputError, detect_encoding
    if not data or not data.strip():
        raise TaskDataError(f"{filename} is empty. It needs one prompt and its response per row.")
    try:
        encoding = detect_encoding(data)
    except TextInputError as err:
        raise TaskDataError(f"{filename}: {err}") from err
    text = data.decode(encoding, errors="replace")
    rows = _jsonl_rows(text, filename) if filename.lower().endswith((".jsonl", ".json")) else _csv_rows(text, filename)
    notes = [] if encoding in ("utf-8", "utf-8-sig", "ascii") else [f"The file is not UTF-8; it was read as {encoding}."]
    if len(rows) > MAX_ROWS:
        raise TaskDataError(f"{filename} has {len(rows):,} rows; up to {MAX_ROWS:,} are taught here. Keep a sample.")
    pairs, empty = [], 0
    for row in rows:
        prompt, response = str(row.get("prompt") or "").strip(), str(row.get("response") or "").strip()
        if not prompt or not response:
            empty += 1
            continue
        split = str(row.get("split") or "").strip().lower()
        pairs.append(Pair(prompt, response, str(row.get("task") or "custom").strip() or "custom",
                          split if split in SPLITS else ""))
    if empty:
        notes.append(f"{empty:,} row{'s' if empty > 1 else ''} without a prompt or a response "
                     f"{'were' if empty > 1 else 'was'} skipped.")
    if len(pairs) < 5:
        raise TaskDataError(f"{filename} has {len(pairs)} usable row{'s' if len(pairs) != 1 else ''} (a prompt and "
                            "a response each); at least 5 are needed, and a few dozen per task teach it something.")
    if any(not p.split for p in pairs):
        pairs, held = _split(pairs, seed)
        notes.append(f"Not every row says its split (train or held-out): {held} of {len(pairs)} rows, drawn at "
                     "random, are held out to measure the model (never trained on).")
    return pairs, notes


def _csv_rows(text: str, filename: str) -> list[dict]:
    import csv
    import io
    try:
        reader = csv.DictReader(io.StringIO(text))
        columns = [c.strip().lower() for c in reader.fieldnames or []]
        rows = [{(k or "").strip().lower(): v for k, v in row.items()} for row in reader]
    except csv.Error as err:
        raise TaskDataError(f"{filename} could not be read as CSV: {err}") from err
    _need_columns(columns, filename)
    return rows


def _jsonl_rows(text: str, filename: str) -> list[dict]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as err:
            raise TaskDataError(f"{filename}, line {number}, is not JSON ({err.msg}). Each line must be one "
                                'object such as {"prompt": "…", "response": "…"}.') from err
        if not isinstance(row, dict):
            raise TaskDataError(f"{filename}, line {number}, is not a JSON object with a prompt and a response.")
        rows.append({str(k).strip().lower(): v for k, v in row.items()})
    if rows:
        _need_columns(sorted(set().union(*rows)), filename)
    return rows


def _need_columns(columns: list[str], filename: str) -> None:
    missing = [c for c in ("prompt", "response") if c not in columns]
    if missing:
        raise TaskDataError(f"{filename} has no {' and no '.join(repr(c) for c in missing)} column (it has: "
                            f"{', '.join(columns) or 'none'}). Name the question column 'prompt' and the "
                            "answer to teach 'response'.")


def _split(pairs: list[Pair], seed: int) -> tuple[list[Pair], int]:
    order = np.random.default_rng(seed).permutation(len(pairs))
    held = set(order[:max(1, int(round(len(pairs) * HELD_OUT)))].tolist())
    return [Pair(p.prompt, p.response, p.task, "held-out" if i in held else "train")
            for i, p in enumerate(pairs)], len(held)


def encode_pairs(tokenizer, pairs: list[Pair], max_tokens: int) -> tuple[list, int]:
    """(core.llm.finetune.Example per pair that fits, how many were longer than `max_tokens`)."""
    from .finetune import ExampleTooLong, encode_example
    examples, too_long = [], 0
    for pair in pairs:
        try:
            examples.append(encode_example(tokenizer, pair.prompt, pair.response, max_tokens))
        except ExampleTooLong:
            too_long += 1
    return examples, too_long


# -- scoring the answers: what a manager reads --------------------------------------------------

def score(task: str, answer: str, reference: str, prompt: str = "") -> dict[str, float]:
    """Task metrics of one answer against its reference (and the prompt it answers), each 0 or 1,
    averaged over a held-out set; a metric that does not apply to a pair is left out."""
    return METRICS.get(task, _custom)(answer.strip(), reference.strip(), prompt)


def _ticket(answer: str, reference: str, prompt: str) -> dict[str, float]:
    first = re.findall(r"[a-z]+", answer.lower())[:1]
    return {"category exact match": float(first == [reference.lower()])}


def _fields(answer: str, reference: str, prompt: str) -> dict[str, float]:
    found = re.search(r"\{.*\}", answer, re.S)
    try:
        parsed = json.loads(found.group(0)) if found else None
    except ValueError:
        parsed = None
    valid = isinstance(parsed, dict)
    return {"JSON valid": float(valid), "fields correct": float(valid and parsed == json.loads(reference))}


def _summary(answer: str, reference: str, prompt: str) -> dict[str, float]:
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", answer) if s.strip()]
    return {"two sentences": float(len(sentences) == 2)}


def _reply(answer: str, reference: str, prompt: str) -> dict[str, float]:
    lower = answer.lower()
    metrics = {"house style (apology, next step, sign-off)": float("sorry" in lower and "kind regards" in lower
                                                                  and len(answer.split()) <= 80)}
    subject = subject_words(reference, prompt)
    if subject:  # a polite reply about the wrong thing ("your computer", when the blender broke) is wrong
        metrics["names the complaint's subject"] = float(subject <= set(_words(lower)))
    step = next_step(reference)
    if step:     # the house's step for this problem (courier, payments, a replacement ...), not another's
        metrics["the right next step"] = float(_plain(step) in _plain(answer))
    return metrics


def next_step(reply: str) -> str:
    """The sentence after the apology of a house reply: what happens next ("" when there is none)."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", reply) if s.strip()]
    after = [i + 1 for i, s in enumerate(sentences) if "sorry" in s.lower()]
    return sentences[after[0]] if after and after[0] < len(sentences) - 1 else ""


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def subject_words(reference: str, complaint: str) -> set[str]:
    """What the complaint is about, as the house reply names it: the words (4 letters or more) of
    the reference's apology, "I am sorry <...>.", that the complaint itself uses ("coffee machine")."""
    apology = re.search(r"sorry\b([^.]*)", reference.lower())
    return set(_words(apology.group(1))) & set(_words(complaint.lower())) if apology else set()


FUNCTION_WORDS = {"with", "that", "this", "your", "have", "from", "been", "back", "still", "there", "their",
                  "what", "when", "about", "they", "were", "would", "could", "into", "just", "some"}


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", text) if len(w) >= 4 and w not in FUNCTION_WORDS]


def _custom(answer: str, reference: str, prompt: str) -> dict[str, float]:
    return {"exact match": float(answer.lower() == reference.lower())}


METRICS = {"ticket": _ticket, "fields": _fields, "summary": _summary, "reply": _reply}
