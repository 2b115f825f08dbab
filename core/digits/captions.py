"""What the sketcher says about a reading, in words: the verdict, the legends and the alt texts of
its maps (in the palette's colour names), each attribution method's note, and the models' accuracies.
Torch-free. The page's fixed texts are core.digits.notes."""

from __future__ import annotations

import numpy as np

from core.attribution_methods import METHODS
from core.digits.pictures import colour_words


def verdict(cnn: np.ndarray, mlp: np.ndarray) -> str:
    c, m = int(cnn.argmax()), int(mlp.argmax())
    if c == m:
        return f"Both models read a **{c}** (CNN {cnn[c]:.0%}, MLP {mlp[m]:.0%} sure)."
    return f"They disagree: the CNN reads a **{c}** ({cnn[c]:.0%}), the MLP a **{m}** ({mlp[m]:.0%})."


def legend(palette: str = "default") -> str:
    against, towards = colour_words(palette)
    return (
        "**Attribution method: integrated gradients** (32 steps from a blank canvas). "
        f"{towards.capitalize()} strokes pushed the model *towards* its answer, {against} strokes pushed *against* it; "
        "the stronger the colour, the bigger the push."
    )


def compare_legend(palette: str = "default") -> str:
    against, towards = colour_words(palette)
    return (
        "Two attribution methods side by side, on the 28×28 digit the network reads, for the answer it gave. "
        f"{towards.capitalize()} pushed towards that answer, {against} against it. Each note says what the method computes and where it misleads."
    )


def map_alt(model: str, probabilities: np.ndarray, palette: str = "default", method: str = "integrated gradients") -> str:
    """What a screen reader says of an attribution map."""
    against, towards = colour_words(palette)
    return f"Your strokes coloured by the {model}'s {method} for its answer {int(probabilities.argmax())}: {towards} pushed towards it, {against} against"


def method_note(method: str, kind: str = "cnn") -> str:
    """One method's note (what it computes, where it misleads), or why it does not apply to `kind`."""
    about = METHODS[method]
    if about.needs_convolution and kind != "cnn":
        return f"**{about.title}** needs a convolutional layer, and the MLP has none: choose another method, or the CNN."
    return f"**{about.title}**: {about.computes} *Misleads:* {about.misleads}"


def method_alt(method: str, kind: str, palette: str = "default") -> str:
    """What a screen reader says of one method's picture in the comparison."""
    about = METHODS[method]
    if about.needs_convolution and kind != "cnn":
        return f"No picture: {about.title} needs a convolutional layer, and the {kind.upper()} has none"
    against, towards = colour_words(palette)
    return f"The digit coloured by {about.title} for the {kind.upper()}'s answer: {towards} for it, {against} against"


def accuracy_caption(kind: str, card: dict) -> str:
    """A model's accuracy on the MNIST test set, from its model card (core.digits.predict.digit_card)."""
    return f"{kind.upper()}: {card['test_accuracy']:.2%} on the 10,000 MNIST test digits"
