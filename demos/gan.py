"""Small GAN: a generator that learned to draw digits by trying to fool a discriminator.

Its lesson (generator vs discriminator, unstable training, mode collapse) is demos/lessons/gan.md; what
each output shows is beside it, from demos/lessons/gan_<tab>.md. The page's pictures and sentences are
made in core/gan/pictures.py; what its controls open on and what each Try this sets, in core/gan/controls.py.
Its guided path (predict, then see) is demos/lessons/paths/gan.yaml, set up and run by demos/gan_path.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import gradio as gr

from core.device import gpu
from core.gan.config import DISTRIBUTIONS, LOSSES, PRESETS, ToyConfig  # no torch
from core.gan.controls import COLLAPSE, DIGIT_CHOICES, OPENING, OPENING_WALK, SAME_NOISE, WALK_3_TO_8, blank, preset_values, toy_config
from demos import DELETE_CACHE, gan_path, handoff, launch, lazy_module, lesson, live, user_errors
from demos.guide import guided_path
from demos.png import png_file

sample = lazy_module("core.gan.sample")  # torch and the GAN: loaded with the first digits, not at start-up
pictures = lazy_module("core.gan.pictures")
toy = lazy_module("core.gan.toy")
checkpoints = lazy_module("core.checkpoints")

FRAME_SECONDS = 1 / 20  # the live view is drawn in the page from arrays: up to 20 frames a second
SLIDER_STEP = 0.05  # fine enough that a drag passes through many digits


# ---------- pure functions: arrays in, plain values out ----------


def moved_digit(digit: int, seed: int, amounts: list[float]) -> dict:
    """Seed A's digit after its noise moved along the three steepest directions, as the 28x28 grey
    levels the page draws."""
    return live.digit_value(sample.move_in_latent(digit, seed, amounts))


def live_frame(frame, run: int, sent: int) -> dict:
    """A toy-GAN frame as the arrays the page draws: D's surface (uint8), the generated points, the
    real ones on a run's first frame, and the losses logged since the `sent` first ones."""
    arrays = {"surface": live.grey_bytes(frame.surface), "fake": live.points_bytes(frame.fake)}
    real = {"real": live.points_bytes(frame.real)} if sent == 0 else {}
    return {"seq": f"{run}-{frame.step}", "run": run} | arrays | real | frame.since(sent)


def keep_outputs(outputs: int, field: str):
    """A missing input never wipes what the page shows: say what is missing, and leave the outputs."""
    gr.Warning(f"Fill in {field} first: the page keeps what it shows until then.")
    return gr.skip() if outputs == 1 else (gr.skip(),) * outputs


def gallery_files(items: list) -> list[tuple[str, str]]:
    """Gallery items [(uint8 picture, caption)] -> [(path of its PNG, caption)]. Every visitor's page
    opens on the same pictures: files written once, atomically (demos.png), never an array, which
    Gradio would write again, in place, while another browser reads the file."""
    return [(png_file(picture), caption) for picture, caption in items]


@gpu
def live_training(config) -> Iterator[tuple[dict, str, object]]:
    """A toy GAN training from scratch as the live view's values, the status line, and the frame
    they were drawn from (its last one says how the run ended)."""
    run, sent, frame = time.monotonic_ns(), 0, None  # `run` tells the page a new run began
    for frame in toy.train_toy(config, frame_seconds=FRAME_SECONDS):
        if frame.step < frame.total_steps:
            yield live_frame(frame, run, sent), frame.status(), frame
            sent = len(frame.history["step"])
    if frame is not None:
        yield live_frame(frame, run, sent), frame.status(done=True), frame


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


apply_preset = user_errors(preset_values)


@user_errors
@gpu
def train_live(distribution: str, g_lr: float, d_lr: float, d_steps: float, loss: str, steps: float, seed: float):
    """Stream frames of a toy GAN training from scratch: capped steps and seconds, stoppable."""
    if (field := blank(generator_learning_rate=g_lr, discriminator_learning_rate=d_lr, seed=seed)) is not None:
        yield gr.skip(), f"Fill in the {field} first, then press **Train**."
        return
    config = toy_config(distribution, g_lr, d_lr, d_steps, loss, steps, seed)  # train_toy checks it: a bad value is a UserError
    for view, words, _ in live_training(config):
        yield view, words


@user_errors
def try_class_walk():
    """Try this: walk from 3 to 8 (the walk runs next)."""
    return gr.Tabs(selected="walk"), *WALK_3_TO_8


@user_errors
def try_same_noise():
    """Try this: one noise vector drawn as every digit (the gallery is drawn next)."""
    return gr.Tabs(selected="generate"), *SAME_NOISE


@user_errors
def try_collapse():
    """Try this: the toy GAN with the preset that collapses (its training starts next)."""
    return gr.Tabs(selected="learn"), COLLAPSE, *apply_preset(COLLAPSE), 0


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


# ---------- layout and wiring ----------


def build() -> gr.Blocks:
    defaults = ToyConfig()
    digits_queue = dict(api_visibility="private", concurrency_limit=4, concurrency_id="gan_digits")
    # one digit at a time is quick: not queued behind a gallery of 64
    slider_event = dict(api_visibility="private", concurrency_limit=4, concurrency_id="gan_slider", queue=False, trigger_mode="always_last")
    thumbnails = dict(height="auto", object_fit="contain")
    with gr.Blocks(title="Small GAN", delete_cache=DELETE_CACHE) as page:
        gr.Markdown("# Small GAN\nA generator learned to draw digits by fooling a discriminator. Ask it for some, then watch a GAN learn.")
        path = guided_path("gan")
        gr.Markdown("**Try this**, one click each:")
        with gr.Row(elem_id="gan-try"):
            try_walk = gr.Button("Walk from 3 to 8", size="sm", elem_id="gan-try-walk")
            try_same = gr.Button("Same noise, every class", size="sm", elem_id="gan-try-same-noise")
            try_collapsed = gr.Button("Mode collapse in the toy GAN", size="sm", elem_id="gan-try-collapse")
        with gr.Tabs(selected="generate") as tabs:
            with gr.Tab("Generate", id="generate"):
                with gr.Row():
                    digit = gr.Dropdown(DIGIT_CHOICES, value=OPENING["digit"], label="Digit")
                    seed = gr.Number(value=OPENING["seed"], precision=0, minimum=0, label="Seed", elem_id="gan-seed")
                    count = gr.Slider(1, 64, value=OPENING["count"], step=1, label="How many")
                    same_noise = gr.Checkbox(value=OPENING["same_noise"], label="Same noise for every digit", elem_id="gan-same-noise")
                    generate = gr.Button("Generate", variant="primary")
                with gr.Row():
                    with gr.Column(scale=3):
                        verdict = gr.Markdown(elem_id="gan-verdict")
                        label = "Generated digits: D's score (1 = real) and the judge CNN's reading"
                        gallery = gr.Gallery(label=label, columns=5, elem_id="gan-result", **thumbnails)
                    with gr.Column(scale=1, min_width=220):
                        gr.Markdown(lesson("gan_generate"))
                        send = gr.Button("Send to the sketcher", elem_id="gan-send-to-sketcher")
                        shown = gr.State(dict(OPENING))
                        note = gr.Markdown(elem_id="gan-picked")  # which digit Send sends: set on load
                        sent = handoff.sender("gan-send")
            with gr.Tab("Latent space", id="latent"):
                with gr.Row():
                    walk_digit = gr.Dropdown(DIGIT_CHOICES[1:], value=OPENING_WALK[0], label="Digit")
                    seed_a = gr.Number(value=OPENING_WALK[1], precision=0, minimum=0, label="Seed A")
                    seed_b = gr.Number(value=OPENING_WALK[2], precision=0, minimum=0, label="Seed B")
                    frames = gr.Slider(2, 16, value=OPENING_WALK[3], step=1, label="Frames")
                    walk = gr.Button("Walk from A to B", variant="primary")
                label = "From seed A (left) to seed B (right), along the sphere of Gaussian noise"
                walked = "A row of frames of one digit, its handwriting changing step by step from seed A's to seed B's"
                strip = gr.Image(label=label, alt_text=walked, interactive=False, elem_id="gan-walk")
                with gr.Row():
                    with gr.Column():
                        gr.Markdown(lesson("gan_latent"))
                        sliders = [
                            gr.Slider(-3, 3, value=0, step=SLIDER_STEP, label=f"Direction {i + 1}", elem_id=f"gan-direction-{i + 1}")
                            for i in range(3)
                        ]
                    moved = live.digit_view("Seed A, moved", "gan-moved")
            with gr.Tab("Digit to digit", id="walk"):
                with gr.Row():
                    class_a = gr.Dropdown(DIGIT_CHOICES[1:], value=1, label="From digit")
                    class_b = gr.Dropdown(DIGIT_CHOICES[1:], value=7, label="To digit")
                    class_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed", elem_id="gan-class-seed")
                    class_frames = gr.Slider(2, 16, value=10, step=1, label="Frames")
                    class_walk_button = gr.Button("Walk from digit to digit", variant="primary", elem_id="gan-class-walk")
                with gr.Row():
                    with gr.Column(scale=3):
                        class_verdict = gr.Markdown(elem_id="gan-class-verdict")
                        label = "From the first digit (left) to the second (right)"
                        class_frames_gallery = gr.Gallery(label=label, columns=8, elem_id="gan-class-walk-frames", **thumbnails)
                    gr.Markdown(lesson("gan_walk"))
            with gr.Tab("Watch it learn", id="learn"):
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
                        gr.Markdown(lesson("gan_learn"))
            with gr.Tab("How it learned", id="snapshots"):
                with gr.Row():
                    snapshots = gr.Gallery(label="Fixed-noise samples during training", columns=3, scale=3, **thumbnails)
                    gr.Markdown(lesson("gan_snapshots"))
        with gr.Accordion("The lesson: generator vs discriminator, unstable training, mode collapse", open=True):
            gr.Markdown(lesson("gan"))

        generate_inputs, generate_outputs = [digit, seed, count, same_noise], [gallery, verdict, shown, note]
        class_inputs, class_outputs = [class_a, class_b, class_seed, class_frames], [class_frames_gallery, class_verdict]
        toy_inputs = [distribution, g_lr, d_lr, d_steps, loss, steps, toy_seed]
        generate.click(show_digits, generate_inputs, generate_outputs, **digits_queue)
        gallery.select(pick_digit, shown, [shown, note], api_visibility="private", queue=False)
        send.click(send_to_sketcher, shown, sent, **digits_queue)
        walk.click(walk_between, [walk_digit, seed_a, seed_b, frames], strip, **digits_queue).then(
            move_digit, [walk_digit, seed_a, *sliders], moved, **digits_queue
        )
        for slider in sliders:
            slider.change(move_digit, [walk_digit, seed_a, *sliders], moved, show_progress="hidden", **slider_event)
        class_walk_button.click(show_class_walk, class_inputs, class_outputs, **digits_queue)
        preset.change(apply_preset, preset, [distribution, g_lr, d_lr, d_steps, loss, steps], api_visibility="private")
        toy_run = dict(api_visibility="private", concurrency_limit=2, concurrency_id="gan_toy", show_progress="hidden")
        run = train.click(train_live, toy_inputs, [plot, status], **toy_run)  # the status line says the step: no spinner
        try_walk.click(try_class_walk, None, [tabs, *class_inputs], api_visibility="private", queue=False).then(
            show_class_walk, class_inputs, class_outputs, **digits_queue
        )
        try_same.click(try_same_noise, None, [tabs, *generate_inputs], api_visibility="private", queue=False).then(
            show_digits, generate_inputs, generate_outputs, **digits_queue
        )
        collapse_run = try_collapsed.click(try_collapse, None, [tabs, preset, *toy_inputs], api_visibility="private", queue=False).then(
            train_live, toy_inputs, [plot, status], **toy_run
        )
        guided_runs = path.wire(
            page,
            setup=gan_path.setup,
            setup_outputs=[tabs, *generate_inputs, *class_inputs, *toy_inputs],
            run=gan_path.path_run(show_digits, show_class_walk, live_training),
            run_inputs=[*generate_inputs, *class_inputs, *toy_inputs],
            run_outputs=[tabs, *generate_outputs, *class_outputs, plot, status],
            concurrency_limit=2,
            concurrency_id="gan_toy",  # a step that trains shares the toy's two slots
            show_progress="hidden",
        )
        stop.click(None, None, None, cancels=[run, collapse_run, *guided_runs])
        page.load(show_snapshots, None, snapshots, api_visibility="private")
        page.load(first_walk, [walk_digit, seed_a, seed_b, frames, *sliders], [strip, moved], **digits_queue)
        page.load(first_digits, generate_inputs, generate_outputs, **digits_queue)
        page.load(first_class_walk, class_inputs, class_outputs, **digits_queue)
        gr.api(generate_digits, api_name="generate_digits", concurrency_limit=8, concurrency_id="gan_api")
        gr.api(walk_between_classes, api_name="walk_between_classes", concurrency_limit=8, concurrency_id="gan_api")
    return page


if __name__ == "__main__":
    launch(build())
