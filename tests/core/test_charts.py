"""Text figures: highlighted text stays text (never markup), attention heatmaps label every token."""
import numpy as np

from core import charts


def test_highlighted_text_escapes_what_the_user_typed():
    text = "<script>alert('x')</script> I <b>love</b> it & hate it"
    start = text.index("love")
    out = charts.highlighted_text_html(text, [(start, start + 4, 2.0), (text.index("hate"), text.index("hate") + 4, -1.0)])
    assert "<script>" not in out and "&lt;script&gt;" in out and "&lt;b&gt;" in out and "&amp;" in out
    assert 'rgba(22,163,74,0.75); border-radius: 4px; padding: 1px 2px">love</span>' in out  # strongest: full green
    assert 'rgba(220,38,38,0.38); border-radius: 4px; padding: 1px 2px">hate</span>' in out  # half, red


def test_attention_figure_labels_every_token_and_spans_the_weights():
    weights = np.array([[0.7, 0.3], [0.2, 0.8]])
    fig = charts.attention_figure(weights, ["uno", "mil"], ["one", "thousand"], "t", "es", "en")
    heatmap = fig.data[0]
    assert list(heatmap.x) == ["one ·1", "thousand ·2"] and list(heatmap.y) == ["uno ·1", "mil ·2"]
    assert heatmap.zmin == 0.2 and heatmap.zmax == 0.8
