"""Small GAN: a generator that learned to draw digits by trying to fool a discriminator.

Its lesson (generator vs discriminator, unstable training, mode collapse) is demos/lessons/gan.md.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from core.device import gpu
from core.gan.config import DISTRIBUTIONS, LOSSES, MAX_TOY_SECONDS, PRESETS, ToyConfig  # no torch
from demos import DELETE_CACHE, launch, lazy_module, lesson, live, user_errors
from demos.png import png_file

sample = lazy_module("core.gan.sample")  # torch and the GAN: loaded with the first digits, not at start-up
toy = lazy_module("core.gan.toy")
checkpoints = lazy_module("core.checkpoints")

DOCS = Path(__file__).resolve().parent.parent / "docs" / "gan"
DIGIT_CHOICES = [("any digit", -1)] + [(str(d), d) for d in range(10)]
OPENING_WALK = (3, 1, 2, 10)  # the latent-space tab opens on this walk: digit, seed A, seed B, frames
FRAME_SECONDS = 1 / 20  # the live view is drawn in the page from arrays: up to 20 frames a second
LIVE_FRAME_EVERY = 5  # steps per point of the live loss curves
SLIDER_STEP = 0.05  # fine enough that a drag passes through many digits


# ---------- pure functions: arrays in, plain values out ----------


def enlarge(image: np.ndarray, zoom: int = 3) -> np.ndarray:
    """(H, W) float ink in [0, 1] -> an enlarged uint8 image (nearest neighbour: crisp pixels)."""
    return (np.clip(image, 0, 1) * 255).astype(np.uint8).repeat(zoom, axis=0).repeat(zoom, axis=1)


def caption(realness: float, reading: int | None, asked: int) -> str:
    """Short enough for a thumbnail: D's score, and the judge's reading (✗ when it is not `asked`)."""
    judged = "" if reading is None else f" · CNN {reading}{'' if reading == asked else ' ✗'}"
    return f"D {realness:.2f}{judged}"


def read_digits(digit: int, seed: int, count: int):
    """(digit, seed, count) -> images (N, 28, 28), asked labels, D's scores, judge classes and confidences.

    The judge columns are None when the digit CNN's checkpoint is not there.
    """
    z, labels = sample.request_latents(digit, seed, count)
    images = sample.generate(z, labels)
    scores = sample.discriminator_scores(images, labels)
    readings, confidences = sample.judge(images) or (None, None)
    return images.numpy(), labels.numpy(), scores, readings, confidences


def summary(labels: np.ndarray, readings: np.ndarray | None) -> str:
    if readings is None:
        return "The judge CNN is not available, so only D's scores are shown."
    agree = int((readings == labels).sum())
    return f"The judge CNN reads **{agree} of {len(labels)}** as the digit that was asked for."


def digit_gallery(digit: int, seed: int, count: int) -> tuple[list[tuple[np.ndarray, str]], str]:
    """(digit, seed, count) -> gallery items (enlarged digit, D's score and the judge's reading) and a summary."""
    images, labels, scores, readings, confidences = read_digits(digit, seed, count)
    items = [
        (enlarge(image), caption(float(scores[i]), None if readings is None else int(readings[i]), int(labels[i])))
        for i, image in enumerate(images)
    ]
    return items, summary(labels, readings)


def walk_strip(digit: int, seed_a: int, seed_b: int, frames: int) -> np.ndarray:
    """The walk from seed A's digit to seed B's, as one enlarged strip."""
    strip = sample.interpolate(digit, seed_a, seed_b, frames)
    return enlarge(sample.tile(strip, columns=len(strip)) / 255.0, zoom=3)


def switch_summary(digit_a: int, digit_b: int, readings: list[int] | None) -> str:
    """Where along a walk the judge CNN's reading turns from A to B, in a sentence."""
    if readings is None:
        return "The judge CNN is not available, so the frames are shown without its readings."
    last_a = max((i for i, r in enumerate(readings) if r == digit_a), default=None)
    first_b = next((i for i, r in enumerate(readings) if r == digit_b and all(later == digit_b for later in readings[i:])), None)
    if last_a is None or first_b is None:
        return f"The judge CNN reads {' '.join(map(str, readings))}: it never settles from {digit_a} on {digit_b} along this walk."
    return (
        f"The judge CNN reads **{digit_a}** up to frame {last_a + 1} and **{digit_b}** from frame {first_b + 1} "
        f"of {len(readings)} on (readings: {' '.join(map(str, readings))})."
    )


def class_walk(digit_a: int, digit_b: int, seed: int, frames: int) -> tuple[list[tuple[np.ndarray, str]], str]:
    """The walk from class A to class B -> gallery items (each frame with the judge's reading) and where the reading switches."""
    images = sample.walk_between_classes(digit_a, digit_b, seed, frames)
    judged = sample.judge(images)
    readings, confidences = (judged[0].tolist(), judged[1].tolist()) if judged else (None, None)
    a, b, _, _ = sample.check_walk(digit_a, digit_b, seed, frames)
    items = [
        (enlarge(image), f"{i + 1}" if readings is None else f"{i + 1} · CNN {readings[i]} ({confidences[i]:.0%})")
        for i, image in enumerate(images.numpy())
    ]
    return items, switch_summary(a, b, readings)


def moved_digit(digit: int, seed: int, amounts: list[float]) -> dict:
    """Seed A's digit after its noise moved along the three steepest directions, as the 28x28 grey
    levels the page draws."""
    return live.digit_value(sample.move_in_latent(digit, seed, amounts))


def live_frame(frame, run: int, sent: int) -> dict:
    """A toy-GAN frame as the arrays the page draws: D's surface (uint8), the generated points, the
    real ones on a run's first frame, and the losses logged since the `sent` first ones."""
    history = frame.history
    covered = "" if frame.modes is None else f" · modes covered {frame.modes}/{frame.total_modes}"
    value = {
        "seq": f"{run}-{frame.step}",
        "run": run,
        "surface": live.grey_bytes(frame.surface),
        "resolution": len(frame.surface),
        "extent": toy.EXTENT,
        "fake": live.points_bytes(frame.fake),
        "steps": history["step"][sent:],
        "d_loss": history["d_loss"][sent:],
        "g_loss": history["g_loss"][sent:],
        "total_steps": frame.total_steps,
        "title": f"step {frame.step}/{frame.total_steps}{covered}",
    }
    return value | ({"real": live.points_bytes(frame.real)} if sent == 0 else {})


def snapshot_items() -> list[tuple[np.ndarray, str]]:
    """The fixed-noise grids saved during training, oldest first: [(image, "after epoch N")]."""
    items = []
    for path in sorted(DOCS.glob("epoch_*.png")):
        epoch = int(path.stem.split("_")[1])
        label = "before training" if epoch == 0 else f"after epoch {epoch}"
        items.append((np.asarray(Image.open(path).convert("L")), label))
    return items


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
def show_digits(digit: int, seed: float, count: float):
    return digit_gallery(digit, seed, count)


@user_errors
@gpu
def walk_between(digit: int, seed_a: float, seed_b: float, frames: float) -> np.ndarray:
    return walk_strip(digit, seed_a, seed_b, frames)


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
    return class_walk(digit_a, digit_b, seed, frames)


@user_errors
@gpu
def move_digit(digit: int, seed: float, first: float, second: float, third: float) -> dict:
    return moved_digit(digit, seed, [first, second, third])


@user_errors
def apply_preset(name: str):
    preset = PRESETS[name]
    return preset.distribution, preset.g_lr, preset.d_lr, preset.d_steps, preset.loss, preset.steps


@user_errors
@gpu
def train_live(distribution: str, g_lr: float, d_lr: float, d_steps: float, loss: str, steps: float, seed: float):
    """Stream frames of a toy GAN training from scratch: capped steps and seconds, stoppable."""
    config = dataclasses.replace(
        ToyConfig(),
        distribution=distribution,
        g_lr=g_lr,
        d_lr=d_lr,
        d_steps=d_steps,
        loss=loss,
        steps=steps,
        seed=seed,
        frame_every=LIVE_FRAME_EVERY,
    )  # checked by train_toy: a bad value is a UserError that names it
    run, sent, frame = time.monotonic_ns(), 0, None  # `run` tells the page a new run began
    for frame in toy.train_toy(config, frame_seconds=FRAME_SECONDS):
        if frame.step < frame.total_steps:
            yield live_frame(frame, run, sent), f"Training… step {frame.step} of {frame.total_steps}"
            sent = len(frame.history["step"])
    if frame is not None:
        capped = frame.step < frame.total_steps
        note = f" (stopped at the {MAX_TOY_SECONDS:.0f} s limit per run)" if capped else ""
        yield live_frame(frame, run, sent), f"Done: {frame.step} steps in {frame.elapsed:.1f} s{note}."


@user_errors
@gpu
def first_digits(digit: int, seed: float, count: float):
    """On page load: a first grid, or a note on how to make the checkpoint when it is missing."""
    try:
        return digit_gallery(digit, seed, count)
    except checkpoints.MissingCheckpointError as missing:
        return [], f"The trained GAN is not here yet. {missing}"


@user_errors
def show_snapshots():
    return snapshot_items()


@user_errors
@gpu
def first_walk(digit: int, seed_a: float, seed_b: float, frames: float, *amounts: float):
    """On page load: the walk from A to B and seed A moved, or nothing when the checkpoint is missing."""
    try:
        return walk_strip(digit, seed_a, seed_b, frames), moved_digit(digit, seed_a, list(amounts))
    except checkpoints.MissingCheckpointError:
        return None, None  # the Generate tab says how to make it


def warm_up() -> None:
    """Load the GAN and the judge and draw once, and find the opening walk's latent directions
    (~0.14 s, then cached), so that the first visitor's page answers at full speed."""
    try:
        read_digits(-1, 0, 10)
    except checkpoints.MissingCheckpointError:
        pass  # the page says how to make it
    first_walk(*OPENING_WALK, 0.0, 0.0, 0.0)


# ---------- layout and wiring ----------


def build() -> gr.Blocks:
    defaults = ToyConfig()
    with gr.Blocks(title="Small GAN", delete_cache=DELETE_CACHE) as page:
        gr.Markdown("## Small GAN\nA generator learned to draw digits by fooling a discriminator. Ask it for some, then watch a GAN learn.")
        with gr.Tab("Generate"):
            with gr.Row():
                digit = gr.Dropdown(DIGIT_CHOICES, value=-1, label="Digit")
                seed = gr.Number(value=0, precision=0, label="Seed")
                count = gr.Slider(1, 64, value=20, step=1, label="How many")
                generate = gr.Button("Generate", variant="primary")
            verdict = gr.Markdown(elem_id="gan-verdict")
            gallery = gr.Gallery(
                label="Generated digits: D's score (1 = real) and the judge CNN's reading",
                columns=10,
                height="auto",
                object_fit="contain",
                elem_id="gan-gallery",
            )
        with gr.Tab("Latent space"):
            with gr.Row():
                digit_a, first_a, first_b, first_frames = OPENING_WALK
                walk_digit = gr.Dropdown(DIGIT_CHOICES[1:], value=digit_a, label="Digit")
                seed_a = gr.Number(value=first_a, precision=0, label="Seed A")
                seed_b = gr.Number(value=first_b, precision=0, label="Seed B")
                frames = gr.Slider(2, 16, value=first_frames, step=1, label="Frames")
                walk = gr.Button("Walk from A to B", variant="primary")
            strip = gr.Image(
                label="From seed A (left) to seed B (right), along the sphere of Gaussian noise", interactive=False, elem_id="gan-walk"
            )
            with gr.Row():
                with gr.Column():
                    gr.Markdown("Push seed A's noise along the three directions that change the image most.")
                    sliders = [
                        gr.Slider(-3, 3, value=0, step=SLIDER_STEP, label=f"Direction {i + 1}", elem_id=f"gan-direction-{i + 1}")
                        for i in range(3)
                    ]
                moved = live.digit_view("Seed A, moved", "gan-moved")
        with gr.Tab("Digit to digit"):
            with gr.Row():
                class_a = gr.Dropdown(DIGIT_CHOICES[1:], value=1, label="From digit")
                class_b = gr.Dropdown(DIGIT_CHOICES[1:], value=7, label="To digit")
                class_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
                class_frames = gr.Slider(2, 16, value=10, step=1, label="Frames")
                class_walk_button = gr.Button("Walk from digit to digit", variant="primary", elem_id="gan-class-walk")
            gr.Markdown(
                "The generator's input is noise plus a learned vector for the class. Here both move: the class vector in a "
                "straight line from one digit's to the other's, the noise along the sphere. Under each frame: what the judge CNN reads."
            )
            class_verdict = gr.Markdown(elem_id="gan-class-verdict")
            class_frames_gallery = gr.Gallery(
                label="From the first digit (left) to the second (right)",
                columns=8,
                height="auto",
                object_fit="contain",
                elem_id="gan-class-walk-frames",
            )
        with gr.Tab("Watch it learn"):
            with gr.Row():
                with gr.Column(scale=1):
                    preset = gr.Radio(list(PRESETS), value="trains well", label="Preset")
                    distribution = gr.Dropdown(list(DISTRIBUTIONS), value=defaults.distribution, label="Real data")
                    g_lr = gr.Number(value=defaults.g_lr, label="Generator learning rate", minimum=1e-5, maximum=0.1)
                    d_lr = gr.Number(value=defaults.d_lr, label="Discriminator learning rate", minimum=1e-5, maximum=0.1)
                    d_steps = gr.Slider(1, 10, value=defaults.d_steps, step=1, label="k: D steps per G step")
                    loss = gr.Radio(list(LOSSES), value=defaults.loss, label="Loss")
                    steps = gr.Slider(100, 5000, value=defaults.steps, step=100, label="Steps")
                    toy_seed = gr.Number(value=0, precision=0, label="Seed", minimum=0)
                    with gr.Row():
                        train = gr.Button("Train", variant="primary", elem_id="gan-train")
                        stop = gr.Button("Stop", elem_id="gan-stop")
                with gr.Column(scale=2):
                    status = gr.Markdown("Press **Train**: real points are green, generated ones purple.", elem_id="gan-status")
                    plot = live.toy_gan_view("gan-live")  # points over D's decision surface, and both losses
        with gr.Tab("How it learned"):
            gr.Markdown("The same noise, one row per digit, drawn by the generator after each epoch of training.")
            snapshots = gr.Gallery(label="Fixed-noise samples during training", columns=3, height="auto", object_fit="contain")
        with gr.Accordion("The lesson: generator vs discriminator, unstable training, mode collapse", open=False):
            gr.Markdown(lesson("gan"))

        generate.click(
            show_digits,
            [digit, seed, count],
            [gallery, verdict],
            api_visibility="private",
            concurrency_limit=4,
            concurrency_id="gan_digits",
        )
        walk.click(
            walk_between,
            [walk_digit, seed_a, seed_b, frames],
            strip,
            api_visibility="private",
            concurrency_limit=4,
            concurrency_id="gan_digits",
        ).then(
            move_digit, [walk_digit, seed_a, *sliders], moved, api_visibility="private", concurrency_limit=4, concurrency_id="gan_digits"
        )
        for slider in sliders:
            slider.change(
                move_digit,
                [walk_digit, seed_a, *sliders],
                moved,
                trigger_mode="always_last",
                show_progress="hidden",
                api_visibility="private",
                concurrency_limit=4,
                concurrency_id="gan_slider",  # ~4 ms a digit: not queued behind a gallery of 64
                queue=False,
            )
        preset.change(apply_preset, preset, [distribution, g_lr, d_lr, d_steps, loss, steps], api_visibility="private")
        run = train.click(
            train_live,
            [distribution, g_lr, d_lr, d_steps, loss, steps, toy_seed],
            [plot, status],
            api_visibility="private",
            concurrency_limit=2,
            concurrency_id="gan_toy",
            show_progress="hidden",  # the status line says the step; a spinner over the view only costs frames
        )
        stop.click(None, None, None, cancels=[run])
        page.load(show_snapshots, None, snapshots, api_visibility="private")
        page.load(
            first_walk,
            [walk_digit, seed_a, seed_b, frames, *sliders],
            [strip, moved],
            api_visibility="private",
            concurrency_limit=4,
            concurrency_id="gan_digits",
        )
        page.load(first_digits, [digit, seed, count], [gallery, verdict], api_visibility="private", concurrency_id="gan_digits")
        class_walk_button.click(
            show_class_walk,
            [class_a, class_b, class_seed, class_frames],
            [class_frames_gallery, class_verdict],
            api_visibility="private",
            concurrency_limit=4,
            concurrency_id="gan_digits",
        )
        gr.api(generate_digits, api_name="generate_digits", concurrency_limit=8, concurrency_id="gan_api")
        gr.api(walk_between_classes, api_name="walk_between_classes", concurrency_limit=8, concurrency_id="gan_api")
    return page


if __name__ == "__main__":
    launch(build())
