"""The teach flow every lab shares (not a page: app.py lists the pages).

Examples come in (a zip of class folders, the lab's sample, class by class, or the lab's own
source such as a CSV), are imported once, the lab's training knobs are drawn, a run is launched
and watched live, and the taught model is then one click away in the lab's model picker. A lab
says what differs in a TeachSpec; the flow itself is written once, here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import streamlit as st

from pages.common import (import_examples, import_outcome_ui, limited_uploader, over_limit, start_run_ui,
                          taught_run_ui, use_new_file_ui)


@dataclass(frozen=True)
class ClassFolders:
    """Examples as one folder per class: a zip of them, the lab's sample zip, or class by class."""
    zip_label: str                # the zip uploader's label
    zip_limit: str                # its UPLOAD_LIMITS_MB kind
    import_zip: Callable          # (zip bytes, title) -> ImportReport
    sample_label: str
    sample: Callable              # () -> (zip bytes, title) of the bundled sample
    classes_tab: str              # the class-by-class tab's title
    placeholder: str              # an example class name
    capture: Callable             # capture(classes, place) -> [(file name, file)]: draws the widgets for
                                  # the next examples of one class (their keys change once they are added)
    example_limit: str            # the UPLOAD_LIMITS_MB kind of one captured example
    add_label: str                # the button that adds the captured examples to the named class
    nothing_captured: str         # the error when that button is pressed with no example
    import_classes: Callable      # ({class name: [(file name, bytes)]}, title) -> ImportReport
    classes_title: str            # the title of a set given class by class


@dataclass(frozen=True)
class TeachSpec:
    """What one lab's teach flow says and does; the flow (teach_ui) is the same for every lab."""
    task: str                     # the lab ("image", "audio", "text"): its model picker gets the model
    prefix: str                   # of the flow's state and widget keys: "<prefix>_import", "<prefix>_run" ...
    heading: str
    intro: str                    # markdown: what to give, and what the studio does with it
    noun: str                     # the examples, plural: "photos", "clips", "texts"
    spinner: str                  # while they are imported
    examples: ClassFolders | Callable  # where they come from: class folders, or examples(spec) drawing its own
    settings: Callable            # settings(report) -> RunConfig fields: draws the lab's training knobs
    launch_label: str
    try_label: str                # the button that selects the taught model in the picker above
    validation_split: float = 0.2

    def key(self, name: str) -> str:
        return f"{self.prefix}_{name}"


def teach_ui(spec: TeachSpec) -> None:
    st.divider()
    st.subheader(spec.heading)
    st.markdown(spec.intro)
    if isinstance(spec.examples, ClassFolders):
        class_folders_ui(spec, spec.examples)
    else:
        spec.examples(spec)
    report = import_outcome_ui(spec.key("import"), spec.noun)
    if report:
        settings_ui(spec, report)
    taught_run_ui(st.session_state.get(spec.key("run")), spec.try_label, spec.task)


def import_ui(spec: TeachSpec, do_import) -> None:
    """Import the examples now; the outcome (a report or why not) is kept for teach_ui to show."""
    import_examples(spec.key("import"), do_import, spec.spinner)


# -- examples as class folders ----------------------------------------------------------------------

def class_folders_ui(spec: TeachSpec, folders: ClassFolders) -> None:
    zip_tab, classes_tab = st.tabs(["🗜️ A zip of class folders", folders.classes_tab])
    with zip_tab:
        file = limited_uploader(folders.zip_label, folders.zip_limit, type=["zip"], key="teach_zip")

        def use_zip(name: str, data: bytes) -> None:
            import_ui(spec, lambda: folders.import_zip(data, name.rsplit(".", 1)[0]))
        use_new_file_ui(file, "teach_zip", use_zip, limit=folders.zip_limit, forget=spec.key("import"))
        if st.button(folders.sample_label, key="teach_sample"):
            import_ui(spec, lambda: folders.import_zip(*folders.sample()))
    with classes_tab:
        classes_ui(spec, folders)


def classes_ui(spec: TeachSpec, folders: ClassFolders) -> None:
    """Name a class, capture its examples, add them; repeat; then use the classes."""
    classes: dict = st.session_state.setdefault(spec.key("classes"), {})
    cols = st.columns([2, 3])
    name = cols[0].text_input("Class name", key=spec.key("class_name"), placeholder=folders.placeholder)
    captured = folders.capture(classes, cols[1])
    if st.button(folders.add_label, key=spec.key("add")):
        add_examples_ui(classes, name.strip(), captured, folders)
    if not classes:
        return
    st.markdown(" · ".join(f"**{k}**: {len(v)} {spec.noun}" for k, v in classes.items()))
    left, right = st.columns(2)
    if left.button("Use these classes", key=spec.key("use"), type="primary"):
        import_ui(spec, lambda: folders.import_classes(dict(classes), folders.classes_title))
    if right.button("Start over", key=spec.key("clear")):
        classes.clear()
        st.rerun()


def add_examples_ui(classes: dict, name: str, captured: list, folders: ClassFolders) -> None:
    """Add the captured examples to class `name`, or say why not (nothing is read from a file that
    is over its limit; unreadable ones are left out, and counted, when the classes are used)."""
    too_large = [error for _, file in captured if (error := over_limit(file, folders.example_limit))]
    if too_large:
        st.error(" ".join(too_large))
    elif not name:
        st.error("Give the class a name first.")
    elif not captured:
        st.error(folders.nothing_captured)
    else:
        classes.setdefault(name, []).extend((file_name, file.getvalue()) for file_name, file in captured)
        st.rerun()


# -- training ---------------------------------------------------------------------------------------

def settings_ui(spec: TeachSpec, report) -> None:
    """The lab's knobs, a batch size that fits the data, and the button that launches the run."""
    from core.inference import fitting_batch_size
    from core.training import RunConfig
    fields = spec.settings(report)
    batch_size, note = fitting_batch_size(report.dataset_key, fields.get("dataset_params"), spec.validation_split)
    if note:
        st.info(note, icon="ℹ️")
    if st.button(spec.launch_label, key=spec.key("launch"), type="primary"):
        config = RunConfig(dataset=report.dataset_key, optimizer="adam", batch_size=batch_size,
                           validation_split=spec.validation_split, **fields)
        start_run_ui(config, spec.key("run"))
