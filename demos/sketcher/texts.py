"""The sketcher page's words: the prompt it opens on, the notes under its outputs, what each Try-this
button puts on the page to look at, the attribution methods as its dropdowns list them, and what it
says about a reading (the verdict, the legends and alt texts of its maps in the palette's colour
names, each method's note, the models' accuracies)."""

from __future__ import annotations

import numpy as np

from core.attribution_methods import METHODS
from core.digits.pictures import colour_words

DRAW_PROMPT = "✏️ Draw a digit (or upload a photo of one) and the models will read it."
NO_DIGIT = "Nothing to work on yet: draw a digit (or load an example) first."
NOT_A_DIGIT = "That digit could not be read: the address or the hand-over was damaged."
NO_INK_KEPT = " The reading shown is the previous one."  # after core's NoInkError message, for an upload
WHAT_BARS = (
    "**What you see:** how sure each network is of each digit; the longest bar is its answer. They add up to 100% even for a scribble."
)
WHAT_PICTURES = (
    "**What you see:** left, the 28×28 digit both networks read (cropped, scaled and centred like MNIST); then each network's reasons."
)
SEEN_ALT = "Your digit as the networks read it: 28 by 28 pixels, white on black"
TRY_NOTES = {
    "serif": "**A 1 with a long serif** is on the canvas. The CNN reads a 1, the MLP a 7: the MLP weighs each pixel where it "
    "lies, and that long top stroke lies where 7s have theirs. Add a base with the pen: do they agree now?",
    "smudge": "**Smudged:** a thumb's blot in the lower left of the digit the networks read. Do the answers move? The maps "
    "show whether the blot pushed for or against each answer. Undo keeps the smudged digit; Clear starts again.",
    "methods": "**Saliency and SmoothGrad**, side by side below: SmoothGrad averages saliency over noisy copies of the digit. "
    "Smoother is not truer: read each note for where the method misleads.",
}
METHOD_CHOICES = [("Saliency", "saliency"), ("Integrated gradients", "integrated_gradients"), ("SmoothGrad", "smoothgrad")]
METHOD_CHOICES += [("Occlusion", "occlusion"), ("Grad-CAM (CNN only)", "gradcam")]


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


CLASS_DRAWING = (
    "**Your class is collecting digits.** Say which digit you meant, then send the drawing: your teacher's board "
    "shows what the CNN read for the whole class's digits."
)
