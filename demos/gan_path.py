"""The small GAN's guided path: what "Set up and run" sets for each step, and the run its judge reads.

The steps' words are demos/lessons/paths/gan.yaml; their judges, core/gan/guide.py. `setup(step)`
gives the page's controls the values of the page's Try this (core.gan.controls). `path_run(...)`
takes the page's own handlers (demos/gan.py passes them in: the page imports this module, not the
other way round) and returns the run: the page's handlers on its controls as they are now, their
outputs shown on the page, and the result the judge reads measured from the same computation.

    setup_outputs: [tabs, *GENERATE, *WALK, *TOY]   (the controls of three tabs, in this order)
    run_inputs:    [*GENERATE, *WALK, *TOY]
    run_outputs:   OUTPUTS, then the result
"""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from core.device import gpu
from core.errors import UserError
from core.gan.controls import COLLAPSE, SAME_NOISE, WALK_3_TO_8, blank, preset_values, toy_config
from core.gan.guide import stroke_width
from demos import lazy_module

pictures = lazy_module("core.gan.pictures")  # torch and the GAN: loaded with the first run, not at start-up
sample = lazy_module("core.gan.sample")

GENERATE = ("digit", "seed", "count", "same_noise")  # the Generate tab's controls
WALK = ("class_a", "class_b", "class_seed", "class_frames")  # the Digit to digit tab's
TOY = ("distribution", "g_lr", "d_lr", "d_steps", "loss", "steps", "toy_seed")  # the Watch it learn tab's
OUTPUTS = ("tabs", "gallery", "verdict", "shown", "note", "class_gallery", "class_verdict", "plot", "status")

SEVENS = (7, 0, 20, False)  # digit, seed, count, same noise: twenty 7s, each from its own noise
TOY_STEPS = 300  # the collapse shows within it, and a run stays short on a busy machine


def toy_values(d_steps: int) -> tuple:
    """The toy controls for the preset that collapses, `d_steps` D steps per G step, short, seed 0."""
    distribution, g_lr, d_lr, _, loss, _ = preset_values(COLLAPSE)
    return distribution, g_lr, d_lr, d_steps, loss, TOY_STEPS, 0


SETUPS = {  # step -> (the tab it opens, the values of that tab's controls)
    "sevens": ("generate", SEVENS),
    "same-noise": ("generate", SAME_NOISE),
    "walk": ("walk", WALK_3_TO_8),
    "collapse": ("learn", toy_values(1)),
    "more-d-steps": ("learn", toy_values(5)),
}
GROUPS = {"generate": GENERATE, "walk": WALK, "learn": TOY}  # the tabs' controls, in setup_outputs' order


def setup(step_id: str) -> list:
    """The values of [tabs, *GENERATE, *WALK, *TOY] that set `step_id` up; other tabs' controls stay."""
    tab, values = SETUPS[step_id]
    group_values = [list(values) if name == tab else [gr.skip()] * len(group) for name, group in GROUPS.items()]
    return [gr.Tabs(selected=tab), *(value for group in group_values for value in group)]


def outputs(tab: str | None = None, **shown) -> list:
    """OUTPUTS' values: the tab to open (None: leave it), what `shown` names, and gr.skip() for the rest."""
    shown["tabs"] = gr.skip() if tab is None else gr.Tabs(selected=tab)
    return [shown.get(name, gr.skip()) for name in OUTPUTS]


def digits_result(digit, seed, count, same_noise) -> dict:
    """What the gallery's digits are, measured: the classes asked for, the judge CNN's readings, the stroke widths."""
    images, asked, _, readings, _ = pictures.read_digits(digit, seed, count, same_noise)
    if readings is None:
        raise UserError("The judge CNN's checkpoint is not here, so this step has nothing to read the digits with.")
    widths = [stroke_width(image) for image in images]
    return {"asked": asked.tolist(), "readings": readings.tolist(), "widths": widths, "same_noise": bool(same_noise)}


def walk_result(digit_a, digit_b, seed, frames) -> dict:
    """The judge CNN's reading of each frame of the walk from class A to class B."""
    judged = sample.judge(sample.walk_between_classes(digit_a, digit_b, seed, frames))
    if judged is None:
        raise UserError("The judge CNN's checkpoint is not here, so this step has nothing to read the frames with.")
    return {"digit_a": int(digit_a), "digit_b": int(digit_b), "readings": judged[0].tolist()}


def toy_result(frame, config) -> dict:
    """How the toy GAN's training ended: its last frame's modes covered, and the settings it ran with."""
    settings = dict(d_steps=config.d_steps, g_lr=config.g_lr, d_lr=config.d_lr)
    return dict(modes=frame.modes, total_modes=frame.total_modes, step=frame.step, total_steps=frame.total_steps, **settings)


def path_run(show_digits: Callable, show_class_walk: Callable, live_training: Callable) -> Callable:
    """The path's run over the page's handlers: show_digits(digit, seed, count, same_noise) -> the
    Generate tab's four outputs; show_class_walk(a, b, seed, frames) -> the walk's two; and
    live_training(config) -> (live view, status, frame) while the toy GAN trains."""

    @gpu
    def run(step_id: str, digit, seed, count, same_noise, class_a, class_b, class_seed, class_frames, *toy_controls):
        tab, _ = SETUPS[step_id]
        if tab == "generate":
            if (field := blank(seed=seed)) is not None:
                raise UserError(f"Fill in the {field} first, then run the step.")
            gallery, verdict, shown, note = show_digits(digit, seed, count, same_noise)
            result = digits_result(digit, seed, count, same_noise)
            yield [*outputs(tab, gallery=gallery, verdict=verdict, shown=shown, note=note), result]
        elif tab == "walk":
            if (field := blank(seed=class_seed)) is not None:
                raise UserError(f"Fill in the {field} first, then run the step.")
            class_gallery, class_verdict = show_class_walk(class_a, class_b, class_seed, class_frames)
            result = walk_result(class_a, class_b, class_seed, class_frames)
            yield [*outputs(tab, class_gallery=class_gallery, class_verdict=class_verdict), result]
        else:
            yield from train_and_measure(live_training, toy_controls)

    return run


def train_and_measure(live_training: Callable, toy_controls: tuple):
    """Stream the toy GAN's training to the page; the last frame comes with the result (None before)."""
    distribution, g_lr, d_lr, d_steps, loss, steps, seed = toy_controls
    if (field := blank(generator_learning_rate=g_lr, discriminator_learning_rate=d_lr, seed=seed)) is not None:
        raise UserError(f"Fill in the {field} first, then run the step.")
    config = toy_config(distribution, g_lr, d_lr, d_steps, loss, steps, seed)  # train_toy checks it
    held, tab = None, "learn"  # each frame is sent when the next one comes, so the last goes with the result
    for item in live_training(config):
        if held is not None:
            yield [*outputs(tab, plot=held[0], status=held[1]), None]
            tab = None  # the tab opens once: the learner may look elsewhere meanwhile
        held = item
    if held is None:
        raise UserError("The training stopped before its first frame: run the step again.")
    view, words, frame = held
    yield [*outputs(tab, plot=view, status=words), toy_result(frame, config)]
