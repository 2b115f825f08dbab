"""Train and evaluate the conditional digit GAN on MNIST.

    python -m train.gan --data-dir ../shared/data              # train, save, measure, write the card
    python -m train.gan --evaluate --data-dir ../shared/data   # re-measure the card's numbers

Training uses the shared loop (`core.training.fit`) with the GAN's two-network step and keeps an
exponential moving average of G's weights, which is what ships. After every epoch it saves a grid
drawn by that average from the same fixed noise to docs/gan/, so the demo can show how the
generator learned. The judge is the shipped digit CNN (`core.digits.predict.load_digit_model("cnn")`):

- class consistency: the share of 10,000 generated digits (1,000 per class) that the CNN reads as
  the class that was asked for;
- Frechet distance on the CNN's penultimate features (`DigitCNN.embed`, 128-d) between 10,000
  generated digits, asked for in the MNIST test set's class proportions, and the test set; next to
  the same distance between 10,000 MNIST training digits and the test set (the floor: two real
  samples are this far apart).

`--evaluate` measures them again and holds them to the card within a tolerance that another CPU's
kernels keep (they may flip a generated digit that sits on the edge between two classes, and move a
distance in its last digits): class consistency within CONSISTENCY_TOLERANCE, 10 of the 10,000 digits
read differently, and each Fréchet distance within FRECHET_TOLERANCE, 5%. It exits 1 unless the card
holds and the measurement meets the targets.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image
from torch.optim.swa_utils import AveragedModel

from core.checkpoints import CHECKPOINT_DIR, save_checkpoint, weights_path
from core.data import mnist_tensors
from core.device import pick_device
from core.digits.predict import load_digit_model
from core.digits.preprocess import normalize
from core.gan.models import (
    CHECKPOINT,
    DIGIT_GAN,
    TRAIN_COMMAND,
    DigitGan,
    DigitGenerator,
    adversarial_step,
    gan_card,
    load_digit_gan,
    standing_statistics,
)
from core.gan.sample import generate, tile
from core.training import ShuffledBatches, fit, with_progress_bar
from train.cards import matches_card

SNAPSHOT_DIR = Path(__file__).resolve().parent.parent / "docs" / "gan"
EVALUATE_COMMAND = "python -m train.gan --evaluate --data-dir ../shared/data"
EVAL_SAMPLES_PER_CLASS = 1000  # 10,000 generated digits: as many as the test set
EVAL_SEED = 1234  # the evaluation's noise, fixed so that the card can be reproduced exactly
SNAPSHOT_SEED = 7  # the fixed noise behind every per-epoch grid
STATISTICS_SEED = 99  # the noise behind the shipped G's BatchNorm statistics
TARGET_CONSISTENCY = 0.99  # the bar: every class right
TARGET_FRECHET_OVER_FLOOR = 3.0  # the bar: near-real features
CONSISTENCY_TOLERANCE = 10  # generated digits a re-measurement may see read differently from the card (train.cards)
FRECHET_TOLERANCE = 0.05  # relative: each re-measured Fréchet distance within 5% of the card's
FRECHET_KEYS = ("frechet_generated_vs_test", "frechet_train_vs_test_floor", "frechet_balanced_generated_vs_test")


@dataclass(frozen=True)
class GanRecipe:
    epochs: int = 20  # what fits the time budget below on 2 shared CPU cores
    batch_size: int = 64  # SNGAN's batch size: more updates per epoch than 128
    g_lr: float = 2e-4  # two time-scale rule (Heusel et al. 2017): G slower than D...
    d_lr: float = 4e-4  # ... so D stays a good critic with one D step per G step
    betas: tuple = (0.0, 0.9)  # Adam without momentum in the first moment: SNGAN/BigGAN's setting for hinge GANs
    ema_decay: float = 0.999  # G's shipped weights average the last ~1,000 steps: smoother, truer digits
    max_minutes: float = 60.0  # the CPU budget: training stops at the step that crosses it


RECIPE = GanRecipe()
METRICS_NOTE = (
    "class_consistency: 1,000 digits per class; frechet_generated_vs_test: 10,000 digits asked for with the test set's own "
    "labels, so both sides have the same classes in the same proportions (the floor's random training digits have them "
    "nearly so); frechet_balanced_generated_vs_test: the 1,000-per-class digits, whose uneven-vs-even class mix adds to it "
    "(10,000 real training digits, 1,000 per class, are 0.021 from the test set). Target: consistency >= 0.99 and "
    "frechet_generated_vs_test <= 3x frechet_train_vs_test_floor."
)
OLD_MODEL = {  # the model this one replaced (commit 7df73e8), for comparison
    "model": "conditional DCGAN, non-saturating loss, mode-seeking term, minibatch-spread map, no EMA",
    "parameters": {"generator": 441665, "discriminator": 68476},
    "weights_megabytes": 2.07,
    "training": "15 epochs in 23 min on 2 busy CPU cores",
    "class_consistency": 0.9566,
    "frechet_generated_vs_test": 0.162,
    "frechet_train_vs_test_floor": 0.015,
    "frechet_note": "measured then with 1,000 generated digits per class (balanced), not the test set's proportions",
}


def snapshot_noise() -> tuple[torch.Tensor, torch.Tensor]:
    """10 rows x 10 columns: each row one digit 0-9, the same 10 noise vectors in every row."""
    z = torch.randn(10, DIGIT_GAN.latent_dim, generator=torch.Generator().manual_seed(SNAPSHOT_SEED))
    return z.repeat(10, 1), torch.arange(10).repeat_interleave(10)


def save_snapshot(generator: DigitGenerator, epoch: int, directory: Path = SNAPSHOT_DIR) -> Path:
    z, labels = snapshot_noise()
    with torch.inference_mode():
        images = ((generator.eval()(z, labels)[:, 0] + 1) / 2).clamp(0, 1).numpy()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"epoch_{epoch:02d}.png"
    Image.fromarray(tile(images, columns=10)).save(path, optimize=True)
    return path


def moving_average(decay: float):
    """AveragedModel's `avg_fn` for an exponential moving average whose decay ramps up to `decay`
    ((1 + n) / (10 + n) at update n): early epochs' grids are not mostly the random initial weights."""

    def average(averaged: torch.Tensor, current: torch.Tensor, updates: torch.Tensor) -> torch.Tensor:
        weight = min(decay, (1 + float(updates)) / (10 + float(updates)))
        return weight * averaged + (1 - weight) * current

    return average


def averaged_generator(ema: AveragedModel) -> DigitGenerator:
    """A copy of the moving-average generator with BatchNorm statistics of its own, in eval mode."""
    return standing_statistics(copy.deepcopy(ema.module).cpu(), torch.Generator().manual_seed(STATISTICS_SEED))


# ---------- measurement ----------


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Frechet distance between Gaussians fitted to two (N, D) feature sets.

    |mu_a - mu_b|^2 + tr(C_a + C_b - 2 (C_a^1/2 C_b C_a^1/2)^1/2), in float64 with symmetric
    eigendecompositions (no complex square roots).
    """
    a, b = a.double(), b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    values, vectors = torch.linalg.eigh(cov_a)
    root_a = vectors @ torch.diag(values.clamp(min=0).sqrt()) @ vectors.T
    middle = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()
    return float((mu_a - mu_b).square().sum() + cov_a.trace() + cov_b.trace() - 2 * middle)


def judge_model() -> torch.nn.Module:
    # A CPU copy: the cached model is shared with every other caller in the process, on its device.
    return copy.deepcopy(load_digit_model("cnn")).cpu()


@torch.inference_mode()
def judge(images: torch.Tensor, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 28, 28) ink in [0, 1] -> the digit CNN's (N,) predicted classes and (N, 128) features.

    The images go through `core.digits.preprocess.normalize`, as the CNN's training digits did.
    """
    model = judge_model()
    predictions, features = [], []
    for chunk in images.split(batch_size):
        h = model.embed(normalize(chunk[:, None].float()))  # (B, 128)
        features.append(h)
        predictions.append(model.head(h).argmax(1))
    return torch.cat(predictions), torch.cat(features)


def generated(model: DigitGan, labels: torch.Tensor, seed: int) -> torch.Tensor:
    """(N, 28, 28) digits of the given classes from noise seeded with `seed`."""
    z = torch.randn(len(labels), DIGIT_GAN.latent_dim, generator=torch.Generator().manual_seed(seed))
    return torch.cat([generate(zc, lc, model) for zc, lc in zip(z.split(1000), labels.split(1000))])


def measure(model: DigitGan, data_dir: str | None) -> dict:
    """Consistency (1,000 digits per class) and Frechet distances (10,000 digits per side)."""
    model.eval()
    test_images, test_labels = mnist_tensors(train=False, root=data_dir)
    train_images, _ = mnist_tensors(train=True, root=data_dir)
    balanced = torch.arange(10).repeat_interleave(EVAL_SAMPLES_PER_CLASS)
    predicted, balanced_features = judge(generated(model, balanced, EVAL_SEED))
    per_class = [float((predicted[balanced == d] == d).float().mean()) for d in range(10)]
    _, fake_features = judge(generated(model, test_labels, EVAL_SEED + 1))  # the test set's classes, in its proportions
    pick = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(EVAL_SEED))[: len(test_images)]
    _, test_features = judge(test_images.float() / 255)
    _, train_features = judge(train_images[pick].float() / 255)
    return {
        "samples": len(balanced),
        "class_consistency": round(float((predicted == balanced).float().mean()), 4),
        "class_consistency_per_digit": [round(c, 4) for c in per_class],
        "frechet_generated_vs_test": round(frechet_distance(fake_features, test_features), 4),
        "frechet_train_vs_test_floor": round(frechet_distance(train_features, test_features), 4),
        "frechet_balanced_generated_vs_test": round(frechet_distance(balanced_features, test_features), 4),
    }


def matches_gan_card(measured: dict, claimed: dict) -> bool:
    """True when a re-measurement is the card's: consistency within CONSISTENCY_TOLERANCE digits of
    the same number of samples, each Fréchet distance within FRECHET_TOLERANCE of the card's."""
    consistency = matches_card(
        {"accuracy": measured["class_consistency"], "examples": measured["samples"]},
        {"accuracy": claimed["class_consistency"], "examples": claimed["samples"]} if "class_consistency" in claimed else None,
        CONSISTENCY_TOLERANCE,
    )
    return consistency and all(math.isclose(measured[k], claimed.get(k, math.nan), rel_tol=FRECHET_TOLERANCE) for k in FRECHET_KEYS)


def meets_targets(metrics: dict) -> bool:
    frechet_limit = TARGET_FRECHET_OVER_FLOOR * metrics["frechet_train_vs_test_floor"]
    return metrics["class_consistency"] >= TARGET_CONSISTENCY and metrics["frechet_generated_vs_test"] <= frechet_limit


# ---------- commands ----------


def train(data_dir: str | None, seed: int, recipe: GanRecipe, device: torch.device, output_dir: Path = CHECKPOINT_DIR) -> dict:
    """Train from scratch; write the checkpoint and card to `output_dir` and the per-epoch grids
    to docs/gan/ (to `output_dir`/snapshots for a trial run elsewhere)."""
    snapshots = SNAPSHOT_DIR if Path(output_dir) == CHECKPOINT_DIR else Path(output_dir) / "snapshots"
    for stale in snapshots.glob("epoch_*.png"):  # a previous run's grids
        stale.unlink()
    torch.manual_seed(seed)  # weight initialisation (a command-line run, never a request handler)
    images, labels = mnist_tensors(train=True, root=data_dir)
    scaled = images.float().div(127.5).sub(1)[:, None]  # uint8 0..255 -> [-1, 1], (N, 1, 28, 28)
    batches = ShuffledBatches(scaled, labels, recipe.batch_size, torch.Generator().manual_seed(seed), drop_last=True)
    model = DigitGan().to(device)
    g, d = model.generator, model.discriminator
    ema = AveragedModel(g, avg_fn=moving_average(recipe.ema_decay))
    adversarial = adversarial_step(
        g,
        d,
        torch.optim.Adam(g.parameters(), lr=recipe.g_lr, betas=recipe.betas),
        torch.optim.Adam(d.parameters(), lr=recipe.d_lr, betas=recipe.betas),
        latent_dim=DIGIT_GAN.latent_dim,
        loss="hinge",
        noise=torch.Generator().manual_seed(seed + 1),
        device=device,
    )

    def step(batch) -> dict:
        metrics = adversarial(batch)
        ema.update_parameters(g)
        return metrics

    save_snapshot(averaged_generator(ema), 0, snapshots)
    epochs_done = 0

    def after_epoch() -> dict:
        nonlocal epochs_done
        epochs_done += 1
        save_snapshot(averaged_generator(ema), epochs_done, snapshots)
        return {}

    start = time.perf_counter()
    records = fit(step, batches, recipe.epochs, evaluate=after_epoch, max_seconds=recipe.max_minutes * 60)
    history = []
    for record in with_progress_bar(records, desc="digit GAN"):
        if record.phase == "epoch":
            history.append({"epoch": record.epoch, "steps": record.step, **{k: round(v, 4) for k, v in record.metrics.items()}})
    seconds = time.perf_counter() - start
    model.cpu()
    model.generator.load_state_dict(averaged_generator(ema).state_dict())  # ship the moving average
    card = {
        "model": "conditional GAN in core/gan/models.py: DigitGenerator (learned class embedding) + DigitDiscriminator "
        "(spectral norm, projection); G ships as the moving average of its weights",
        "config": dataclasses.asdict(DIGIT_GAN),
        "parameters": {"generator": count(g), "discriminator": count(d)},
        "data": "MNIST: the 60,000 training digits as they are, scaled to [-1, 1]",
        "command": f"{TRAIN_COMMAND} --seed {seed} --epochs {recipe.epochs} --max-minutes {recipe.max_minutes:g}",
        "seed": seed,
        "recipe": dataclasses.asdict(recipe),
        "loss": "hinge, one D step per G step, two time-scale learning rates",
        "device": str(device),
        "machine": f"{torch.get_num_threads()} torch thread(s) on {os.cpu_count()} CPU cores shared with other jobs, no GPU"
        if device.type == "cpu"
        else str(device),
        "torch": torch.__version__,
        "epochs_done": epochs_done,
        "training_seconds": round(seconds, 1),
        "steps_done": history[-1]["steps"] if history else 0,
        "steps_planned": len(batches) * recipe.epochs,  # more than steps_done: the time budget stopped it
        "history": history,
        "snapshots": [f"docs/gan/epoch_{e:02d}.png" for e in range(epochs_done + 1)],
        "evaluate_command": EVALUATE_COMMAND,
        "old_model": OLD_MODEL,
    }
    save_checkpoint(model, CHECKPOINT, card, output_dir)
    card["weights_megabytes"] = round(weights_path(CHECKPOINT, output_dir).stat().st_size / 1e6, 2)
    card["metrics"] = measure(model, data_dir)
    card["metrics_note"] = METRICS_NOTE
    save_checkpoint(model, CHECKPOINT, card, output_dir)
    return card


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def evaluate(data_dir: str | None, update_card: bool) -> bool:
    """Re-measure the shipped GAN; True when the card's numbers are reproduced (or were written)
    and they meet the targets."""
    model = load_digit_gan()
    measured = measure(model, data_dir)
    card = dict(gan_card())
    for key, value in measured.items():
        print(f"{key}: measured {value}, card {card.get('metrics', {}).get(key)}")
    if update_card:
        card["metrics"] = measured
        save_checkpoint(model, CHECKPOINT, card, CHECKPOINT_DIR)
        print("card updated")
    same = matches_gan_card(measured, card.get("metrics", {}))
    target = meets_targets(measured)
    ratio = measured["frechet_generated_vs_test"] / measured["frechet_train_vs_test_floor"]
    print(
        f"card {'reproduced' if same else 'MISMATCH'} (tolerance: {CONSISTENCY_TOLERANCE} digits read differently, "
        f"Fréchet within {FRECHET_TOLERANCE:.0%}); targets (consistency >= {TARGET_CONSISTENCY:.0%}, Frechet <= "
        f"{TARGET_FRECHET_OVER_FLOOR:g}x floor; measured {ratio:.2f}x) {'met' if target else 'NOT met'}"
    )
    return same and target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None, help="folder with MNIST/raw (default: $GALLERY_DATA_DIR or ./data)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=RECIPE.epochs, help="override the recipe's epoch count")
    parser.add_argument("--max-minutes", type=float, default=RECIPE.max_minutes, help="override the recipe's time budget")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: ~10x faster than 2 on a busy shared machine)")
    parser.add_argument(
        "--evaluate",
        action="store_true",
        help=f"measure the shipped checkpoint instead; exits 1 unless the card holds (consistency within {CONSISTENCY_TOLERANCE} "
        f"of 10,000 digits, each Fréchet distance within {FRECHET_TOLERANCE:.0%}) and the targets are met",
    )
    parser.add_argument("--output-dir", type=Path, default=CHECKPOINT_DIR, help="where a trial run writes (default: checkpoints/)")
    parser.add_argument("--update-card", action="store_true", help="with --evaluate: write the measurements into the card")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.evaluate:
        raise SystemExit(0 if evaluate(args.data_dir, args.update_card) else 1)
    recipe = dataclasses.replace(RECIPE, epochs=args.epochs, max_minutes=args.max_minutes)
    card = train(args.data_dir, args.seed, recipe, pick_device(args.device), args.output_dir)
    print(f"saved {CHECKPOINT} after {card['epochs_done']} epochs in {card['training_seconds']}s: {card.get('metrics')}")


if __name__ == "__main__":
    main()
