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


# -- layout: legends never over titles, metric names in words --------------------------------------

import pandas as pd  # noqa: E402


def _metrics(names=("loss", "val_loss", "accuracy", "val_accuracy")) -> pd.DataFrame:
    rows = [{"kind": "epoch", "name": n, "epoch": e, "step": e * 10, "time": e * 2.0, "value": 1 / e}
            for n in names for e in (1, 2, 3)]
    return pd.DataFrame(rows)


def _figures():
    runs = {f"A rather long run name number {i} (ab{i}{i})": _metrics() for i in range(5)}
    gan = _metrics(("d_loss", "g_loss"))
    return {
        "curves": charts.curves_figure(_metrics(), "loss"),
        "overlay": charts.overlay_figure(runs, "val_loss", "epoch"),
        "overlay by time": charts.overlay_figure(runs, "val_loss", "time"),
        "gan": charts.gan_losses_figure(gan),
        "gradient norms": charts.gradient_norms_figure({"relu": [("dense", 1e-2)], "sigmoid": [("dense", 1e-5)]}),
        "scaling": charts.scaling_figure([{"parameters": 100, "best val loss": 1.0, "width": 4},
                                          {"parameters": 1000, "best val loss": 0.5, "width": 16}],
                                         "parameters", (3.0, -0.2)),
        "activations": charts.activations_figure({"relu": (np.array([-1.0, 1.0]), np.array([0.0, 1.0]),
                                                           np.array([0.0, 1.0]))}),
    }


def test_every_legend_sits_below_the_plot_not_over_the_title():
    for name, fig in _figures().items():
        legend, title = fig.layout.legend, fig.layout.title
        # Container coordinates at y=0: the bottom edge of the figure, where Plotly makes room for it.
        assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom"), name
        assert title.yref == "container" and title.y > 0.9 and title.automargin, name


def test_metric_names_on_charts_are_words():
    figs = _figures()
    overlay = figs["overlay"]
    assert overlay.layout.yaxis.title.text == "Validation loss"
    assert overlay.layout.title.text == "Validation loss by epoch"
    assert figs["overlay by time"].layout.title.text == "Validation loss by seconds of training"
    for name, fig in figs.items():
        shown = [fig.layout.title.text, fig.layout.yaxis.title.text] + [t.name for t in fig.data if t.name]
        assert not any("_" in str(text) for text in shown), (name, shown)


def test_the_optimizer_player_sits_under_the_axis_in_pixels():
    from core.principles.playground import walk
    from core.principles.surfaces import SURFACES
    surface = SURFACES["bowl"]
    paths = {"gd": walk(surface, "gd", 0.1, 20, {}, surface.start, 0.0)}
    fig = charts.optimizer_paths_figure(surface, paths, {"gd": "Gradient descent"})
    menu, slider = fig.layout.updatemenus[0], fig.layout.sliders[0]
    # Anchored at the plot's bottom edge and pushed down by a fixed pad: below the tick labels and
    # the x title at every figure width (a fraction of the plot height put them over the x title).
    assert (menu.y, menu.yanchor, slider.y, slider.yanchor) == (0, "top", 0, "top")
    assert menu.pad.t >= 50 and slider.pad.t >= 50
    assert slider.pad.t >= menu.pad.t + 40  # the slider under the buttons, not beside them
    # Room under the player for a legend wrapped two entries a row (gd + the minimum: one row).
    assert fig.layout.margin.b >= 160 + 22 and fig.layout.height - fig.layout.margin.t - fig.layout.margin.b == 400
    seven = {k: paths["gd"] for k in ("gd", "sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")}
    bigger = charts.optimizer_paths_figure(surface, seven, {k: k for k in seven})
    assert bigger.layout.margin.b >= 160 + 4 * 22 and bigger.layout.height - fig.layout.height == 3 * 22


def test_an_image_grid_is_one_picture_with_no_ticks_and_rows_close_together():
    images = np.zeros((16, 8, 8, 1), np.uint8)
    fig = charts.image_grid_figure(images, [str(i) for i in range(16)], columns=8, width=800)
    assert len(fig.data) == 1  # one picture: a facet per tile gave each its own ticks and spacing
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert [a.text for a in fig.layout.annotations] == [str(i) for i in range(16)]
    # 2 rows of 8x8 tiles (grown to 24x24) with a title band: the height follows the tiles' width
    canvas_height, canvas_width = 2 * (24 + 7 + 2) - 2, 8 * (24 + 2) - 2
    assert fig.layout.height == int(canvas_height * 800 / canvas_width) + 50
    untitled = charts.image_grid_figure(images, [""] * 16, columns=8, width=800)
    assert not untitled.layout.annotations and untitled.layout.height < fig.layout.height


def test_log_axes_are_labelled_at_powers_of_ten_only():
    axis = charts.log_axis([0.0012, 0.094])  # Plotly labelled the minor ticks too
    assert axis["range"] == [-3, -1] and axis["ticktext"] == ["10⁻³", "0.01", "0.1"]
    narrow = charts.log_axis([2.21, 2.30])  # within a decade: a few round values around the data
    assert 2 <= len(narrow["tickvals"]) <= 5 and narrow["range"][0] < np.log10(2.21) < np.log10(2.30) < narrow["range"][1]
    assert narrow["ticktext"] == ["2", "2.2", "2.4"]  # not "1" and "10", a decade around the points
    assert [charts.one_digit(v) for v in (4.2e-5, 0.31, 2.0, 1500.0)] == ["4×10⁻⁵", "0.3", "2", "2000"]
    wide = charts.log_axis([1e-9, 3.0, 0.0, float("nan")])  # zero and nan cannot sit on a log axis
    assert wide["ticktext"][0] == "10⁻⁹" and len(wide["ticktext"]) <= 10 and wide["range"] == [-9, 1]
    fig = charts.scaling_figure([{"parameters": 330, "best val loss": 0.4, "width": 4, "training FLOPs": 1e9},
                                 {"parameters": 8970, "best val loss": 0.2, "width": 64, "training FLOPs": 3e10}],
                                "parameters", (2.0, -0.2))
    assert list(fig.layout.xaxis.ticktext) == ["100", "1,000", "10⁴"]
    assert list(fig.data[0].textposition) == ["top right", "bottom left"]  # clear of the fitted line


def test_word_labels_on_a_long_clip_never_overlap_and_every_word_keeps_its_band():
    """Issue 22 item 10: on a 27 s clip the words' labels piled into a smear."""
    from types import SimpleNamespace
    words = [SimpleNamespace(text=f"word{i}", start=i * 0.35, end=i * 0.35 + 0.3, probability=0.9) for i in range(77)]
    figure = charts.waveform_figure(np.zeros(27 * 16000, np.float32), 16000, words)
    bands = [shape for shape in figure.layout.shapes]
    labels = [a for a in figure.layout.annotations if a.text and a.text.startswith("word")]
    assert len(bands) == 77 and 5 < len(labels) < 77
    placed = sorted((a.x, a.text) for a in labels)
    for (x, text), (next_x, _) in zip(placed, placed[1:]):  # a label's width in seconds on a 640-pixel plot
        assert next_x - x >= (len(text) + 1) * 7 * 27 / 640 - 1e-9
    short = charts.waveform_figure(np.zeros(3 * 16000, np.float32), 16000, words[:3])
    assert len([a for a in short.layout.annotations if a.text]) == 3  # a short clip keeps every label
