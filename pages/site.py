"""Every page of the studio, in one list: app.py draws the navigation from it, Home its doors.

Adding a page is adding one `PageSpec` here (and its file in pages/). Not a page itself: app.py
lists the pages.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str           # the page's file, relative to the project root
    title: str
    icon: str
    section: str        # its heading in the navigation
    url_path: str = ""  # empty: the default page
    door: str = ""      # what Home says of it, in plain words (empty: no door on Home)
    link: str = ""      # the label of Home's link to it


PAGES: list[PageSpec] = [
    PageSpec("pages/home.py", "Home", "🏠", "Studio"),
    PageSpec("pages/image_lab.py", "Image Lab", "🖼️", "Labs", "image_lab",
             "Show it a photo: a real ImageNet model names what it sees, shows **where** it looked (Grad-CAM "
             "heatmap), and learns your own classes from a few examples.", "Open the Image Lab"),
    PageSpec("pages/audio_lab.py", "Audio Lab", "🎧", "Labs", "audio_lab",
             "Play it a clip or record one: see the sound as a spectrogram, let a Keras network spot command "
             "words (and show where it listened), transcribe speech offline, and teach it your own sounds.",
             "Open the Audio Lab"),
    PageSpec("pages/text_lab.py", "Text Lab", "📝", "Labs", "text_lab",
             "Paste a review or an email: see its sentiment word by word, its topic with the words that decided "
             "it and a Transformer's attention map, translate with the alignment on screen, score a whole CSV, "
             "and teach it your own labels.", "Open the Text Lab"),
    PageSpec("pages/meaning_lab.py", "Meaning", "🔎", "Labs", "meaning_lab",
             "Search your documents by what they mean, not the words they use; label texts with no training or "
             "from a few examples; see why a pretrained model beats one trained from scratch; map your data.",
             "Open the Meaning lab"),
    PageSpec("pages/document_lab.py", "Document Lab", "📄", "Labs", "document_lab",
             "Show it an invoice, a receipt or a notice (Chinese or English): a real OCR model reads it line by "
             "line, shows where it looked and how sure it is, pulls out dates, amounts, totals and invoice "
             "numbers, and hands the text on: to the Text Lab, to search by meaning, or to the language model to "
             "summarise.", "Open the Document Lab"),
    PageSpec("pages/llm_lab.py", "Language Model Lab", "💬", "Labs", "llm_lab",
             "Ask a real language model (the kind behind chat assistants) running offline on this computer: "
             "watch it write word by word, see the words it almost chose, how it cuts text into tokens, what "
             "it looks at inside, and how it can be made smaller and faster.", "Open the Language Model Lab"),
    PageSpec("pages/optimizers.py", "Optimizer playground", "🧭", "Principles", "optimizers",
             "Watch gradient descent, momentum, RMSprop, Adam and friends walk downhill on a loss surface you "
             "can see, with their update rules beside them: why some zig-zag, some overshoot, and some blow up.",
             "Open the optimizer playground"),
    PageSpec("pages/race.py", "Optimizer race", "🏁", "Principles", "race",
             "Several optimizers train the same network on the same data, for real: whose validation loss "
             "falls fastest, per epoch and per second.", "Race optimizers on real training runs"),
    PageSpec("pages/anatomy.py", "Network anatomy", "🫀", "Principles", "anatomy",
             "Activation functions and their slopes, vanishing gradients, and what every layer of a trained "
             "network outputs for one image.", "Look inside a network"),
    PageSpec("pages/scale.py", "Why large models win", "📈", "Principles", "scale",
             "The same network at growing sizes: loss against parameters and compute on log-log axes, with "
             "what each size costs.", "See loss fall with size"),
    PageSpec("pages/gan.py", "GAN studio", "🎨", "Principles", "gan",
             "Two networks trained against each other: one learns to draw digits from noise, the other to "
             "tell its drawings from real ones.", "Open the GAN studio"),
    PageSpec("pages/train.py", "Train a model", "🏋️", "Train", "train",
             "Pick a dataset (bundled, or your own images or texts), a network and an optimizer, press "
             "**Launch** and watch the loss fall, live. Stop it any time.", "Open the training page"),
    PageSpec("pages/runs.py", "Runs", "📈", "Train", "runs",
             "Every run is kept: its settings, curves and model. Overlay several runs, see what differs "
             "between them, export a model, delete the rest.", "Open the runs page"),
]


def sections() -> dict[str, list[PageSpec]]:
    """The pages by navigation heading, in list order."""
    grouped: dict[str, list[PageSpec]] = {}
    for spec in PAGES:
        grouped.setdefault(spec.section, []).append(spec)
    return grouped
