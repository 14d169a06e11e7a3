"""Training past one device: the tf.distribute strategy for a run, and the multi-worker loop.

    setup = start_distribution(config.distribution)   # first thing in the process, before any TF op
    with setup.strategy.scope():
        model = build_model(...); model.compile(...)
    stopped = setup.fit(model, loss_name, x, y, ...)   # model.fit here, or the multi-worker loop
    probabilities = setup.predict(model, x_test)

`Distribution.fit` is the one place that knows how a run is spread: the default device and
MirroredStrategy (several GPUs) train with Keras's `model.fit`; several machines train with
`fit_across_workers`, because Keras 3 `fit()` cannot (keras#20585). The training strategies
(core/training/strategies.py) call it and never ask which one it is.

Which strategy (`RunConfig.distribution`):
- "auto": MultiWorkerMirroredStrategy when TF_CONFIG names more than one worker, MirroredStrategy
  when this machine has several GPUs, else the default device (the GPU if there is one).
- "single", "mirrored", "multi_worker": that one, whatever is visible.

The multi-worker loop is data parallel and synchronous: every step, each worker computes the
gradient of the mean loss over its slice of the same global batch, the strategy all-reduces
(sums) the gradients, and every worker applies the same update. So N workers compute what one
machine would with the whole global batch, and all end with identical weights.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass

import numpy as np

DISTRIBUTIONS = {
    "auto": "Automatic: several machines when TF_CONFIG lists them, else all GPUs here, else this device",
    "single": "This device only (the GPU if there is one, else the CPU)",
    "mirrored": "MirroredStrategy: every GPU on this machine, one copy of the model each",
    "multi_worker": "MultiWorkerMirroredStrategy: several machines, set up through TF_CONFIG",
}


class DistributionError(RuntimeError):
    """The requested strategy cannot run here; the message says what is missing."""


@dataclass
class Cluster:
    """This process's place in a TF_CONFIG cluster."""
    workers: int        # processes that train (chief included)
    index: int          # this process's rank among them, 0 = the one that writes the run
    task: str           # 'chief' or 'worker'

    @property
    def is_chief(self) -> bool:
        return self.index == 0


@dataclass
class Distribution:
    kind: str                   # 'single', 'mirrored' or 'multi_worker'
    strategy: object            # a tf.distribute.Strategy
    cluster: Cluster | None
    gpus: int
    mixed_precision: bool       # float16 compute was switched on (only ever with a GPU)

    @property
    def is_chief(self) -> bool:
        """Only the chief writes the run: metrics, checkpoints, the final model."""
        return self.cluster is None or self.cluster.is_chief

    @property
    def replicas(self) -> int:
        return self.strategy.num_replicas_in_sync

    def describe(self) -> dict:
        return {"strategy": type(self.strategy).__name__, "kind": self.kind, "replicas": self.replicas,
                "workers": self.cluster.workers if self.cluster else 1, "gpus": self.gpus,
                "mixed_precision": self.mixed_precision}

    @property
    def across_workers(self) -> bool:
        return self.kind == "multi_worker"

    def steps_per_epoch(self, n: int, batch_size: int) -> int:
        """⌈n / batch⌉ steps an epoch; across workers the ragged tail is dropped, so every worker
        takes the same number of steps (see `global_batches`)."""
        return n // batch_size if self.across_workers else math.ceil(n / batch_size)

    def fit(self, model, loss_name: str, x, y, validation, batch_size: int, epochs: int, initial_epoch: int,
            seed: int, callbacks=(), on_epoch=None) -> bool:
        """Train `model` (built and compiled in `self.strategy.scope()`) from `initial_epoch` to
        `epochs` on the (x, y) pairs; `validation` is an (x, y) pair or None; `on_epoch(epoch, logs)`
        after every epoch. Returns whether training was stopped early (by a callback)."""
        if self.across_workers:
            outcome = fit_across_workers(self, model, loss_name, x, y, *(validation or (None, None)), batch_size,
                                         epochs, seed, callbacks, on_epoch)
            if not self.is_chief:  # it writes nothing: its log says how it ended, to compare with the chief
                print(f"worker {self.cluster.index} of {self.cluster.workers}: {outcome['steps']} steps, "
                      f"final loss {outcome['history'][-1]['loss']:.4f}, weights {weights_fingerprint(model)}",
                      flush=True)
            return outcome["stopped"]
        import keras

        from core.training.stream import fit_data, validation_data
        if on_epoch:
            callbacks = [*callbacks, keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: on_epoch(e, logs))]
        model.fit(**fit_data(x, y, batch_size, seed), epochs=epochs, initial_epoch=initial_epoch,
                  validation_data=validation_data(validation, batch_size), callbacks=list(callbacks), verbose=0)
        return bool(model.stop_training)

    def predict(self, model, x, batch: int = 512) -> np.ndarray:
        """Class probabilities for x, a batch at a time."""
        if self.across_workers:  # predict() is fit()'s sibling and fails under the multi-worker strategy too
            return np.concatenate([np.asarray(model(x[i:i + batch], training=False))
                                   for i in range(0, len(x), batch)])
        from core.training.stream import predict
        return predict(model, x)


def cluster_from_env(environ=os.environ) -> Cluster | None:
    """The TF_CONFIG cluster this process belongs to, or None when there is none.

    TF_CONFIG is TensorFlow's own format: {"cluster": {"worker": ["host:port", ...]},
    "task": {"type": "worker", "index": 0}}; a "chief" entry, if any, counts as rank 0.
    """
    raw = environ.get("TF_CONFIG")
    if not raw:
        return None
    try:
        spec = json.loads(raw)
        cluster, task = spec["cluster"], spec["task"]
        chiefs, workers = list(cluster.get("chief", [])), list(cluster.get("worker", []))
        kind, index = task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError) as err:
        raise DistributionError(f"TF_CONFIG is not valid ({err}). It must look like "
                                '{"cluster": {"worker": ["host1:port", "host2:port"]}, '
                                '"task": {"type": "worker", "index": 0}}.') from err
    if kind not in ("chief", "worker") or index < 0 or index >= len(chiefs if kind == "chief" else workers):
        raise DistributionError(f"TF_CONFIG's task {kind} {index} is not in its cluster "
                                f"({len(chiefs)} chief, {len(workers)} workers).")
    rank = index if kind == "chief" else len(chiefs) + index
    return Cluster(workers=len(chiefs) + len(workers), index=rank, task=kind)


def visible_gpus() -> list[str]:
    """Names of the GPUs TensorFlow can use here (empty on a CPU-only machine)."""
    import tensorflow as tf
    return [gpu.name for gpu in tf.config.list_physical_devices("GPU")]


def describe_choice(requested: str, gpus: int, cluster: Cluster | None) -> str:
    """One sentence: where a run with `requested` distribution would train on this machine."""
    try:
        kind = resolve_kind(requested, gpus, cluster)
    except DistributionError as err:
        return str(err)
    if kind == "multi_worker":
        return (f"On {cluster.workers} machines (TF_CONFIG), in lockstep; this one is "
                + ("the chief and writes the run." if cluster.is_chief else f"worker {cluster.index}."))
    if kind == "mirrored":
        return f"On this machine's {max(gpus, 1)} {'GPUs' if gpus > 1 else 'device'}, one model copy each, gradients averaged."
    return "On this machine's GPU." if gpus else "On this machine's CPU (no GPU is visible)."


def resolve_kind(requested: str, gpus: int, cluster: Cluster | None) -> str:
    """The strategy a run gets, from its config and what this process sees."""
    if requested == "auto":
        if cluster and cluster.workers > 1:
            return "multi_worker"
        return "mirrored" if gpus > 1 else "single"
    if requested == "multi_worker" and cluster is None:
        raise DistributionError("Multi-worker training needs TF_CONFIG set on every machine "
                                "(see the README, 'Training on a cluster').")
    if requested not in DISTRIBUTIONS:
        raise DistributionError(f"Unknown distribution '{requested}'. Choose one of: {', '.join(DISTRIBUTIONS)}.")
    return requested


def start_distribution(distribution: str = "auto", mixed_precision: bool = False) -> Distribution:
    """Create the strategy. Call it before any other TensorFlow op: a multi-worker strategy sets up
    the process's collective communication, which TensorFlow only allows at start-up."""
    import keras
    import tensorflow as tf

    cluster = cluster_from_env()
    gpus = len(tf.config.list_physical_devices("GPU"))
    kind = resolve_kind(distribution, gpus, cluster)
    if kind == "multi_worker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    elif kind == "mirrored":
        strategy = tf.distribute.MirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()
        cluster = None
    # float16 maths is fast on GPUs' tensor cores and slow on CPUs, so the switch only acts with a GPU.
    mixed = bool(mixed_precision and gpus)
    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")
    return Distribution(kind, strategy, cluster if kind == "multi_worker" else None, gpus, mixed)


def this_device() -> Distribution:
    """The default device as it is: no strategy, and the float32 policy left alone. For runs that
    never distribute (a GAN's two networks train on one device)."""
    import tensorflow as tf
    return Distribution("single", tf.distribute.get_strategy(), None,
                        len(tf.config.list_physical_devices("GPU")), False)


def float32_output(model):
    """Under mixed precision, end the model in float32: a float16 softmax rounds small
    probabilities to zero and the loss to infinity."""
    import keras
    outputs = keras.layers.Activation("linear", dtype="float32", name="float32_output")(model.outputs[0])
    return keras.Model(model.inputs, outputs, name=model.name)


def weights_fingerprint(model) -> str:
    """A short hash of every weight's bytes: equal on two workers iff their weights are identical."""
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.ascontiguousarray(np.asarray(weight)).tobytes())
    return digest.hexdigest()[:16]


def per_example_loss(loss_name: str):
    """The run's loss for each example, unreduced: the loop averages it over the global batch."""
    import keras
    if loss_name == "mse":
        return keras.losses.mean_squared_error
    return keras.losses.sparse_categorical_crossentropy


def global_batches(n: int, global_batch: int, epoch: int, seed: int) -> np.ndarray:
    """(steps, global_batch) example indices for one epoch: the same shuffle on every worker.
    The ragged tail is dropped so every worker takes the same number of steps."""
    steps = max(1, n // global_batch)
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return order[: steps * global_batch].reshape(steps, global_batch)


def fit_across_workers(setup: Distribution, model, loss_name: str, x, y, x_val, y_val, global_batch: int,
                       epochs: int, seed: int, callbacks=(), on_epoch=None) -> dict:
    """Train `model` (built and compiled in `setup.strategy.scope()`) synchronously on all workers.

    `callbacks` (the chief's: metrics to the run store, checkpoints) get the same hooks as in
    `model.fit`; a callback setting `model.stop_training` stops every worker at the same step.
    Returns {'steps', 'stopped', 'history'}.
    """
    import keras
    import tensorflow as tf

    strategy = setup.strategy
    workers = setup.cluster.workers if setup.cluster else 1
    rank = setup.cluster.index if setup.cluster else 0
    global_batch = max(workers, global_batch - global_batch % workers)
    per_worker = global_batch // workers
    loss_of = per_example_loss(loss_name)
    optimizer = model.optimizer

    def replica_step(xb, yb, stop):
        with tf.GradientTape() as tape:
            p = model(xb, training=True)
            per_example = loss_of(yb, p)
            # Each replica divides by the GLOBAL batch size: the all-reduced (summed) gradient is then
            # exactly the gradient of the mean loss over the whole global batch.
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
            if model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))  # all-reduces across replicas
        labels = tf.argmax(yb, axis=-1) if loss_name == "mse" else tf.cast(yb, tf.int64)
        correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(p, axis=-1), labels), tf.float32))
        return loss, correct, stop

    @tf.function
    def train_step(xb, yb, stop):
        loss, correct, stop = strategy.run(replica_step, args=(xb, yb, stop))
        return (strategy.reduce("SUM", loss, axis=None), strategy.reduce("SUM", correct, axis=None),
                strategy.reduce("SUM", stop, axis=None))  # > 0: a worker asked to stop, so all stop

    def worker_dataset(indices):
        def dataset_fn(context):
            # This worker's slice of every global batch, cut into per-replica batches.
            mine = indices[:, rank * per_worker:(rank + 1) * per_worker].reshape(-1)
            replica_batch = context.get_per_replica_batch_size(global_batch)
            return tf.data.Dataset.from_tensor_slices((x[mine], y[mine])).batch(replica_batch)
        return strategy.distribute_datasets_from_function(dataset_fn)

    callbacks = keras.callbacks.CallbackList(list(callbacks), model=model)
    model.stop_training = False
    callbacks.on_train_begin()
    history, steps = [], 0
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        indices = global_batches(len(x), global_batch, epoch, seed)
        total_loss = total_correct = 0.0
        for batch, (xb, yb) in enumerate(worker_dataset(indices)):
            stop = tf.constant(1.0 if model.stop_training else 0.0)
            loss, correct, stop_all = train_step(xb, yb, stop)
            steps += 1
            total_loss, total_correct = total_loss + float(loss), total_correct + float(correct)
            callbacks.on_train_batch_end(batch, {"loss": total_loss / (batch + 1),
                                                 "accuracy": total_correct / ((batch + 1) * global_batch)})
            if float(stop_all):
                model.stop_training = True
                break
        done = batch + 1
        logs = {"loss": total_loss / done, "accuracy": total_correct / (done * global_batch)}
        if x_val is not None and len(x_val):
            logs.update(_evaluate(model, loss_of, loss_name, x_val, y_val))
        history.append(logs)
        callbacks.on_epoch_end(epoch, logs)
        if on_epoch:
            on_epoch(epoch, logs)
        if model.stop_training:
            break
    callbacks.on_train_end()
    return {"steps": steps, "stopped": bool(model.stop_training), "history": history,
            "global_batch": global_batch, "workers": workers}


def _evaluate(model, loss_of, loss_name, x, y, batch: int = 512) -> dict:
    """Validation loss and accuracy, computed by every worker on the whole validation set (the
    weights are identical everywhere, so all get the same numbers; only the chief writes them)."""
    probabilities = np.concatenate([np.asarray(model(x[i:i + batch], training=False), dtype=np.float32)
                                    for i in range(0, len(x), batch)])
    labels = np.argmax(y, axis=-1) if loss_name == "mse" else y
    loss = float(np.mean(np.asarray(loss_of(y, probabilities))))
    return {"val_loss": loss, "val_accuracy": float(np.mean(np.argmax(probabilities, -1) == labels))}
