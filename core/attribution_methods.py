"""The five attribution methods by name: what each computes and where it misleads, shown on the
pages beside its pictures. Torch-free, so a page can show the notes and refuse an unknown method
before torch and Captum are imported; the methods themselves are in `core.explain`."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import UserError


@dataclass(frozen=True)
class Method:
    title: str  # what the page calls it
    computes: str  # one line: what the numbers are
    misleads: str  # one line: where they mislead
    needs_convolution: bool = False  # Grad-CAM reads a convolutional layer's maps


METHODS = {
    "saliency": Method(
        "Saliency",
        "the gradient of the answer's score with respect to each input: how fast the score moves if that input moves a little.",
        "it is local and noisy: it lights up where a change would matter (often blank paper), not what the input actually contributed.",
    ),
    "integrated_gradients": Method(
        "Integrated gradients",
        "gradients averaged along a straight path from a blank input to yours, times the difference: "
        "the attributions add up to the change in score.",
        "the answer depends on the blank you start from, and the path passes through inputs the model never saw.",
    ),
    "smoothgrad": Method(
        "SmoothGrad",
        "the gradient averaged over noisy copies of the input: saliency with the speckle smoothed away.",
        "smoother is not truer: the noise level is a knob that changes the picture, and it still shows sensitivity, not contribution.",
    ),
    "occlusion": Method(
        "Occlusion",
        "how much the score drops when a patch (or a word) is blanked out, one at a time.",
        "blanked inputs are unlike anything in training, and the patch size sets what it can see: "
        "two parts that each suffice alone both score near zero.",
    ),
    "gradcam": Method(
        "Grad-CAM",
        "the last convolutional layer's maps, weighted by how much each one raises the score, scaled up to the input.",
        "it is as coarse as that layer (7×7 here) and shows only what speaks for the answer, never against it.",
        needs_convolution=True,
    ),
}
IMAGE_METHODS = tuple(METHODS)
# Grad-CAM needs a grid of positions with channels over them (a convolution's maps); word embeddings
# have positions but their features are not local patterns, and the GRU has no such layer at all.
TEXT_METHODS = tuple(name for name, method in METHODS.items() if not method.needs_convolution)


def checked_method(method, allowed: tuple[str, ...] = IMAGE_METHODS) -> str:
    """A method name a user sent -> that name, or a UserError that lists the allowed ones."""
    if not isinstance(method, str) or method not in allowed:
        raise UserError(f"method must be one of {', '.join(allowed)}; got {str(method)[:40]!r}.")
    return method


# On words the gradient methods give each word its gradient times its embedding's distance from the
# blank, summed over the embedding; Grad-CAM is not offered, and this says why.
WORDS_NOTE = (
    "On words, saliency and SmoothGrad give each word its gradient times the distance of its embedding from a blank word "
    "(a one-step integrated gradients); occlusion blanks whole words (neighbouring words together in a long review). "
    "No Grad-CAM here: it weighs a convolutional layer's maps over positions, and neither model has one "
    "(the GRU reads words in order, MiniLM's layers are attention)."
)
