"""Document Lab: read an invoice, a receipt or a notice (Chinese and English) with a real OCR model,
see where it looked and how sure it was, pull out the fields, and send the text on."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import streamlit as st

from core.document.handoff import search_rows, summary_prompt
from core.document.io import DocumentError, read_document
from pages.common import (format_number, format_percent, format_seconds, hand_off, help_for, input_tabs_ui,
                          limited_uploader, load_classifier, model_card_ui, page_setup)

MODEL_KEY = "pp_ocrv4"
DOCUMENT_TYPES = ["png", "jpg", "jpeg", "webp", "pdf", "bmp", "tif", "tiff"]
EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "assets" / "documents"
EXAMPLES = {"invoice": "🧾 Invoice", "receipt": "🛒 Receipt", "notice": "📢 Bilingual notice"}
KINDS = {"clean": "clean scan", "photographed": "phone photo"}  # short: three columns at 1024 px
KIND_HELP = {"clean": "The page exactly as rendered, at 150 dpi.",
             "photographed": "The same page as a phone would take it: tilted, in perspective, blurred, noisy, "
                             "with a shadow."}
# Box colours by the recogniser's confidence: sure, fairly sure, doubtful.
COLOURS = ((0.9, (22, 163, 74)), (0.7, (234, 179, 8)), (0.0, (220, 38, 38)))


def intro_ui():
    st.title("📄 Document Lab")
    st.markdown("Give it a scan or a photo of a document: a real OCR model (**PP-OCRv4**, Chinese and "
                "English) finds the text, shows **where it looked** and **how sure** it is of each line, "
                "reads it in order, and pulls out the **fields**: invoice and order (PO) numbers, dates, amounts, totals, "
                "e-mail addresses. Then send the text on: its sentiment and topic, a search by meaning, "
                "or a summary by the language model.")


# -- 1. the document ------------------------------------------------------------------------------

def document_ui():
    st.subheader("1 · A document")
    input_tabs_ui("📷 Camera", examples_ui,
                  lambda: limited_uploader("A scan or photo (PNG, JPEG, WebP, or a PDF: its first pages)", "photo",
                                           type=DOCUMENT_TYPES, key="document_upload"),
                  lambda: st.camera_input("Photograph a page (flat, well lit)", key="document_camera"),
                  _use_file, limit="photo")
    return st.session_state.get("document")


def examples_ui() -> None:
    cols = st.columns(len(EXAMPLES))
    for col, (name, title) in zip(cols, EXAMPLES.items()):
        col.markdown(f"**{title}**")
        for kind, label in KINDS.items():  # the buttons above the picture: a tall receipt would push them down
            if col.button(f"Read the {label}", key=f"example-{name}-{kind}", width="stretch", help=KIND_HELP[kind]):
                truth = json.loads((EXAMPLES_DIR / f"{name}.json").read_text(encoding="utf-8"))
                file = truth["files"][kind]
                _use_file(f"{title[2:]} ({label})", (EXAMPLES_DIR / file).read_bytes())
        col.image(str(EXAMPLES_DIR / f"{name}_photo.jpg"), width="stretch")


def _use_file(name: str, data: bytes) -> str | None:
    """Decode a document and make it the current one; or say why it cannot be used."""
    try:
        document = read_document(data)
    except DocumentError as err:
        return f"**{name}** cannot be used: {err}"
    st.session_state["document"] = (name, document)
    return None


# -- 2. reading it --------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=16)
def read_page(_reader, pixels: np.ndarray):
    """The reading of one page (kept per page: a rerun or a second visit does not read it again)."""
    return _reader.read(pixels)


def reading_ui(name: str, document) -> None:
    for note in document.notes:
        st.info(note)
    index = 0
    if len(document.pages) > 1:
        index = st.radio("Page", range(len(document.pages)), format_func=lambda i: f"Page {i + 1}",
                         horizontal=True, key="document_page")
    page = document.pages[index]
    reader = load_classifier(MODEL_KEY, "Opening the OCR model…")
    model_card_ui({**reader.card, **_catalogue_card()})
    with st.spinner("Reading the page: detection, direction, recognition…"):
        reading = read_page(reader, page)
    for note in reading.notes:
        st.info(note)
    if reading.turned:
        page = np.ascontiguousarray(page[::-1, ::-1])
    stages_ui(reading)
    st.subheader("2 · What it saw")
    if not reading.lines:
        st.warning("No text found on this page: the detector saw no line of printed text. A blank page, "
                   "or text too small or too blurred to read; try a sharper, closer photo.")
        return
    from core.document.fields import extract_fields
    fields = extract_fields(reading.lines)
    image_ui(page, reading, fields)
    st.subheader("3 · The text, in reading order")
    text_ui(reading)
    st.subheader("4 · Fields")
    fields_ui(fields)
    downloads_ui(name, reading, fields)
    send_on_ui(name, reading.text)


@st.cache_data(show_spinner=False)
def _catalogue_card() -> dict:
    from core.catalog import CATALOG
    card = CATALOG[MODEL_KEY].card()
    card.pop("title", None)
    return card


def stages_ui(reading) -> None:
    cols = st.columns(4)
    cols[0].metric("Detection", format_seconds(reading.seconds["detection"]), help=help_for("text detection"))
    cols[1].metric("Direction", format_seconds(reading.seconds["direction"]), help=help_for("text direction"))
    cols[2].metric("Recognition", format_seconds(reading.seconds["recognition"]), help=help_for("text recognition"))
    cols[3].metric("Whole page", format_seconds(reading.seconds["total"]))
    st.caption(f"{format_number(len(reading.lines))} lines found on a {format_number(reading.size[0])}x"
               f"{format_number(reading.size[1])}-pixel page, on this computer's CPU.")


def image_ui(page: np.ndarray, reading, fields) -> None:
    left, right = st.columns(2)
    with left:
        st.image(boxes_image(page, reading.lines, {id(f.box) for f in fields}), width="stretch",
                 caption="Each box is one line it read: green when it is sure (90 % or more), amber when "
                         "fairly sure (70–90 %), red when doubtful. Boxes with a field are drawn thicker.")
    with right:
        if reading.probability is None:
            st.info("The detector's map is not available for this page.")
            return
        opacity = st.slider("Map opacity", 0.0, 1.0, 0.6, 0.05, key="heat_opacity")
        st.image(heat_overlay(page, reading.probability, opacity), width="stretch",
                 caption="Where it looked: the detector's probability that each pixel is text (red: surely "
                         "text). The boxes are cut from this map.")
        st.caption(help_for("text probability map"))


def colour_for(confidence: float) -> tuple[int, int, int]:
    return next(colour for floor, colour in COLOURS if confidence >= floor)


def boxes_image(page: np.ndarray, lines, field_boxes: set[int]) -> np.ndarray:
    from PIL import Image, ImageDraw
    image = Image.fromarray(page).convert("RGB")
    draw = ImageDraw.Draw(image)
    width = max(2, image.width // 400)
    for line in lines:
        corners = [tuple(p) for p in line.box]
        draw.polygon(corners, outline=colour_for(line.confidence),
                     width=width * (2 if id(line.box) in field_boxes else 1))
    return np.asarray(image)


def heat_overlay(page: np.ndarray, heat: np.ndarray, opacity: float) -> np.ndarray:
    tint = np.zeros_like(page, dtype=np.float32)
    tint[..., 0] = 255
    alpha = opacity * heat[..., None].astype(np.float32) / 255
    grey = page.astype(np.float32).mean(axis=2, keepdims=True) * np.ones((1, 1, 3))
    return (grey * (1 - alpha) + tint * alpha).astype(np.uint8)


def text_ui(reading) -> None:
    rows = [{"Line": format_number(i + 1), "Text": line.text, "Confidence": format_percent(line.confidence)}
            for i, line in enumerate(reading.lines)]
    st.dataframe(rows, hide_index=True, width="stretch",
                 column_config={"Confidence": st.column_config.TextColumn("Confidence", help=help_for("confidence"))})
    st.caption("The whole text (the copy button is at its top right); boxes of one row are joined by a space.")
    st.code(reading.text, language=None)


def fields_ui(fields) -> None:
    if not fields:
        st.info("No fields found: no invoice or order number, date, amount, total or e-mail address on this page.")
        return
    rows = [{"Field": f.kind.capitalize(), "Value": f.value, "Read from": f.text,
             "Confidence": format_percent(f.confidence), "Box": f.as_row()["box"]} for f in fields]
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption("Box: the line's corners on the page, in pixels from its top-left corner (left,top → right,bottom).")


def downloads_ui(name: str, reading, fields) -> None:
    stem = "".join(ch if ch.isalnum() else "_" for ch in name).strip("_")[:40] or "document"
    cols = st.columns(3)
    cols[0].download_button("⬇️ Text (.txt)", reading.text.encode(), f"{stem}.txt", "text/plain", key="dl_txt")
    cols[1].download_button("⬇️ Boxes (.json)", json.dumps(
        {"document": name, **reading.as_dict(), "fields": [f.as_row() for f in fields]}, ensure_ascii=False,
        indent=1).encode(), f"{stem}.json", "application/json", key="dl_json")
    cols[2].download_button("⬇️ Fields (.csv)", fields_csv(fields).encode(), f"{stem}_fields.csv", "text/csv",
                            key="dl_csv")


def fields_csv(fields) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["field", "value", "read from", "confidence", "box"])
    writer.writeheader()
    writer.writerows(f.as_row() for f in fields)
    return buffer.getvalue()


def send_on_ui(name: str, text: str) -> None:
    """Hand the text on: to the Text Lab (it reads session state "text", its own input), to the
    Meaning lab's search (its rows as a document set) or to the language model (a summary prompt)."""
    st.subheader("5 · Send the text on")
    st.caption("Its sentiment and topic (Text Lab), a search by meaning over its lines (Meaning lab), or a "
               "two-sentence summary (the language model).")
    cols = st.columns(3)  # short labels: three longer ones were cut to "📝 Sentiment and topi…" at 1024 px
    if cols[0].button("📝 Text Lab", key="send_text_lab", width="stretch",
                      help="Sentiment and topic: the Text Lab scores the text's sentiment and names its topic."):
        from core.text.io import TextInputError, check_text
        try:
            st.session_state["text"] = (f"Read from {name}", check_text(text))
        except TextInputError as err:
            st.error(str(err))
            return
        st.switch_page("pages/text_lab.py")
    if cols[1].button("🔎 Meaning lab", key="send_meaning", width="stretch",
                      help="Search it by meaning: each line of the page becomes a document the Meaning lab "
                           "searches by meaning and by keywords."):
        hand_off("pages/meaning_lab.py", name, search_rows(text))
    if cols[2].button("💬 Language model", key="send_llm", width="stretch",
                      help="Summarise it: opens the Language Model Lab with the text and 'Summarise this "
                           "document in two sentences.' as its prompt; press Ask there."):
        hand_off("pages/llm_lab.py", name, summary_prompt(text, *_token_counter()))


def _token_counter():
    """The language model's tokenizer as (count, chat frame), so the prompt fits its context; nothing
    when the model is not installed (its lab says so)."""
    try:
        from core.llm.lab import load_tokenizer
        tokenizer = load_tokenizer()
    except Exception:  # noqa: BLE001 - any failure here only means the lab cuts the prompt itself
        return ()
    return (lambda s: len(tokenizer.encode(s)),
            len(tokenizer.chat_ids([{"role": "user", "content": ""}])))


def main():
    page_setup()
    intro_ui()
    chosen = document_ui()
    if chosen is None:
        st.info("Pick an example above (one click), upload a scan or a PDF, or photograph a page.")
        return
    reading_ui(*chosen)


main()
