"""Screenshots of every page after a stranger's journey (#14), at 1440x900 and 1024x768, full page.

    python benchmarks/journey_screenshots.py OUT_DIR              # build the runs, start the app, walk, shoot
    python benchmarks/journey_screenshots.py OUT_DIR --data DIR   # reuse a data directory built before

It builds the journey's data directory (tests/browser/journey_data.py: runs of every kind),
starts `streamlit run app.py` over it, walks the journey of tests/browser/test_journey.py in one
Chromium session (printing what each page got wrong), then visits every page again through the
sidebar, in the same session, and saves OUT_DIR/<width>x<height>/<nn>-<page>.png. "Full page":
Streamlit scrolls inside its main column, so the window is made as tall as that column first.
After the walk it prints the app's resident memory (the server process and its children, i.e.
with every lab's model the journey loaded: the target is at most 3 GB).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.journey_data import build_journey_data
from tests.browser.test_journey import JOURNEY, Journey, full_page_screenshot, nav, settle, start_server, stop_server

from pages.site import PAGES as SITE_PAGES  # noqa: E402 - the page list app.py draws its navigation from

PAGES = [(spec.url_path or "home", spec.title) for spec in SITE_PAGES]
SIZES = [(1440, 900), (1024, 768)]


def walk(journey: Journey) -> dict[str, list[str]]:
    """The journey's steps; what each page got wrong (a step that broke off counts as a problem)."""
    found = {}
    for step in JOURNEY:
        started = time.perf_counter()
        try:
            problems = list(step(journey))
        except Exception as err:  # noqa: BLE001 - report it and go on to the next page
            problems = [f"{step.__name__}: the step broke off: {str(err)[:600]}"]
        found[step.__name__] = problems
        print(f"{step.__name__:12s} {time.perf_counter() - started:5.0f} s  "
              + ("ok" if not problems else "\n    " + "\n    ".join(problems)), flush=True)
    return found


def shoot(journey: Journey, out: Path) -> list[Path]:
    shots = []
    for width, height in SIZES:
        folder = out / f"{width}x{height}"
        folder.mkdir(parents=True, exist_ok=True)
        journey.page.set_viewport_size({"width": width, "height": height})
        for number, (key, title) in enumerate(PAGES, start=1):
            nav(journey.page, title)
            heading = journey.page.locator("h1").filter(has_text="Model Studio" if key == "home" else title)
            try:  # measured before the page is drawn, the height would be the window's
                heading.first.wait_for(timeout=60_000)
            except Exception:  # noqa: BLE001 - an exception box instead: shoot that
                print(f"{title}: its heading did not appear within 60 s", flush=True)
            settle(journey.page, timeout=30)
            path = folder / f"{number:02d}-{key}.png"
            tall = full_page_screenshot(journey.page, path, width, height)
            print(f"{path}  ({width}x{tall})", flush=True)
            shots.append(path)
    return shots


def app_memory(server) -> str:
    """Resident memory of the Streamlit server (every model the labs loaded lives in it), and of
    any runner processes it started, now."""
    import psutil
    process = psutil.Process(server.pid)
    own = process.memory_info().rss
    children = sum(child.memory_info().rss for child in process.children(recursive=True))
    return f"app server {own / 2**30:.2f} GiB resident (runner processes besides: {children / 2**30:.2f} GiB)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder for the screenshots")
    parser.add_argument("--data", type=Path, help="a data directory built before (default: build one in tmp)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="journey-") as tmp:
        data_dir = args.data or Path(tmp) / "studio-data"
        if not args.data:
            started = time.perf_counter()
            build_journey_data(data_dir, Path(tmp) / "models")
            print(f"data directory built in {time.perf_counter() - started:.0f} s: {data_dir}", flush=True)
        server, url = start_server(data_dir, args.out / "streamlit.log")
        try:
            from playwright.sync_api import sync_playwright
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1600})
                journey = Journey(page, url, data_dir)
                problems = walk(journey)
                print(f"after the walk: {app_memory(server)}", flush=True)
                shoot(journey, args.out)
                print(f"after visiting every page again: {app_memory(server)}", flush=True)
                browser.close()
        finally:
            stop_server(server, data_dir)
    print(f"pages with problems: {sorted(k for k, v in problems.items() if v) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
