"""A stranger's whole journey (#14): one Chromium session over one data directory that already
holds runs of every kind, every page in turn with its main action, in the order a newcomer goes.

On every page: no exception box, no "None" / "nan" / "Traceback" in the text, every Plotly chart
has data, and every answer names the same class as its explanation (Image Lab: top class and
Grad-CAM; Audio Lab: keyword and "where it listened for"; Text Lab: topic and "push towards"),
also after a second input. The Meaning, Document and Language Model labs each give one real answer
(a paraphrase finds its help-centre answer, the invoice's number is read, "Paris" is streamed) and
keep to their own inputs (no lab shows another's text unless it is handed over). There is one step
per page of pages/site.py, in its order: test_every_page_has_a_step fails for a page without one. The tests share the browser and the Streamlit session, so they run in
file order; each reports its own page. `benchmarks/journey_screenshots.py` walks the same steps.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core.training.runner import MAX_RUNS_ENV
from tests.browser.conftest import ROOT, _free_port, chromium_page
from tests.browser.journey_data import build_journey_data

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXCEPTION = '[data-testid="stException"]'
RUNNING = '[data-testid="stStatusWidget"]'
RAW_VALUES = re.compile(r"\bNone\b(?! of these)|\bnan\b|\bNaN\b|Traceback")  # “None of these”: core/novelty.py
ANSWER = re.compile(r"It (?:sees|hears|reads):\s*(?:Not sure · best guess “(?P<guess>[^”]+)”\s*\("
                    r"|None of these\b[^“]*“(?P<none>[^”]+)”|(?P<label>[^\n(]+?)\s*\()")
# Every Plotly chart on the page: its title and how many points each of its traces holds.
CHARTS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(d => {
  const layout = d._fullLayout || d.layout || {};
  const title = layout.title ? (layout.title.text || '') : '';
  const traces = (d._fullData || d.data || []).map(t => Math.max(t.source ? 1 : 0,  // an image trace
      ...['x', 'y', 'z', 'values', 'r'].map(k => (t[k] && t[k].length) || 0)));
  return {title, traces};
})"""


INVOICE_NUMBER = "INV-2024-0815"  # assets/documents/invoice.json
# The token counts the Language Model Lab shows while it writes ("Writing… 3 tokens · …"), each seen
# once: more than one means the answer came token by token, not all at the end.
WATCH_WRITING_JS = """() => {
  window.__writing = new Set();
  const main = document.querySelector('[data-testid="stMain"]');
  const look = () => {
    for (const m of main.innerText.matchAll(/Writing… (\\d+) tokens?/g)) window.__writing.add(m[1]);
  };
  if (window.__writingWatch) window.__writingWatch.disconnect();
  window.__writingWatch = new MutationObserver(look);
  window.__writingWatch.observe(main, {subtree: true, childList: true, characterData: true});
}"""


# -- a page and what is wrong with it ------------------------------------------------------------

class Problems(list):
    """What one page got wrong, each with the exact text seen."""

    def check(self, ok: bool, message: str) -> None:
        if not ok:
            self.append(message)


def settle(page, quiet: float = 1.2, timeout: float = 60.0) -> None:
    """Wait until Streamlit's running indicator has been gone for `quiet` seconds (a live page
    reruns every second: after `timeout` go on anyway)."""
    page.wait_for_timeout(300)  # a click's rerun may not have started yet
    deadline, since = time.time() + timeout, None
    while time.time() < deadline:
        if page.locator(RUNNING).count():
            since = None
        elif since is None:
            since = time.time()
        elif time.time() - since >= quiet:
            return
        page.wait_for_timeout(150)


def exception_text(page) -> str | None:
    boxes = page.locator(EXCEPTION)
    return " | ".join(boxes.nth(i).inner_text()[:600] for i in range(boxes.count())) or None


def wait_for(page, locator, timeout: float = 60.0, what: str = "") -> None:
    """Wait for `locator` to be visible; fail at once (with its text) if an exception box appears."""
    deadline, visible = time.time() + timeout, locator.filter(visible=True)
    while time.time() < deadline:
        if visible.count():
            return
        if error := exception_text(page):
            raise AssertionError(f"exception while waiting for {what or locator}: {error}")
        page.wait_for_timeout(250)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or locator}; the page says: "
                         + page.inner_text("main")[-800:].replace("\n", " "))


def charts(page) -> list[dict]:
    return page.evaluate(CHARTS_JS)


def page_problems(page, name: str, min_charts: int = 0) -> Problems:
    """The checks every page gets: exception box, raw None/nan/Traceback, charts without data."""
    problems = Problems()
    error = exception_text(page)
    problems.check(error is None, f"{name}: exception on the page: {error}")
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    for match in RAW_VALUES.finditer(text):
        around = text[max(0, match.start() - 80):match.end() + 60].replace("\n", " ⏎ ")
        problems.append(f"{name}: raw {match.group()!r} on screen: …{around}…")
    drawn = charts(page)
    problems.check(len(drawn) >= min_charts, f"{name}: {len(drawn)} Plotly charts, expected at least {min_charts}")
    for chart in drawn:
        problems.check(chart["traces"] and max(chart["traces"]) > 0,
                       f"{name}: chart {chart['title']!r} has no data (points per trace: {chart['traces']})")
    return problems


def answer_of(text: str) -> str | None:
    match = ANSWER.search(text)
    return (match.group("guess") or match.group("none") or match.group("label")).strip() if match else None


def same_class(problems: Problems, page, name: str, explanations: list[str], picker: str) -> str | None:
    """The answer ('It sees: X'), the class picked to explain (select box `picker`) and every
    explanation (a regex with one group, searched in the page text and the chart titles) must
    name the same class."""
    text = page.inner_text("main")
    answer = answer_of(text)
    problems.check(answer is not None, f"{name}: no answer on the page (looked for 'It sees/hears/reads: …')")
    titles = "\n".join(c["title"] for c in charts(page))
    found = [m.group(1).strip() for pattern in explanations for m in re.finditer(pattern, text + "\n" + titles)]
    found += [value for value in [chosen(page, picker)] if value]
    problems.check(bool(found), f"{name}: no explanation found (looked for {explanations})")
    for explained in found:
        problems.check(explained == answer, f"{name}: the answer says “{answer}” but the explanation is for "
                                            f"“{explained}”")
    return answer


def chosen(page, label: str) -> str:
    """The value a select box shows ('' when there is none)."""
    box = page.get_by_role("combobox", name=label, exact=True)
    return box.first.input_value() if box.count() else ""


@dataclass
class Journey:
    """The browser tab (one Streamlit session for the whole journey), the app and its data."""
    page: object
    url: str
    data_dir: Path

    def run_named(self, name: str):
        """The newest run with this name, or None."""
        from core.runs import RunStore
        return next((r for r in RunStore(self.data_dir / "runs.sqlite").list_runs() if r.name == name), None)

    def wait_new_runs_ended(self, prefix: str, count: int, since: float, timeout: float) -> None:
        """Wait until `count` runs named `prefix…`, made after `since`, have all ended."""
        from core.runs import RunStore
        deadline = time.time() + timeout
        while time.time() < deadline:
            new = [r for r in RunStore(self.data_dir / "runs.sqlite").list_runs()
                   if r.name.startswith(prefix) and r.created_at >= since]
            if len(new) >= count and not any(r.is_active for r in new):
                self.page.wait_for_timeout(2500)  # the page polls its runs once a second, then redraws
                return
            if error := exception_text(self.page):
                raise AssertionError(f"exception while the {prefix!r} runs train: {error}")
            self.page.wait_for_timeout(500)
        raise AssertionError(f"{count} runs {prefix!r} did not end within {timeout:.0f} s")

    def wait_run_ended(self, name: str, timeout: float) -> None:
        """Wait until the run `name` was made and has ended (fail at once on an exception box)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            run = self.run_named(name)
            if run and not run.is_active:
                return
            if error := exception_text(self.page):
                raise AssertionError(f"exception while run {name!r} trains: {error}")
            self.page.wait_for_timeout(500)
        raise AssertionError(f"run {name!r} did not end within {timeout:.0f} s: {self.run_named(name)}")


def full_page_screenshot(page, path: Path, width: int, height: int) -> int:
    """Make the window as tall as the main column's content, shoot, restore; returns that height."""
    tall = page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                         " return m ? m.scrollHeight : document.documentElement.scrollHeight; }")
    page.set_viewport_size({"width": width, "height": max(height, int(tall))})
    page.wait_for_timeout(800)  # charts re-lay out for the new window; the column may grow with them
    tall = page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                         " return m ? m.scrollHeight : document.documentElement.scrollHeight; }")
    page.set_viewport_size({"width": width, "height": max(height, int(tall))})
    page.wait_for_timeout(800)  # charts re-lay out for the new window
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": height})
    return int(tall)


# The pages the journey reached, by their address ("" for Home), in order: every page of
# pages/site.py must be among them (test_every_page_was_visited).
VISITED: list[str] = []


def nav(page, title: str) -> None:
    """Go to a page the way a person does: the sidebar link (the Streamlit session goes on)."""
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    settle(page)
    VISITED.append(url_path(page.url))


def url_path(url: str) -> str:
    return urlsplit(url).path.strip("/")


def set_number(page, label: str, value, scope=None) -> None:
    box = (scope or page).get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    settle(page)


def pick(page, label: str, option: str, nth: int = 0) -> None:
    """Choose `option` in the `nth` select box labelled `label` (the Audio Lab has two called "Model")."""
    page.get_by_role("combobox", name=label, exact=True).nth(nth).click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def remove_chips(page, labels: list[str]) -> None:
    for label in labels:
        page.get_by_role("button", name=f"Remove {label}", exact=True).click()
        settle(page)


# -- the journey ------------------------------------------------------------------------------------

def home(j: Journey) -> Problems:
    page = j.page
    page.goto(j.url)
    wait_for(page, page.get_by_role("heading", name="🧪 Model Studio"), 90, "the Home title")
    settle(page)
    VISITED.append(url_path(page.url))
    return page_problems(page, "Home")


def image_lab(j: Journey) -> Problems:
    page = j.page
    nav(page, "Image Lab")
    problems = Problems()
    explanations = [r"made the model say “([^”]+)”", r"Grad-CAM[^\n“]*“([^”]+)”"]
    seen = []
    for index, photo in ((0, "Chelsea the cat"), (1, "A cup of coffee")):
        page.get_by_role("button", name="Use this").nth(index).click()
        wait_for(page, page.get_by_text(photo + " ·"), 120, f"the photo {photo}")
        wait_for(page, page.get_by_text("It sees:"), 180, "the answer")  # the first use loads EfficientNet
        wait_for(page, page.get_by_text("made the model say"), 120, "the Grad-CAM heatmap")
        settle(page)
        seen.append(same_class(problems, page, f"Image Lab ({photo})", explanations, "For the class"))
        problems += page_problems(page, f"Image Lab ({photo})", min_charts=1)
    problems.check(len(set(seen)) == 2, f"Image Lab: the cat and the coffee got the same answer {seen}")
    # The shapes taught by transfer learning, shown the coffee: none of its classes, and it says so.
    pick(page, "Model", "Your model: Image classes: Sample shapes")
    wait_for(page, page.get_by_text("None of these", exact=True), 120, "“None of these” from the shapes model")
    wait_for(page, page.get_by_text("made the model say"), 120, "the Grad-CAM heatmap")
    settle(page)
    same_class(problems, page, "Image Lab (shapes model, coffee)", explanations, "For the class")
    problems += page_problems(page, "Image Lab (shapes model, coffee)", min_charts=1)
    return problems


def audio_lab(j: Journey) -> Problems:
    page = j.page
    nav(page, "Audio Lab")
    problems = Problems()
    explanations = [r"Where it listened for “([^”]+)”"]
    for clip in ("“left”", "“yes”"):
        page.get_by_role("button", name=clip, exact=True).click()
        wait_for(page, page.get_by_text("It hears:"), 120, "the keyword")
        settle(page)
        wait_for(page, page.locator(".gtitle", has_text="Where it listened"), 60, "the occlusion map")
        same_class(problems, page, f"Audio Lab ({clip})", explanations, "Explain the class")
        problems += page_problems(page, f"Audio Lab ({clip})", min_charts=3)
    # The sounds taught in the journey's data (whistle, knock, hiss) hear a spoken word: none of them.
    pick(page, "Model", "Your model: Sounds: Sample sounds")
    wait_for(page, page.get_by_text("None of these", exact=True), 120, "“None of these” from the sounds model")
    settle(page)
    same_class(problems, page, "Audio Lab (sounds model, “yes”)", explanations, "Explain the class")
    # Speech to text in its default mode, on the lab's own example clip ("yes").
    page.get_by_role("button", name="📝 Transcribe").click()
    wait_for(page, page.get_by_text("The words are drawn on the waveform above").or_(
        page.get_by_text("No speech recognised")), 120, "the transcript")
    settle(page)
    nothing = page.get_by_text("No speech recognised")
    problems.check(nothing.count() == 0, "Audio Lab: transcribing the example “yes” in the default mode: "
                   + (nothing.first.inner_text() if nothing.count() else ""))
    problems += page_problems(page, "Audio Lab (transcribed)", min_charts=3)
    return problems


def text_lab(j: Journey) -> Problems:
    page = j.page
    nav(page, "Text Lab")
    problems = Problems()
    explanations = [r"push towards “([^”]+)”", r"probability of “([^”]+)” drops"]
    for example in ("🙏 A polite complaint", "💻 A bug"):
        page.get_by_role("button", name=example, exact=True).click()
        wait_for(page, page.get_by_text("It reads:"), 120, "the topic")
        settle(page)
        same_class(problems, page, f"Text Lab ({example})", explanations, "Explain the class")
        # The sentiment's own explanation names the verdict shown above it, not the topic.
        text = page.inner_text("main")
        verdict = re.search(r"Encoder verdict\s+\S+\s+(\w+)", text)
        sentiment_words = re.search(r"made “([^”]+)” likelier", text)
        problems.check(bool(verdict and sentiment_words and verdict.group(1) == sentiment_words.group(1)),
                       f"Text Lab ({example}): the sentiment says “{verdict and verdict.group(1)}” but its words "
                       f"are explained for “{sentiment_words and sentiment_words.group(1)}”")
        problems += page_problems(page, f"Text Lab ({example})", min_charts=2)
    return problems


def meaning_lab(j: Journey) -> Problems:
    page = j.page
    nav(page, "Meaning")
    # The first use converts the sentence encoder into the data directory and encodes the answers.
    wait_for(page, page.get_by_text("By meaning", exact=False), 240, "the search by meaning")
    settle(page)
    problems = page_problems(page, "Meaning (its own example query)")
    problems += search_finds(page, "Meaning", "my parcel never came", ("Delivery delayed", "Lost shipments"))
    box = page.get_by_role("textbox", name="Search", exact=True)
    box.fill("where is my package, it is late")  # in other words than the answers' (keywords rank billing first)
    box.press("Enter")
    settle(page)
    problems += search_finds(page, "Meaning", "where is my package, it is late", ("Delivery delayed", "Lost shipments"))
    return problems + page_problems(page, "Meaning (a typed query)")


def search_finds(page, name: str, query: str, answers: tuple[str, ...]) -> Problems:
    """The best answer by meaning (first row of the first table) is one of `answers`."""
    problems = Problems()
    top = page.locator('[data-testid="stTable"]').first.locator("tbody tr").first
    wait_for(page, top, 60, "the answers by meaning")
    deadline = time.time() + 30  # the table of the query before may still be on screen
    while time.time() < deadline and not any(a in top.inner_text() for a in answers):
        page.wait_for_timeout(250)
    found = top.inner_text().replace("\n", " ")
    problems.check(any(a in found for a in answers),
                   f"{name}: the best answer by meaning to “{query}” is “{found[:120]}”, not one of {answers}")
    return problems


def document_lab(j: Journey) -> Problems:
    page = j.page
    nav(page, "Document Lab")
    problems = Problems()
    wait_for(page, page.get_by_role("button", name="Read the clean scan").first, 60, "the Document Lab's examples")
    problems.check(page.get_by_text("Pick an example above (one click)").count() == 1,
                   "Document Lab: a document is already shown before one was picked (left from another lab?)")
    page.get_by_role("button", name="Read the clean scan").first.click()  # the first column: the invoice
    wait_for(page, page.get_by_text("4 · Fields"), 180, "the fields read from the invoice")  # PP-OCRv4 on the CPU
    settle(page)
    code = page.locator('[data-testid="stCode"]')
    problems.check(code.count() > 0 and INVOICE_NUMBER in code.first.inner_text(),
                   f"Document Lab: the invoice's text does not hold its number {INVOICE_NUMBER}")
    fields = page.locator('[data-testid="stDataFrame"]').last  # its cells are also in an accessible table
    deadline = time.time() + 20  # the grid draws its cells after the frame appears
    while time.time() < deadline and INVOICE_NUMBER not in fields.locator('[role="gridcell"]').all_inner_texts():
        page.wait_for_timeout(250)
    cells = fields.locator('[role="gridcell"]').all_inner_texts()
    problems.check(INVOICE_NUMBER in cells and "Invoice number" in cells,
                   f"Document Lab: no field 'Invoice number' = {INVOICE_NUMBER} in the Fields table: {cells[:30]}")
    problems += page_problems(page, "Document Lab (the invoice, clean scan)")
    # Back to Meaning: it still searches its own documents (the invoice is handed over only on request).
    nav(page, "Meaning")
    wait_for(page, page.get_by_text("By meaning", exact=False), 60, "the Meaning lab again")
    settle(page)
    text = page.inner_text("main")
    problems.check(INVOICE_NUMBER not in text and "Northwind" not in text,
                   "Meaning: after the Document Lab it shows the invoice's text, which was never handed to it")
    problems.check("help-centre answers (bundled)" in text,
                   "Meaning: after the Document Lab it no longer searches the help-centre answers")
    return problems


def llm_lab(j: Journey) -> Problems:
    page = j.page
    started = time.time()
    nav(page, "Language Model Lab")
    # The first load converts the 93 MB model into the data directory and compiles it (tens of seconds
    # on a free machine, minutes on a loaded one); the page then fills its other tabs with the model.
    wait_for(page, page.get_by_role("tab", name="💬 Ask it"), 600, "the language model to load")
    settle(page, timeout=300)
    print(f"language model lab: loaded and drawn in {time.time() - started:.0f} s")
    problems = Problems()
    prompt = page.get_by_label("Your prompt", exact=True)
    problems.check(prompt.input_value() == "", f"Language Model Lab: the prompt is not empty on arrival (left from "
                                                f"another lab?): {prompt.input_value()[:120]!r}")
    page.get_by_role("button", name="🇫🇷 Capital of France", exact=True).click()
    settle(page)
    problems.check(prompt.input_value() == "What is the capital of France?",
                   f"Language Model Lab: the example did not fill the prompt: {prompt.input_value()[:120]!r}")
    longest = page.get_by_test_id("stSlider").filter(has_text="Longest answer (tokens)").get_by_role("slider")
    longest.focus()
    longest.press("Home")  # 16 tokens, the least: "Paris" comes first, and CI has 2 cores
    settle(page)
    page.evaluate(WATCH_WRITING_JS)
    page.get_by_role("button", name="Ask", exact=True).click()
    # The metric, not the caption shown while it writes ("… tokens per second"): the answer has ended.
    wait_for(page, page.get_by_test_id("stMetric").filter(has_text="Tokens per second"), 180, "the answer")
    settle(page)
    counts = page.evaluate("() => [...window.__writing]")
    problems.check(len(counts) >= 2, f"Language Model Lab: the answer was not streamed token by token "
                                     f"(token counts seen while writing: {counts})")
    answer = page.get_by_test_id("stMain").get_by_text(re.compile("Paris")).filter(visible=True)
    problems.check(answer.count() > 0, "Language Model Lab: the answer to “What is the capital of France?” does "
                                       "not say Paris: " + page.inner_text("main")[-600:].replace("\n", " "))
    metric = page.get_by_test_id("stMetric").filter(has_text=re.compile(r"^Tokens\s*\d"), visible=True)
    tokens = metric.first.inner_text() if metric.count() else "(no Tokens metric)"
    written = int(re.search(r"(\d+)\s*$", tokens)[1]) if re.search(r"\d\s*$", tokens) else 0
    problems.check(0 < written <= 16, f"Language Model Lab: {written} tokens written with 16 at most: {tokens!r}")
    problems += page_problems(page, "Language Model Lab (the capital of France)")
    # Teach it: the fine-tune in the data directory, with its before/after and its answers per epoch.
    problems.check(chosen(page, "Model").startswith("SmolLM2-135M-Instruct"),
                   f"Language Model Lab: the model picker does not show the base model first: {chosen(page, 'Model')!r}")
    page.get_by_role("tab", name="🎓 Teach it").click()
    wait_for(page, page.get_by_text("Help-desk tickets, rank 4", exact=False), 60, "the latest teaching run")
    settle(page)
    text = page.inner_text("main")
    for expected in ("Held-out loss", "Held-out prompts, answered before and after each epoch", "Base model",
                     "After epoch 1", "Use it in the Language Model Lab"):
        problems.check(expected in text, f"Language Model Lab, Teach it: no “{expected}” for the finished run")
    problems += page_problems(page, "Language Model Lab (Teach it)", min_charts=2)
    # Use it: the tuned model becomes the lab's model, and the lab opens on Ask it to try it at once.
    page.get_by_role("button", name="💬 Use it in the Language Model Lab").first.click()
    deadline = time.time() + 120   # the picker's value is its combobox's input value, not its text
    while "SmolLM2-135M + " not in chosen(page, "Model") and time.time() < deadline:
        page.wait_for_timeout(500)
    wait_for(page, page.get_by_role("tab", name="💬 Ask it", selected=True), 300, "the lab back on Ask it")
    settle(page, timeout=300)
    problems.check("SmolLM2-135M + " in chosen(page, "Model"),
                   f"Language Model Lab: after “Use it”, the picker shows {chosen(page, 'Model')!r}, not the tuned model")
    return problems + page_problems(page, "Language Model Lab (the tuned model)")


def optimizers(j: Journey) -> Problems:
    page = j.page
    nav(page, "Optimizer playground")
    wait_for(page, page.get_by_text("steps to the minimum"), 120, "the optimizers' paths")
    settle(page)
    return page_problems(page, "Optimizer playground", min_charts=1)


def race(j: Journey) -> Problems:
    page = j.page
    nav(page, "Optimizer race")
    wait_for(page, page.get_by_role("button", name="🏁 Start the race"), 60, "the race settings")
    remove_chips(page, ["Full-batch gradient descent", "SGD, batch size 1", "SGD with momentum"])
    set_number(page, "Epochs", 1)
    started = time.time()
    page.get_by_role("button", name="🏁 Start the race").click()
    j.wait_new_runs_ended("Race ", 2, started, 300)
    settle(page)
    return page_problems(page, "Optimizer race", min_charts=2)


def anatomy(j: Journey) -> Problems:
    page = j.page
    nav(page, "Network anatomy")
    button = page.get_by_role("button", name=re.compile("Train a small digits CNN now"))
    wait_for(page, button, 120, "the anatomy page")
    button.click()
    j.wait_run_ended("Digits CNN (for the anatomy page)", 240)  # 8 epochs
    # The page polls the run once a second, then redraws with it picked: on a loaded machine that
    # redraw can come seconds later (before it, the picker still shows the newest run, a race's).
    deadline = time.time() + 60
    while time.time() < deadline and "for the anatomy page" not in chosen(page, "Model"):
        page.wait_for_timeout(500)
    settle(page)
    problems = page_problems(page, "Network anatomy", min_charts=3)
    shown = chosen(page, "Model") or "(no model picker)"
    problems.check("for the anatomy page" in shown,
                   f"Network anatomy: after 'Train a small digits CNN now' finished the page shows {shown!r}")
    return problems


def scale(j: Journey) -> Problems:
    page = j.page
    nav(page, "Why large models win")
    wait_for(page, page.get_by_role("button", name=re.compile("Train 6 sizes")), 60, "the sweep settings")
    pick(page, "Dataset", "Digits 8x8 (scikit-learn)")
    remove_chips(page, ["8", "32", "64", "128"])
    set_number(page, "Epochs", 1)
    started = time.time()
    page.get_by_role("button", name="📈 Train 2 sizes").click()
    j.wait_new_runs_ended("Scale ", 2, started, 300)
    wait_for(page, page.get_by_text("power law"), 30, "the fitted power law")
    settle(page)
    return page_problems(page, "Why large models win", min_charts=3)


def gan(j: Journey) -> Problems:
    page = j.page
    nav(page, "GAN studio")
    wait_for(page, page.get_by_role("button", name="🎨 Train the GAN"), 60, "the GAN studio")
    settle(page)
    problems = page_problems(page, "GAN studio (a one-epoch GAN run)", min_charts=1)
    set_number(page, "Epochs", 1)
    before = j.run_named("GAN: Digits 8x8 (scikit-learn)")
    page.get_by_role("button", name="🎨 Train the GAN").click()
    deadline = time.time() + 60
    while time.time() < deadline and j.run_named("GAN: Digits 8x8 (scikit-learn)").id == before.id:
        page.wait_for_timeout(500)
    j.wait_run_ended("GAN: Digits 8x8 (scikit-learn)", 240)
    page.wait_for_timeout(2500)
    settle(page)
    return problems + page_problems(page, "GAN studio (after training one)", min_charts=2)


def train(j: Journey) -> Problems:
    page = j.page
    nav(page, "Train a model")
    launch = page.get_by_role("button", name="🚀 Launch")
    wait_for(page, launch, 120, "the Train page")  # it builds the network once to describe it
    set_number(page, "Epochs", 2)
    page.get_by_label("Run name", exact=True).fill("My first digits model")  # replaces the suggested name
    launch.click()
    wait_for(page, page.get_by_text("Test accuracy"), 180, "the run's results")
    settle(page)
    problems = page_problems(page, "Train a model", min_charts=2)
    current = page.get_by_text("My first digits model")
    problems.check(current.count() > 0, "Train a model: the current run is not the one just launched "
                                        "(named 'My first digits model')")
    problems.check("completed" in page.inner_text("body"), "Train a model: the run is not shown as completed")
    accuracy = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    problems.check(accuracy.endswith("%") and float(accuracy.rstrip("%")) > 50,
                   f"Train a model: two epochs on digits reached a test accuracy of {accuracy}, not above 50%")
    return problems


def runs(j: Journey) -> Problems:
    page = j.page
    nav(page, "Runs")
    picker = page.get_by_role("combobox", name="Runs to inspect (one) or compare (several)")
    wait_for(page, picker, 60, "the runs picker")
    problems = Problems()
    for name in ("Digits CNN", "Interrupted digits MLP"):
        picker.fill(name)  # the list is long: type to find the run, as a person would
        page.get_by_role("option", name=re.compile("^" + re.escape(name) + " · ")).first.click()
        page.keyboard.press("Escape")
        settle(page)
    problems += page_problems(page, "Runs (two runs compared)", min_charts=1)
    page.get_by_role("button", name="Remove Digits CNN", exact=False).first.click()
    settle(page)
    wait_for(page, page.get_by_text("Run: Interrupted digits MLP"), 60, "the run's details")
    wait_for(page, page.get_by_role("button", name=re.compile("Resume from epoch 1")), 30, "its Resume button")
    return problems + page_problems(page, "Runs (the interrupted run)", min_charts=1)


# One step per page of pages/site.py, in its order, each named after the page's address (Home: home).
JOURNEY = [home, image_lab, audio_lab, text_lab, meaning_lab, document_lab, llm_lab, optimizers, race, anatomy,
           scale, gan, train, runs]


def step_name(spec) -> str:
    return spec.url_path or "home"


def test_every_page_has_a_step():
    """A page added to pages/site.py without a journey step fails here, before any browser starts."""
    from pages.site import PAGES
    pages, steps = [step_name(spec) for spec in PAGES], [step.__name__ for step in JOURNEY]
    missing = [f"{spec.title} ({spec.path})" for spec in PAGES if step_name(spec) not in steps]
    assert not missing, f"pages without a journey step: {missing}; add a step named after the page's address"
    assert steps == pages, f"the journey's steps {steps} are not in the order of pages/site.py {pages}"


# -- fixtures: one data directory, one server, one browser for the whole module -------------------

@pytest.fixture(scope="module")
def journey_dir(tmp_path_factory, _models_cache):
    started = time.perf_counter()
    folder = tmp_path_factory.mktemp("journey")
    runs = build_journey_data(folder / "studio-data", _models_cache)
    print(f"journey data built in {time.perf_counter() - started:.1f} s: {runs}")
    return folder / "studio-data"


@pytest.fixture
def data_dir(request, tmp_path, monkeypatch):
    """The journey's steps all look at its data directory (not one empty per test); the checks of
    the page list need none (they do not wait for it to be built)."""
    if "journey_page" not in request.fixturenames:
        path = tmp_path / "studio-data"
    else:
        path = request.getfixturevalue("journey_dir")
    monkeypatch.setenv("MODEL_STUDIO_DATA", str(path))
    return path


def start_server(data_dir: Path, log_path: Path):
    """`streamlit run app.py` on a free port over `data_dir`; returns (process, url). Two runs may
    train at once (a race's or a sweep's runs import TensorFlow side by side: CI has 2 cores)."""
    port = _free_port()
    with open(log_path, "wb") as log:  # the server keeps its own copy of the file descriptor
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env={**os.environ, "MODEL_STUDIO_DATA": str(data_dir), MAX_RUNS_ENV: "2"},
            stdout=log, stderr=subprocess.STDOUT)
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


def stop_server(server, data_dir: Path) -> None:
    """Stop the server and any runner it started (runners live in their own sessions)."""
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:  # a busy machine: it did not get to its shutdown in time
        server.kill()
        server.wait(10)
    from core.runs import RunStore
    for run in RunStore(data_dir / "runs.sqlite").list_runs():
        if run.is_active and run.pid and run.pid != os.getpid():
            try:
                os.kill(run.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture(scope="module")
def journey_url(journey_dir):
    server, url = start_server(journey_dir, journey_dir.parent / "streamlit.log")
    yield url
    stop_server(server, journey_dir)


@pytest.fixture(scope="module")
def journey_page(journey_url, journey_dir):
    with chromium_page({"width": 1400, "height": 1600}) as page:
        yield page


@pytest.mark.parametrize("step", JOURNEY, ids=[step.__name__ for step in JOURNEY])
def test_journey(step, journey_page, journey_url, journey_dir):
    try:
        problems = step(Journey(journey_page, journey_url, journey_dir))
    finally:
        size = journey_page.viewport_size
        full_page_screenshot(journey_page, journey_dir.parent / f"{step.__name__}.png", size["width"], size["height"])
    assert not problems, "\n".join(problems)


def test_every_page_was_visited(request):
    """Each step reached its page through the sidebar (a step named for a page that never went there fails)."""
    from pages.site import PAGES
    if not all(name in {item.name for item in request.session.items} for name in
               [f"test_journey[{step.__name__}]" for step in JOURNEY]):
        pytest.skip("only part of the journey was selected")
    unseen = [f"{spec.title} (/{spec.url_path})" for spec in PAGES if spec.url_path not in VISITED]
    assert not unseen, f"the journey never reached {unseen}; it went to {VISITED}"
