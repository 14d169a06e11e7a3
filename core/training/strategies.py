"""How a run learns: one training strategy per kind of run, each the same five steps.

    strategy = strategy_for(config)            # Classification, TransferLearning or GanTraining
    data = strategy.prepare(run)               # the arrays to learn from
    model = strategy.build(run, data)          # the network, its loss and its optimizer
    fitted = strategy.fit(run, model, data)    # minimise the loss; Stop and resume work here
    results = strategy.evaluate(run, data, fitted)
    files = strategy.files(data, fitted)       # what inference needs next to model.keras

The runner (core/training/runner.py) calls these in order and saves; the strategy is chosen in one
place, `STRATEGIES`, by the architecture's `training` key (core/models). Where the fit runs (this
device, every GPU here, several machines) is not a strategy's business: `run.distribution`
(core/training/distributed.py) wraps `fit` and `predict` for all of them.

Nothing here imports TensorFlow at module level: the app imports the runner to launch runs.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable

from core.training.config import RunConfig
from core.training.gan import GanTraining
from core.training.state import Fitted, TrainingRun  # noqa: F401 - the five steps pass these; re-exported

MULTI_WORKER_NO_RESUME = "A run trained across several machines cannot be resumed; start it again on the cluster."


def loss_and_metric(loss_name: str, num_classes: int):
    """The loss, an accuracy metric named 'accuracy', and how to encode integer labels for them."""
    import keras
    import numpy as np
    if loss_name == "mse":  # MSE compares the softmax to a one-hot target
        return (keras.losses.MeanSquaredError(), keras.metrics.CategoricalAccuracy(name="accuracy"),
                lambda y: None if y is None else np.eye(num_classes, dtype="float32")[y])
    return (keras.losses.SparseCategoricalCrossentropy(),
            keras.metrics.SparseCategoricalAccuracy(name="accuracy"), lambda y: y)


def labelled(x, y, encode):
    """An (x, encoded y) pair, or None for an empty or missing set (no validation split)."""
    return (x, encode(y)) if x is not None and len(x) else None


class Classification:
    """Learn p(class | x) = softmax(f(x; θ)) from labelled examples.

    fit minimises the mean loss L(θ) = 1/n Σᵢ ℓ(f(xᵢ; θ), yᵢ) with the configured optimizer, one
    mini-batch of `batch_size` examples per step, ⌈n / batch_size⌉ steps an epoch (full-batch
    optimizers: the whole set, one step); evaluate scores the held-out test set.
    """
    resume_refusal: str | None = None  # it goes on from its checkpoint

    def __init__(self, config: RunConfig):
        self.config = config

    # -- where it runs ----------------------------------------------------------------------------
    def distribution(self):
        """Create the tf.distribute strategy; before any other TensorFlow op (see distributed.py)."""
        from core.training.distributed import start_distribution
        return start_distribution(self.config.distribution, self.config.mixed_precision)

    def check(self, distribution) -> None:
        """Raise when this kind of run cannot train where `distribution` puts it (all can)."""

    def phases(self, batch_size: int, steps_per_epoch: int) -> list:
        """One eta.Phase per model.fit: (epochs, steps an epoch), for the progress and its ETA."""
        from core.training.eta import Phase
        return [Phase(self.config.epochs, steps_per_epoch)]

    def batch_size(self, n_train: int) -> int:
        from core.optim import OPTIMIZERS
        return n_train if OPTIMIZERS[self.config.optimizer].full_batch else min(self.config.batch_size, n_train)

    # -- the five steps ---------------------------------------------------------------------------
    def prepare(self, run: TrainingRun):
        """The arrays to learn from: a seeded validation cut, inputs encoded (core.training.prepare)."""
        import keras

        from core.data import load_dataset
        from core.training.prepare import prepare
        keras.utils.set_random_seed(self.config.seed)
        return prepare(load_dataset(self.config.dataset, self.config.dataset_params), self.config)

    def build(self, run: TrainingRun, data):
        """f(x; θ) with freshly drawn θ, compiled with its loss and optimizer. Variables made inside
        the strategy's scope are mirrored on every replica."""
        from core.models import build_model
        from core.optim import build_optimizer
        from core.training.distributed import float32_output
        config, n_train = self.config, len(data.x_train)
        steps_per_epoch = run.distribution.steps_per_epoch(n_train, self.batch_size(n_train))
        loss, accuracy, _ = loss_and_metric(config.loss, data.spec.num_classes)
        with run.distribution.strategy.scope():
            model = build_model(config.architecture, data.spec, config.arch_params)
            if run.distribution.mixed_precision:
                model = float32_output(model)
            optimizer = build_optimizer(config.optimizer, config.learning_rate, config.optimizer_params,
                                        config.schedule, steps_per_epoch, config.epochs)
            model.compile(optimizer=optimizer, loss=loss, metrics=[accuracy])
        return model

    def fit(self, run: TrainingRun, model, data) -> Fitted:
        """θ ← θ − step(∇L) for every mini-batch, epoch after epoch, until the last epoch or Stop.
        A resumed run starts from its checkpoint's weights, optimizer state, step and clock."""
        from core.training.checkpoints import CheckpointState
        config, n_train = self.config, len(data.x_train)
        start = resume_point(run, model) if run.resume else CheckpointState(epoch=0, step=0, elapsed=0.0)
        batch_size = self.batch_size(n_train)
        _, _, encode = loss_and_metric(config.loss, data.spec.num_classes)
        studio, callbacks = self.callbacks(run, data, batch_size, start, encode)
        started = time.perf_counter()
        stopped = run.distribution.fit(model, config.loss, data.x_train, encode(data.y_train),
                                       labelled(data.x_val, data.y_val, encode), batch_size, config.epochs,
                                       start.epoch, config.seed, callbacks, run.on_progress)
        return Fitted(model, studio.stopped if studio else stopped,
                      start.elapsed + time.perf_counter() - started, batch_size, n_train, studio, callbacks,
                      scored=model, x_test=data.x_test)

    def evaluate(self, run: TrainingRun, data, fitted: Fitted) -> dict:
        """Accuracy, per-class accuracy, the confusion matrix and the worst mistakes on the test
        set, with what the training cost."""
        import numpy as np

        from core.training.distributed import weights_fingerprint
        from core.training.evaluate import classification_report
        run.progress("evaluating on the test set")
        loss, _, encode = loss_and_metric(self.config.loss, data.spec.num_classes)
        probabilities = run.distribution.predict(fitted.scored, fitted.x_test)  # a batch at a time
        results = classification_report(data.y_test, probabilities, data.class_names)
        results.update(
            test_loss=float(loss(encode(data.y_test), probabilities)),
            parameters=int(sum(np.prod(w.shape) for w in fitted.scored.trainable_weights)),  # the ones trained
            fit_seconds=fitted.seconds,
            samples_per_second=fitted.steps * fitted.batch_size / fitted.seconds if fitted.seconds else None,
            epochs_completed=len(run.store.metrics(run.id, "epoch").epoch.unique()),
            steps_completed=fitted.steps,
            train_examples=fitted.train_examples,
            batch_size=fitted.batch_size,
            distribution=run.distribution.describe(),
            weights_fingerprint=weights_fingerprint(fitted.model),
        )
        return results

    def novelty(self, run: TrainingRun, data, fitted: Fitted):
        """“None of these” (core/novelty.py) for the saved model, measured on the examples the scored
        model reads; None where the lab does not ask (texts, tables) or too few are held out."""
        from core import novelty
        from core.modalities import modality_of
        modality = modality_of(data.preprocessing.get("kind"))
        if not modality.none_of_these:
            return None
        run.progress("measuring where each class lies (for “none of these”)")
        train, held_out = self.novelty_examples(data, fitted)
        return novelty.measure(fitted.scored, train, held_out, modality.noun, self.config.seed)

    def novelty_examples(self, data, fitted: Fitted) -> tuple:
        """(x, y) of the training examples, and the inputs never trained on (validation and test),
        as `fitted.scored` reads them."""
        return (data.x_train, data.y_train), [data.x_val, fitted.x_test]

    def files(self, data, fitted: Fitted) -> dict[str, str]:
        """What inference needs next to model.keras: the class names and the input recipe."""
        import json
        return {"labels.json": json.dumps(data.class_names), "preprocessing.json": json.dumps(data.preprocessing)}

    # -- helpers ----------------------------------------------------------------------------------
    def callbacks(self, run: TrainingRun, data, batch_size: int, start, encode) -> tuple:
        """The chief's callbacks: metrics and Stop (StudioCallback), checkpoints, layer statistics,
        TensorBoard. A cluster worker that writes nothing gets none."""
        if not run.writes:
            return None, []
        import keras

        from core.training.callbacks import Checkpoint, LayerStats, StudioCallback
        steps_per_epoch = run.distribution.steps_per_epoch(len(data.x_train), batch_size)
        phases = self.phases(batch_size, steps_per_epoch)
        studio = StudioCallback(run.store, run.id, run.dir / "STOP", sum(p.epochs for p in phases), steps_per_epoch,
                                start_step=start.step, start_elapsed=start.elapsed, phases=phases)
        callbacks = [studio, *([run.memory] if run.memory else []),
                     Checkpoint(run.dir / "checkpoint.keras", run.checkpoint_seconds, studio)]
        if not run.distribution.across_workers:  # its probe gradient is a plain eager pass, outside the strategy
            probe = slice(0, min(128, len(data.x_train)))  # the same examples every epoch: comparable statistics
            loss, _, _ = loss_and_metric(self.config.loss, data.spec.num_classes)
            callbacks.append(LayerStats(run.dir / "layer_stats.jsonl", data.x_train[probe],
                                        encode(data.y_train[probe]), loss))
        callbacks.append(keras.callbacks.TensorBoard(str(run.dir / "tensorboard"), write_graph=False,
                                                     profile_batch=0))
        return studio, callbacks


def resume_point(run: TrainingRun, model):
    """Put the checkpoint's weights and optimizer state into the freshly built `model`; what was
    written after the checkpoint is dropped, to be computed again (no duplicates in the curves)."""
    from core.training.callbacks import keep_layer_stats
    from core.training.checkpoints import restore
    with run.distribution.strategy.scope():
        start = restore(model, run.dir)
    run.store.drop_metrics_after(run.id, start.epoch, start.step)
    keep_layer_stats(run.dir / "layer_stats.jsonl", start.epoch)
    run.progress(f"resuming after epoch {start.epoch}")
    return start


class TransferLearning(Classification):
    """Transfer learning on a pretrained image network (core/models/transfer.py), in two stages.

    1. Every image goes once through the frozen backbone to its feature vector φ(x) (cached), and
       only a small head softmax(W·φ(x) + b) is fitted on those features, as any classifier.
    2. Optional (`fine_tune_blocks` > 0): backbone and head are joined, the backbone's last blocks
       unfrozen, and all of it trained on the images themselves for `fine_tune_epochs` more epochs
       at a tenth of the learning rate.
    The saved model is always backbone + head: from a photo to its classes.
    """

    def __init__(self, config: RunConfig):
        super().__init__(config)
        self.images = None  # the prepared photos themselves (stage 2 trains on them)
        self.tuned_inputs = None  # after stage 2: (train, validation) photos as the fine-tuned model reads them

    @property
    def title(self) -> str:
        from core.models import ARCHITECTURES
        return ARCHITECTURES[self.config.architecture].title

    @property
    def resume_refusal(self) -> str:
        return (f"{self.title} (transfer learning) cannot be resumed: its two stages would start over. "
                "Launch it again from its settings.")

    def check(self, distribution) -> None:
        from core.training.distributed import DistributionError
        if distribution.across_workers:
            raise DistributionError(f"{self.title} (transfer learning) trains on one machine; "
                                    "run it without TF_CONFIG or with distribution 'single'.")

    @property
    def fine_tune_epochs(self) -> int:
        params = self.config.arch_params
        return params.get("fine_tune_epochs", 3) if params.get("fine_tune_blocks", 0) else 0

    def phases(self, batch_size: int, steps_per_epoch: int) -> list:
        import math

        from core.training.eta import Phase
        fine_tune = [Phase(self.fine_tune_epochs, math.ceil(len(self.images.x_train) / batch_size))
                     ] if self.fine_tune_epochs else []  # on the photos: fewer examples, slower steps
        return super().phases(batch_size, steps_per_epoch) + fine_tune

    def prepare(self, run: TrainingRun):
        """The photos, then their backbone features φ(x): what stage 1 learns from."""
        from core.models import transfer
        self.images = super().prepare(run)
        return transfer.featurize(self.images, self.config.arch_params.get("augment_copies", 2), self.config.seed,
                                  lambda done, total: run.progress(f"computing image features ({done}/{total})",
                                                                   keep=False))

    def fit(self, run: TrainingRun, model, data) -> Fitted:
        from core.models import transfer
        fitted = super().fit(run, model, data)  # stage 1: the head, on the features
        started = time.perf_counter()
        fitted.model = transfer.assemble(model)  # backbone + trained head: one model from photo to classes
        if self.fine_tune_epochs and not fitted.stopped:
            fitted = self.fine_tune(run, fitted)
        fitted.seconds += time.perf_counter() - started
        return fitted

    def novelty_examples(self, data, fitted: Fitted) -> tuple:
        """Stage 1 scores the head, which reads the backbone features of `data`; after stage 2 the
        whole fine-tuned model is scored, on the photos themselves."""
        if self.tuned_inputs is None:
            return super().novelty_examples(data, fitted)
        x_train, x_val = self.tuned_inputs
        return (x_train, self.images.y_train), [x_val, fitted.x_test]

    def fine_tune(self, run: TrainingRun, fitted: Fitted) -> Fitted:
        """Stage 2: unfreeze the backbone's last blocks and train them on the images themselves."""
        from core.models import transfer
        from core.training.callbacks import LayerStats
        config, images = self.config, self.images
        run.progress("fine-tuning the last blocks")
        model, (x_train, x_val, x_test) = transfer.fine_tune(fitted.model, images, config)
        self.tuned_inputs = (x_train, x_val)
        _, _, encode = loss_and_metric(config.loss, images.spec.num_classes)
        callbacks = [c for c in fitted.callbacks if not isinstance(c, LayerStats)]  # its probe holds features
        stopped = run.distribution.fit(model, config.loss, x_train, encode(images.y_train),
                                       labelled(x_val, images.y_val, encode), fitted.batch_size,
                                       config.epochs + self.fine_tune_epochs, config.epochs, config.seed,
                                       callbacks, run.on_progress)
        return dataclasses.replace(fitted, model=model, scored=model, x_test=x_test,
                                   stopped=fitted.studio.stopped if fitted.studio else stopped)


RESUME_REFUSAL = ("A head on the frozen sentence encoder trains in seconds and cannot be resumed: "
                  "launch it again from its settings.")


class SentenceEncoderHead(Classification):
    """A head on a frozen sentence encoder (core/meaning/fewshot.py), as classification on sentence vectors: the frozen encoder turns each text into 384 numbers once
    (prepare), and only the small head on them is trained, evaluated and saved."""
    resume_refusal = RESUME_REFUSAL

    def prepare(self, run):
        import keras

        from core.data import load_dataset
        from core.meaning import encoder as enc
        from core.models.architectures import InputSpec
        from core.models.transfer import FEATURES
        from core.training.prepare import Prepared, validation_cut
        keras.utils.set_random_seed(self.config.seed)
        data = load_dataset(self.config.dataset, self.config.dataset_params)
        val_idx, train_idx = validation_cut(len(data.x), self.config)   # as every run cuts it
        run.progress("loading the sentence encoder", keep=False)
        encoder = enc.load_encoder()
        texts = [str(t) for t in data.x] + [str(t) for t in data.x_test]

        def encoding(fraction, message):
            run.progress(f"encoding the texts with the frozen encoder ({message})", keep=False)
        vectors = encoder.encode(texts, progress=encoding)
        x, x_test = vectors[:len(data.x)], vectors[len(data.x):]
        preprocessing = {"kind": data.kind, "encoder": enc.KEY, "input_shape": [enc.WIDTH]}
        return Prepared(x[train_idx], data.y[train_idx], x[val_idx] if len(val_idx) else None,
                        data.y[val_idx] if len(val_idx) else None, x_test, data.y_test,
                        InputSpec(FEATURES, (enc.WIDTH,), data.num_classes), list(data.class_names), preprocessing)


# The one place that says how each kind of run trains: keyed by the architecture's `training`.
STRATEGIES: dict[str, Callable[[RunConfig], object]] = {
    "classification": Classification,
    "transfer": TransferLearning,
    "gan": GanTraining,
    "sentence_encoder": SentenceEncoderHead,  # a head on frozen sentence vectors
    "finetune_llm": lambda config: _finetune_llm(config),  # LoRA on the language model
}


def _finetune_llm(config: RunConfig):
    from core.training.finetune_llm import FineTuneLLM  # its module imports the language model's code
    return FineTuneLLM(config)


def strategy_for(config: RunConfig):
    """The strategy that trains `config`: its architecture's, or its task's for an unknown one."""
    from core.models import ARCHITECTURES
    architecture = ARCHITECTURES.get(config.architecture)
    return STRATEGIES[architecture.training if architecture else config.task](config)
