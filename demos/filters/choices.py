"""What the filter visualiser offers and says, free of torch so that its page lays out without loading
a model: the models, the digit CNN's layers, the examples, the prompt and messages, and what each Try
this sets. (The notes beside its outputs are demos/lessons/filters_notes.md.)"""

from __future__ import annotations

from core.vision.convolution import input_text, kernel_text

MODELS = [("Digit CNN (MNIST)", "digits"), ("ResNet-18 (ImageNet, pretrained)", "resnet18")]
DIGIT_LAYERS = ["conv1", "conv2", "conv3", "conv4", "conv5"]  # DigitCNN's convolutions (a test checks)
EXAMPLES = {  # shown by name: a button with words in it, not an unnamed thumbnail; files under demos/assets
    "A 3": "digit_3.png",
    "A thin 4": "digit_4_thin.png",
    "A 7, white on black": "digit_7_white_on_black.png",
    "A photographed 9": "digit_9_photo.jpg",
    "A photo (Grace Hopper, for ResNet-18)": "filters/grace_hopper.jpg",
}
PROMPT = "✏️ Draw a digit or pick an example, then choose a layer."
DOWNLOADING = "Downloading the weights: this can take a minute."
NOT_A_DIGIT = "The digit sent to this page could not be read: draw one here, or send it again."
EXCITE_EXAMPLE = ("conv3", 10)  # "Try this": a mid-level filter whose favourite input looks like a stroke
EDGES_EXAMPLE = ("vertical edge", "edge (vertical, Sobel)")  # "Try this": the sandbox's input and kernel presets


def digit_layer(layer: str | None) -> str:
    """The layer to show a digit handed over in: `layer` when the digit CNN has it, else its first."""
    return layer if layer in DIGIT_LAYERS else DIGIT_LAYERS[0]


def edges_example() -> tuple:
    """Try this: a vertical edge under a vertical-edge kernel. The sandbox's presets, their numbers,
    stride 1, padding 0, dilation 1, not transposed, and the worked cell (0, 2): the edge's strongest output."""
    image, kernel = EDGES_EXAMPLE
    return image, kernel, input_text(image), kernel_text(kernel), 1, 0, 1, False, 0, 2
