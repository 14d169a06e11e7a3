"""Fine-tuning runs: LoRA on the language model (SmolLM2-135M), through the same runner, run store,
Stop, checkpoints and live curves as every other run; its training strategy is below.

The five steps, as for any run:
1. prepare: the prompt/response pairs (bundled or uploaded), each framed by the lab's chat template,
   the held-out pairs to measure; the model loaded.
2. build: W frozen, a rank-r adapter beside each chosen projection, the configured optimizer.
3. fit: a custom loop (the loss lives on the answer tokens only, see core/llm/finetune.py) that
   drives the studio's Keras callbacks like model.fit would: per step the loss and tokens/s, per
   epoch the validation loss and the answers to 3 held-out prompts (saved to answers.jsonl, the
   base model's as epoch 0). Stop ends it within a step; a checkpoint holds the adapters and the
   optimizer state (about 25 MB, not the 540 MB model), and a resumed run skips the batches of the
   epoch it had done.
4. evaluate: the held-out prompts answered by the base model, by the base model with 2 training
   pairs in its prompt (few-shot: the cheap alternative to training) and by the tuned one; task
   metrics for each (core/llm/tasks.py: score), the validation loss before and after.
5. save: adapter.npz (the run's model: the lab merges it into the base weights).
"""
from __future__ import annotations

import json
import time

import numpy as np

from core.llm.teach import SHOTS
from core.runs import FAILED, INTERRUPTED, STOPPED
from core.training.config import RunConfig
from core.training.state import Fitted, TrainingRun


class FineTuneLLM:
    """LoRA on the language model: minimise the answer tokens' cross-entropy −(1/N) Σ log p(answer
    token | everything before it) by training only the adapters A and B."""
    resume_refusal: str | None = None
    resumable = (INTERRUPTED, FAILED, STOPPED)   # Stop keeps the adapters so far; Resume goes on

    def __init__(self, config: RunConfig):
        self.config = config
        self.tuner = None
        self.base_answers: list[str] = []
        self.few_shot_answers: list[str] = []   # the base model with 2 training pairs in its prompt
        self.base_loss = float("nan")

    # -- where it runs ----------------------------------------------------------------------------
    def distribution(self):
        from core.training.distributed import this_device
        return this_device()  # one device; its own loop (mixed precision: the model stays float32 here)

    def check(self, distribution) -> None:
        """Any single device can train it (the config refuses several)."""

    @property
    def params(self) -> dict:
        """rank, layers, max_tokens: the validated config holds them all (RunConfig.validated fills defaults)."""
        return self.config.arch_params

    # -- the five steps ---------------------------------------------------------------------------
    def prepare(self, run: TrainingRun):
        import keras

        from core.data import load_dataset
        from core.data.uploads import dataset_pairs
        from core.llm.lm import LanguageModel
        from core.llm.teach import TaskData
        keras.utils.set_random_seed(self.config.seed)
        train, held_out = dataset_pairs(load_dataset(self.config.dataset, self.config.dataset_params))
        run.progress("loading the language model", keep=False)
        self.lm = LanguageModel.load(progress=lambda f, m: run.progress(f"loading the language model: {m}",
                                                                         keep=False))
        return TaskData.build(self.lm.tokenizer, train, held_out, self.params["max_tokens"], self.config.seed)

    def steps_per_epoch(self, data) -> int:
        from core.llm import finetune
        return finetune.steps(data.train, self.config.batch_size, self.params["max_tokens"])

    def build(self, run: TrainingRun, data):
        from core.models import LORA_LAYERS
        from core.llm.teach import Tuner
        from core.optim import build_optimizer
        config = self.config
        optimizer = build_optimizer(config.optimizer, config.learning_rate, config.optimizer_params,
                                    config.schedule, self.steps_per_epoch(data), config.epochs)
        self.tuner = Tuner(self.lm, self.params["rank"], LORA_LAYERS[self.params["layers"]], optimizer,
                           config.batch_size, self.params["max_tokens"])
        self.lm.model.compile(optimizer=optimizer)  # what the studio's callbacks read (the learning rate)
        return self.lm

    def fit(self, run: TrainingRun, lm, data) -> Fitted:
        from core.llm.teach import BaseAnswers, greedy_answers
        from core.training.callbacks import StudioCallback
        from core.training.checkpoints import CheckpointState
        config, tuner = self.config, self.tuner
        steps = self.steps_per_epoch(data)
        start = self.resume_point(run) if run.resume else CheckpointState(0, 0, 0.0)
        studio = StudioCallback(run.store, run.id, run.dir / "STOP", config.epochs, steps,
                                start_step=start.step, start_elapsed=start.elapsed)
        callbacks = [studio, *([run.memory] if run.memory else [])]
        for callback in callbacks:
            callback.set_model(lm.model)
        checkpoint = AdapterCheckpoint(run, tuner, studio, start.epoch)

        if not run.resume:  # the base model, measured before it learns anything (its adapters are zero)
            cache = BaseAnswers()
            known = cache.load()
            run.progress("measuring the base model on held-out examples", keep=False)
            self.base_loss = tuner.validation_loss(data.validation)
            self.base_answers = greedy_answers(lm, data.evaluated, known, lambda done, total: run.progress(
                f"the base model answers held-out prompts ({done}/{total})", keep=False))
            self.few_shot_answers = greedy_answers(lm, data.evaluated, known, lambda done, total: run.progress(
                f"the base model answers them with {SHOTS} examples in the prompt ({done}/{total})", keep=False),
                shots=data.shots)
            cache.save(known)
            probes = greedy_answers(lm, data.probes, known)
            _write_answers(run, 0, data.probes, probes)
            (run.dir / "base.json").write_text(json.dumps({"val_loss": self.base_loss, "answers": self.base_answers,
                                                           "few_shot_answers": self.few_shot_answers}), encoding="utf-8")
        else:
            base = json.loads((run.dir / "base.json").read_text(encoding="utf-8"))
            self.base_loss, self.base_answers = base["val_loss"], base["answers"]
            self.few_shot_answers = base.get("few_shot_answers", [])

        for callback in callbacks:
            callback.on_train_begin()
        started, tokens, train_seconds = time.perf_counter(), 0, 0.0
        stopped = False
        for epoch in range(start.epoch, config.epochs):
            for callback in callbacks:
                callback.on_epoch_begin(epoch)
            skip = start.step - epoch * steps if epoch == start.epoch else 0

            def on_step(number, loss, tokens_per_second):
                for callback in callbacks:
                    callback.on_train_batch_end(number, {"loss": loss, "tokens_per_second": tokens_per_second})
                checkpoint.maybe_save(epoch)

            result = tuner.epoch(data.train, epoch, config.seed, max(0, skip), on_step,
                                 should_stop=lambda: studio.stopped)
            tokens, train_seconds = tokens + result["tokens"], train_seconds + result["seconds"]
            if max(0, skip) + result["steps"] < steps:
                stopped = True  # Stop mid-epoch: no epoch row; the checkpoint keeps the steps done
                break
            run.progress(f"epoch {epoch + 1}: held-out loss and answers", keep=True)
            val_loss = tuner.validation_loss(data.validation)
            _write_answers(run, epoch + 1, data.probes, greedy_answers(lm, data.probes))
            logs = {"loss": result["loss"], "val_loss": val_loss,
                    "tokens_per_second": result["tokens"] / result["seconds"] if result["seconds"] else 0.0}
            if run.on_progress:
                run.on_progress(epoch, logs)
            for callback in callbacks:
                callback.on_epoch_end(epoch, logs)
            checkpoint.epochs_done = epoch + 1
            if studio.stopped:
                stopped = True
                break
        checkpoint.save(checkpoint.epochs_done)
        for callback in callbacks:
            callback.on_train_end()
        fitted = Fitted(lm, stopped or studio.stopped, start.elapsed + time.perf_counter() - started,
                        config.batch_size, len(data.train), studio)
        fitted.tokens_per_second = tokens / train_seconds if train_seconds else None
        return fitted

    def resume_point(self, run: TrainingRun):
        """The adapters and optimizer state of the checkpoint; the metrics after it are dropped."""
        from core.training.checkpoints import ADAPTER_CHECKPOINT, read_checkpoint
        state = read_checkpoint(run.dir, ADAPTER_CHECKPOINT)
        with np.load(run.dir / ADAPTER_CHECKPOINT) as arrays:
            self.tuner.restore(arrays)
        run.store.drop_metrics_after(run.id, state.epoch, state.step)
        run.progress(f"resuming after step {state.step}")
        return state

    def check_checkpoint(self, run_dir) -> None:
        """The checkpoint's arrays can be read (read_checkpoint already checked its size and hash)."""
        from core.training.checkpoints import ADAPTER_CHECKPOINT, damaged
        try:
            with np.load(run_dir / ADAPTER_CHECKPOINT) as arrays:
                json.loads(str(arrays["meta"]))
        except Exception as err:  # noqa: BLE001 - whatever is wrong, it cannot be resumed from
            raise damaged(f"its adapters cannot be read: {type(err).__name__}: {err}") from None

    def evaluate(self, run: TrainingRun, data, fitted: Fitted) -> dict:
        """Before and after on held-out prompts: the task metrics a manager reads, the loss, the answers."""
        from core.llm.teach import greedy_answers, task_metrics
        run.progress("the tuned model answers held-out prompts", keep=True)
        tuned = greedy_answers(self.lm, data.evaluated, None, lambda done, total: run.progress(
            f"the tuned model answers held-out prompts ({done}/{total})", keep=True))
        base_metrics, tuned_metrics = (task_metrics(data.evaluated, answers) for answers in (self.base_answers, tuned))
        few_shot = task_metrics(data.evaluated, self.few_shot_answers) if self.few_shot_answers else {}
        val_loss = self.tuner.validation_loss(data.validation)
        epochs = run.store.metrics(run.id, "epoch")
        return {
            "task": "finetune-llm", "rank": self.params["rank"], "targets": list(_targets(self.params["layers"])),
            "trainable_parameters": self.tuner.trainable, "parameters": self.lm.parameters(),
            "base_val_loss": self.base_loss, "val_loss": val_loss,
            "metrics": {name: {"base": base_metrics.get(name, 0.0), "tuned": value,
                               **({"few_shot": few_shot.get(name, 0.0)} if few_shot else {})}
                        for name, value in tuned_metrics.items()},
            "shots": SHOTS if few_shot else 0,
            "answers": [{"task": p.task, "prompt": p.prompt, "expected": p.response, "base": b, "tuned": t,
                         **({"few_shot": f} if f is not None else {})}
                        for p, b, t, f in zip(data.evaluated, self.base_answers, tuned,
                                              self.few_shot_answers or [None] * len(tuned))],
            "validation_examples": len(data.validation), "held_out_examples": data.held_out,
            "train_examples": len(data.train), "too_long": data.too_long,
            "tokens_per_second": fitted.tokens_per_second, "fit_seconds": fitted.seconds,
            "epochs_completed": int(epochs.epoch.max()) if len(epochs) else 0,
            "steps_completed": fitted.steps, "batch_size": fitted.batch_size,
        }

    def novelty(self, run: TrainingRun, data, fitted: Fitted):
        """A language model answers in words: no classes to be none of."""
        return None

    def save_model(self, run: TrainingRun, fitted: Fitted):
        """The run's model is its adapters (adapter.npz); the lab merges them into the base weights."""
        import os

        from core.llm import finetune
        from core.llm.teach import ADAPTER_FILE
        path, partial = run.dir / ADAPTER_FILE, run.dir / ("partial." + ADAPTER_FILE)
        finetune.save_adapter(fitted.model.model, partial)
        os.replace(partial, path)
        return path

    def files(self, data, fitted: Fitted) -> dict[str, str]:
        from core.llm.teach import ADAPTER_FILE
        return {"preprocessing.json": json.dumps({"kind": "language", "adapter": ADAPTER_FILE,
                                                  "base": "smollm2_135m_instruct"})}


def _targets(layers: str) -> tuple:
    from core.models import LORA_LAYERS
    return LORA_LAYERS[layers]


def _write_answers(run: TrainingRun, epoch: int, probes, answers) -> None:
    """answers.jsonl with the earlier epochs' lines and this epoch's (a resumed run drops the epochs
    it computes again)."""
    from core.llm.teach import ANSWERS_FILE
    line = {"epoch": epoch, "answers": [{"task": p.task, "prompt": p.prompt, "expected": p.response, "answer": a}
                                        for p, a in zip(probes, answers)]}
    kept = [old for old in read_answers(run.dir) if old["epoch"] < epoch] + [line]
    (run.dir / ANSWERS_FILE).write_text("".join(json.dumps(old) + "\n" for old in kept), encoding="utf-8")


def read_answers(run_dir) -> list[dict]:
    """answers.jsonl: one line per epoch (0: the base model), the probe prompts' answers."""
    from core.llm.teach import ANSWERS_FILE
    lines = []
    try:
        for line in (run_dir / ANSWERS_FILE).read_text(encoding="utf-8").splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    except OSError:
        pass
    return lines


class AdapterCheckpoint:
    """The adapters and the optimizer state, at most every `run.checkpoint_seconds` and at the end:
    what a resumed run goes on from (checkpoint.npz and its sidecar, core/training/checkpoints.py)."""

    def __init__(self, run: TrainingRun, tuner, studio, epochs_done: int = 0):
        self.run, self.tuner, self.studio = run, tuner, studio
        self.last_save, self.epochs_done = time.perf_counter(), epochs_done

    def maybe_save(self, epoch: int) -> None:
        if time.perf_counter() - self.last_save >= max(self.run.checkpoint_seconds, 30.0):
            self.save(epoch)

    def save(self, epochs_done: int) -> None:
        from core.training.checkpoints import ADAPTER_CHECKPOINT, CheckpointState, write_checkpoint
        state = CheckpointState(epochs_done, self.studio.step, self.studio.elapsed())
        write_checkpoint(self.run.dir / ADAPTER_CHECKPOINT, state,
                         lambda partial: np.savez(partial, **self.tuner.state()))
        self.last_save = time.perf_counter()
