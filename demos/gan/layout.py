"""The Small GAN page laid out and wired: `build()`. The handlers are demos/gan/handlers.py (the
digit GAN's tabs) and demos/gan/lab.py (the toy 2-D GAN's); the drawable target, demos/gan/target.py."""

from __future__ import annotations

import gradio as gr

from core.gan.config import DISTRIBUTIONS, DRAWN, LOSSES, PRESETS, ToyConfig  # no torch
from core.gan.controls import DIGIT_CHOICES, OPENING, OPENING_WALK
from demos import DELETE_CACHE, gan_path, handoff, lesson, live
from demos.gan.handlers import (
    first_class_walk,
    first_digits,
    first_walk,
    generate_digits,
    move_digit,
    pick_digit,
    send_to_sketcher,
    show_class_walk,
    show_digits,
    show_snapshots,
    try_class_walk,
    try_same_noise,
    walk_between,
    walk_between_classes,
)
from demos.gan.lab import apply_preset, live_training, reset_run, step_d_once, step_g_once, train_live, try_collapse, use_drawing
from demos.gan.target import target_brush
from demos.guide import guided_path

SLIDER_STEP = 0.05  # fine enough that a drag passes through many digits


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
                        distribution = gr.Dropdown(
                            [*DISTRIBUTIONS, DRAWN], value=defaults.distribution, label="Real data", elem_id="gan-distribution"
                        )
                        target = target_brush("gan-target")  # draw your own real data
                        target_note = gr.Markdown(elem_id="gan-target-note")
                        g_lr = gr.Number(value=defaults.g_lr, label="Generator learning rate", minimum=1e-5, maximum=0.1)
                        d_lr = gr.Number(value=defaults.d_lr, label="Discriminator learning rate", minimum=1e-5, maximum=0.1)
                        d_steps = gr.Slider(1, 10, value=defaults.d_steps, step=1, label="k: D steps per G step")
                        loss = gr.Radio(list(LOSSES), value=defaults.loss, label="Loss")
                        steps = gr.Slider(100, 5000, value=defaults.steps, step=100, label="Steps")
                        toy_seed = gr.Number(value=0, precision=0, label="Seed", minimum=0)
                    with gr.Column(scale=2):
                        with gr.Row():
                            train = gr.Button("Train", variant="primary", elem_id="gan-train", min_width=80)
                            stop = gr.Button("Stop", elem_id="gan-stop", min_width=80)
                            step_d = gr.Button("Step D", elem_id="gan-step-d", min_width=80)
                            step_g = gr.Button("Step G", elem_id="gan-step-g", min_width=80)
                            reset = gr.Button("Reset", elem_id="gan-reset", min_width=80)
                            slow = gr.Checkbox(False, label="Slow motion", elem_id="gan-slow", min_width=120)
                        status = gr.Markdown("Press **Train**: real points are green, generated ones purple.", elem_id="gan-status")
                        plot = live.toy_gan_view("gan-live")  # points over D's decision surface, G's manifold and arrows, both losses
                        lab = gr.State(None)  # this visitor's run (core.gan.toy.ToyLab): per session, never shared
                        gr.Markdown(lesson("gan_learn"))
                        gr.Markdown(lesson("gan_lab"))
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
        target.input(use_drawing, target, [distribution, target_note], api_visibility="private", show_progress="hidden")
        lab_inputs = [*toy_inputs, target]
        toy_run = dict(api_visibility="private", concurrency_limit=2, concurrency_id="gan_toy", show_progress="hidden")
        run = train.click(train_live, [*lab_inputs, slow, lab], [plot, status, lab], **toy_run)  # the status line says the step: no spinner
        try_walk.click(try_class_walk, None, [tabs, *class_inputs], api_visibility="private", queue=False).then(
            show_class_walk, class_inputs, class_outputs, **digits_queue
        )
        try_same.click(try_same_noise, None, [tabs, *generate_inputs], api_visibility="private", queue=False).then(
            show_digits, generate_inputs, generate_outputs, **digits_queue
        )
        collapse_run = try_collapsed.click(
            try_collapse, None, [tabs, preset, *toy_inputs, lab], api_visibility="private", queue=False
        ).then(train_live, [*lab_inputs, slow, lab], [plot, status, lab], **toy_run)
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
        # One step of one network, on the run Train continues: a run streaming meanwhile is stopped first.
        one_step = dict(api_visibility="private", concurrency_limit=4, concurrency_id="gan_step", show_progress="hidden")
        step_d.click(step_d_once, [*lab_inputs, lab], [plot, status, lab], cancels=[run, collapse_run], **one_step)
        step_g.click(step_g_once, [*lab_inputs, lab], [plot, status, lab], cancels=[run, collapse_run], **one_step)
        reset.click(reset_run, None, [plot, status, lab], cancels=[run, collapse_run], api_visibility="private", queue=False)
        page.load(show_snapshots, None, snapshots, api_visibility="private")
        page.load(first_walk, [walk_digit, seed_a, seed_b, frames, *sliders], [strip, moved], **digits_queue)
        page.load(first_digits, generate_inputs, generate_outputs, **digits_queue)
        page.load(first_class_walk, class_inputs, class_outputs, **digits_queue)
        gr.api(generate_digits, api_name="generate_digits", concurrency_limit=8, concurrency_id="gan_api")
        gr.api(walk_between_classes, api_name="walk_between_classes", concurrency_limit=8, concurrency_id="gan_api")
    return page
