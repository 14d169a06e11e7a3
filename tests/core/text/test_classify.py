"""Text classifiers taught through the runner: accuracy on a generated CSV, word importance that
finds the decisive word, attention maps, batch scoring, character-level Chinese."""
import os

import numpy as np
import pandas as pd

from core.data import uploads
from core.runs import RunStore
from core.catalog import load_model
from core.training import RunConfig
from core.training.runner import train

KEYWORDS = {"sport": ["football", "tennis", "goal", "match", "race"],
            "food": ["pasta", "soup", "recipe", "bake", "salad"],
            "money": ["bank", "loan", "price", "invest", "salary"]}
FILLER = "the a today we talked about it was really and then my friend said so very of".split()


def generated_csv(rows=300, seed=0) -> pd.DataFrame:
    """Each text: filler words shared by every class plus one keyword that decides the label."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(rows):
        label = list(KEYWORDS)[i % 3]
        words = list(rng.choice(FILLER, rng.integers(5, 10)))
        words.insert(int(rng.integers(0, len(words))), rng.choice(KEYWORDS[label]))
        texts.append(" ".join(words).capitalize() + "."), labels.append(label)
    return pd.DataFrame({"text": texts, "label": labels})


def teach(frame, architecture, epochs, split="whitespace", **arch_params):
    report = uploads.import_text_csv(frame, "text", "label", title="generated")
    config = RunConfig(dataset=report.dataset_key, dataset_params={"split": split}, architecture=architecture,
                       arch_params=arch_params, epochs=epochs, batch_size=16, learning_rate=3e-3,
                       name=f"test {architecture}").validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), config.name)
    store.set_process(run_id, os.getpid())
    assert store.claim_slot(run_id, max_running=10)
    assert train(config, run_id, store) == "completed"
    return store.get_run(run_id)


def test_a_bag_of_words_model_learns_the_generated_labels_and_explains_itself():
    run = teach(generated_csv(), "mlp", epochs=12)
    assert run.results["test_accuracy"] >= 0.9
    history = RunStore().metrics(run.id)
    val = history[(history.kind == "epoch") & (history.name == "val_accuracy")]["value"]
    assert val.iloc[-1] >= 0.9  # high validation accuracy, not just test

    classifier = load_model(f"run:{run.id}")
    text = "We talked today about football and then my friend said so"
    prediction = classifier.predict(text)
    assert prediction.top[0][0] == "sport"
    importance = classifier.importance(text, classifier.class_names.index("sport"))
    ranked = sorted(importance, key=lambda pair: -pair[1])
    assert ranked[0][0].text == "football" and text[ranked[0][0].start:ranked[0][0].end] == "football"
    # Batch scoring gives what single predictions give.
    texts = ["a recipe for soup", "the bank raised my loan", text]
    np.testing.assert_allclose(classifier.predict_batch(texts), [classifier.predict(t).probabilities for t in texts],
                               atol=1e-5)
    assert classifier.predict("quantum zebra").unknown == ["quantum", "zebra"]
    # Calibrated on the run's own validation texts; the answer's ranking is the raw model's.
    assert classifier.calibration.fitted and "validation examples of this run" in classifier.calibration.source
    assert classifier.calibration.examples == round(0.2 * 240)   # 300 rows: 240 in the pool, 20 % validate
    assert prediction.top[0][0] == classifier.class_names[int(np.argmax(prediction.raw))]
    unknown = classifier.predict("quantum zebra")
    assert unknown.unknown_share == 1.0 and unknown.mostly_unknown and not unknown.sure


def test_a_transformer_shows_attention_maps_per_block_and_head():
    run = teach(generated_csv(), "transformer", epochs=6, blocks=2, heads=2, key_dim=8,
                ff_units=32, embedding_dim=16)
    assert run.results["test_accuracy"] >= 0.8
    classifier = load_model(f"run:{run.id}")
    assert classifier.has_attention
    text = "My friend said the pasta was very good"
    maps = classifier.attention(text)
    assert maps.weights.shape == (2, 2, 8, 8)  # 'good' is unknown but still a token
    np.testing.assert_allclose(maps.weights.sum(axis=-1), 1.0, atol=1e-4)  # padding gets no attention
    # The weights come from the very pass that gives the model's answer (before calibration).
    np.testing.assert_allclose(maps.probabilities, classifier.predict(text).raw, atol=1e-5)


def test_character_tokens_learn_chinese_without_spaces():
    rng = np.random.default_rng(1)
    good, bad = ["很好", "喜欢", "满意", "推荐"], ["很差", "失望", "退货", "糟糕"]
    filler = list("这个产品我们今天的质量服务")
    rows = []
    for i in range(240):
        label, words = ("好评", good) if i % 2 else ("差评", bad)
        chars = list(rng.choice(filler, 6))
        chars.insert(int(rng.integers(0, 6)), rng.choice(words))
        rows.append(("".join(chars), label))
    run = teach(pd.DataFrame(rows, columns=["text", "label"]), "cnn", epochs=10, split="character",
                conv_blocks=1, filters=32)
    assert run.results["test_accuracy"] >= 0.9
    classifier = load_model(f"run:{run.id}")
    assert classifier.split == "character"
    assert classifier.predict("这个产品质量很好，我很满意").top[0][0] == "好评"


def test_models_do_not_crash_on_text_they_cannot_read():
    run = teach(generated_csv(90), "mlp", epochs=1)
    classifier = load_model(f"run:{run.id}")
    for text in ["!!! ???", "👍👍", "x" * 5000, "word " * 500]:
        prediction = classifier.predict(text)
        assert np.isclose(prediction.probabilities.sum(), 1.0)
    assert classifier.importance("!!! ???", 0) == []
    assert classifier.predict("word " * 500).cut == 500 - 64
