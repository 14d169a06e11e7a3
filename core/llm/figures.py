"""Pictures of the language model: next-token candidates, the logit lens, sizes, coloured tokens.

Pure functions from numbers to Plotly figures (or escaped HTML), tested without a browser. The
attention heatmap is core.charts.attention_figure, shared with the Text Lab.
"""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from core.charts import _layout
from core.formatting import format_number, format_percent

KEPT, CUT, CHOSEN = "#2563eb", "#cbd5e1", "#16a34a"
TOKEN_COLOURS = ["#fde68a", "#bfdbfe", "#bbf7d0", "#fecaca", "#ddd6fe", "#fed7aa", "#a5f3fc"]


def next_token_figure(labels: list[str], tempered: list[float], kept: list[bool], raw: list[float],
                      chosen: int | None = None, title: str = "The next token: top candidates") -> go.Figure:
    """Horizontal bars, most likely on top: the probability after temperature, blue where top-k /
    top-p keep the token, grey where they cut it away; the model's own probability in the hover.
    `chosen`: the index of the token that was picked (green)."""
    colours = [CHOSEN if i == chosen else KEPT if k else CUT for i, k in enumerate(kept)]
    text = [format_percent(p) + ("" if k else " · cut") for p, k in zip(tempered, kept)]
    ys = [f"{label} ·{i + 1}" for i, label in enumerate(labels)]
    fig = go.Figure(go.Bar(x=tempered, y=ys, orientation="h", marker_color=colours, text=text,
                           textposition="outside", cliponaxis=False,
                           customdata=[format_percent(p) for p in raw],
                           hovertemplate="%{y}: %{x:.1%} after temperature · model's own %{customdata}"
                                         "<extra></extra>"))
    fig.update_yaxes(type="category", autorange="reversed", automargin=True)
    fig.update_xaxes(title="probability", tickformat=".0%", range=[0, min(1.0, max(tempered, default=1) * 1.25)])
    return _layout(fig, title, height=90 + 24 * len(labels))


def logit_lens_figure(rows: list[list[tuple[str, float]]], title: str) -> go.Figure:
    """One row per layer (first at the top): its top guesses as text, coloured by probability.
    The last row is the model's real answer."""
    depth = len(rows)
    width = max((len(r) for r in rows), default=0)
    z = np.zeros((depth, width))
    text = [["" for _ in range(width)] for _ in range(depth)]
    for layer, row in enumerate(rows):
        for rank, (label, p) in enumerate(row):
            z[layer, rank] = p
            text[layer][rank] = f"{label} {format_percent(p, 0)}"
    fig = go.Figure(go.Heatmap(z=z, x=[f"guess {i + 1}" for i in range(width)],
                               y=[f"layer {i + 1}" for i in range(depth)], text=text, texttemplate="%{text}",
                               colorscale="Blues", zmin=0, zmax=1, colorbar=dict(title="probability"),
                               hovertemplate="%{y}, %{x}: %{text}<extra></extra>"))
    fig.update_yaxes(type="category", autorange="reversed", automargin=True)
    fig.update_xaxes(type="category")
    return _layout(fig, title, height=120 + 22 * depth)


def sizes_figure(names: list[str], parameters: list[int], kinds: list[str]) -> go.Figure:
    """Every model of the studio by parameters on a log axis, largest on top; this one stands out."""
    order = np.argsort(parameters)[::-1]
    colours = {"this model": "#dc2626", "ready-made": "#2563eb", "trained here": "#94a3b8", "imported": "#a855f7"}
    fig = go.Figure(go.Bar(x=[parameters[i] for i in order], y=[names[i] for i in order], orientation="h",
                           marker_color=[colours.get(kinds[i], "#94a3b8") for i in order],
                           text=[format_number(parameters[i]) for i in order], textposition="outside",
                           cliponaxis=False, hovertemplate="%{y}: %{text} parameters<extra></extra>"))
    # room on the right for the largest bar's label (a log axis: the range is in powers of ten)
    fig.update_xaxes(type="log", title="parameters (log scale: each step is 10 times more)",
                     range=[np.log10(max(min(parameters), 1)) - 0.3, np.log10(max(max(parameters), 1)) + 0.5])
    fig.update_yaxes(type="category", autorange="reversed", automargin=True)
    return _layout(fig, "This model beside every other model in the studio", height=120 + 28 * len(names))


def tokens_html(text: str, pieces) -> str:
    """`text` with each token on its own colour, its id on hover (escaped: typed markup stays text)."""
    parts, position = [], 0
    for n, piece in enumerate(pieces):
        start, end = max(piece.start, position), piece.end
        if start > position:
            parts.append(html.escape(text[position:start]))
        if end <= start:   # a token that shares its characters with the previous one (part of one emoji)
            continue
        shown = html.escape(text[start:end]).replace(" ", "&nbsp;")
        parts.append(f'<span title="token {n + 1} · id {piece.id}" style="background: '
                     f'{TOKEN_COLOURS[n % len(TOKEN_COLOURS)]}; border-radius: 3px; padding: 1px 0; '
                     f'margin-right: 1px">{shown}</span>')
        position = end
    parts.append(html.escape(text[position:]))
    body = "".join(parts).replace("\n", "⏎<br>")
    return f'<div style="line-height: 2.1; font-size: 1.05rem; white-space: pre-wrap">{body}</div>'
