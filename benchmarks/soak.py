"""Soak: two runs training at once, a third queued, three browser sessions polling their curves.

    python benchmarks/soak.py              # 10 minutes (the issue's figure)
    python benchmarks/soak.py --minutes 1  # what tests/browser/test_soak_browser.py runs

A real `streamlit run app.py` and three headless Chromium sessions, each on the Runs page of one
run (/runs?run=<id>: its panel re-reads the store every second). Halfway (and once runs 1 and 2
have each trained an epoch), run 1 is stopped and the queued run 3 must start in its slot; at the
end (and once run 3 has trained an epoch) all are stopped. It then checks what must hold:
no "database is locked" (or any exception) in a page, a runner log or the server log; at most two
runs trained at once; every epoch of every run present once with all its metrics, and batch rows in
step order. Prints the figures and writes a screenshot of each session.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
EPOCH_METRICS = {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"}
FOREVER = {"dataset": "digits", "architecture": "mlp", "epochs": 10000, "batch_size": 32}
BAD_WORDS = re.compile(r"database is locked|Traceback|OperationalError", re.I)


def soak(minutes: float, sessions: int = 3, out_dir: Path | None = None, log=print) -> dict:
    data = Path(tempfile.mkdtemp(prefix="soak-"))
    os.environ.update({"MODEL_STUDIO_DATA": str(data), "MODEL_STUDIO_MAX_RUNS": "2"})
    from core.runs import RunStore
    from core.training import RunConfig, launch, stop

    store = RunStore()
    server, url = _start_server(data)
    problems: list[str] = []
    report = {"minutes": minutes, "sessions": sessions}
    try:
        run_ids = [launch(RunConfig(**FOREVER, name=f"soak run {i + 1}", seed=i)) for i in range(3)]
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox",
                                                                       "--disable-gpu", "--no-first-run"])
            pages = []
            for run_id in run_ids[:sessions]:
                page = browser.new_context(viewport={"width": 1400, "height": 1800}).new_page()
                page.goto(f"{url}/runs?run={run_id}")
                pages.append(page)
            started, halfway_done = time.time(), False
            most_running, queued_seen, polls = 0, False, 0

            def trained_an_epoch(run_id) -> bool:
                return not store.metrics(run_id, "epoch").empty

            # Time sets the pace, but each half also waits for what it is there to see (on a loaded
            # machine 20 s may pass before a run's first epoch): runs 1 and 2 each train an epoch
            # before run 1 is stopped, and the queued run 3 trains one before the end. The ceiling
            # keeps a broken run from hanging the soak.
            ceiling = started + minutes * 60 + 240
            while time.time() < ceiling and (time.time() - started < minutes * 60 or not halfway_done
                                             or not trained_an_epoch(run_ids[2])):
                statuses = [store.get_run(r).status for r in run_ids]
                most_running = max(most_running, statuses.count("running"))
                queued_seen |= statuses[2] == "queued" and statuses[:2] == ["running", "running"]
                for page in pages:
                    text = page.inner_text("body")
                    if BAD_WORDS.search(text) or page.locator('[data-testid="stException"]').count():
                        problems.append(f"page {page.url}: {BAD_WORDS.search(text) or 'exception element'}")
                    polls += 1
                if not halfway_done and time.time() - started >= minutes * 30 and \
                        all(trained_an_epoch(r) for r in run_ids[:2]):
                    stop(run_ids[0])
                    halfway_done, stopped_at = True, time.time()
                    log(f"halfway: stopped run 1, run 3 is {store.get_run(run_ids[2]).status}")
                time.sleep(2)
            for run_id in run_ids:
                stop(run_id)
            deadline = time.time() + 60
            while any(store.get_run(r).is_active for r in run_ids) and time.time() < deadline:
                time.sleep(0.5)
            time.sleep(2)  # the pages' last refresh
            for i, page in enumerate(pages):
                if out_dir:
                    page.screenshot(path=str(Path(out_dir) / f"soak_session_{i + 1}.png"))
            browser.close()
        runs = [store.get_run(r) for r in run_ids]
        third_started = runs[2].started_at
        report.update(
            statuses=[r.status for r in runs], most_running_at_once=most_running,
            third_waited_while_two_ran=queued_seen,
            third_started_after_stop_s=round(third_started - stopped_at, 1) if third_started else None,
            page_polls=polls)
        for i, run in enumerate(runs):
            report[f"run {i + 1}"] = _check_metrics(store, run, problems)
        for path in [*data.glob("runs/*/runner.log"), data.parent / f"{data.name}-server.log"]:
            if path.exists() and BAD_WORDS.search(path.read_text(errors="replace")):
                problems.append(f"{path.name}: {BAD_WORDS.search(path.read_text(errors='replace')).group(0)}")
        if most_running > 2:
            problems.append(f"{most_running} runs trained at once; the limit is 2")
        if not queued_seen or not third_started:
            problems.append("run 3 did not wait in the queue and then start")
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(data, ignore_errors=True)
    report["problems"] = problems
    return report


def _check_metrics(store, run, problems: list[str]) -> dict:
    """Every epoch once, with all its metrics; batch rows in step order."""
    metrics = store.metrics(run.id)
    epochs = metrics[metrics.kind == "epoch"]
    per_epoch = epochs.groupby("epoch")["name"].apply(set)
    numbers = list(per_epoch.index)
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"{run.name}: epochs are not 1..{len(numbers)} (missing or doubled)")
    incomplete = [e for e, names in per_epoch.items() if names != EPOCH_METRICS]
    if incomplete:
        problems.append(f"{run.name}: epochs {incomplete[:5]} miss a metric")
    if epochs.groupby(["epoch", "name"]).size().max() > 1:
        problems.append(f"{run.name}: an epoch metric was written twice")
    steps = metrics[metrics.kind == "batch"].drop_duplicates("step")["step"].to_numpy()
    if (steps[1:] <= steps[:-1]).any():
        problems.append(f"{run.name}: batch rows out of step order")
    return {"epochs": len(numbers), "metric rows": len(metrics), "status": run.status}


def _start_server(data: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(data.parent / f"{data.name}-server.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                               "--server.port", str(port), "--server.address", "127.0.0.1",
                               "--browser.gatherUsageStats", "false"],
                              cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                return server, url
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("streamlit did not answer within 60 s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--out", default=None, help="folder for the session screenshots")
    args = parser.parse_args()
    started = time.time()
    report = soak(args.minutes, out_dir=Path(args.out) if args.out else None)
    for key, value in report.items():
        print(f"{key}: {value}")
    print(f"wall time {time.time() - started:.0f} s")
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
