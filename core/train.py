"""Headless training: `python -m core.train --config run.json` (or `--run-id ID` for a queued run).

Writes to the same run store as the app, so the run shows up on the Runs page, live.

On a cluster, start the same command on every machine with its own TF_CONFIG (README, "Training
on a cluster"): the chief (rank 0) records the run in its store; the other workers train in
lockstep, write nothing, and print their weights' fingerprint, equal to the chief's at the end.
"""
from __future__ import annotations

import argparse
import sys

from core.params import ConfigError
from core.runs import RunStore
from core.tf_logging import quiet_tensorflow
from core.training.config import RunConfig
from core.training.distributed import DistributionError, cluster_from_env
from core.training.runner import execute, train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.train", description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", help="path to a run config JSON file")
    source.add_argument("--run-id", help="execute an already recorded run (used by the app)")
    parser.add_argument("--resume", action="store_true",
                        help="with --run-id: go on from the run's last checkpoint (used by the app)")
    args = parser.parse_args(argv)
    quiet_tensorflow()  # before training imports TensorFlow (core/tf_logging.py says what it hides)

    if args.resume and not args.run_id:
        parser.error("--resume needs --run-id")
    if args.run_id:
        return 0 if execute(args.run_id, resume=args.resume) in ("completed", "stopped") else 1
    try:
        config = RunConfig.from_file(args.config).validated()
    except (ConfigError, OSError) as err:
        problems = err.problems if isinstance(err, ConfigError) else [str(err)]
        print("Invalid config:\n  - " + "\n  - ".join(problems), file=sys.stderr)
        return 2

    def report(epoch, logs):
        shown = "  ".join(f"{k}={v:.4f}" for k, v in sorted(logs.items()))
        print(f"epoch {epoch + 1}/{config.epochs}  {shown}", flush=True)

    try:
        cluster = cluster_from_env()
    except DistributionError as err:
        print(err, file=sys.stderr)
        return 2
    if cluster and cluster.workers > 1 and not cluster.is_chief and config.distribution in ("auto", "multi_worker"):
        print(f"worker {cluster.index} of {cluster.workers}: training; the chief writes the run", flush=True)
        return 0 if train(config, None, None, on_progress=report) in ("completed", "stopped") else 1
    store = RunStore()
    run_id = store.create_run(config.to_dict(), config.name)
    print(f"run {run_id}: {config.architecture} on {config.dataset}, store {store.path}")

    status = execute(run_id, on_progress=report)
    run = store.get_run(run_id)
    print(f"run {run_id} {status}" + (f": {run.error}" if run.error else ""))
    for line in summary_lines(run, store):
        print(line)
    return 0 if status in ("completed", "stopped") else 1


def summary_lines(run, store: RunStore) -> list[str]:
    """What a finished run produced, in its own terms: a GAN has no test set, a classifier has no
    generator. A run without results (failed, or stopped before its first epoch) gets none."""
    results = run.results or {}
    if not results:
        return []
    if results.get("task") == "gan" or run.config.get("task") == "gan":
        return _gan_summary(run, store)
    if results.get("task") == "finetune-llm":
        return finetune_summary(results, run.dir)
    lines = []
    if "test_accuracy" in results:
        lines.append(f"test accuracy {results['test_accuracy']:.4f}; model at {run.model_path}")
    else:  # a kind of run this CLI does not know yet: say what there is rather than fail
        lines.append(f"results: {', '.join(sorted(results))}; model at {run.model_path}")
    if "weights_fingerprint" in results:
        lines.append(f"weights {results['weights_fingerprint']}  ({results.get('distribution', {})})")
    return lines


def finetune_summary(results: dict, run_dir) -> list[str]:
    """A fine-tune's before and after, one figure per line (benchmarks/finetune.py prints the same)."""
    from core.llm.teach import before_after_lines
    lines = [f"training tokens/s: {results['tokens_per_second']:.0f}" if results.get("tokens_per_second") else
             "training tokens/s: -"]
    lines += before_after_lines(results["base_val_loss"], results["val_loss"], results.get("metrics", {}))
    lines[1] += f" on {results['validation_examples']} examples"
    lines.append(f"adapters (LoRA rank {results['rank']}, {results['trainable_parameters']:,} numbers) at "
                 f"{run_dir / 'adapter.npz'}")
    return lines


def _gan_summary(run, store: RunStore) -> list[str]:
    from core.training.gan import sample_paths
    epochs = store.metrics(run.id, "epoch")
    last = {name: float(rows.sort_values("epoch").value.iloc[-1])
            for name, rows in epochs.groupby("name")} if len(epochs) else {}
    losses = "  ".join(f"{label} loss {last[key]:.4f}" for key, label in
                       (("g_loss", "generator"), ("d_loss", "discriminator")) if key in last)
    done = run.results.get("epochs_completed", 0)
    lines = [f"GAN trained {done} epoch{'' if done == 1 else 's'}" + (f"; final {losses}" if losses else "")]
    lines.append(f"generator at {run.model_path} (latent dimensions {run.results.get('latent_dim', '?')})")
    samples = sample_paths(run.id)
    if samples:
        lines.append(f"samples after each epoch in {samples[-1].parent}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
