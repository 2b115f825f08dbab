"""The small GAN's guided path: one pure judge per step (the steps' words are
demos/lessons/paths/gan.yaml), and the measure of a generated digit that one of them reads.

A judge takes the run's result, plain numbers the page made from what it just computed (the judge
CNN's readings of generated digits, the toy GAN's last frame), and returns the answer this run made
true with the facts the reveal quotes. numpy only: no model is needed to judge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from core.errors import UserError
from core.guide import Judgement, need

INK = 0.5  # a pixel is ink when its grey level is above this
NEARLY_ALL = 0.9  # the judge CNN agrees with "nearly all" digits when it reads at least this share as asked
ONE_HAND = 1.6  # ten digits share a handwriting when the thickest stroke is under this many times the thinnest
FAR_APART = 2.0  # ... and are far apart from this ratio on
COLLAPSED = 0.25  # a toy GAN has collapsed when its points cover at most this share of the modes
SPREAD = 0.75  # ... and covers most of them from this share on


# ---------- a measure of a digit, made by the page from what it generated ----------


def stroke_width(image) -> float:
    """A digit's mean stroke width in pixels: twice its ink's area over its outline's length.

    A stroke of width w and length L has area w·L and an outline about 2·L long, whatever its shape,
    so 2 · area / outline is w. (H, W) grey levels in [0, 1] in; 0 when there is no ink.
    """
    ink = np.asarray(image, np.float64) > INK
    framed = np.pad(ink, 1)  # ink touching the border has an edge there too
    outline = (framed[:, 1:] != framed[:, :-1]).sum() + (framed[1:] != framed[:-1]).sum()
    return float(2 * ink.sum() / outline) if outline else 0.0


# ---------- the judges, one per step ----------


def read_as_asked(result: Mapping) -> Judgement:
    """How many of the generated digits the judge CNN reads as the class they were asked for."""
    result = need(result, "asked", "readings")
    asked, readings = list(result["asked"]), list(result["readings"])
    if not asked or len(asked) != len(readings):
        raise UserError("This run has no readings to judge: run the step again.")
    agree = sum(1 for a, r in zip(asked, readings, strict=True) if a == r)
    share = agree / len(asked)
    outcome = "nearly-all" if share >= NEARLY_ALL else "most" if share >= 0.5 else "few"
    misread = [f"{a} as {r}" for a, r in zip(asked, readings, strict=True) if a != r]
    facts = dict(agree=agree, count=len(asked), share=share, misread=", ".join(misread[:5]) or "none")
    return Judgement(outcome, facts)


def one_handwriting(result: Mapping) -> Judgement:
    """How far apart the stroke widths of the drawn digits are: the thickest over the thinnest."""
    result = need(result, "widths", "asked")
    widths, asked = [float(w) for w in result["widths"]], list(result["asked"])
    inked = [(w, a) for w, a in zip(widths, asked, strict=True) if w > 0]
    if len(inked) < 2:
        raise UserError("There are fewer than two inked digits to compare: draw more of them and run again.")
    (thinnest, thin_digit), (thickest, thick_digit) = min(inked), max(inked)
    ratio = thickest / thinnest
    outcome = "one-hand" if ratio < ONE_HAND else "apart" if ratio < FAR_APART else "far-apart"
    facts = dict(ratio=ratio, thickest=thickest, thick_digit=thick_digit, thinnest=thinnest, thin_digit=thin_digit, count=len(inked))
    facts["same_noise"] = "one noise vector" if result.get("same_noise") else "a different noise vector for each digit"
    return Judgement(outcome, facts)


def settled_from(readings: Sequence[int], digit: int) -> int | None:
    """The first frame (1-based) from which every reading is `digit`, or None when the last is not."""
    frame = None
    for index in range(len(readings) - 1, -1, -1):
        if readings[index] != digit:
            break
        frame = index + 1
    return frame


def first_reading(result: Mapping) -> Judgement:
    """From which frame of a walk from class A to class B the judge CNN reads B and keeps reading it."""
    result = need(result, "digit_a", "digit_b", "readings")
    readings = [int(r) for r in result["readings"]]
    if not readings:
        raise UserError("This walk has no frames to judge: run the step again.")
    frame = settled_from(readings, int(result["digit_b"]))
    outcome = "never" if frame is None else "early" if frame <= 3 else "middle" if frame <= 6 else "late"
    facts = dict(
        frame=frame or 0,
        frames=len(readings),
        digit_a=int(result["digit_a"]),
        digit_b=int(result["digit_b"]),
        readings=" ".join(map(str, readings)),
    )
    return Judgement(outcome, facts)


def modes_kept(result: Mapping) -> Judgement:
    """How many of the real data's modes the toy GAN's points cover at the end of training."""
    result = need(result, "modes", "total_modes", "step", "d_steps", "g_lr", "d_lr")
    if result["modes"] is None or not result["total_modes"]:
        raise UserError("This step counts clusters: choose the ring of 8 or the grid of 25 Gaussians as the real data and run again.")
    modes, total = int(result["modes"]), int(result["total_modes"])
    share = modes / total
    outcome = "collapsed" if share <= COLLAPSED else "most" if share >= SPREAD else "some"
    facts = dict(modes=modes, total=total, step=int(result["step"]), d_steps=int(result["d_steps"]))
    facts |= dict(g_lr=float(result["g_lr"]), d_lr=float(result["d_lr"]))
    return Judgement(outcome, facts)
