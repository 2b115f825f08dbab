"""The Small GAN page's handlers for the digit GAN's tabs (Generate, Latent space, Digit to digit,
How it learned) and its API endpoints. The toy 2-D GAN's are demos/gan/lab.py."""

from __future__ import annotations

import gradio as gr

from core.device import gpu
from core.gan.controls import OPENING_WALK, SAME_NOISE, WALK_3_TO_8, blank
from demos import handoff, lazy_module, live, user_errors
from demos.png import png_file

sample = lazy_module("core.gan.sample")  # torch and the GAN: loaded with the first digits, not at start-up
pictures = lazy_module("core.gan.pictures")
checkpoints = lazy_module("core.checkpoints")


# ---------- pure functions: arrays in, plain values out ----------


def moved_digit(digit: int, seed: int, amounts: list[float]) -> dict:
    """Seed A's digit after its noise moved along the three steepest directions, as the 28x28 grey
    levels the page draws."""
    return live.digit_value(sample.move_in_latent(digit, seed, amounts))


def keep_outputs(outputs: int, field: str):
    """A missing input never wipes what the page shows: say what is missing, and leave the outputs."""
    gr.Warning(f"Fill in {field} first: the page keeps what it shows until then.")
    return gr.skip() if outputs == 1 else (gr.skip(),) * outputs


def gallery_files(items: list) -> list[tuple[str, str]]:
    """Gallery items [(uint8 picture, caption)] -> [(path of its PNG, caption)]. Every visitor's page
    opens on the same pictures: files written once, atomically (demos.png), never an array, which
    Gradio would write again, in place, while another browser reads the file."""
    return [(png_file(picture), caption) for picture, caption in items]


# ---------- handlers: convert Gradio values only ----------


@user_errors
@gpu
def generate_digits(digit: int, seed: int, count: int) -> gr.FileData:
    """Generate digits. digit: 0-9, or -1 for every class in turn; seed: 0 or more; count: 1-256.

    Returns one PNG image: the digits, 28x28 each, white on black, in rows of 8 with a 2-pixel
    border. The same seed gives the same images.
    """
    return gr.FileData(path=png_file(sample.tile(sample.sample_digits(digit, seed, count), columns=8)))


@user_errors
@gpu
def show_digits(digit: int, seed: float, count: float, same_noise: bool):
    if (field := blank(seed=seed)) is not None:
        return keep_outputs(4, field)
    items, *words = pictures.digits_shown(digit, seed, count, same_noise)
    return gallery_files(items), *words


@user_errors
def pick_digit(shown: dict, selected: gr.SelectData):
    return pictures.picked(shown, selected.index)


@user_errors
@gpu
def send_to_sketcher(shown: dict) -> dict:
    """The picked digit of the gallery shown, to the sketcher (demos.handoff)."""
    return handoff.send_value("sketcher", pictures.one_digit(**shown)[0])


@user_errors
@gpu
def walk_between(digit: int, seed_a: float, seed_b: float, frames: float):
    if (field := blank(seed_A=seed_a, seed_B=seed_b)) is not None:
        return keep_outputs(1, field)
    return png_file(pictures.walk_strip(digit, seed_a, seed_b, frames))


@user_errors
@gpu
def walk_between_classes(digit_a: int = 1, digit_b: int = 7, seed: int = 0, frames: int = 10) -> gr.FileData:
    """Walk from digit A to digit B: the generator's class embedding moves in a straight line from
    A's to B's while the noise moves along the sphere from the seed's first draw to its second.
    digit_a, digit_b: 0-9; seed: 0 or more; frames: 2-64.

    Returns one PNG strip: the frames, 28x28 each, white on black, left (A) to right (B), with a
    2-pixel border. The same arguments give the same strip.
    """
    strip = sample.walk_between_classes(digit_a, digit_b, seed, frames).numpy()
    return gr.FileData(path=png_file(sample.tile(strip, columns=len(strip))))


@user_errors
@gpu
def show_class_walk(digit_a: int, digit_b: int, seed: float, frames: float):
    if (field := blank(seed=seed)) is not None:
        return keep_outputs(2, field)
    items, words = pictures.class_walk(digit_a, digit_b, seed, frames)
    return gallery_files(items), words


@user_errors
@gpu
def move_digit(digit: int, seed: float, first: float, second: float, third: float) -> dict:
    if seed is None:
        return gr.skip()  # the walk's own handler says that seed A is missing
    return moved_digit(digit, seed, [first, second, third])


@user_errors
def try_class_walk():
    """Try this: walk from 3 to 8 (the walk runs next)."""
    return gr.Tabs(selected="walk"), *WALK_3_TO_8


@user_errors
def try_same_noise():
    """Try this: one noise vector drawn as every digit (the gallery is drawn next)."""
    return gr.Tabs(selected="generate"), *SAME_NOISE


@user_errors
@gpu
def first_digits(digit: int, seed: float, count: float, same_noise: bool):
    """On page load: a first grid, or a note on how to make the checkpoint when it is missing."""
    try:
        items, *words = pictures.digits_shown(digit, seed, count, same_noise)
        return gallery_files(items), *words
    except checkpoints.MissingCheckpointError as missing:
        return [], f"The trained GAN is not here yet. {missing}", gr.skip(), ""


@user_errors
def show_snapshots():
    return gallery_files(pictures.snapshot_items())


@user_errors
@gpu
def first_walk(digit: int, seed_a: float, seed_b: float, frames: float, *amounts: float):
    """On page load: the walk from A to B and seed A moved, or nothing when the checkpoint is missing."""
    try:
        return png_file(pictures.walk_strip(digit, seed_a, seed_b, frames)), moved_digit(digit, seed_a, list(amounts))
    except checkpoints.MissingCheckpointError:
        return None, None  # the Generate tab says how to make it


@user_errors
@gpu
def first_class_walk(digit_a: int, digit_b: int, seed: float, frames: float):
    """On page load: the walk from digit to digit, or nothing when the checkpoint is missing."""
    try:
        items, words = pictures.class_walk(digit_a, digit_b, seed, frames)
        return gallery_files(items), words
    except checkpoints.MissingCheckpointError:
        return [], ""  # the Generate tab says how to make it


def warm_up() -> None:
    """Load the GAN and the judge and draw once, and find the opening walk's latent directions
    (once, then cached), so that the first visitor's page answers at full speed."""
    first_digits(-1, 0, 10, False)  # a missing checkpoint: the page says how to make it
    first_walk(*OPENING_WALK, 0.0, 0.0, 0.0)
