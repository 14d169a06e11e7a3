"""The Language Model Lab through AppTest: one page (and one model load) for the whole module.

Real answers from the real model: the capital of France streams "Paris"; bad input (empty, longer
than the context, control characters, invalid UTF-8, a binary file, Stop mid-answer) gives a clear
message and the page keeps working. Answers are kept short (16 tokens) to keep the suite quick.
"""
from __future__ import annotations

import os

import pytest

from core import paths
from tests.pages.conftest import chart_text, texts

pytestmark = pytest.mark.slow
PAGE_TIMEOUT = 600   # the first run converts the model (once per session) and compiles it


def _require_model():
    from core.llm import available
    if not available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must install requirements-models.txt (the language model)")
        pytest.skip("the language model package (requirements-models.txt) is not installed")


@pytest.fixture(scope="module")
def lab(tmp_path_factory, _models_cache):
    """The page, opened once: every test of this module continues in the same session."""
    _require_model()
    from streamlit.testing.v1 import AppTest
    data = tmp_path_factory.mktemp("llm-lab") / "studio-data"
    data.mkdir()
    (data / "models").symlink_to(_models_cache, target_is_directory=True)  # conversion shared with other tests
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(paths.DATA_DIR_ENV, str(data))
        at = AppTest.from_file("../../app.py", default_timeout=PAGE_TIMEOUT)
        at.switch_page("pages/llm_lab.py").run()
        assert not at.exception, at.exception
        yield at


def run(at):
    at.run()
    assert not at.exception, at.exception
    return at


def ask(at, prompt: str | None = None, example: int | None = None, tokens: int = 16):
    if example is not None:
        at.button(key=f"llm-example-{example}").click()
        run(at)
    if prompt is not None:
        at.text_area(key="llm_prompt").input(prompt)
    at.slider(key="llm_max_new").set_value(tokens)
    at.button(key="llm_ask").click()
    return run(at)


def answer_text(at) -> str:
    return at.session_state["llm_answer"]["text"]


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def charts(at) -> str:
    return chart_text(at)


def test_the_capital_of_france_streams_paris(lab):
    assert "Language Model Lab" in lab.title[0].value
    ask(lab, example=4)   # "What is the capital of France?"
    assert "Paris" in answer_text(lab)
    assert any("Paris" in m.value for m in lab.markdown)          # shown, not only kept
    assert metric(lab, "Tokens per second") not in ("—", "0")     # measured on this answer
    assert "Right: a fact seen very often" in texts(lab.caption)  # the example's honest caption


def test_business_prompt_fills_the_prompt_and_is_answered(lab):
    ask(lab, example=3, tokens=8)    # classify a ticket
    assert "support ticket" in lab.text_area(key="llm_prompt").value
    assert answer_text(lab).strip() and lab.session_state["llm_answer"]["state"] == "done"


def test_empty_prompt_is_refused_and_the_page_keeps_working(lab):
    ask(lab, prompt="   ")
    assert "The prompt is empty" in texts(lab.error)
    ask(lab, prompt="What is the capital of France?", tokens=8)
    assert "Paris" in answer_text(lab) and not lab.error


def test_a_prompt_longer_than_the_context_says_how_much_is_kept(lab):
    ask(lab, prompt="Summarise this. " + "The shipment is late again. " * 300, tokens=16)
    note = texts(lab.info)
    assert "only its last" in note and "were dropped" in note, note
    assert lab.session_state["llm_answer"]["state"] == "done"


def test_stop_mid_answer_keeps_what_was_written(lab):
    # What Stop does in a browser: the click reruns the page while the answer is being written
    # (tests/browser/test_llm_lab_browser.py clicks it for real); the rerun finds the partial answer.
    lab.session_state["llm_answer"] = {"text": "The capital", "seconds": [0.5, 0.6], "state": "writing",
                                       "mode": "float32", "temperature": 0.0, "note": None, "ended": None}
    lab.button(key="llm_stop").click()
    run(lab)
    assert "Stopped after 2 tokens" in texts(lab.warning)
    assert any("The capital" in m.value for m in lab.markdown)


def test_uploaded_text_loses_control_characters_and_bad_bytes_are_said(lab):
    data = "Please classify: the app crashes\x07\x1b on start, café.\n".encode() + b"\xff\xfe broken bytes"
    lab.get("file_uploader")[0].set_value(("ticket.txt", data, "text/plain"))
    run(lab)
    prompt = lab.text_area(key="llm_prompt").value
    assert "app crashes on start" in prompt and "\x07" not in prompt and "\x1b" not in prompt
    notes = texts(lab.caption)
    assert "control characters" in notes and ("not UTF-8" in notes or "not valid" in notes), notes


def test_a_binary_upload_is_refused(lab):
    lab.get("file_uploader")[0].set_value(("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "text/plain"))
    run(lab)
    assert "binary data" in texts(lab.error)


def test_next_token_chart_reshapes_with_top_k_and_one_token_at_a_time(lab):
    assert "Paris" in charts(lab)                           # " Paris" tops the candidates
    lab.slider(key="nt_top_k").set_value(3)
    run(lab)
    assert any("keep **3** of 49,152" in c.value for c in lab.caption)
    lab.button(key="nt_add").click()
    run(lab)
    pick = lab.radio(key="nt_pick_1")
    assert pick.options == ["␣Paris"] or "Paris" in str(pick.options), pick.options
    assert "and what it beat" in charts(lab)


def test_tokens_inside_and_sizes(lab):
    assert metric(lab, "Tokens") and "id " in "\n".join(str(e.proto.body) for e in lab.get("html"))
    costs = next(d.value for d in lab.dataframe if "tokens per character" in d.value.columns).set_index("text")
    assert costs.loc["Chinese", "tokens"] > costs.loc["English", "tokens"] > 0
    spec = charts(lab)
    assert "where each token looks" in spec and "layer by layer" in spec and "SmolLM2-135M-Instruct" in spec
    assert metric(lab, "Parameters") == "134,515,008"       # counted on the model (tied embedding once)
    lab.selectbox(key="in_head").set_value("head 3")
    lab.slider(key="in_layer").set_value(30)
    run(lab)
    assert "Layer 30, head 3" in charts(lab)


def test_int8_switch_measures_memory_speed_and_agreement_side_by_side(lab):
    lab.button(key="llm_measure").click()
    run(lab)
    table = lab.dataframe[-1].value
    assert list(table.columns) == ["float32", "int8"]
    weights = table.loc["Weights in memory"]
    assert weights["float32"].endswith("MB") and weights["int8"].endswith("MB")
    assert float(weights["int8"].split()[0].replace(",", "")) < float(weights["float32"].split()[0].replace(",", "")) / 2
    agreement = table.iloc[4]["int8"]
    assert agreement.endswith("%") and int(agreement[:-1]) >= 80, agreement
    lab.toggle(key="llm_int8").set_value(True)   # measuring left int8 loaded: no second load here
    ask(lab, prompt="What is the capital of France?", tokens=8)
    assert lab.session_state["llm_answer"]["mode"] == "int8" and "Paris" in answer_text(lab)


def test_leaving_and_coming_back_keeps_the_prompt_and_the_precision_of_the_answer_shown(lab):
    # Its own start (it may run alone or first): int8 on, the question answered in 8 tokens.
    lab.toggle(key="llm_int8").set_value(True)
    ask(lab, prompt="What is the capital of France?", tokens=8)
    lab.text_input(key="nt_prompt").input("The best thing about Paris is")
    lab.slider(key="llm_max_new").set_value(32)
    run(lab)
    lab.switch_page("pages/optimizers.py")
    run(lab)
    lab.switch_page("pages/llm_lab.py")
    run(lab)
    assert lab.toggle(key="llm_int8").value is True            # not swapped back to float32 unasked
    assert lab.text_area(key="llm_prompt").value == "What is the capital of France?"
    assert lab.slider(key="llm_max_new").value == 32
    assert lab.text_input(key="nt_prompt").value == "The best thing about Paris is"
    assert "Now running: **int8**" in "\n".join(c.value for c in lab.caption)
    assert "Paris" in answer_text(lab)                          # the answer under the prompt that made it
