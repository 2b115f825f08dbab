"""The sketcher page's fixed texts: the prompt it opens on, the notes under its outputs, what each
Try-this button puts on the page to look at, and the attribution methods as its dropdowns list them.
Plain Python (what a reading says is core.digits.captions)."""

from __future__ import annotations

DRAW_PROMPT = "✏️ Draw a digit (or upload a photo of one) and the models will read it."
NO_DIGIT = "Nothing to work on yet: draw a digit (or load an example) first."
WHAT_BARS = (
    "**What you see:** how sure each network is of each digit; the longest bar is its answer. They add up to 100% even for a scribble."
)
WHAT_PICTURES = (
    "**What you see:** left, the 28×28 digit both networks read (cropped, scaled and centred like MNIST); then each network's reasons."
)
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
