import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def test_home_page_renders_and_links_every_page():
    at = AppTest.from_file("../../app.py", default_timeout=30).run()
    assert not at.exception
    assert "Model Studio" in at.title[0].value
    links = {link.label for link in at.get("page_link")}
    assert {"Open the training page", "Open the runs page"} <= links
    assert "No runs yet" in at.info[0].value


def test_home_page_does_not_import_tensorflow():
    code = ("import sys; from streamlit.testing.v1 import AppTest; "
            "at = AppTest.from_file('app.py', default_timeout=30).run(); "
            "assert not at.exception, at.exception; "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False False"


def _stored_run(store, config, name, status, results=None, error=None):
    run_id = store.create_run(config, name)
    if results is not None:
        store.set_results(run_id, results)
    store.finish(run_id, status, error=error)
    return run_id


def test_home_sums_up_runs_of_every_kind_without_a_traceback():
    from core.runs import RunStore
    store = RunStore()
    digits = {"dataset": "digits", "architecture": "cnn", "task": "classification"}
    # What the GAN runner stores: no test set, so no test accuracy (this raised KeyError on Home).
    _stored_run(store, {"dataset": "digits", "architecture": "dcgan", "task": "gan"}, "GAN: Digits 8x8",
                "completed", {"task": "gan", "fit_seconds": 12.5, "parameters": 52_000, "latent_dim": 32,
                              "epochs_completed": 1, "train_examples": 1437})
    _stored_run(store, digits, "Digits CNN", "completed", {"test_accuracy": 0.9731, "test_loss": 0.09})
    _stored_run(store, digits, "Weaker MLP", "stopped", {"test_accuracy": 0.81})
    _stored_run(store, digits, "Broken", "failed", error="DataError: the upload is gone")
    _stored_run(store, digits, "Killed", "interrupted", {}, error="The training process ended unexpectedly.")
    _stored_run(store, digits, "Odd", "completed", {"test_accuracy": None})
    at = AppTest.from_file("../../app.py", default_timeout=30).run()
    assert not at.exception, at.exception
    line = at.caption[-1].value
    assert line.startswith("6 runs stored: 3 completed, 1 stopped, 1 failed, 1 interrupted"), line
    assert "best test accuracy 97.3% (Digits CNN)" in line
    assert "1 GAN run" in line and "None" not in line and "nan" not in line
    assert "See and compare them on the Runs page" in {link.label for link in at.get("page_link")}


def test_home_with_only_a_gan_run_shows_no_best_accuracy():
    from core.runs import RunStore
    _stored_run(RunStore(), {"dataset": "digits", "architecture": "dcgan", "task": "gan"}, "GAN", "completed",
                {"task": "gan", "epochs_completed": 1})
    at = AppTest.from_file("../../app.py", default_timeout=30).run()
    assert not at.exception, at.exception
    assert at.caption[-1].value == "1 run stored: 1 completed · 1 GAN run (GANs draw images: no test accuracy)"
