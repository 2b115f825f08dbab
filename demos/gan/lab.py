"""The Small GAN page's handlers for the toy 2-D GAN (the "Watch it learn" tab), after GAN Lab.

The visitor's run lives in a `core.gan.toy.ToyLab` kept in the page's gr.State: one per visitor,
never shared. Train continues it for the steps asked, Step D and Step G take one optimiser step of
one network on it, and Reset drops it; a change of any setting but the steps starts a fresh run on
the next press. The target is a preset distribution or the visitor's drawing (demos/gan/target.py),
checked on the server (core.gan.target). Slow motion shows every step, a few a second.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import gradio as gr
import numpy as np

from core.device import gpu
from core.gan.config import DRAWN
from core.gan.controls import COLLAPSE, blank, preset_values, toy_config
from core.gan.target import drawn_target
from demos import lazy_module, live, user_errors

toy = lazy_module("core.gan.toy")  # torch: loaded with the first run, not at start-up

FRAME_SECONDS = 1 / 20  # the live view is drawn in the page from arrays: up to 20 frames a second
SLOW_SECONDS = 0.4  # slow motion: one step per frame, a frame this often (GAN Lab's slow mode pauses between phases)


# ---------- pure functions: arrays in, plain values out ----------


def arrow_values(at: np.ndarray, arrows: np.ndarray) -> dict:
    """The arrows as the page draws them: the points, and each vector divided by the longest one's
    length (`arrow_scale`), so that int16 thousandths keep even tiny gradients' directions."""
    scale = float(np.linalg.norm(arrows, axis=1).max()) if len(arrows) else 0.0
    unit = arrows / scale if scale > 0 else arrows
    return {"arrows_at": live.points_bytes(at), "arrows": live.points_bytes(unit), "arrow_scale": scale}


def live_frame(frame, run: int, sent: int) -> dict:
    """A toy-GAN frame as the arrays the page draws: D's surface (uint8), the generated points, G's
    manifold and arrows, the real points and the whole loss history when `sent` is 0 (a press's
    first frame), else the losses logged since the `sent` first ones (`from` says which)."""
    arrays = {"surface": live.grey_bytes(frame.surface), "fake": live.points_bytes(frame.fake)}
    if frame.manifold is not None:
        arrays |= {"manifold": live.points_bytes(frame.manifold), "grid": int(round(len(frame.manifold) ** 0.5))}
    if frame.arrows is not None:
        arrays |= arrow_values(frame.arrows_at, frame.arrows)
    real = {"real": live.points_bytes(frame.real)} if sent == 0 else {}
    return {"seq": f"{run}-{frame.step}", "run": run, "from": sent} | arrays | real | frame.since(sent)


def stream(lab, steps: int, slow: bool = False) -> Iterator[tuple[dict, str, object]]:
    """Train `lab` on for `steps` steps as the live view's values, the status line, and the frame
    they were drawn from (its last one says how the run ended). Slow motion: a frame after every
    step, SLOW_SECONDS apart; otherwise a frame every FRAME_SECONDS, however many steps that was."""
    sent, shown_at, frame = 0, -SLOW_SECONDS, None
    frames = lab.train(steps, frame_every=1) if slow else lab.train(steps, frame_seconds=FRAME_SECONDS)
    for frame in frames:
        if frame.step < frame.total_steps:
            if slow:
                time.sleep(max(0.0, shown_at + SLOW_SECONDS - time.perf_counter()))  # the cap counts this wait too
            yield live_frame(frame, lab.run_id, sent), frame.status(), frame
            shown_at, sent = time.perf_counter(), len(frame.history["step"])
    if frame is not None:
        yield live_frame(frame, lab.run_id, sent), frame.status(done=True), frame


def lab_config(distribution, g_lr, d_lr, d_steps, loss, steps, seed, drawing):
    """The controls' values -> a run's config, the drawing's points in it when the target is the drawing."""
    config = toy_config(distribution, g_lr, d_lr, d_steps, loss, steps, seed)
    return dataclasses.replace(config, drawn=drawn_target(drawing)) if distribution == DRAWN else config


def current_lab(lab, config):
    """The visitor's run when `config` is still its settings; else a fresh one (ToyLab checks the config)."""
    return lab if lab is not None and lab.continues(config) else toy.ToyLab(config)


@gpu
def live_training(config) -> Iterator[tuple[dict, str, object]]:
    """A toy GAN training from scratch (a fresh lab), as `stream` gives it: the guided path's runs."""
    lab = toy.ToyLab(config)
    yield from stream(lab, lab.config.steps)


def stepped(lab, network: str, before: float, after: float) -> tuple[dict, str, object]:
    """The view, the status line and the lab after one step of `network`."""
    words = (
        f"Stepped {network} once (step {lab.step} of this run): {network}'s loss on the batch it stepped on "
        f"went {before:.3f} → {after:.3f}. The arrows and the manifold are drawn for the networks as they are now."
    )
    return live_frame(lab.frame(), lab.run_id, 0), words, lab


# ---------- handlers: convert Gradio values only ----------


@user_errors
@gpu
def train_live(distribution, g_lr, d_lr, d_steps, loss, steps, seed, drawing=None, slow=False, lab=None):
    """Stream frames of the visitor's toy GAN training on: capped steps and seconds, stoppable."""
    if (field := blank(generator_learning_rate=g_lr, discriminator_learning_rate=d_lr, seed=seed)) is not None:
        yield gr.skip(), f"Fill in the {field} first, then press **Train**.", gr.skip()
        return
    lab = current_lab(lab, lab_config(distribution, g_lr, d_lr, d_steps, loss, steps, seed, drawing))
    for view, words, _ in stream(lab, lab.config.steps, bool(slow)):
        yield view, words, lab


def _step(network: str, controls: tuple, lab):
    distribution, g_lr, d_lr, d_steps, loss, steps, seed, drawing = controls
    if (field := blank(generator_learning_rate=g_lr, discriminator_learning_rate=d_lr, seed=seed)) is not None:
        return gr.skip(), f"Fill in the {field} first, then press **Step {network}**.", gr.skip()
    lab = current_lab(lab, lab_config(distribution, g_lr, d_lr, d_steps, loss, steps, seed, drawing))
    return stepped(lab, network, *(lab.step_d() if network == "D" else lab.step_g()))


@user_errors
@gpu
def step_d_once(distribution, g_lr, d_lr, d_steps, loss, steps, seed, drawing, lab):
    """One optimiser step of D alone on the visitor's run."""
    return _step("D", (distribution, g_lr, d_lr, d_steps, loss, steps, seed, drawing), lab)


@user_errors
@gpu
def step_g_once(distribution, g_lr, d_lr, d_steps, loss, steps, seed, drawing, lab):
    """One optimiser step of G alone on the visitor's run."""
    return _step("G", (distribution, g_lr, d_lr, d_steps, loss, steps, seed, drawing), lab)


@user_errors
def reset_run():
    """Drop the visitor's run: the next press starts afresh."""
    return None, "Reset: the next **Train**, **Step D** or **Step G** starts a fresh run.", None


@user_errors
def use_drawing(drawing):
    """A stroke on the target: check the points (a UserError says what is wrong) and make the drawing the real data."""
    points = drawing.get("points") if isinstance(drawing, dict) else None
    if not points:
        return gr.skip(), "Nothing drawn: press and drag on the plane to draw where the real points lie."
    count = len(drawn_target(drawing))
    return DRAWN, f"Your drawing: {count:,} points. The real data is now *{DRAWN}*: press **Train** or **Step D**."


apply_preset = user_errors(preset_values)


@user_errors
def try_collapse():
    """Try this: the toy GAN with the preset that collapses, from a fresh run (its training starts next)."""
    return gr.Tabs(selected="learn"), COLLAPSE, *apply_preset(COLLAPSE), 0, None
