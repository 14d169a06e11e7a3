"""Plotly figures shared by the pages: training curves, confusion matrices, data previews.

Pure functions from data to `plotly.graph_objects.Figure`, so they are tested without a browser.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.formatting import metric_label

TRAIN_COLOR, VAL_COLOR = "#1f77b4", "#ff7f0e"
METRIC_TITLES = {"loss": "Loss", "accuracy": "Accuracy"}


def _layout(fig: go.Figure, title: str, height: int = 320) -> go.Figure:
    # The legend sits at the bottom of the figure (container coordinates: Plotly grows the bottom
    # margin to fit it, below the x-axis title): above the plot, a legend of long run names
    # wrapped onto the title and hid it.
    fig.update_layout(title=dict(text=title, automargin=True, yref="container", y=0.98, yanchor="top"),
                      height=height, margin=dict(l=10, r=10, t=40, b=10),
                      legend=LEGEND_BELOW)
    return fig


LEGEND_BELOW = dict(orientation="h", yref="container", y=0, yanchor="bottom", xanchor="left", x=0)
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def decade_label(power: int) -> str:
    """10**power as people read it: '0.01', '1', '1,000' near 1, '10⁻⁵' or '10⁶' further out."""
    if -2 <= power <= 3:
        return f"{10.0 ** power:,.{max(0, -power)}f}"
    return "10" + str(power).translate(SUPERSCRIPT)


def one_digit(value: float) -> str:
    """A value on a log chart to one significant digit: 0.3 -> '0.3', 0.00004 -> '4×10⁻⁵' (not '4e-05')."""
    mantissa, exponent = f"{value:.0e}".split("e")
    if -2 <= int(exponent) <= 3:
        return f"{float(f'{value:.1g}'):g}"
    return f"{mantissa}×10{str(int(exponent)).translate(SUPERSCRIPT)}"


def log_axis(values, headroom: float = 0.0) -> dict:
    """A log axis with a few round labels: powers of ten, over the whole decades that hold `values`;
    for data within about a decade, a few round values (1, 2, 5 times a power of ten) instead.

    Left to itself Plotly labels the minor ticks of a log axis too ('2', '5', or every digit when
    the data spans a decade or less), and they piled up into '1 9 8 7 …'. `headroom`: extra room
    above the data, in decades (for bar labels printed above the bars)."""
    positive = [float(v) for v in np.ravel(np.asarray(values, dtype=float)) if np.isfinite(v) and v > 0]
    if not positive:
        return dict(type="log")
    bottom, top = np.log10(min(positive)), np.log10(max(positive))
    if top - bottom < 0.9:
        return _round_log_axis(bottom, top + headroom)
    low, high = int(np.floor(bottom)), int(np.ceil(top + headroom))
    powers = list(range(low, high + 1))
    shown = powers[::int(np.ceil(len(powers) / 8))]  # at most about 8 labels, however many decades
    return dict(type="log", range=[low, high], tickmode="array", tickvals=[10.0 ** k for k in shown],
                ticktext=[decade_label(k) for k in shown])


def _round_log_axis(bottom: float, top: float) -> dict:
    """Data within a decade: pad it a little and label 1, 2 and 5 times powers of ten in the range
    (each digit's, then each tenth's multiples if that leaves fewer than two), at most five labels."""
    pad = max(0.05, 0.15 * (top - bottom))
    low, high = bottom - pad, top + pad
    for steps in ((1, 2, 5), tuple(range(1, 10)), tuple(np.arange(10, 100) / 10)):
        values = [k * 10.0 ** e for e in range(int(np.floor(low)), int(np.ceil(high)) + 1) for k in steps
                  if low <= np.log10(k * 10.0 ** e) <= high]
        if len(values) >= 2:
            break
    values = values[::int(np.ceil(len(values) / 5))] if values else values
    return dict(type="log", range=[low, high], tickmode="array", tickvals=values,
                ticktext=[f"{v:,.0f}" if v >= 1000 else f"{v:.3g}" for v in values])


def curves_figure(metrics: pd.DataFrame, metric: str = "loss", steps_per_epoch: int | None = None) -> go.Figure:
    """Train vs validation curve of `metric` against epochs.

    Faint dots: running batch means inside each epoch (so the curve moves before the first epoch
    ends); solid lines: end-of-epoch values for training and validation.
    """
    fig = go.Figure()
    batch = metrics[(metrics.kind == "batch") & (metrics.name == metric)]
    if len(batch) and steps_per_epoch:
        fig.add_trace(go.Scatter(x=batch.step / steps_per_epoch, y=batch.value, mode="markers",
                                 name="training (within epoch)", opacity=0.35,
                                 marker=dict(color=TRAIN_COLOR, size=5)))
    for name, label, color in ((metric, "training", TRAIN_COLOR), ("val_" + metric, "validation", VAL_COLOR)):
        rows = metrics[(metrics.kind == "epoch") & (metrics.name == name)]
        if len(rows):
            fig.add_trace(go.Scatter(x=rows.epoch, y=rows.value, mode="lines+markers", name=label,
                                     line=dict(color=color, width=3)))
    fig.update_xaxes(title="epoch", rangemode="tozero")
    fig.update_yaxes(title=METRIC_TITLES.get(metric, metric_label(metric)))
    return _layout(fig, METRIC_TITLES.get(metric, metric_label(metric)))


def overlay_figure(curves: dict[str, pd.DataFrame], metric: str, x: str = "epoch") -> go.Figure:
    """One line per run for epoch-level `metric`; x is 'epoch' or 'time' (seconds)."""
    fig = go.Figure()
    for label, metrics in curves.items():
        rows = metrics[(metrics.kind == "epoch") & (metrics.name == metric)]
        if len(rows):
            fig.add_trace(go.Scatter(x=rows[x], y=rows.value, mode="lines+markers", name=label))
    fig.update_xaxes(title="epoch" if x == "epoch" else "seconds of training")
    fig.update_yaxes(title=metric_label(metric))
    return _layout(fig, f"{metric_label(metric)} by " + ("epoch" if x == "epoch" else "seconds of training"),
                   height=380)


def confusion_figure(matrix, class_names: list[str]) -> go.Figure:
    matrix = np.asarray(matrix)
    fig = px.imshow(matrix, x=class_names, y=class_names, text_auto=True, color_continuous_scale="Blues",
                    labels=dict(x="predicted", y="true", color="examples"), aspect="auto")
    fig.update_xaxes(type="category", side="bottom")
    fig.update_yaxes(type="category")
    return _layout(fig, "Confusion matrix (test set)", height=max(320, 36 * len(class_names) + 120))


def per_class_figure(per_class_accuracy: list, class_names: list[str]) -> go.Figure:
    values = [np.nan if v is None else v for v in per_class_accuracy]
    fig = px.bar(x=class_names, y=values, labels=dict(x="class", y="accuracy"), range_y=[0, 1],
                 text=[f"{v:.0%}" if v == v else "" for v in values])
    fig.update_xaxes(type="category")
    return _layout(fig, "Accuracy per class (test set)")


def class_counts_figure(counts: dict[str, int]) -> go.Figure:
    fig = px.bar(x=list(counts), y=list(counts.values()), labels=dict(x="class", y="examples"),
                 text=list(counts.values()))
    fig.update_xaxes(type="category")
    return _layout(fig, "Examples per class", height=280)


def image_grid_figure(images: np.ndarray, titles: list[str], columns: int = 8, width: int = 720) -> go.Figure:
    """A grid of sample images (N, H, W, C uint8), each titled with its label, drawn as one picture.

    One picture, not a facet per image: each facet kept its own square aspect inside a cell of fixed
    height, so a wide empty band opened between rows, and every facet drew tick marks under its tile.
    `width`: about how wide the chart will be on the page (px), to size its height to the tiles."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    # Tiny tiles (a 2x2 feature map) grown to at least 24 pixels, pixel by pixel: the spacing
    # between tiles is a share of a tile, and rounding it to whole pixels of a 2x2 tile doubled it.
    grow = int(np.ceil(24 / min(images.shape[1:3])))
    images = images.repeat(grow, axis=1).repeat(grow, axis=2)
    count, height, wide, channels = images.shape
    columns = max(1, min(columns, count))
    rows = int(np.ceil(count / columns))
    band = max(2, round(0.3 * height)) if any(titles) else 0  # room for each tile's title, above it
    gap = max(1, round(0.08 * wide))
    cell_h, cell_w = height + band + gap, wide + gap
    canvas = np.full((rows * cell_h - gap, columns * cell_w - gap, channels), 255, np.uint8)
    for index, image in enumerate(images):
        top, left = (index // columns) * cell_h + band, (index % columns) * cell_w
        canvas[top:top + height, left:left + wide] = image
    fig = px.imshow(canvas[..., 0] if channels == 1 else canvas, binary_string=True)
    for index, title in enumerate(titles[:count]):
        if title:
            fig.add_annotation(x=(index % columns) * cell_w + wide / 2, y=(index // columns) * cell_h + band / 2,
                               text=title, showarrow=False, font=dict(size=11))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_traces(hoverinfo="skip", hovertemplate=None)
    scale = width / canvas.shape[1]  # px per canvas pixel once the picture spans the chart
    return _layout(fig, "Sample images", height=int(canvas.shape[0] * scale) + 50)


def scatter_figure(points: np.ndarray, labels: list[str]) -> go.Figure:
    fig = px.scatter(x=points[:, 0], y=points[:, 1], color=labels, labels=dict(x="x₁", y="x₂", color="class"),
                     opacity=0.75)
    fig.update_yaxes(scaleanchor="x")
    return _layout(fig, "The points to separate", height=380)


def top_k_figure(top: list[tuple[str, float]]) -> go.Figure:
    """Horizontal probability bars, most likely class on top."""
    labels = [label for label, _ in top][::-1]
    values = [p for _, p in top][::-1]
    fig = px.bar(x=values, y=labels, orientation="h", range_x=[0, 1], text=[f"{p:.1%}" for p in values],
                 labels=dict(x="probability", y=""))
    fig.update_yaxes(type="category")
    return _layout(fig, "Top classes", height=60 + 48 * len(top))


# -- audio ----------------------------------------------------------------------------------------

def waveform_figure(samples: np.ndarray, sample_rate: int, words=(), max_points: int = 4000,
                    plot_px: int = 640, char_px: int = 7) -> go.Figure:
    """The clip's waveform (min/max envelope when long), with recognised words as labelled bands.

    Every word gets its band; a word's label is written only where it fits after the previous
    label (on a plot about `plot_px` wide, `char_px` a character), so a long clip's words never
    pile into a smear: the table below the chart lists them all."""
    n = len(samples)
    step = max(1, n // max_points)
    usable = samples[: n - n % step].reshape(-1, step) if step > 1 else samples[:, None]
    t = np.arange(len(usable)) * step / sample_rate
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=np.concatenate([t, t[::-1]]),
                             y=np.concatenate([usable.max(axis=1), usable.min(axis=1)[::-1]]),
                             fill="toself", mode="lines", line=dict(color=TRAIN_COLOR, width=1),
                             name="waveform", hoverinfo="skip"))
    seconds_per_px = max(n / sample_rate, 1e-9) / plot_px
    free_from = -1.0  # where the next label may start (seconds)
    for i, word in enumerate(words):
        # A word with a probability (Whisper) is coloured by it, red (a guess) to green (sure).
        probability = getattr(word, "probability", None)
        colour = (VAL_COLOR if i % 2 else "#2ca02c") if probability is None else _confidence_colour(probability)
        fits = word.start >= free_from
        if fits:
            free_from = word.start + (len(word.text) + 1) * char_px * seconds_per_px
        fig.add_vrect(x0=word.start, x1=word.end, fillcolor=colour,
                      opacity=0.18 if probability is None else 0.35, line_width=0,
                      annotation_text=word.text if fits else None, annotation_position="top left")
    fig.update_xaxes(title="time (s)", range=[0, n / sample_rate])
    fig.update_yaxes(title="amplitude", range=[-1.05, 1.05])
    fig.update_layout(showlegend=False)
    return _layout(fig, "Waveform" + (" with the recognised words" if len(words) else ""), height=260)


def _confidence_colour(probability: float) -> str:
    """Red at 0, amber at 0.5, green at 1."""
    p = min(1.0, max(0.0, float(probability)))
    red, green = (214, int(39 + 2 * p * (180 - 39))) if p < 0.5 else (int(214 - 2 * (p - 0.5) * 170), 160)
    return f"rgb({red},{green},40)"


def spectrogram_figure(log_mel: np.ndarray, band_hz: np.ndarray, hop_seconds: float,
                       heat: np.ndarray | None = None, title: str = "Log-mel spectrogram",
                       start_seconds: float = 0.0) -> go.Figure:
    """Time left to right, pitch bottom to top, loudness as colour; optional importance contours."""
    t = start_seconds + np.arange(log_mel.shape[0]) * hop_seconds
    labels = [f"{hz:,.0f} Hz" for hz in band_hz]
    fig = go.Figure(go.Heatmap(z=log_mel.T, x=t, y=labels, colorscale="Magma",
                               colorbar=dict(title="loudness"), zmin=0, zmax=1,
                               hovertemplate="%{x:.2f} s · %{y}<extra></extra>"))
    if heat is not None:
        fig.add_trace(go.Contour(z=heat.T, x=t, y=labels, showscale=False, ncontours=6,
                                 contours=dict(coloring="lines", start=0.2, end=1.0),
                                 line=dict(width=2), colorscale=[[0, "#00e5ff"], [1, "#00ff6a"]],
                                 name="importance", hoverinfo="skip"))
    fig.update_xaxes(title="time (s)")
    fig.update_yaxes(title="frequency (mel bands)", nticks=8)
    _layout(fig, title, height=340)
    fig.update_layout(margin=dict(l=90, r=10, t=50, b=50))  # room for the Hz labels in any theme
    return fig


def probabilities_over_time_figure(times: np.ndarray, probabilities: np.ndarray,
                                   class_names: list[str], hide=("silence",), top: int = 5) -> go.Figure:
    """One line per class that ever wins or comes close; the others would only add noise."""
    shown = [i for i in np.argsort(-probabilities.max(axis=0))[:top] if class_names[i] not in hide]
    fig = go.Figure()
    for i in shown:
        fig.add_trace(go.Scatter(x=times, y=probabilities[:, i], mode="lines+markers", name=class_names[i]))
    fig.update_xaxes(title="time (s), centre of each one-second window")
    fig.update_yaxes(title="probability", range=[0, 1.02])
    return _layout(fig, "What it hears, moment by moment", height=300)


# -- text -----------------------------------------------------------------------------------------

def highlighted_text_html(text: str, spans, scale: float | None = None) -> str:
    """`text` as HTML with each (start, end, weight) span tinted: green positive, red negative.

    The text is escaped, so whatever the user typed shows as text and never as markup. Colour
    strength is |weight| / scale (scale: the largest |weight| unless given).
    """
    import html
    spans = sorted((s, e, w) for s, e, w in spans if e > s)
    scale = scale or max((abs(w) for _, _, w in spans), default=0) or 1.0
    parts, position = [], 0
    for start, end, weight in spans:
        if start < position:
            continue  # overlapping spans: the first wins
        parts.append(html.escape(text[position:start]))
        alpha = min(abs(weight) / scale, 1.0) * 0.75
        rgb = "22,163,74" if weight > 0 else "220,38,38"
        parts.append(f'<span title="{weight:+.3f}" style="background: rgba({rgb},{alpha:.2f}); '
                     f'border-radius: 4px; padding: 1px 2px">{html.escape(text[start:end])}</span>')
        position = end
    parts.append(html.escape(text[position:]))
    body = "".join(parts).replace("\n", "<br>")
    return f'<div style="line-height: 2; font-size: 1.05rem; white-space: pre-wrap">{body}</div>'


def token_bars_figure(tokens: list[str], weights: list[float], title: str) -> go.Figure:
    """Signed horizontal bars per token, strongest on top: the highlight as a chart."""
    order = np.argsort(np.abs(weights))[::-1][:15][::-1]
    values = [weights[i] for i in order]
    fig = go.Figure(go.Bar(x=values, y=[f"{tokens[i]} ·{i + 1}" for i in order], orientation="h",
                           marker_color=["#16a34a" if v > 0 else "#dc2626" for v in values],
                           # No label on a bar too short to see: drawn beside it, it ran into the words.
                           text=[f"{v:+.2f}" if abs(v) >= 0.005 else "" for v in values]))
    fig.update_yaxes(type="category")
    return _layout(fig, title, height=80 + 26 * len(order))


def attention_figure(weights: np.ndarray, rows: list[str], columns: list[str], title: str,
                     row_title: str = "token", column_title: str = "attends to") -> go.Figure:
    """Heatmap of attention weights: row i shows where token i looks (each row sums to 1)."""
    fig = go.Figure(go.Heatmap(z=weights, x=[f"{t} ·{i + 1}" for i, t in enumerate(columns)],
                               y=[f"{t} ·{i + 1}" for i, t in enumerate(rows)], colorscale="Viridis",
                               # Colours span the weights' own range, so small differences show.
                               zmin=float(np.min(weights)) if np.size(weights) else 0,
                               zmax=float(np.max(weights)) if np.size(weights) else 1,
                               colorbar=dict(title="weight"),
                               hovertemplate="%{y} → %{x}: %{z:.2f}<extra></extra>"))
    fig.update_xaxes(title=column_title, type="category", tickangle=-45, automargin=True)
    fig.update_yaxes(title=row_title, type="category", autorange="reversed", automargin=True)
    fig = _layout(fig, title, height=max(320, 160 + 22 * len(rows)))
    # Room for the word labels: the shared layout's 10 px margins would clip them.
    longest = max((len(t) for t in list(rows) + list(columns)), default=4) + 3
    fig.update_layout(margin=dict(l=40 + 7 * longest, b=40 + 6 * longest))
    return fig


def label_counts_figure(counts: dict[str, int], title: str) -> go.Figure:
    colors = {"positive": "#16a34a", "negative": "#dc2626", "neutral": "#9ca3af", "(empty)": "#e5e7eb"}
    fig = px.bar(x=list(counts), y=list(counts.values()), text=[f"{v:,}" for v in counts.values()],
                 labels=dict(x="", y="rows"), color=list(counts),
                 color_discrete_map={k: colors.get(k, "#1f77b4") for k in counts})
    fig.update_xaxes(type="category")
    fig.update_layout(showlegend=False)
    return _layout(fig, title, height=300)


def score_histogram_figure(values, title: str, x_title: str) -> go.Figure:
    fig = px.histogram(x=values, nbins=40, labels=dict(x=x_title, y="rows"))
    return _layout(fig, title, height=300)


# -- principles -----------------------------------------------------------------------------------

OPTIMIZER_COLORS = {"gd": "#e11d48", "sgd": "#f97316", "momentum": "#2563eb", "nesterov": "#7c3aed",
                    "rmsprop": "#059669", "adagrad": "#ca8a04", "adam": "#0f172a", "adamw": "#db2777"}


def optimizer_paths_figure(surface, paths: dict, titles: dict, max_frames: int = 80) -> go.Figure:
    """Contour of the surface with each optimizer's path, animated step by step (play button)."""
    xs, ys, z = surface.grid()
    shown = np.log10(z - z.min() + 1e-3) if surface.log_colors else z
    steps = max(len(p.points) for p in paths.values()) - 1 if paths else 0
    stops = np.unique(np.linspace(0, steps, min(max_frames, steps + 1)).round().astype(int))
    # A plain heatmap: Plotly drops contour traces and smoothed heatmaps while animating.
    contour = go.Heatmap(x=xs, y=ys, z=shown, colorscale="Blues_r", showscale=False, zsmooth=False,
                         hoverinfo="skip")
    minima = go.Scatter(x=[m[0] for m in surface.minima], y=[m[1] for m in surface.minima], mode="markers",
                        marker=dict(symbol="star", size=16, color="gold", line=dict(color="black", width=1)),
                        name="minimum")

    def traces(upto: int):
        out = []
        for key, path in paths.items():
            pts = path.points[:upto + 1]
            out.append(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="lines+markers", name=titles[key],
                                  line=dict(color=OPTIMIZER_COLORS.get(key), width=2.5),
                                  marker=dict(size=[4] * (len(pts) - 1) + [11]),
                                  hovertemplate=f"{titles[key]}<br>x=%{{x:.3f}}, y=%{{y:.3f}}<extra></extra>"))
        return out

    fig = go.Figure(data=[contour, minima] + traces(int(stops[-1]) if len(stops) else 0),
                    frames=[go.Frame(data=traces(int(k)), traces=list(range(2, 2 + len(paths))), name=str(k))
                            for k in stops])
    fig.update_layout(
        # Play/Pause under the x-axis title, the step slider under them: placed in pixels (pad), so
        # neither covers the axis, nor each other, at any width.
        updatemenus=[dict(type="buttons", showactive=False, direction="left", x=0, y=0, xanchor="left",
                          yanchor="top", pad=dict(t=58, r=10),
                          buttons=[dict(label="▶ Play", method="animate",
                                        # redraw: without it Plotly drops the contour mid-animation
                                        args=[None, dict(frame=dict(duration=60, redraw=True),
                                                         transition=dict(duration=0), fromcurrent=False)]),
                                   dict(label="⏸ Pause", method="animate",
                                        args=[[None], dict(mode="immediate", frame=dict(duration=0))])])],
        sliders=[dict(active=len(stops) - 1, x=0, len=1, y=0, yanchor="top", pad=dict(t=100),
                      currentvalue=dict(prefix="step "),
                      steps=[dict(label=str(k), method="animate",
                                  args=[[str(k)], dict(mode="immediate", frame=dict(duration=0, redraw=True))])
                             for k in stops])])
    fig.update_xaxes(range=list(surface.x_range), title="x")
    fig.update_yaxes(range=list(surface.y_range), title="y")
    # The legend sits at the bottom, under the player; on a narrow page it wraps to two entries a
    # row, and Plotly does not grow the margin past the player for it: room for the worst case,
    # the plot itself keeping its height.
    legend_rows = -(-(len(paths) + 1) // 2)  # the paths and the minimum's star
    top, bottom = 60, 170 + 22 * legend_rows  # bottom: ticks, x title, player (to 160 px), legend
    fig = _layout(fig, f"{surface.title}: {surface.formula}", height=top + 400 + bottom)  # 400 px of plot
    fig.update_layout(margin=dict(l=50, r=10, t=top, b=bottom))
    return fig


def loss_per_step_figure(paths: dict, titles: dict, minimum: float) -> go.Figure:
    fig = go.Figure()
    for key, path in paths.items():
        gap = np.maximum(path.losses - minimum, 1e-12)
        fig.add_trace(go.Scatter(y=gap, mode="lines", name=titles[key], line=dict(color=OPTIMIZER_COLORS.get(key))))
    fig.update_yaxes(type="log", title="J − J(minimum)")
    fig.update_xaxes(title="step")
    return _layout(fig, "Distance from the minimum's loss, step by step (log scale)", height=340)


def activations_figure(curves: dict) -> go.Figure:
    """Each activation function (solid) and its slope (dotted): the factor backprop multiplies by."""
    from plotly.subplots import make_subplots
    fig = make_subplots(rows=1, cols=2, subplot_titles=("f(z)", "slope f′(z)"))
    palette = px.colors.qualitative.D3
    for i, (name, (x, y, dy)) in enumerate(curves.items()):
        color = palette[i % len(palette)]
        fig.add_trace(go.Scatter(x=x, y=y, name=name, line=dict(color=color)), row=1, col=1)
        fig.add_trace(go.Scatter(x=x, y=dy, name=f"{name}′", line=dict(color=color, dash="dot"),
                                 showlegend=False), row=1, col=2)
    fig.update_xaxes(title="z (a neuron's weighted input)")
    return _layout(fig, "Activation functions and their slopes", height=340)


def gradient_norms_figure(norms: dict) -> go.Figure:
    """Grouped bars of ‖∂loss/∂W‖ per layer (input side left), one colour per activation, log scale."""
    fig = go.Figure()
    for name, rows in norms.items():
        fig.add_trace(go.Bar(x=[layer for layer, _ in rows], y=[n for _, n in rows], name=name,
                             text=[one_digit(n) for _, n in rows], textposition="outside"))
    fig.update_yaxes(title="gradient norm ‖∂loss/∂W‖",
                     **log_axis([n for rows in norms.values() for _, n in rows], headroom=0.6))
    fig.update_xaxes(title="layer (input → output)", type="category")
    fig.update_layout(barmode="group")
    return _layout(fig, "How much each layer would learn from one batch", height=380)


def scaling_figure(rows: list[dict], x: str, fit: tuple[float, float] | None) -> go.Figure:
    """Validation loss against parameters or compute, log-log, with the fitted power law."""
    xs = np.array([row[x] for row in rows], float)
    ys = np.array([row["best val loss"] for row in rows], float)
    # Labels up and to the right of their points, the last one down and to the left: the fitted
    # line falls from upper left to lower right through the points, so these sides stay clear of it.
    positions = ["top right"] * (len(rows) - 1) + ["bottom left"]
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="markers+text", name="runs", marker=dict(size=11),
                               text=[f"width {row['width']}" for row in rows], textposition=positions,
                               cliponaxis=False))
    if fit and x == "parameters":
        line = np.geomspace(xs.min(), xs.max(), 50)
        fig.add_trace(go.Scatter(x=line, y=fit[0] * line ** fit[1], mode="lines", name=f"L ≈ {fit[0]:.2g}·N^{fit[1]:.2f}",
                                 line=dict(dash="dash")))
    fig.update_xaxes(title="parameters N" if x == "parameters" else "training compute (FLOPs ≈ 6·N·D)",
                     **log_axis(xs))
    fig.update_yaxes(title="best validation loss", **log_axis(ys))
    # Short titles: these two charts sit side by side, and at 1024 px a longer one was cut.
    return _layout(fig, "Validation loss by " + ("model size" if x == "parameters" else "compute"), height=400)


def cost_figure(rows: list[dict]) -> go.Figure:
    from plotly.subplots import make_subplots
    from core.formatting import format_number
    # Memory: what each run's training added (its runner's TensorFlow and data are the same for all).
    # Short subplot titles: a longer one ran into its neighbours at 1024 px.
    fig = make_subplots(rows=1, cols=3, subplot_titles=("training time (s)", "memory added (MB)", "model file (KB)"))
    labels = [f"{row['parameters']:,}" for row in rows]
    for col, key in enumerate(["seconds", "training memory (MB)", "model file (KB)"], start=1):
        fig.add_trace(go.Bar(x=labels, y=[row.get(key) for row in rows], showlegend=False,
                             text=[format_number(row.get(key)) for row in rows]), row=1, col=col)
    fig.update_xaxes(type="category", title="parameters")
    fig = _layout(fig, "What the size costs", height=360)
    fig.update_layout(margin_t=80)  # the figure's title sat on the subplot titles
    return fig


def gan_losses_figure(metrics: pd.DataFrame) -> go.Figure:
    """Generator and discriminator loss per epoch: a tug of war, not a curve that should reach 0."""
    fig = go.Figure()
    rows = metrics[metrics.kind == "epoch"]
    for name, label, color in [("d_loss", "discriminator", VAL_COLOR), ("g_loss", "generator", TRAIN_COLOR)]:
        part = rows[rows.name == name]
        fig.add_trace(go.Scatter(x=part.epoch, y=part.value, mode="lines+markers", name=label,
                                 line=dict(color=color)))
    fig.update_xaxes(title="epoch")
    fig.update_yaxes(title="loss")
    return _layout(fig, "The two networks' losses", height=320)  # the legend names them; longer was cut at 1024 px


def gradient_norms_over_training_figure(records: list[dict], title: str) -> go.Figure:
    """One line per layer: its gradient norm on the probe batch after each epoch (log scale)."""
    fig = go.Figure()
    names = [layer["name"] for layer in records[0]["layers"]] if records else []
    for i, name in enumerate(names):
        fig.add_trace(go.Scatter(x=[r["epoch"] for r in records], y=[r["layers"][i]["grad_norm"] for r in records],
                                 mode="lines+markers", name=name))
    fig.update_yaxes(title="gradient norm", **log_axis([r["layers"][i]["grad_norm"] for r in records
                                                          for i in range(len(names))]))
    fig.update_xaxes(title="epoch")
    return _layout(fig, title, height=340)


def weight_histograms_figure(records: list[dict], layer: str) -> go.Figure:
    """The layer's weight distribution at the first, middle and last recorded epochs."""
    fig = go.Figure()
    picks = sorted({0, len(records) // 2, len(records) - 1}) if records else []
    for k in picks:
        entry = next(item for item in records[k]["layers"] if item["name"] == layer)
        edges = np.asarray(entry["edges"])
        fig.add_trace(go.Scatter(x=(edges[:-1] + edges[1:]) / 2, y=entry["counts"], mode="lines",
                                 line=dict(shape="hvh"), name=f"epoch {records[k]['epoch']}"))
    fig.update_xaxes(title="weight value")
    fig.update_yaxes(title="weights")
    return _layout(fig, f"Weights of {layer} as training goes on", height=320)
