"""The few-shot head as a run of the studio's runner: it trains in its own process on the frozen
sentence encoder's vectors, its loss falls, it is stored with its config, it beats the Text Lab's
from-scratch network trained by the same runner on the same 8 examples per label, and it labels
new texts through the catalogue's run: models."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from core.meaning import encoder as enc
from core.meaning import fewshot
from core.text.classify import SentenceHeadClassifier
from core.params import ConfigError
from core.runs import RunStore
from tests.core.training.conftest import reap_runners  # noqa: F401 - a fixture, used by name
from tests.pages.conftest import wait_for_run

IN_CI = os.environ.get("CI", "").lower() == "true"  # .ci/run: a missing model package fails, never skips
needs_encoder = pytest.mark.skipif(not enc.available() and not IN_CI, reason=enc.missing_message())


def epoch_losses(store: RunStore, run_id: str) -> list[float]:
    metrics = store.metrics(run_id, "epoch")
    return metrics[metrics.name == "loss"].value.tolist()


@needs_encoder
def test_the_head_trains_through_the_runner_and_beats_from_scratch_at_8_per_label(pretrained_cache, reap_runners):
    from core.catalog import list_models, load_model
    from core.training import RunConfig, launch
    eight = {"per_label": 8}
    config = fewshot.run_config(fewshot.DATASET, "head, 8 a label", eight, epochs=30, validation_split=0.0)
    head_id = launch(config)
    # The Text Lab's from-scratch network (bag of words + 2 dense layers), same runner, same 40 texts.
    scratch_id = launch(RunConfig(dataset=fewshot.DATASET, dataset_params=eight, architecture="mlp", optimizer="adam",
                                  learning_rate=0.01, epochs=30, batch_size=16, validation_split=0.0,
                                  name="from scratch, 8 a label"))
    store = RunStore()
    head, scratch = wait_for_run(head_id, 300), wait_for_run(scratch_id, 300)
    assert (head.status, scratch.status) == ("completed", "completed"), (head.error, scratch.error)

    # Stored with its config, unchanged from what was launched (validated: every knob filled in).
    assert head.config == config.validated().to_dict()
    assert json.loads((head.dir / "config.json").read_text(encoding="utf-8")) == head.config
    assert head.config["architecture"] == "minilm_head" and head.config["dataset_params"] == eight
    losses = epoch_losses(store, head_id)
    assert len(losses) == 30 and losses[-1] < 0.5 * losses[0], losses
    assert json.loads((head.dir / "preprocessing.json").read_text(encoding="utf-8"))["encoder"] == enc.KEY
    assert head.results["train_examples"] == 40 and head.results["test_examples"] >= 100
    assert head.results["parameters"] == 384 * 5 + 5  # only the head learns: the encoder stays frozen

    assert head.results["test_accuracy"] >= 0.7, head.results["test_accuracy"]
    assert head.results["test_accuracy"] >= scratch.results["test_accuracy"] + 0.2, \
        (head.results["test_accuracy"], scratch.results["test_accuracy"])

    # Used at once: a run: model of the text lab, encoding texts before its head.
    assert f"run:{head_id}" in [info.key for info in list_models("text")]
    classifier = load_model(f"run:{head_id}")
    assert isinstance(classifier, SentenceHeadClassifier)
    assert classifier.predict("Can I send the shoes back?").top[0][0] == "refund"
    p = classifier.predict_batch(["I was charged twice", "The app crashes on start"])
    assert [classifier.class_names[i] for i in p.argmax(1)] == ["billing", "technical"]
    words = dict((t.text, w) for t, w in classifier.importance("I was charged twice",
                                                               classifier.class_names.index("billing")))
    assert max(words, key=words.get) == "charged", words

    # Exported like any run: the head checked on the run's own test texts, encoded as in training.
    from core.export import export_run
    tflite = export_run(head_id, "tflite")
    assert tflite.check["passed"] and tflite.check["source"] == "the run's test set", tflite.check
    assert "SentenceTransformer" in tflite.snippet  # its inputs are sentence vectors, not token ids


def test_the_helpdesk_dataset_holds_out_whole_messages_and_draws_the_curves_rows():
    from core.data import load_dataset
    from core.meaning.documents import support_documents
    full, eight = load_dataset(fewshot.DATASET), load_dataset(fewshot.DATASET, {"per_label": 8})
    assert full.num_classes == 5 and np.bincount(eight.y).tolist() == [8] * 5
    assert list(eight.x_test) == list(full.x_test)              # the same held-out side
    docs = support_documents()
    group_of = dict(zip(docs.texts, docs.groups))
    # Each message's three copies sit on one side: no test text is a re-dressed training text.
    assert not {group_of[t] for t in full.x} & {group_of[t] for t in full.x_test}
    assert min(np.bincount(full.y)) > 32                       # the curve's 32-per-label point is real
    labels = np.asarray(docs.labels)
    train, _ = fewshot.grouped_split(labels, docs.groups)
    curve_rows = fewshot.take_per_label(train, labels, 8)
    assert sorted(eight.x) == sorted(np.asarray(docs.texts, dtype=object)[curve_rows])


def test_bad_configs_and_examples_are_refused_in_words():
    from core.training.runner import resume_refusal
    with pytest.raises(ConfigError, match="cannot read image data"):
        fewshot.run_config("digits", "x").validated()
    with pytest.raises(ConfigError, match="Hidden units must be at most 512"):
        fewshot.run_config(fewshot.DATASET, "x").__class__(
            **{**fewshot.run_config(fewshot.DATASET, "x").to_dict(), "arch_params": {"hidden_units": 9999}}).validated()
    assert "cannot be resumed" in resume_refusal(fewshot.run_config(fewshot.DATASET, "x"))
    with pytest.raises(fewshot.FewShotError, match="two different labels"):
        fewshot.check_examples(["billing"] * 5)
    with pytest.raises(fewshot.FewShotError, match="these have fewer: refund"):
        fewshot.check_examples(["billing", "billing", "refund"])
