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
    if run.results:
        print(f"test accuracy {run.results['test_accuracy']:.4f}; model at {run.model_path}")
        print(f"weights {run.results.get('weights_fingerprint')}  ({run.results.get('distribution', {})})")
    return 0 if status in ("completed", "stopped") else 1


if __name__ == "__main__":
    sys.exit(main())
