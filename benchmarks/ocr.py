"""Document Lab accuracy and speed: character error rate and seconds per page, per stage, on the
bundled examples, clean and photographed.

    python benchmarks/ocr.py            # one read of each of the 6 examples (after a warm-up read)

The examples (assets/make_documents.py) carry their exact text, so the character error rate is
measured, not estimated: edits (insertions, deletions, substitutions) per character of the truth,
spaces and full-width punctuation aside (core.document.ocr.character_error_rate); "+spaces"
counts every lost space as an error too (the recogniser often joins two words). The invoice is an
A4 page at 150 dpi (1,240x1,754 pixels). Targets on 2 cores: CER <= 3 % clean, <= 8 % photographed,
<= 2 s per A4 page at 150 dpi. Say how loaded the machine was when quoting the seconds: "cpu s"
is the processor time the read used (all threads), which a busy machine changes much less than
the wall-clock seconds of the stages.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.document.io import read_document  # noqa: E402
from core.document.ocr import DET_SIDE, REC_BATCH, STAGES, THREADS, character_error_rate, load_reader  # noqa: E402

DOCUMENTS = ROOT / "assets" / "documents"
TARGETS = {"clean": 0.03, "photographed": 0.08}
A4_SECONDS = 2.0


def main() -> None:
    started = time.perf_counter()
    reader = load_reader()
    print(f"models opened in {time.perf_counter() - started:.2f} s; load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores; detector input at most "
          f"{DET_SIDE} px, {REC_BATCH} lines per recognition batch, {THREADS} threads per network")
    warm = read_document((DOCUMENTS / "receipt.png").read_bytes()).pages[0]
    reader.read(warm)  # first calls of every session: not what a page costs
    print(f"{'example':<26}{'pixels':>12}{'CER':>8}{'target':>8}{'+spaces':>9}" + "".join(f"{s:>13}" for s in STAGES)
          + f"{'total s':>10}{'cpu s':>8}")
    worst = {"clean": 0.0, "photographed": 0.0}
    for path in sorted(DOCUMENTS.glob("*.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        for kind, file in truth["files"].items():
            page = read_document((DOCUMENTS / file).read_bytes()).pages[0]
            cpu = time.process_time()
            reading = reader.read(page)
            cpu = time.process_time() - cpu
            cer = character_error_rate(reading.text, "\n".join(truth["lines"]))
            spaced = character_error_rate(reading.text, "\n".join(truth["lines"]), spaces=True)
            worst[kind] = max(worst[kind], cer)
            pixels = f"{page.shape[1]}x{page.shape[0]}"
            print(f"{path.stem + ' (' + kind + ')':<26}{pixels:>12}{cer:>8.2%}{TARGETS[kind]:>8.0%}{spaced:>9.2%}"
                  + "".join(f"{reading.seconds[s]:>13.2f}" for s in STAGES) + f"{reading.seconds['total']:>10.2f}{cpu:>8.2f}"
                  + ("" if cer <= TARGETS[kind] else "  over target"))
    print(f"load average now {os.getloadavg()[0]:.1f}; worst CER: clean {worst['clean']:.2%} (target 3 %), photographed {worst['photographed']:.2%} "
          f"(target 8 %); seconds per A4 page at 150 dpi: the invoice rows (target {A4_SECONDS:.0f} s)")


if __name__ == "__main__":
    main()
