"""The filter visualiser's layout and wiring: what is where, and which event runs which handler."""

from __future__ import annotations

import functools

import gradio as gr

from core.vision import convolution as conv  # numpy only: light enough for start-up
from core.vision.pictures import notes
from demos import DELETE_CACHE, drawing, handoff, lesson, live
from demos.filters.choices import DIGIT_LAYERS, EXAMPLES, EXCITE_EXAMPLE, MODELS, PROMPT
from demos.filters.handlers import (
    ASSETS,
    OPENING_EXAMPLE,
    autoplay_timer,
    choose_model,
    convolve,
    download_weights,
    excite_filter,
    feature_maps,
    input_preset,
    inspect_layer,
    kernel_preset,
    open_page,
    palette_notes,
    pick_channel,
    receive_digit,
    run_sandbox,
    show_channel,
    step_sandbox,
    try_deeper_layer,
    try_edges,
    try_excite,
)
from demos.filters.path import run_step, set_up_step
from demos.guide import guided_path
from demos.palette import WRITE_URL_JS, palette_control, palette_from_url

SCROLL_TO_SANDBOX_JS = "() => document.getElementById('filters-sandbox').scrollIntoView({block: 'start'})"


def build() -> gr.Blocks:
    note = notes(lesson("filters_notes"))  # the notes beside the outputs; palette_notes recolours three of them
    with gr.Blocks(title="CNN filter visualiser", delete_cache=DELETE_CACHE) as page:
        gr.Markdown("# 🔬 CNN filter visualiser\nWhat each filter looks for, and what it sees in your image.")
        path_panel = guided_path("filters")
        with gr.Row():
            model = gr.Radio(MODELS, value="digits", label="Model")
            # Any value: the functions check it, so a session Gradio forgot (its ImageNet layer list with it) still works.
            layer = gr.Dropdown(DIGIT_LAYERS, value="conv1", label="Layer", allow_custom_value=True)
            channel = gr.Number(0, label="Channel", minimum=0, maximum=511, precision=0)
            palette = palette_control("filters")
        with gr.Row(equal_height=True):
            gr.Markdown(note["try"])
            edges_button = gr.Button("Edges: a vertical-edge kernel in the sandbox", size="sm", elem_id="filters-try-edges")
            deeper_button = gr.Button("A deeper layer: conv5's maps", size="sm", elem_id="filters-try-deeper")
            excite_try = gr.Button("What excites channel {1} of {0}".format(*EXCITE_EXAMPLE), size="sm", elem_id="filters-try-excite")
        # The page opens on an example, its maps already shown: drawing switches to the drawing.
        source = gr.Radio([("the drawing", "drawing"), ("the upload", "upload")], value="upload", label="Inspect")
        status = gr.Markdown(PROMPT, elem_id="filters-status")
        download = gr.Button("Download weights", visible=False)
        received = handoff.receiver("filters")
        with gr.Row():
            with gr.Column(scale=1), gr.Tabs(selected="upload") as input_tabs:
                with gr.Tab("Draw", id="draw"):
                    # Sends the ink on pen-up (and Undo, Clear) only: the maps follow the finished drawing.
                    canvas = drawing.drawing_surface("filters-canvas", "Draw a digit", live=False)
                with gr.Tab("Upload", id="upload"):
                    photo = gr.Image(OPENING_EXAMPLE, label="Image", type="filepath", sources=["upload", "clipboard"])
                    gr.Examples(
                        [[str(ASSETS / path)] for path in EXAMPLES.values()],
                        photo,
                        label="Examples",
                        example_labels=list(EXAMPLES),
                    )
            with gr.Column(scale=2), gr.Tabs(selected="maps") as output_tabs:
                with gr.Tab("Feature maps", id="maps"), gr.Column(elem_id="filters-result"):
                    maps = gr.Image(
                        label="Feature maps of the layer (click one)", interactive=False, elem_id="filters-maps", alt_text=note["alt maps"]
                    )
                    maps_note = gr.Markdown(note["maps"])
                    large = gr.Image(
                        label="Input | the chosen channel's map", interactive=False, alt_text=note["alt large"], elem_id="filters-large"
                    )
                    gr.Markdown(note["large"])
                with gr.Tab("Kernels", id="kernels"):
                    kernels = gr.Image(label="Learned kernels of the layer", interactive=False, alt_text=note["alt kernels"])
                    kernel_legend = gr.Markdown()
                with gr.Tab("What excites a filter", id="excite"):
                    excite_button = gr.Button("Find the input that excites this channel most (at the centre)")
                    excited = gr.Image(
                        label="Activation maximisation",
                        interactive=False,
                        height=260,
                        alt_text=note["alt excited"],
                        elem_id="filters-excited",
                    )
                    excite_caption = gr.Markdown()
                    gr.Markdown(note["excite"])
                with gr.Tab("Grad-CAM", id="cam"):
                    with gr.Row():
                        cam = gr.Image(label="Where the evidence is", interactive=False, height=260, alt_text=note["alt cam"])
                        prediction = live.label_chart(
                            "filters-prediction", label="Prediction", num_top_classes=5, elem_id="filters-prediction"
                        )
                    cam_note = gr.Markdown(note["cam"])
        with gr.Accordion(
            "Convolution sandbox: the arithmetic, one number at a time", elem_id="filters-sandbox", open=False
        ) as sandbox_box:
            with gr.Row():
                with gr.Column():
                    input_choice = gr.Dropdown(list(conv.INPUTS), value="vertical edge", label="Input preset")
                    input_text = gr.Textbox(input_preset("vertical edge"), label="Input (rows of numbers)", lines=8)
                with gr.Column():
                    kernel_choice = gr.Dropdown(list(conv.KERNELS), value="edge (vertical, Sobel)", label="Kernel preset")
                    kernel_text = gr.Textbox(kernel_preset("edge (vertical, Sobel)"), label="Kernel (your own numbers welcome)", lines=4)
                    stride = gr.Slider(1, 3, 1, step=1, label="Stride")
                    padding = gr.Slider(0, 3, 0, step=1, label="Padding")
                    dilation = gr.Slider(1, conv.MAX_DILATION, 1, step=1, label="Dilation (gap between the kernel's taps)")
                    transposed = gr.Checkbox(False, label="Transposed (upsampling: F.conv_transpose2d)", elem_id="filters-transposed")
                    with gr.Row():
                        out_row = gr.Number(0, label="Work out output row", precision=0, minimum=0, elem_id="filters-out-row")
                        out_col = gr.Number(0, label="... column", precision=0, minimum=0, elem_id="filters-out-col")
                    with gr.Row():
                        next_button = gr.Button("Next cell ▶", elem_id="filters-next-cell")
                        autoplay = gr.Checkbox(False, label="Autoplay (a cell a second)", elem_id="filters-autoplay")
            sandbox_picture = gr.Image(
                label="The grid the kernel slides over | the output", interactive=False, alt_text=note["alt sandbox"]
            )
            sandbox_note = gr.Markdown(note["sandbox"])
            ticker = gr.Timer(1.0, active=False)
            with gr.Row():
                sandbox_numbers = gr.Markdown()
                sandbox_size = gr.Markdown()
            sandbox_worked = gr.Markdown(elem_id="filters-worked")
        with gr.Accordion("The lesson: filters, feature maps, and why convolution suits images", open=True):
            gr.Markdown(lesson("filters"))

        inputs = [source, canvas, photo, palette]  # the image itself is re-read: no per-user copy kept on the server
        shared = dict(show_progress="hidden", concurrency_limit=4, concurrency_id="filters_models", api_visibility="private")
        private = dict(api_visibility="private", show_progress="hidden")
        layer_outputs = [kernels, kernel_legend, maps, cam, prediction, status]
        refresh = dict(fn=inspect_layer, inputs=[model, layer, *inputs], outputs=layer_outputs, **shared)
        channel_args = dict(fn=show_channel, inputs=[model, layer, channel, *inputs], outputs=large, **shared)
        # The surface sends every finished drawing (pen-up, Undo, Clear, a picture put on it) with `release`.
        # Its `change` also fires when a handler sets its value, before the surface sends that picture
        # again: a digit handed over would be drawn twice, by two events making the same pictures.
        canvas.release(None, None, source, js="() => 'drawing'", trigger_mode="always_last").then(**refresh).then(**channel_args)
        photo.change(None, None, source, js="() => 'upload'").then(**refresh).then(**channel_args)
        source.input(**refresh).then(**channel_args)
        model.change(choose_model, [model, layer], [layer, status, download], api_visibility="private")
        layer.change(**refresh).then(**channel_args)
        channel.change(**channel_args)
        maps.select(pick_channel, [model, layer], channel, **shared)
        download.click(download_weights, [model, layer], [layer, status, download], api_visibility="private", concurrency_limit=1)
        excite_args = dict(
            fn=excite_filter,
            inputs=[model, layer, channel],
            outputs=[excited, excite_caption],
            **dict(shared, show_progress="full"),
        )
        excite_button.click(**excite_args)
        landing = [model, layer, input_tabs, output_tabs, source, canvas]  # what a handed-over digit sets
        received.change(receive_digit, [received, layer], landing, **private)
        sandbox_outputs = [sandbox_picture, sandbox_numbers, sandbox_size, sandbox_worked]
        input_choice.change(input_preset, input_choice, input_text, api_visibility="private")
        kernel_choice.change(kernel_preset, kernel_choice, kernel_text, api_visibility="private")
        sandbox_inputs = [input_text, kernel_text, stride, padding, out_row, out_col, dilation, transposed, palette]
        gr.on([next_button.click, ticker.tick], step_sandbox, sandbox_inputs[:-1], [out_row, out_col], **private)  # all but the palette
        autoplay.change(autoplay_timer, autoplay, ticker, **private)
        gr.on([c.change for c in sandbox_inputs], run_sandbox, sandbox_inputs, sandbox_outputs, **private)
        presets = [input_choice, kernel_choice, input_text, kernel_text]
        edges_sets = [sandbox_box, *presets, stride, padding, dilation, transposed, out_row, out_col]
        edges_button.click(try_edges, None, edges_sets, **private).then(None, js=SCROLL_TO_SANDBOX_JS)
        deeper_button.click(try_deeper_layer, None, [model, layer, output_tabs], **private)
        excite_try.click(try_excite, None, [model, layer, channel, output_tabs], **private).then(**excite_args)
        # The palette: from the address bar first, then the opening example's maps in it (~7 ms); the
        # address bar follows later choices, and the maps, notes and sandbox follow the palette.
        note_args = dict(fn=palette_notes, inputs=palette, outputs=[maps_note, cam_note, sandbox_note], **private)
        opening = page.load(palette_from_url, None, palette, **private)
        opening.then(**note_args).then(**dict(refresh, fn=open_page, inputs=[*refresh["inputs"], received])).then(**channel_args)
        opening.then(run_sandbox, sandbox_inputs, sandbox_outputs, **private)
        palette.change(None, palette, None, js=WRITE_URL_JS)
        palette.input(**note_args).then(**refresh).then(**channel_args)
        # The guided path: each step sets controls up as its Try this does, then runs the page's own computation.
        controls = dict(model=model, layer=layer, channel=channel, source=source, photo=photo, input_tabs=input_tabs)
        controls.update(output_tabs=output_tabs, sandbox=sandbox_box, input_choice=input_choice, kernel_choice=kernel_choice)
        controls.update(input_text=input_text, kernel_text=kernel_text, stride=stride, padding=padding, dilation=dilation)
        controls.update(transposed=transposed, out_row=out_row, out_col=out_col)
        shown = dict(kernels=kernels, kernel_legend=kernel_legend, maps=maps, cam=cam, prediction=prediction, status=status)
        shown.update(large=large, excited=excited, excite_caption=excite_caption, result=path_panel.result)
        shown.update(zip(("sandbox_picture", "sandbox_numbers", "sandbox_size", "sandbox_worked"), sandbox_outputs, strict=True))
        path_panel.wire(
            page,
            setup=functools.partial(set_up_step, controls),
            setup_outputs=list(controls.values()),
            run=functools.partial(run_step, shown),
            run_inputs=[model, layer, channel, source, canvas, photo, palette, *sandbox_inputs[:-1]],
            run_outputs=[component for name, component in shown.items() if name != "result"],
            concurrency_limit=4,
            concurrency_id="filters_models",
            show_progress="full",
        )
        gr.api(feature_maps, api_name="feature_maps", concurrency_limit=4, concurrency_id="filters_models")
        gr.api(convolve, api_name="convolve")
    return page
