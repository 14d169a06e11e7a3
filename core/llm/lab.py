"""What the Language Model Lab page needs beyond the engine, UI-free: one shared model per process,
prompts that fit the context, uploaded text made safe, token costs, and the studio's model sizes.

    shared = SharedModel()                       # one per process (the page keeps it in st.cache_resource)
    with shared.use("float32", progress, waiting) as lm:   # queued behind another session's answer
        prompt = fit_chat(lm, text, max_new_tokens=96)
        for step in lm.generate(prompt.ids, 96): ...

Why one model and one lock: float32 and int8 together need 3.2 GB (benchmarks/llm.py), over the
studio's 3 GB, so the process holds one of them; and two sessions generating at once would each
re-feed the other's tokens through the shared KV cache (correct, but both slow), so an answer
holds the model until it ends and a second session waits its turn: queued, never mixed.
"""
from __future__ import annotations

import contextlib
import gc
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterator

MODES = ("float32", "int8")
CATALOG_KEY = "smollm2_135m_instruct"
CONTEXT = 1024   # tokens the lab's model reads at once (prompt + answer); the KV cache is this long

# -- one model per process ------------------------------------------------------------------------


def _catalog_loader(mode: str, progress, key: str = CATALOG_KEY):
    from core.catalog import load_model
    return load_model(key, progress=progress, quantize=None if mode == "float32" else mode, context=CONTEXT)


class SharedModel:
    """One LanguageModel at a time for the whole process, lent to one caller at a time.

    `use(mode, key=...)` (key: the base model's catalogue key, or a tuned one's "tuned:<run>") waits for the model (calling `waiting(seconds)` about every `poll` s meanwhile,
    so a page can say "queued" and stay interruptible), loads or swaps it if another mode is
    held (the old one is released first: never two in memory), and lends it until the block ends."""

    def __init__(self, loader: Callable | None = None):
        self._loader = loader or _catalog_loader
        self._lock = threading.Lock()
        self._model = None
        self.mode: str | None = None
        self.key: str | None = None
        self.load_seconds: dict[str, float] = {}
        self.loads = 0

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def loaded(self, mode: str, key: str = CATALOG_KEY) -> bool:
        return self._model is not None and self.mode == mode and self.key == key

    @contextlib.contextmanager
    def use(self, mode: str = "float32", progress=None, waiting: Callable[[float], None] | None = None,
            poll: float = 0.5, key: str = CATALOG_KEY) -> Iterator:
        if mode not in MODES:
            raise ValueError(f"Unknown mode {mode!r}: use one of {', '.join(MODES)}")
        t0 = time.perf_counter()
        while not self._lock.acquire(timeout=poll):
            if waiting:
                waiting(time.perf_counter() - t0)
        try:
            if not self.loaded(mode, key):
                self._swap(mode, progress, key)
            yield self._model
        finally:
            self._lock.release()

    def _swap(self, mode: str, progress, key: str = CATALOG_KEY) -> None:
        self._model, self.mode, self.key = None, None, None
        gc.collect()  # free the other mode's weights before the new ones are built
        t = time.perf_counter()
        progress = progress or (lambda f, m: None)
        # The base model through the plain loader (tests lend a loader of their own); a tuned one by key.
        self._model = self._loader(mode, progress) if key == CATALOG_KEY else self._loader(mode, progress, key)
        self.mode, self.key = mode, key
        self.load_seconds[mode] = time.perf_counter() - t
        self.loads += 1


# -- prompts --------------------------------------------------------------------------------------

@dataclass
class Prompt:
    ids: list[int]
    text_tokens: int          # tokens of the user's text
    dropped: int = 0          # of those, cut from the start to fit the context

    @property
    def note(self) -> str | None:
        if not self.dropped:
            return None
        kept = self.text_tokens - self.dropped
        return (f"Your text is {self.text_tokens:,} tokens; with the answer it does not fit the model's "
                f"context window, so only its last {kept:,} tokens were kept (the first "
                f"{self.dropped:,} were dropped).")


def fit_chat(lm, text: str, max_new_tokens: int, chat: bool = True) -> Prompt:
    """The prompt's ids (chat template around the text, or the text alone), with the start of the
    user's text cut when it and the answer would not fit the context (the template stays whole)."""
    if not text or not text.strip():
        raise ValueError("The prompt is empty: type a question or pick one of the examples.")
    text_ids = lm.encode(text)
    frame = len(lm.chat_ids("")) if chat else 0          # system + user header + assistant header
    room = max(lm.context - max_new_tokens - frame, 1)
    dropped = max(len(text_ids) - room, 0)
    kept_text = lm.tokenizer.decode(text_ids[dropped:]) if dropped else text
    ids = lm.chat_ids(kept_text) if chat else lm.encode(kept_text)
    return Prompt(ids, len(text_ids), dropped)   # a token more or less after re-encoding: generate() trims


@dataclass(frozen=True)
class Example:
    title: str
    prompt: str
    caption: str   # what to expect from a 135 M-parameter model, honestly


BUSINESS_PROMPTS: list[Example] = [
    Example("✉️ Summarise an email",
            "Summarise this email in two sentences.\n\nHi team, the quarterly review moved from Thursday "
            "to Monday 10:00 because the finance numbers are late. Please send your slides to Maria by "
            "Friday noon. The client visit on Wednesday is unchanged; lunch is booked for eight people.",
            "Usually a fluent summary; it may drop a detail (who gets the slides) or add one that was not "
            "there. Check it against the email."),
    Example("🙏 Reply to a complaint",
            "Write a short, polite reply to this customer complaint.\n\nMy order #4471 arrived two weeks "
            "late and the box was damaged. This is the second time. I want a refund.",
            "Reads well and sounds polite; it may promise things the company never offered (a discount, "
            "a date). A person must read it before it is sent."),
    Example("🧾 Pull fields into JSON",
            "Extract the name, company, date and amount from this message as JSON with the keys name, "
            "company, date, amount.\n\nHello, this is Jana Novak from Brightline Ltd. Our invoice of "
            "1,250 EUR dated 3 March is still unpaid.",
            "It often gets the shape of JSON right and a field or two wrong or missing: a 135 M model "
            "copies well but does not check itself. Validate its output before using it."),
    Example("🏷️ Classify a ticket",
            "Classify this support ticket as one of: billing, technical, delivery, other. Answer with "
            "one word.\n\nThe app logs me out every time I open the settings page since the last update.",
            "Often right on clear tickets like this one, and confidently wrong on mixed ones: a small "
            "classifier trained on your own tickets (Text Lab) is usually more reliable."),
    Example("🇫🇷 Capital of France",
            "What is the capital of France?",
            "Right: a fact seen very often in training. Ask it the largest planet and it may say "
            "Neptune: a 135 M model is fluent, not knowledgeable."),
]


def clean_control_characters(text: str) -> tuple[str, int]:
    """Drop control characters (keeping newlines and tabs): they mean nothing to a reader and can
    upset how the answer is drawn. Returns the text and how many were removed."""
    kept = [ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc"]
    return "".join(kept), len(text) - len(kept)


def prompt_from_file(data: bytes):
    """An uploaded .txt as a prompt: any common encoding (core.text.io), binary refused, bytes that
    are not valid text replaced by '�', control characters removed; each step is said in `notes`.
    Raises core.text.io.TextInputError with a plain message when it cannot be used."""
    from core.text.io import TextInputError, decode_text_file
    result = decode_text_file(data)
    replaced = result.text.count("\ufffd")
    if replaced:
        result.notes.append(f"{replaced:,} byte sequence{'s were' if replaced != 1 else ' was'} not valid "
                            "text and shown as �.")
    result.text, removed = clean_control_characters(result.text)
    if removed:
        result.notes.append(f"{removed:,} control character{'s' if removed != 1 else ''} (invisible codes "
                            "that are not text) removed.")
    if not result.text.strip():
        raise TextInputError("The file has no readable text once its control characters are removed.")
    return result


# -- answers --------------------------------------------------------------------------------------

@dataclass
class Rate:
    tokens: int
    first_token_seconds: float | None
    tokens_per_second: float | None    # decoding speed after the first token (None for fewer than 2)


def rate_of(seconds: list[float]) -> Rate:
    """Speed of a streamed answer from each token's time since the start (TokenStep.seconds)."""
    if not seconds:
        return Rate(0, None, None)
    per_second = (len(seconds) - 1) / (seconds[-1] - seconds[0]) if len(seconds) > 1 and seconds[-1] > seconds[0] \
        else None
    return Rate(len(seconds), seconds[0], per_second)


# -- tokens ---------------------------------------------------------------------------------------

def load_tokenizer():
    """The model's tokenizer alone, from the model file's metadata (about a second, no Keras): the
    page splits text into tokens without waiting for the model, even while another session's
    answer holds it."""
    from .gguf import read_tokenizer_only
    from .tokenizer import Tokenizer
    return Tokenizer(read_tokenizer_only())


COST_SAMPLES = [("English", "Good morning, how are you today?"),
                ("Chinese", "早上好，你今天好吗？"),
                ("Emoji", "👋😊🌍🚀🎉"),
                ("Code", "for i in range(10): print(i)")]


def shown_token(text: str) -> str:
    """A token as a person can see it: a leading space as '␣', newlines as '⏎', tabs as '⇥'."""
    return text.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥") or "∅"


def token_costs(tokenizer, samples=COST_SAMPLES) -> list[dict]:
    """Characters, UTF-8 bytes and tokens of each sample: what a language costs to read."""
    rows = []
    for name, text in samples:
        n = len(tokenizer.encode(text))
        rows.append({"text": name, "example": text, "characters": len(text),
                     "bytes": len(text.encode()), "tokens": n, "tokens per character": n / max(len(text), 1)})
    return rows


# -- the studio's other models --------------------------------------------------------------------

def _count(value) -> int | None:
    """'4,652,008' (counted) or '74 million (published)' -> a number; anything else -> None."""
    words = str(value).replace(",", "").split()
    try:
        n = float(words[0])
    except (IndexError, ValueError):
        return None
    scale = {"thousand": 1e3, "million": 1e6, "billion": 1e9}.get(words[1] if len(words) > 1 else "", 1)
    return int(n * scale) or None


@dataclass
class Sized:
    name: str
    parameters: int
    kind: str          # "this model", "ready-made", "trained here"


def studio_model_sizes(this_model: int, store=None) -> tuple[list[Sized], list[str]]:
    """Parameters of every model the studio holds (catalogue entries with a measured or published
    count, finished runs, imports), this one first; and the catalogue models not measured yet
    (a pretrained model is counted when it is first converted)."""
    from core.catalog import CATALOG, TASKS, list_models
    sized, unmeasured = [Sized("SmolLM2-135M-Instruct (this model)", this_model, "this model")], []
    tasks = sorted(({entry.task for entry in CATALOG.values()} | set(TASKS)) - {"language"})
    for task in tasks:
        for info in list_models(task, store):
            n = _count(info.card.get("parameters"))
            if n:
                sized.append(Sized(info.title, n, "ready-made" if info.source in ("pretrained", "bundled")
                                   else "trained here" if info.source == "run" else "imported"))
            elif info.source in ("pretrained", "bundled"):
                unmeasured.append(info.title)
    return sized, unmeasured


__all__ = ["SharedModel", "Prompt", "fit_chat", "Example", "BUSINESS_PROMPTS", "prompt_from_file",
           "clean_control_characters", "Rate", "rate_of", "shown_token", "token_costs", "studio_model_sizes",
           "Sized", "MODES", "CATALOG_KEY"]
