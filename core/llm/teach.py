"""Teaching the language model a business task, end to end: the examples, the training loop, the
before/after evaluation a manager reads, and the tuned model as a catalogue entry.

    data = TaskData.build(lm.tokenizer, train_pairs, held_out_pairs, max_tokens=256)
    tuner = Tuner(lm, rank=8, targets=("qkv", "o", "gate_up", "down"), optimizer=keras.optimizers.AdamW(5e-4))
    for epoch in range(epochs):
        tuner.epoch(data.train, epoch, on_step=print)      # one pass, examples packed into rows
    answers = greedy_answers(lm, data.evaluated)          # what a person reads: base | tuned
    metrics = task_metrics(data.evaluated, answers)       # ticket category exact match, JSON valid ...

The runner drives these through core/training/finetune_llm.py (Stop, checkpoints, live curves);
benchmarks/finetune.py drives the same objects and prints the figures.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import finetune
from .tasks import Pair, encode_pairs, score

ADAPTER_FILE = "adapter.npz"        # a tuned run's model: the LoRA adapters (about 8 MB at rank 8)
ANSWERS_FILE = "answers.jsonl"      # per epoch: the answers to the probe prompts (epoch 0: the base model)
TUNED_PREFIX = "tuned:"             # catalogue keys of tuned models
PROBES = 3                          # held-out prompts answered after every epoch, base and tuned side by side
VALIDATION_EXAMPLES = 64            # held-out examples whose loss is measured every epoch
EVAL_PER_TASK = 5                   # held-out prompts per task answered for the before/after metrics
SHOTS = 2                           # the few-shot baseline: this many training pairs of the task in the prompt
# Greedy answers stop at the end of the turn; these caps only bound a model that rambles.
MAX_NEW_TOKENS = {"ticket": 8, "fields": 80, "summary": 64, "reply": 72}
DEFAULT_MAX_NEW = 96


def max_new_tokens(task: str) -> int:
    return MAX_NEW_TOKENS.get(task, DEFAULT_MAX_NEW)


@dataclass
class TaskData:
    """Encoded examples and the held-out prompts to answer."""
    train: list                      # finetune.Example
    validation: list                 # held-out Examples whose loss is the validation curve
    evaluated: list[Pair]            # held-out pairs answered for the before/after metrics
    probes: list[Pair]               # held-out pairs answered after every epoch
    too_long: int                    # training pairs left out: longer than max_tokens
    held_out: int                    # held-out pairs in all
    shots: dict = field(default_factory=dict)   # task -> the training pairs the few-shot baseline shows

    @classmethod
    def build(cls, tokenizer, train: list[Pair], held_out: list[Pair], max_tokens: int = 256,
              seed: int = 0, eval_per_task: int = EVAL_PER_TASK) -> "TaskData":
        examples, too_long = encode_pairs(tokenizer, train, max_tokens)
        if not examples:
            from core.errors import DataError
            raise DataError(f"Every training example is longer than the {max_tokens} tokens allowed; raise "
                            "'Longest example' or shorten the examples.")
        held_examples, _ = encode_pairs(tokenizer, held_out, max_tokens)
        order = np.random.default_rng(seed).permutation(len(held_examples))
        validation = [held_examples[i] for i in sorted(order[:VALIDATION_EXAMPLES])]
        tasks = list(dict.fromkeys(p.task for p in held_out))
        evaluated = [p for task in tasks for p in [q for q in held_out if q.task == task][:eval_per_task]]
        probes = [next(p for p in held_out if p.task == task) for task in tasks[:PROBES]]
        probes += [p for p in held_out if p not in probes][:PROBES - len(probes)]
        shots = {task: [p for p in train if p.task == task][:SHOTS] for task in tasks}
        return cls(examples, validation, evaluated, probes, too_long, len(held_out), shots)


class Tuner:
    """LoRA adapters on `lm`'s model and the compiled steps that train and measure them."""

    def __init__(self, lm, rank: int = 8, targets=tuple(finetune.TARGETS), optimizer=None,
                 batch_size: int = 4, longest: int = 256, jit: bool = True):
        import keras

        from .generate import Engine
        self.lm, self.batch_size, self.longest = lm, batch_size, longest   # the longest example allowed
        self.trainable = finetune.add_lora(lm.model, rank, tuple(targets))
        self.optimizer = optimizer or keras.optimizers.AdamW(5e-4, weight_decay=0.0)
        self.optimizer.build(lm.model.trainable_variables)
        self.step = finetune.train_step(lm.model, self.optimizer, jit)
        self.loss = finetune.loss_function(lm.model, jit)
        # The lab's decoding engine was traced without adapters: answers now go through them.
        lm.engine = Engine(lm.model, lm.context)
        self.pad = lm.tokenizer.special.get("<|endoftext|>", 0)   # a chat never holds it
        self.shapes: set = set()          # batch shapes XLA has compiled the step for (packed: one)
        self.compile_seconds = 0.0        # the first step of each new shape (it compiles, then runs)
        self.slots = 0                    # answer tokens a step has room for (Batch.answers): one shape

    def batches(self, examples, epoch: int, seed: int = 0) -> list:
        return finetune.batches(examples, self.batch_size, self.longest, self.pad, seed=seed * 1000 + epoch)

    def epoch(self, examples, epoch: int, seed: int = 0, skip: int = 0,
              on_step: Callable | None = None, should_stop: Callable[[], bool] | None = None) -> dict:
        """One pass over `examples` (skipping its first `skip` batches: a resumed epoch). Returns
        {"loss": mean training loss, "tokens": the examples' tokens (not padding), "seconds",
        "steps", "stopped"}."""
        losses, tokens, steps, started = [], 0, 0, time.perf_counter()
        batches = self.batches(examples, epoch, seed)
        self.slots = max(self.slots, finetune.answer_slots(batches))   # rarely grows: a new epoch's packing
        for number, batch in enumerate(batches):
            if number < skip:
                continue
            step_started = time.perf_counter()
            loss = float(self.step(batch.ids, batch.segments, *batch.answers(self.slots)))
            if (batch.ids.shape, self.slots) not in self.shapes:
                self.shapes.add((batch.ids.shape, self.slots))
                self.compile_seconds += time.perf_counter() - step_started
            losses.append(loss)
            tokens += batch.tokens
            steps += 1
            if on_step:
                on_step(number, loss, tokens / (time.perf_counter() - started))
            if should_stop and should_stop():
                break
        seconds = time.perf_counter() - started
        return {"loss": float(np.mean(losses)) if losses else float("nan"), "tokens": tokens, "seconds": seconds,
                "steps": steps, "stopped": bool(should_stop and should_stop())}

    def validation_loss(self, examples) -> float:
        return finetune.evaluate_loss(self.lm.model, finetune.batches(examples, 8, self.longest, self.pad), self.loss)

    # -- checkpoints: the adapters and the optimizer's state -----------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        arrays = finetune.adapter_arrays(self.lm.model)
        arrays.update({f"optimizer.{i}": np.asarray(v) for i, v in enumerate(self.optimizer.variables)})
        return arrays

    def restore(self, arrays) -> None:
        finetune.assign_adapters(self.lm.model, arrays)
        for i, variable in enumerate(self.optimizer.variables):
            variable.assign(arrays[f"optimizer.{i}"])


# -- answers and the metrics a manager reads ------------------------------------------------------------

def greedy_answers(lm, pairs: list[Pair], cache: dict | None = None, progress: Callable | None = None,
                   shots: dict | None = None) -> list[str]:
    """The model's greedy answer to each pair's prompt, framed by the lab's chat template. `cache`
    (prompt key -> answer) skips prompts already answered by the same model. `shots` (task -> pairs):
    the few-shot baseline, those pairs shown first as earlier turns of the chat (prompt only: no training)."""
    answers = []
    for i, pair in enumerate(pairs):
        shown = (shots or {}).get(pair.task, [])
        key = answer_key(pair, shown)
        if cache is not None and key in cache:
            answers.append(cache[key])
            continue
        turns = [m for shot in shown for m in ({"role": "user", "content": shot.prompt},
                                               {"role": "assistant", "content": shot.response})]
        ids = lm.tokenizer.chat_ids(turns + [{"role": "user", "content": pair.prompt}])
        while turns and len(ids) + max_new_tokens(pair.task) > lm.context:  # long examples: fewer shots
            turns = turns[2:]
            ids = lm.tokenizer.chat_ids(turns + [{"role": "user", "content": pair.prompt}])
        text = lm.complete(ids[-(lm.context - max_new_tokens(pair.task)):], max_new_tokens(pair.task)).strip()
        answers.append(text)
        if cache is not None:
            cache[key] = text
        if progress:
            progress(i + 1, len(pairs))
    return answers


def answer_key(pair: Pair, shots: list[Pair] = ()) -> str:
    shown = "".join(f"{shot.prompt}\n{shot.response}\n" for shot in shots)
    return hashlib.blake2b(f"{pair.task}\n{max_new_tokens(pair.task)}\n{shown}{pair.prompt}".encode(),
                           digest_size=12).hexdigest()


def task_metrics(pairs: list[Pair], answers: list[str]) -> dict[str, float]:
    """Each task metric (core/llm/tasks.py: score) averaged over the pairs it applies to."""
    totals: dict[str, list[float]] = {}
    for pair, text in zip(pairs, answers):
        for name, value in score(pair.task, text, pair.response, pair.prompt).items():
            totals.setdefault(name, []).append(value)
    return {name: float(np.mean(values)) for name, values in totals.items()}


def before_after_lines(base_val_loss: float, val_loss: float, metrics: dict[str, dict]) -> list[str]:
    """Before and after, one figure a line, as the CLI summary and benchmarks/finetune.py print them.
    metrics: name -> {"base", "tuned", and "few_shot" where measured}."""
    lines = [f"held-out validation loss: base {base_val_loss:.3f} -> tuned {val_loss:.3f} "
             f"({(base_val_loss - val_loss) / base_val_loss:.0%} lower)"]
    return lines + [f"held-out {name}: base {pair['base']:.0%} -> tuned {pair['tuned']:.0%}"
                    + (f" (few-shot prompt: {pair['few_shot']:.0%})" if "few_shot" in pair else "")
                    for name, pair in metrics.items()]


class BaseAnswers:
    """The base model's greedy answers, kept beside its converted weights: it never changes, so a
    second fine-tune on the same prompts does not wait for them again."""

    def __init__(self, folder: Path | None = None):
        from .lm import cache_dir
        self.path = (folder or cache_dir()) / "base_answers.json"

    def load(self) -> dict:
        try:
            held = json.loads(self.path.read_text(encoding="utf-8"))
            return held["answers"] if held.get("stamp") == self._stamp() else {}
        except (OSError, ValueError, KeyError):
            return {}

    def save(self, answers: dict) -> None:
        try:
            self.path.write_text(json.dumps({"stamp": self._stamp(), "answers": answers}), encoding="utf-8")
        except OSError:
            pass  # only a cache

    def _stamp(self):
        try:
            return json.loads((self.path.parent / "info.json").read_text(encoding="utf-8")).get("source")
        except (OSError, ValueError):
            return None


# -- the tuned model, as the lab uses it -----------------------------------------------------------------

def load_tuned(adapter_path: Path, progress=None, quantize: str | None = None, context: int = 1024):
    """The base model with a run's adapters merged into its weights (W + (α/r)·A·B): a plain SmolLM,
    then int8 if asked (merge first, then quantize: the adapters are in the rounded weights)."""
    from .lm import LanguageModel
    report = progress or (lambda f, m: None)
    lm = LanguageModel.load(progress=lambda f, m: report(0.7 * f, m), context=context)
    report(0.75, "Adding what the run learnt (LoRA adapters)")
    finetune.load_adapter(lm.model, adapter_path)
    merged = finetune.merge_lora(lm.model)
    if quantize:
        report(0.85, f"Quantizing to {quantize}")
    from .quantize import quantize_as
    quantize_as(merged, quantize)
    tuned = LanguageModel(merged, lm.tokenizer, lm.metadata, lm.context)
    tuned.load_seconds = lm.load_seconds
    return tuned


@dataclass
class TunedSource:
    """The catalogue's "tuned:" models: finished fine-tuning runs, as language models."""
    task: str = "language"
    base_title: str = "SmolLM2-135M"
    kinds: tuple = field(default=("finetune-llm",))

    def runs(self, store=None) -> list:
        from core.runs import COMPLETED, STOPPED, RunStore
        return [run for run in (store or RunStore()).list_runs()
                if run.status in (COMPLETED, STOPPED) and run.config.get("task") in self.kinds
                and (run.dir / ADAPTER_FILE).exists()]

    def list(self, task: str, store=None) -> list:
        from core.catalog import ModelInfo
        if task != self.task:
            return []
        return [ModelInfo(TUNED_PREFIX + run.id, self.title(run), "run", tuned_card(run), self.task)
                for run in self.runs(store)]

    def title(self, run) -> str:
        return f"{self.base_title} + {run.name}"

    def load(self, key: str, progress=None, quantize: str | None = None, context: int = 1024, **_):
        from core.runs import RunStore
        run = RunStore().get_run(key[len(TUNED_PREFIX):])
        if run is None or not (run.dir / ADAPTER_FILE).exists():
            raise FileNotFoundError(f"Run {key[len(TUNED_PREFIX):]} has no adapters (deleted, or it did not finish).")
        report = progress or (lambda f, m: None)
        lm = load_tuned(run.dir / ADAPTER_FILE, report, quantize, context)
        report(0.9, "Compiling the decoding step (once per load, about half a minute)")
        started = time.perf_counter()
        lm.engine.warm_up()
        lm.compile_seconds = time.perf_counter() - started
        lm.card = tuned_card(run)
        report(1.0, "Ready")
        return lm

    def task_of(self, key: str) -> str | None:
        return self.task


def tuned_card(run) -> dict:
    """What the Models list and the lab say about a tuned model: its training and its before/after."""
    results = run.results or {}
    card = {"base model": "SmolLM2-135M-Instruct", "taught on": run.config.get("dataset", ""),
            "adapters": f"LoRA rank {results.get('rank', '?')} on {', '.join(results.get('targets', []))}"}
    for name, pair in (results.get("metrics") or {}).items():
        card[f"held-out {name}"] = f"{pair['base']:.0%} before → {pair['tuned']:.0%} after"
    return card


TUNED_SOURCE = TunedSource()


# -- export: the adapter file and the merged .keras, checked against the studio's own generation --------

CHECK_PROMPT = "Which team should handle this ticket? Answer with one word.\n\nTicket: I was charged twice."
CHECK_TOKENS = 12


@dataclass
class MergedExport:
    path: Path
    bytes: int
    same_tokens: bool          # the reloaded file's greedy tokens equal the studio's
    max_abs_diff: float        # largest logit difference on the check prompt
    tokens: int
    seconds: float


def export_merged(run_dir: Path, progress=None) -> MergedExport:
    """The tuned model as one .keras file (base + adapters merged), loaded back with
    keras.saving.load_model (safe mode) and checked: the same greedy tokens as the studio's own
    tuned model on a check prompt, logits within float tolerance."""
    import keras
    report = progress or (lambda f, m: None)
    started = time.perf_counter()
    studio = load_tuned(Path(run_dir) / ADAPTER_FILE, lambda f, m: report(0.5 * f, m))
    folder = Path(run_dir) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    path, partial = folder / "tuned_model.keras", folder / "tuned_model.partial.keras"
    report(0.55, "Saving the merged model (about 540 MB)")
    studio.model.save(partial)
    report(0.75, "Loading it back to check it")
    reloaded = keras.saving.load_model(partial, safe_mode=True, compile=False)
    ids = studio.tokenizer.chat_ids([{"role": "user", "content": CHECK_PROMPT}])
    ours, theirs = greedy_ids(studio.model, ids, CHECK_TOKENS), greedy_ids(reloaded, ids, CHECK_TOKENS)
    probe = np.array([ids], np.int32)
    diff = float(np.abs(np.asarray(studio.model(probe)) - np.asarray(reloaded(probe))).max())
    if ours != theirs or diff > 1e-3:
        partial.unlink(missing_ok=True)
        raise ValueError(f"The saved model does not answer as the studio's does (largest logit difference {diff:.2g}); "
                         "the file was not kept.")
    import os
    os.replace(partial, path)
    report(1.0, "Checked")
    return MergedExport(path, path.stat().st_size, True, diff, len(ours), time.perf_counter() - started)


def greedy_ids(model, ids: list[int], count: int) -> list[int]:
    """`count` greedy tokens by plain forward passes (no cache, no compiled engine): a reference any
    Keras copy of the model can run."""
    ids, out = list(ids), []
    for _ in range(count):
        token = int(np.argmax(np.asarray(model(np.array([ids], np.int32))[0, -1])))
        out.append(token)
        ids.append(token)
    return out
