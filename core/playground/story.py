"""The story the six presets tell, judged from their results: memorising opens a gap between training
and validation accuracy, each fix narrows it, and one hidden unit cannot even fit the training set.

    figures = preset_figures()          # trains the six presets, seed 0, as the page does
    for claim, holds in story(figures):
        print(claim, holds)

Seeded runs give the same figures on one machine, but not across machines: another CPU's kernels
(or another torch) round differently, and 200 epochs of fitting 40 noisy points carry that into the
results (one training point is 2.5 points of accuracy). So the story is told in gaps and orderings,
each with a margin that other kernels keep, never in digits. `python -m bench.overfit --presets`
prints the figures and the story; tests/test_overfit.py checks the story on fresh runs, under two
sets of CPU kernels in CI (.ci/run), and on the figures the README states.
"""

from __future__ import annotations

import math
from dataclasses import replace

from core.playground.experiment import PRESETS, EpochRecord, PlaygroundRun, Settings, kept_metrics

MEMORISED_TRAIN = 0.97  # memorising fits (nearly) every one of its 40 training points
MEMORISED_GAP = 0.10  # ... and its training accuracy is at least 10 points above validation
NARROWED_BY = 0.05  # each fix's gap is at least 5 points narrower than memorising's
UNDERFIT_BELOW = 0.25  # one hidden unit fits the training set at least 25 points worse than memorising
MEMORISE = "memorise the noise"
FIXES = ("fix it with dropout", "fix it with weight decay", "fix it with more data", "stop early")
UNDERFIT = "underfit"

Figures = dict[str, tuple[float, float]]  # preset name -> (train accuracy, validation accuracy), as fractions


def uncapped_run(settings: Settings) -> list[EpochRecord]:
    """Every record of a run with these (checked) settings, trained to its end whatever the time: a
    seeded run's figures then depend on the code and the CPU's kernels, never on how busy the
    machine is (the page's wall-time cap cut "more data" short on a loaded 2-core machine)."""
    run = PlaygroundRun(settings)
    run.settings = replace(run.settings, max_seconds=math.inf)  # the cap protects a server, not a measurement
    return list(run.records())


def preset_figures() -> Figures:
    """Train every preset (seed 0) to its end; the accuracies of the model each run ends with (the
    best epoch's after early stopping), as the page shows them."""
    figures = {}
    for name, settings in PRESETS.items():
        kept = kept_metrics(uncapped_run(settings))
        figures[name] = (kept.train_accuracy, kept.val_accuracy)
    return figures


def story(figures: Figures) -> list[tuple[str, bool]]:
    """Each claim the presets make, in words, and whether `figures` bear it out."""
    gap = {name: train - val for name, (train, val) in figures.items()}
    memorised_train = figures[MEMORISE][0]
    claims = [
        (
            f"memorising fits the training set (at least {MEMORISED_TRAIN:.0%}) and opens a train/validation gap of at least "
            f"{100 * MEMORISED_GAP:.0f} points",
            memorised_train >= MEMORISED_TRAIN and gap[MEMORISE] >= MEMORISED_GAP,
        )
    ]
    for fix in FIXES:
        claims.append((f"'{fix}' narrows that gap by at least {100 * NARROWED_BY:.0f} points", gap[fix] <= gap[MEMORISE] - NARROWED_BY))
    claims.append(
        (
            f"'{UNDERFIT}' fits the training set at least {100 * UNDERFIT_BELOW:.0f} points worse than memorising",
            figures[UNDERFIT][0] <= memorised_train - UNDERFIT_BELOW,
        )
    )
    return claims
