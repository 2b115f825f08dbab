"""The augmentation page's "Try this" experiments: an example digit and a pipeline, set up in one click,
and the pipeline's widgets (one per transform parameter, in catalogue order) turned to and from steps."""

from __future__ import annotations

from dataclasses import dataclass

from core.augment.catalogue import CATALOGUE


@dataclass(frozen=True)
class Experiment:
    title: str  # the button's label
    digit: int  # which example digit it loads onto the canvas
    steps: tuple[dict, ...]  # the pipeline, in order; parameters not given keep their defaults
    what: str  # one sentence: what to look for in the samples


EXPERIMENTS = (
    Experiment(
        "Flip a 6",
        6,
        ({"transform": "hflip", "p": 0.5}, {"transform": "vflip", "p": 0.5}),
        "Flipped both ways (a half turn) the 6 reads as a 9, mirrored it reads as another digit: flips are not label-safe for digits.",
    ),
    Experiment(
        "Too much rotation",
        6,
        ({"transform": "rotation", "degrees": 180.0},),
        "Turned by up to 180°, about half the samples read as a 9 or a 0: keep rotations small for digits.",
    ),
    Experiment(
        "Label-safe pipeline",
        2,
        (
            {"transform": "rotation", "degrees": 10.0},
            {"transform": "affine", "translate": 0.1, "shear": 5.0},
            {"transform": "elastic", "alpha": 30.0},
        ),
        "Small turns, shifts, shears and a rubber-sheet wobble: every sample looks different and still reads as a 2.",
    ),
)


def steps_from_widgets(chosen: list[str], values: list) -> list[dict]:
    """The transforms picked, in the order picked, each with its widgets' values."""
    given, at = {}, 0
    for key, spec in CATALOGUE.items():
        given[key] = {p.name: v for p, v in zip(spec.params, values[at : at + len(spec.params)])}
        at += len(spec.params)
    return [{"transform": key, **given[key]} for key in chosen or []]


def widgets_from_steps(steps: tuple[dict, ...] | list[dict]) -> tuple[list[str], list]:
    """The inverse: steps -> (the transforms picked, every widget's value); parameters not in a step
    take their defaults, so an experiment also undoes what an earlier one set."""
    given = {step["transform"]: step for step in steps}
    values = [given.get(key, {}).get(p.name, p.default) for key, spec in CATALOGUE.items() for p in spec.params]
    return [step["transform"] for step in steps], values
