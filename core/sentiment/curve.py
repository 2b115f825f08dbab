"""The learning curve as a figure: accuracy against the number of training labels, for the model
trained from scratch and the transfer model (numbers from `python -m train.sentiment curve`, read by
`core.sentiment.models.learning_curve`). matplotlib is imported with this module, on first use.
`figure_bytes` saves it for a download: PNG, or SVG (matplotlib's vector form: each curve one path)."""

from __future__ import annotations

import io

from matplotlib import rc_context
from matplotlib.figure import Figure

from core.sentiment.words import NAMES


def curve_figure(curve: dict | None) -> Figure:
    """The learning-curve results ({"test_set", "points": [{"model", "labels", "accuracy"}]}) -> a Figure."""
    plot = Figure(figsize=(6.4, 3.8), layout="constrained")
    axes = plot.add_subplot()
    if not curve:
        axes.text(0.5, 0.5, "Not measured yet:\npython -m train.sentiment curve", ha="center", va="center")
        axes.set_axis_off()
        return plot
    for model, style in (("scratch", "o-"), ("transfer", "s-")):
        points = sorted((p["labels"], p["accuracy"]) for p in curve["points"] if p["model"] == model)
        if points:
            axes.plot(*zip(*points), style, label=NAMES[model], gid=f"curve-{model}")  # gid: the SVG's <g id> of this curve
    axes.set_xscale("log")
    axes.set_xlabel("training labels (SST-2 phrases)")
    axes.set_ylabel(f"accuracy on {curve.get('test_set', 'the test set')}")
    axes.axhline(0.5, color="grey", lw=0.8, ls=":")
    axes.grid(alpha=0.3)
    axes.legend()
    return plot


def figure_bytes(figure: Figure, kind: str) -> bytes:
    """The figure saved as "png" (at 100 dpi: figsize x 100 pixels) or "svg"; the same figure gives the same bytes
    (no date in the SVG's metadata, and the SVG's element ids come from a fixed salt)."""
    if kind not in ("png", "svg"):
        raise ValueError(f"a figure is saved as png or svg, not {kind!r}")
    metadata = {"Date": None} if kind == "svg" else {"Software": None}
    with io.BytesIO() as buffer, rc_context({"svg.hashsalt": "learning-curve"}):
        figure.savefig(buffer, format=kind, dpi=100, metadata=metadata)
        return buffer.getvalue()
