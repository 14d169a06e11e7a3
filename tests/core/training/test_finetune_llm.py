"""Fine-tuning runs (core/training/finetune_llm.py) through the runner, on a small model of SmolLM2's
architecture and vocabulary (random weights, two blocks, the real tokenizer) so a run takes seconds:
the loss on held-out answers falls, Stop mid-epoch leaves a stopped run that resumes, the adapters
become a catalogue model, bad uploads are refused in words."""
import json
import os

import keras
import numpy as np
import pytest

from core.data import DataError, uploads
from core.llm import lm as lm_module
from core.llm.gguf import LlamaConfig
from core.llm.model import SmolLM
from core.params import ConfigError
from core.runs import RunStore
from core.training import RunConfig
from core.training.checkpoints import read_checkpoint
from core.training.runner import train

SMALL = LlamaConfig(vocab_size=49152, hidden=32, layers=2, heads=4, kv_heads=2, ffn=64, context=256)
TEAMS = ("billing", "delivery", "account")


@pytest.fixture
def small_model(monkeypatch):
    """LanguageModel.load gives a small model with the real tokenizer (and the same model on every load)."""
    from core.llm.lab import load_tokenizer
    tokenizer = load_tokenizer()
    keras.utils.set_random_seed(0)
    weights = None

    def load(cls, progress=None, quantize=None, context=256, folder=None):
        nonlocal weights
        model = SmolLM(SMALL, max_positions=256)
        model.build()
        if weights is None:
            rng = np.random.default_rng(0)
            model.embed.embeddings.assign(rng.standard_normal((SMALL.vocab_size, SMALL.hidden)).astype("float32"))
            weights = model.get_weights()
        model.set_weights(weights)
        return cls(model, tokenizer, {}, min(context, 256))
    monkeypatch.setattr(lm_module.LanguageModel, "load", classmethod(load))


def pairs_upload(n_train=12, n_held=4) -> str:
    rows = []
    for i in range(n_train + n_held):
        team = TEAMS[i % 3]
        rows.append({"prompt": f"Ticket {i}: a question about {team}. Which team?", "response": team,
                     "task": "ticket", "split": "train" if i < n_train else "held-out"})
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    report, _ = uploads.import_pairs(data, "tickets.jsonl", "Tickets")
    return report.dataset_key


def config_for(dataset, epochs=3) -> RunConfig:
    return RunConfig(dataset=dataset, architecture="smollm2_lora", task="finetune-llm", optimizer="adamw",
                     optimizer_params={"weight_decay": 0.0}, learning_rate=1e-2, epochs=epochs, batch_size=4,
                     validation_split=0.0, arch_params={"rank": 4, "max_tokens": 64}).validated()


def start(store, config) -> str:
    run_id = store.create_run(config.to_dict(), "teach test")
    store.set_process(run_id, os.getpid())
    assert store.claim_slot(run_id, max_running=10)
    return run_id


def test_a_fine_tune_run_lowers_the_held_out_loss_and_becomes_a_catalogue_model(small_model):
    from core.catalog import list_models, load_model
    store = RunStore()
    config = config_for(pairs_upload())
    run_id = start(store, config)
    assert train(config, run_id, store) == "completed"
    run = store.get_run(run_id)
    results = run.results
    assert results["task"] == "finetune-llm" and results["epochs_completed"] == 3
    assert results["val_loss"] < 0.8 * results["base_val_loss"], results
    assert set(results["metrics"]) == {"category exact match"} and len(results["answers"]) == 4
    # The few-shot baseline: the base model with 2 training pairs in its prompt, answered apart.
    assert results["shots"] == 2 and set(results["metrics"]["category exact match"]) == {"base", "few_shot", "tuned"}
    assert all({"base", "few_shot", "tuned"} <= set(a) for a in results["answers"])
    epochs = store.metrics(run_id, "epoch")
    assert sorted(epochs[epochs.name == "val_loss"].epoch) == [1, 2, 3]
    assert (epochs[epochs.name == "tokens_per_second"].value > 0).all()
    answers = [json.loads(line) for line in (run.dir / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [a["epoch"] for a in answers] == [0, 1, 2, 3] and len(answers[0]["answers"]) == 3  # 3 probes
    # The tuned model: a catalogue entry of the language lab, the base model with the adapters merged.
    listed = {info.key: info.title for info in list_models("language", store)}
    assert listed["tuned:" + run_id] == "SmolLM2-135M + teach test"
    tuned = load_model("tuned:" + run_id)
    ids = np.array([tuned.chat_ids("Ticket 99: a question about billing. Which team?")], np.int32)
    base = lm_module.LanguageModel.load()
    assert np.abs(np.asarray(tuned.model(ids)) - np.asarray(base.model(ids))).max() > 1e-3


def test_stop_mid_epoch_leaves_a_stopped_run_that_resumes_to_the_end(small_model):
    from core.training.strategies import strategy_for
    store = RunStore()
    config = config_for(pairs_upload(), epochs=2)   # a few steps an epoch (the examples packed in rows)
    run_id = start(store, config)
    (store.get_run(run_id).dir).mkdir(parents=True, exist_ok=True)
    (store.get_run(run_id).dir / "STOP").touch()     # Stop pressed: it halts after the step it is in
    assert train(config, run_id, store) == "stopped"
    run = store.get_run(run_id)
    steps = run.progress["steps_per_epoch"]
    assert steps > 1
    state = read_checkpoint(run.dir)
    assert state.epoch == 0 and state.step == 1 and (run.dir / "adapter.npz").exists()
    assert "stopped" in strategy_for(config).resumable
    assert store.requeue(run_id, os.getpid(), strategy_for(config).resumable)
    assert store.claim_slot(run_id, max_running=10)
    assert train(config, run_id, store, resume=True) == "completed"
    run = store.get_run(run_id)
    assert run.results["steps_completed"] == 2 * steps and run.results["epochs_completed"] == 2
    assert read_checkpoint(run.dir).step == 2 * steps


def test_bad_uploads_of_pairs_say_what_to_fix():
    with pytest.raises(DataError, match="empty"):
        uploads.import_pairs(b"", "mine.csv")
    with pytest.raises(DataError, match="prompt"):
        uploads.import_pairs(b"question,answer\nhi,there\n" * 6, "mine.csv")
    with pytest.raises(DataError, match="at least 5"):
        uploads.import_pairs(b"prompt,response\nhi,there\n,empty\n", "mine.csv")


def test_the_config_refuses_what_a_fine_tune_cannot_do():
    with pytest.raises(ConfigError, match="far too much for a language model"):
        RunConfig(dataset="business_tasks", architecture="smollm2_lora", task="finetune-llm", optimizer="gd").validated()
    with pytest.raises(ConfigError, match="cannot read"):
        RunConfig(dataset="digits", architecture="smollm2_lora", task="finetune-llm").validated()
