"""The sketcher's guided path: one pure judge per step (demos/lessons/paths/sketcher.yaml), and the
one measurement the page's run makes for them from an attribution map (`top_share`).

A run's result is plain values, made by the page from what it just read on the canvas:
`cnn`, `mlp` (10 probabilities each), and `cnn_top_share` / `mlp_top_share`, each model's share of the push
towards its own answer that integrated gradients puts in the top quarter of the digit.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from core.guide import Judgement, need, top

TOP = 0.25  # the top quarter of the ink's height: where a 7's bar (and a 1's serif) lies


def top_share(attributions: np.ndarray, box: tuple[int, int, int, int], fraction: float = TOP) -> float:
    """Attributions (H, W) on the ink's pixels and the ink's bounding box (top, left, bottom, right)
    -> the share of the positive push (towards the answer) that lies in the box's top `fraction`
    of rows (0 when nothing pushed towards it)."""
    push = np.clip(np.asarray(attributions, np.float64), 0, None)
    total = float(push.sum())
    if total <= 0:
        return 0.0
    cut = box[0] + fraction * (box[2] - box[0])
    return float(push[: int(np.ceil(cut))].sum() / total)


def _reads(result: Mapping, kind: str) -> tuple[int, float]:
    """(the digit model `kind` reads, how sure it is)."""
    probabilities = [float(p) for p in result[kind]]
    digit = top(probabilities)
    return digit, probabilities[digit]


def _readings(result: Mapping) -> dict:
    need(result, "cnn", "mlp")
    (cnn, cnn_sure), (mlp, mlp_sure) = _reads(result, "cnn"), _reads(result, "mlp")
    return {"cnn": cnn, "cnn_sure": cnn_sure, "mlp": mlp, "mlp_sure": mlp_sure}


def _who(cnn_ok: bool, mlp_ok: bool) -> str:
    return {(True, True): "both", (True, False): "cnn", (False, True): "mlp", (False, False): "neither"}[(cnn_ok, mlp_ok)]


def more_confident(result: Mapping) -> Judgement:
    """Which model is surer of its own answer (the CNN on a tie)."""
    facts = _readings(result)
    return Judgement("mlp" if facts["mlp_sure"] > facts["cnn_sure"] else "cnn", facts)


def fooled_by_serif(result: Mapping) -> Judgement:
    """Which models read something other than a 1."""
    facts = _readings(result)
    return Judgement(_who(facts["cnn"] != 1, facts["mlp"] != 1), facts)


def _where(result: Mapping, kind: str) -> Judgement:
    need(result, "cnn", "mlp", "cnn_top_share", "mlp_top_share")
    share = float(result[f"{kind}_top_share"])
    shares = {"cnn_top": float(result["cnn_top_share"]), "mlp_top": float(result["mlp_top_share"])}
    return Judgement("top" if share > 0.5 else "lower", {**_readings(result), **shares, "share": share, "rest": 1 - share})


def mlp_push_where(result: Mapping) -> Judgement:
    """Whether most of the MLP's push towards its answer lies in the top quarter of the digit."""
    return _where(result, "mlp")


def cnn_push_where(result: Mapping) -> Judgement:
    """Whether most of the CNN's push towards its answer lies in the top quarter of the digit."""
    return _where(result, "cnn")


def still_seven(result: Mapping) -> Judgement:
    """Which models still read a 7."""
    facts = _readings(result)
    return Judgement(_who(facts["cnn"] == 7, facts["mlp"] == 7), facts)


def nines_read(result: Mapping) -> Judgement:
    """How many of the two models read a 9: "two", "one" or "none"."""
    facts = _readings(result)
    count = (facts["cnn"] == 9) + (facts["mlp"] == 9)
    return Judgement(("none", "one", "two")[count], facts)
