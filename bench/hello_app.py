"""The floor for start-up time: the smallest Gradio app, served the way app.py serves."""

import gradio as gr


def greet(name: str) -> str:
    return f"Hello {name}"


if __name__ == "__main__":
    with gr.Blocks() as demo:
        box = gr.Textbox()
        box.submit(greet, box, box)
    demo.launch()
