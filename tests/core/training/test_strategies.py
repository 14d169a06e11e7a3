"""The training strategies: one registry picks how each architecture trains; distribution is apart."""
import subprocess
import sys
from pathlib import Path

from core.models import ARCHITECTURES
from core.training import RunConfig
from core.training.distributed import Distribution
from core.training.gan import GanTraining
from core.training.strategies import STRATEGIES, Classification, TransferLearning, strategy_for

ROOT = Path(__file__).resolve().parents[3]


def test_every_architecture_trains_by_a_registered_strategy():
    assert {a.training for a in ARCHITECTURES.values()} <= set(STRATEGIES)
    chosen = {key: type(strategy_for(RunConfig(architecture=key, task=a.task))) for key, a in ARCHITECTURES.items()}
    assert chosen["mlp"] is chosen["cnn"] is chosen["speech"] is Classification
    assert chosen["efficientnet_transfer"] is TransferLearning and chosen["dcgan"] is GanTraining
    # A config naming an architecture this version lacks still gets its task's strategy (resume() asks).
    assert type(strategy_for(RunConfig(architecture="gone", task="gan"))) is GanTraining


def test_choosing_a_strategy_loads_no_tensorflow():
    """The app imports the runner (launch, resume) at start: no TensorFlow for that."""
    code = ("import sys; from core.training import RunConfig; from core.training.runner import resume_refusal; "
            "[resume_refusal(RunConfig(architecture=k, task=t)) for k, t in "
            "[('mlp', 'classification'), ('efficientnet_transfer', 'classification'), ('dcgan', 'gan')]]; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr[-2000:]


def test_only_the_classifier_resumes_and_transfer_learning_counts_both_stages():
    assert Classification(RunConfig()).resume_refusal is None
    assert "GAN" in GanTraining(RunConfig(task="gan", architecture="dcgan")).resume_refusal
    plain = TransferLearning(RunConfig(architecture="efficientnet_transfer", arch_params={"fine_tune_blocks": 0}))
    tuned = TransferLearning(RunConfig(architecture="efficientnet_transfer",
                                       arch_params={"fine_tune_blocks": 2, "fine_tune_epochs": 4}))
    assert "(transfer learning) cannot be resumed" in plain.resume_refusal
    assert plain.fine_tune_epochs == 0 and tuned.fine_tune_epochs == 4


def test_steps_per_epoch_drop_the_ragged_tail_only_across_workers():
    single = Distribution("single", None, None, 0, False)
    workers = Distribution("multi_worker", None, None, 0, False)
    assert single.steps_per_epoch(100, 32) == 4 and workers.steps_per_epoch(100, 32) == 3
    assert not single.across_workers and workers.across_workers
