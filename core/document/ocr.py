"""Read the text of a page with PP-OCRv4 (PyPI rapidocr-onnxruntime 1.4.4, ONNX on onnxruntime).

    reader = load_reader()                # the catalogue's "pp_ocrv4" entry; models ship in the wheel
    reading = reader.read(rgb_pixels)     # Reading: lines in reading order, seconds per stage, heat map
    reading.text                          # one row of the page per line of text

Three networks in turn, each timed: detection (DBNet: a map of "how likely is this pixel text",
cut into boxes), direction (is each box upside down?) and recognition (CRNN: the characters of
each box, with a confidence). The detector runs once per page and its map is kept for a "where it
looked" overlay. The lines come back in reading order: rows top to bottom (measured across the
page's own tilt, so a photographed page keeps its rows), left to right within a row. A page
whose lines mostly read upside down is turned round before recognition: its lines are turned,
not detected again.

Speed (benchmarks/ocr.py; an A4 page at 150 dpi is 1,240x1,754 pixels): the detector sees the page
at most DET_SIDE pixels on its long side (RapidOCR's default enlarged nothing but kept the whole
1,248x1,760 page: 3.4 times the pixels, for the same characters read on every bundled example);
lines are recognised REC_BATCH at a time (a batch is padded to its widest line); each network runs
on THREADS threads that sleep between operators instead of spinning (on a shared 2-core machine a
spinning thread holds the core another process was about to use); an upside-down page costs one
detection, not two.

rapidocr-onnxruntime 1.4.4 is chosen over the newer `rapidocr` 2.x/3.x because its wheel carries
the three ONNX models (15 MB): the newer releases download models at run time, which cannot work
offline. It needs OpenCV 4 (opencv-python < 5).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

STAGES = ("detection", "direction", "recognition")
MIN_CONFIDENCE = 0.5        # recognitions below this are dropped (RapidOCR's own default)
FLIP_THRESHOLD = 0.9        # the direction model's confidence needed to call a line upside down
DET_SIDE = 960              # the detector's input, long side at most (PaddleOCR's own default for "max")
REC_BATCH = 4               # lines recognised at once, padded to the widest: 4 cost 25 % less than 6
THREADS = 2                 # per ONNX session: the studio's target machine has 2 cores


@dataclass
class Line:
    text: str
    confidence: float                     # the recogniser's mean character probability, 0..1
    box: list[list[float]]                # four corners (x, y) in the page's pixels, clockwise from top-left
    row: int = 0                          # the reading-order row it belongs to

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        xs, ys = [p[0] for p in self.box], [p[1] for p in self.box]
        return min(xs), min(ys), max(xs), max(ys)


@dataclass
class Reading:
    lines: list[Line]                     # in reading order
    seconds: dict[str, float]             # per stage (STAGES), plus "total"
    size: tuple[int, int]                 # (width, height) of the page read
    probability: np.ndarray | None = None  # uint8 HxW: the detector's text probability, 0..255
    notes: list[str] = field(default_factory=list)
    turned: bool = False                  # read after turning the page round (it was upside down)

    @property
    def text(self) -> str:
        """The page's text: the boxes of one row joined by spaces, one row per line."""
        rows: dict[int, list[str]] = {}
        for line in self.lines:
            rows.setdefault(line.row, []).append(line.text)
        return "\n".join(" ".join(parts) for parts in rows.values())

    def as_dict(self) -> dict:
        return {"text": self.text, "size": list(self.size), "seconds": self.seconds, "notes": self.notes,
                "lines": [{"text": l.text, "confidence": round(l.confidence, 4), "row": l.row,
                           "box": [[round(x, 1), round(y, 1)] for x, y in l.box]} for l in self.lines]}


class DocumentReader:
    """PP-OCRv4 detection, direction and recognition, run stage by stage and timed."""

    def __init__(self, engine, card: dict | None = None):
        self.engine = engine
        self.card = card or {}
        self._lock = threading.Lock()  # one page at a time per reader: ONNX sessions are shared

    def read(self, rgb: np.ndarray) -> Reading:
        started = time.perf_counter()
        with self._lock:
            reading = self._read(rgb)
        reading.seconds["total"] = time.perf_counter() - started
        return reading

    def _read(self, rgb: np.ndarray) -> Reading:
        import cv2
        bgr = cv2.cvtColor(_as_rgb(rgb), cv2.COLOR_RGB2BGR)
        engine, (raw_h, raw_w) = self.engine, bgr.shape[:2]
        img, ratio_h, ratio_w = engine.preprocess(bgr)
        record = {"preprocess": {"ratio_h": ratio_h, "ratio_w": ratio_w}}
        img, record = engine.maybe_add_letterbox(img, record)
        boxes, pred, det_s = self._detect(img)
        probability = _map_to_page(pred, img.shape[:2], record, (raw_h, raw_w))
        seconds = {"detection": det_s, "direction": 0.0, "recognition": 0.0}
        if boxes is None:
            return Reading([], seconds, (raw_w, raw_h), probability)
        crops = engine.get_crop_img_list(img, boxes)
        turned_crops, directions, seconds["direction"] = engine.text_cls(crops)  # turns the lines it is sure of
        flipped = sum(1 for label, score in directions if "180" in label and score > FLIP_THRESHOLD)
        turned = len(directions) >= 3 and flipped > len(directions) / 2
        if turned:  # the page, not a line: every line is turned round, and the boxes with the page
            turned_crops = [cv2.rotate(crop, cv2.ROTATE_180) for crop in crops]
        recognised, seconds["recognition"] = engine.text_rec(turned_crops, False)
        corners = engine._get_origin_points(boxes, record, raw_h, raw_w)
        if turned:
            corners = [_turned_box(box, raw_w, raw_h) for box in corners]
            probability = None if probability is None else np.ascontiguousarray(probability[::-1, ::-1])
        lines = [Line(str(res[0]).strip(), float(res[1]), np.asarray(box, float).tolist())
                 for box, res in zip(corners, recognised) if float(res[1]) >= MIN_CONFIDENCE and str(res[0]).strip()]
        reading = Reading(reading_order(lines), seconds, (raw_w, raw_h), probability)
        if turned:
            reading.turned = True
            reading.notes = ["Most lines read upside down, so the page was turned round (180°) before its lines "
                             "were read; boxes are drawn on the turned page."]
        return reading

    def _detect(self, img: np.ndarray):
        """The detector once: (boxes or None, its probability map at its input size, seconds)."""
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess
        det, started = self.engine.text_det, time.perf_counter()
        # RapidOCR's own "max" mode picks 960, 1,500 or 2,000 from the page's size, ignoring the
        # limit it was given: an A4 page went in whole
        resized = DetPreProcess(DET_SIDE, "max").resize(img)
        if resized is None:
            return None, None, time.perf_counter() - started
        # float32 throughout: RapidOCR's own normalisation goes through float64 (a third of a
        # second on a 2-megapixel page, before its input was capped)
        mean, std = np.asarray(det.mean, np.float32), np.asarray(det.std, np.float32)
        x = ((resized.astype(np.float32) / 255 - mean) / std).transpose(2, 0, 1)[None]
        pred = det.infer(np.ascontiguousarray(x))[0]
        boxes, _ = det.postprocess_op(pred, img.shape[:2])
        boxes = det.filter_tag_det_res(boxes, img.shape[:2])
        found = self.engine.sorted_boxes(boxes) if len(boxes) else None
        return found, pred, time.perf_counter() - started


def _turned_box(box, width: int, height: int) -> list[list[float]]:
    """A box on the page turned round (180°), its corners still clockwise from its new top-left."""
    turned = [[width - float(x), height - float(y)] for x, y in box]
    return turned[2:] + turned[:2]


def _as_rgb(pixels: np.ndarray) -> np.ndarray:
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        return np.repeat(pixels[..., None], 3, axis=2).astype(np.uint8)
    return np.ascontiguousarray(pixels[..., :3].astype(np.uint8))


def _map_to_page(pred, det_shape, record, page_shape) -> np.ndarray | None:
    """The detector's output (at its own input size) laid over the page: padding cut, scaled back."""
    import cv2
    if pred is None:
        return None
    heat = np.asarray(pred, np.float32).reshape(pred.shape[-2:])
    h, w = det_shape
    heat = cv2.resize(heat, (w, h), interpolation=cv2.INTER_LINEAR)
    top = record.get("padding_1", {}).get("top", 0)
    if top:
        heat = heat[top:h - top]
    heat = cv2.resize(heat, (page_shape[1], page_shape[0]), interpolation=cv2.INTER_LINEAR)
    return (np.clip(heat, 0, 1) * 255).astype(np.uint8)


def reading_order(lines: list[Line]) -> list[Line]:
    """Rows top to bottom, left to right within a row, measured along the page's own tilt.

    The tilt is the median slope of the wide boxes' top edges; each box's centre is turned back by
    it, and boxes whose centres lie within half a line height of a row's join that row."""
    if not lines:
        return []
    slopes = [np.arctan2(l.box[1][1] - l.box[0][1], l.box[1][0] - l.box[0][0]) for l in lines
              if _width(l) > 2 * _height(l)]
    angle = float(np.median(slopes)) if slopes else 0.0
    cos, sin = np.cos(-angle), np.sin(-angle)
    centres = []
    for line in lines:
        cx, cy = np.mean([p[0] for p in line.box]), np.mean([p[1] for p in line.box])
        centres.append((cx * cos - cy * sin, cx * sin + cy * cos))
    height = float(np.median([_height(l) for l in lines]))
    order = sorted(range(len(lines)), key=lambda i: centres[i][1])
    rows: list[list[int]] = []
    for i in order:
        if rows and abs(centres[i][1] - np.mean([centres[j][1] for j in rows[-1]])) < 0.5 * height:
            rows[-1].append(i)
        else:
            rows.append([i])
    ordered = []
    for number, row in enumerate(rows):
        for i in sorted(row, key=lambda j: centres[j][0]):
            lines[i].row = number
            ordered.append(lines[i])
    return ordered


def _width(line: Line) -> float:
    return float(np.hypot(line.box[1][0] - line.box[0][0], line.box[1][1] - line.box[0][1]))


def _height(line: Line) -> float:
    return float(np.hypot(line.box[3][0] - line.box[0][0], line.box[3][1] - line.box[0][1]))


# -- the model ------------------------------------------------------------------------------------

def available() -> bool:
    try:
        import cv2  # noqa: F401
        import rapidocr_onnxruntime  # noqa: F401
        return True
    except ImportError:
        return False


def model_files() -> list[Path]:
    import rapidocr_onnxruntime
    return sorted((Path(rapidocr_onnxruntime.__file__).parent / "models").glob("*.onnx"))


_READER: DocumentReader | None = None
_READER_LOCK = threading.Lock()


def load_reader(entry=None, progress=None, **options) -> DocumentReader:
    """The one reader of this process (its three ONNX sessions take about a second to open)."""
    global _READER
    with _READER_LOCK:
        if _READER is None:
            if progress:
                progress(0.2, "Opening the three PP-OCRv4 networks")
            from rapidocr_onnxruntime import RapidOCR
            card = {"title": getattr(entry, "title", "PP-OCRv4"), "file size":
                    f"{sum(p.stat().st_size for p in model_files()) / 2**20:.1f} MB",
                    "networks": ", ".join(p.stem for p in model_files())}
            engine = RapidOCR(rec_batch_num=REC_BATCH)
            _calm_sessions(engine)
            _READER = DocumentReader(engine, card)
            if entry is not None:  # measured, for the catalogue's card: nothing is converted, the ONNX files are read as shipped
                _write_card(entry.cache_path(".card.json"), {"file size": card["file size"], "networks": 3})
        return _READER


def _calm_sessions(engine, threads: int = THREADS) -> None:
    """Reopen the three ONNX sessions on `threads` threads that sleep when idle (RapidOCR's own use
    every core and spin between operators)."""
    import os

    import onnxruntime as ort
    for holder in (engine.text_det.infer, engine.text_cls.infer, engine.text_rec.session):
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 4
        options.intra_op_num_threads = max(1, min(threads, os.cpu_count() or 1))
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        holder.session = ort.InferenceSession(holder.session._model_path, sess_options=options,
                                              providers=["CPUExecutionProvider"])


def _write_card(path: Path, measured: dict) -> None:
    import json
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(measured, indent=2), encoding="utf-8")
    except OSError:  # a read-only data folder: the card just says less
        pass


def character_error_rate(read: str, truth: str, spaces: bool = False) -> float:
    """Edits (insertions, deletions, substitutions) per character of the truth, spaces and
    full-width punctuation aside: the recogniser often drops the space between two words, and a
    Chinese comma reads as a Latin one; neither changes what the text says. `spaces=True` counts
    every lost or extra space too (runs of white space as one)."""
    a, b = (normalise(read), normalise(truth)) if not spaces else (_spaced(read), _spaced(truth))
    if not b:
        return 0.0 if not a else 1.0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1] / len(b)


FULL_WIDTH = str.maketrans("，：；！？（）％￥", ",:;!?()%¥")


def _spaced(text: str) -> str:
    return " ".join(text.translate(FULL_WIDTH).split())


def normalise(text: str) -> str:
    return "".join(text.translate(FULL_WIDTH).split())
