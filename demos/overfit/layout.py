"""The overfitting playground's layout and wiring: `build()`."""

from __future__ import annotations

import functools

import gradio as gr
import pandas as pd  # Gradio has imported it already

import core.playground.runs as runs
import core.playground.settings as ps
from demos import DELETE_CACHE, lesson, live
from demos.guide import guided_path
from demos.overfit.handlers import (
    OPENING,
    PICTURE_ALT,
    STORAGE_SECRET,
    apply_preset,
    clear_history,
    legend,
    open_page,
    preset_picker,
    redraw,
    restore_from_url,
    show_schedule,
    stream_run,
    train_on_page,
    train_playground,
    url_writer_js,
)
from demos.overfit.network import network_view
from demos.overfit.notebook import notebook_button, wire_notebook
from demos.overfit.path import run_step, set_up
from demos.palette import keep_in_url, palette_control
from demos.points import keep_points_in_browser, points_section


def build() -> gr.Blocks:
    d, limits = ps.DEFAULTS, ps.LIMITS
    with gr.Blocks(title="Overfitting playground", delete_cache=DELETE_CACHE) as page:
        gr.Markdown(
            "# 📈 Overfitting playground\nTrain a small network live and watch training and validation part ways."
            " It opens on the first preset, trained to its end: press **Train** to run it again, or try one of these."
        )
        path = guided_path("overfit")
        with gr.Row():
            with gr.Column(scale=1, min_width=320):
                gr.Markdown("**Try this** (one click: picks the preset and trains it; your earlier runs stay on the charts):")
                with gr.Row():
                    try_buttons = {name: gr.Button(name, size="sm", elem_id=f"overfit-try-{i}") for i, name in enumerate(ps.TRY_THIS, 1)}
                preset = gr.Dropdown(list(ps.PRESETS), value=None, label="Preset (a story in six runs)", elem_id="overfit-preset")
                palette = palette_control("overfit")
                with gr.Accordion("Data", open=True):
                    c = {}
                    c["problem"] = gr.Dropdown([(v, k) for k, v in runs.PROBLEM_NAMES.items()], value=d.problem, label="Problem")
                    c["noise"] = gr.Slider(*limits["noise"], value=d.noise, step=0.01, label="Noise (std of the jitter)")
                    c["points"] = gr.Slider(*limits["points"], value=d.points, step=10, label="Points (before the split)")
                    c["val_fraction"] = gr.Slider(*limits["val_fraction"], value=d.val_fraction, step=0.02, label="Validation share")
                    c["seed"] = gr.Number(
                        value=d.seed, precision=0, minimum=0, maximum=limits["seed"][1], label="Seed", elem_id="overfit-seed"
                    )
                with gr.Accordion("Your own points (click to paint, or upload a CSV)", open=False):
                    c["data_csv"] = points_section(d.data_csv)
                with gr.Accordion("Model", open=True):
                    c["depth"] = gr.Slider(*limits["depth"], value=d.depth, step=1, label="Hidden layers")
                    c["width"] = gr.Slider(*limits["width"], value=d.width, step=1, label="Units per layer")
                    c["activation"] = gr.Radio(list(ps.ACTIVATIONS), value=d.activation, label="Activation")
                    c["dropout"] = gr.Slider(*limits["dropout"], value=d.dropout, step=0.05, label="Dropout")
                    c["weight_decay"] = gr.Slider(
                        0, 0.1, value=d.weight_decay, step=0.005, label="Weight decay (L2)", elem_id="overfit-weight-decay"
                    )
                    c["batch_norm"] = gr.Checkbox(value=d.batch_norm, label="Batch norm")
                with gr.Accordion("Training", open=True):
                    c["optimizer"] = gr.Dropdown([(v, k) for k, v in runs.OPTIMIZER_NAMES.items()], value=d.optimizer, label="Optimiser")
                    c["lr"] = gr.Number(value=d.lr, minimum=limits["lr"][0], maximum=limits["lr"][1], label="Learning rate")
                    c["lr_schedule"] = gr.Dropdown(
                        [(v, k) for k, v in runs.SCHEDULE_NAMES.items()],
                        value=d.lr_schedule,
                        label="Learning-rate schedule",
                        elem_id="overfit-schedule",
                    )
                    c["batch_size"] = gr.Slider(1, 256, value=d.batch_size, step=1, label="Batch size")
                    c["epochs"] = gr.Slider(*limits["epochs"], value=d.epochs, step=10, label="Epochs")
                    c["patience"] = gr.Slider(0, 100, value=d.patience, step=1, label="Early stopping patience (0 = off)")
                for name, control in c.items():  # an id each: a teacher's link may hide any of them (?hide=overfit-dropout)
                    control.elem_id = control.elem_id or f"overfit-{ {'lr': 'learning-rate'}.get(name, name).replace('_', '-') }"
            with gr.Column(scale=2):
                # Train sits right above the charts it draws: on a phone the columns stack, and the settings
                # above it no longer push the curves a screen or two away from the button.
                with gr.Row():
                    train_button = gr.Button("Train", variant="primary", elem_id="overfit-train")
                    stop_button = gr.Button("Stop", variant="stop", elem_id="overfit-stop")
                    clear_button = gr.Button("Clear runs", elem_id="overfit-clear")
                report = gr.Markdown("Training the first preset...", elem_id="overfit-summary")
                with gr.Row(elem_id="overfit-result"):
                    loss_plot = live.curve_chart("loss", "Loss", "overfit-loss", runs.CHART_COLOURS)
                    accuracy_plot = live.curve_chart("accuracy", "Accuracy", "overfit-accuracy", runs.CHART_COLOURS)
                gr.Markdown(lesson("overfit_curves"))  # what the charts show, beside them
                lr_svg = gr.Button("SVG", size="sm")  # Gradio's export saves the plot as PNG only
                lr_plot = gr.LinePlot(
                    pd.DataFrame(ps.lr_per_epoch(d.lr, d.lr_schedule, d.epochs)),
                    x="epoch",
                    y="lr",
                    label="Learning rate per epoch",
                    height=150,
                    elem_id="overfit-lr",
                    buttons=["export", lr_svg],
                )
                lr_svg.click(None, lr_plot, None, js=live.line_plot_svg("overfit-lr", "epoch", "lr"))  # in the browser
                with gr.Row():
                    boundary = gr.Image(
                        label="The model and its data", interactive=False, height=384, elem_id="overfit-picture", alt_text=PICTURE_ALT
                    )
                    with gr.Column():
                        gap = gr.Number(
                            label="Train − validation gap (accuracy points; regression: MSE)", interactive=False, elem_id="overfit-gap"
                        )
                        runs_box = gr.Markdown(elem_id="overfit-runs")
                        notebook_download = notebook_button()  # the run on the page, as a Jupyter notebook
                legend_box = gr.Markdown(legend(), elem_id="overfit-legend")
                network = network_view("overfit-network")
        with gr.Accordion("The lesson: overfitting, underfitting, validation data and the fixes", open=True):
            gr.Markdown(lesson("overfit"))

        # The visitor's runs live in their browser, not in server memory: they survive a reload, the
        # server forgetting the session, a restart, and a move to another replica.
        saved_runs = gr.BrowserState([], storage_key="overfit-runs", secret=STORAGE_SECRET)
        controls = [c[name] for name in ps.setting_names()]
        outputs = [loss_plot, accuracy_plot, boundary, gap, report, runs_box, network, saved_runs]
        # Every training on the page (Train, Try this, the guided path, the API) shares one limit.
        training_limit = dict(
            concurrency_limit=2,
            concurrency_id="overfit_training",
            show_progress="hidden",  # the summary counts the epochs; a timer over the charts only costs frames
        )
        training_events = dict(training_limit, api_visibility="private")
        trainings = [train_button.click(train_on_page, controls + [palette, saved_runs], outputs, **training_events)]
        for name, button in try_buttons.items():
            picked = button.click(preset_picker(ps.TRY_THIS[name]), None, [preset, *controls], api_visibility="private")
            trainings.append(picked.then(train_on_page, controls + [palette, saved_runs], outputs, **training_events))
        trainings += path.wire(
            page,
            setup=set_up,
            setup_outputs=[preset, *controls],
            run=functools.partial(run_step, stream_run),
            run_inputs=controls + [palette, saved_runs],
            run_outputs=outputs,
            **training_limit,  # the panel's events are private already
        )
        stop_button.click(fn=None, cancels=trainings)
        wire_notebook(page, notebook_download, controls, saved_runs, trainings, clear_button, ps.PRESETS[OPENING])
        clear_button.click(clear_history, None, [saved_runs, *outputs[:-1]], api_visibility="private")
        preset.input(apply_preset, preset, controls, api_visibility="private")
        gr.on([control.change for control in controls], fn=None, inputs=controls, js=url_writer_js())
        page.load(restore_from_url, None, controls, api_visibility="private")
        page.load(open_page, saved_runs, [preset, *outputs], api_visibility="private", show_progress="hidden")
        keep_in_url(page, palette)
        keep_points_in_browser(page, c["data_csv"], STORAGE_SECRET)
        palette.change(redraw, [palette, saved_runs], [boundary, network, legend_box], api_visibility="private", show_progress="hidden")
        schedule_inputs = [c["lr"], c["lr_schedule"], c["epochs"]]
        gr.on(
            [x.change for x in schedule_inputs], show_schedule, schedule_inputs, lr_plot, api_visibility="private", show_progress="hidden"
        )
        gr.api(train_playground, api_name="train_playground", concurrency_limit=2, concurrency_id="overfit_training")
    return page
