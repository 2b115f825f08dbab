"""Train and evaluate the conditional digit GAN on MNIST.

    python -m train.gan --data-dir ../shared/data              # train, save, measure, write the card
    python -m train.gan --evaluate --data-dir ../shared/data   # re-measure the card's numbers

Training uses the shared loop (`core.training.fit`) with the GAN's two-network step. After every
epoch it saves a grid drawn from the same fixed noise to docs/gan/, so the demo can show how the
generator learned. The judge is the shipped digit CNN (`core.digits.predict.load_digit_model("cnn")`):

- class consistency: the share of generated digits the CNN reads as the class that was asked for;
- Frechet distance on the CNN's penultimate features (`DigitCNN.embed`, 128-d) between generated
  digits and the MNIST test set, next to the same distance between MNIST train and test (the floor:
  two real samples are this far apart).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from pathlib import Path

import torch
from PIL import Image

from core.checkpoints import CHECKPOINT_DIR, save_checkpoint, weights_path
from core.data import mnist_tensors
from core.device import pick_device
from core.digits.predict import load_digit_model
from core.digits.preprocess import normalize
from core.gan.models import CHECKPOINT, DIGIT_GAN, TRAIN_COMMAND, DigitGan, adversarial_step, gan_card, load_digit_gan
from core.gan.sample import generate, tile
from core.training import ShuffledBatches, fit, with_progress_bar

SNAPSHOT_DIR = Path(__file__).resolve().parent.parent / "docs" / "gan"
EVALUATE_COMMAND = "python -m train.gan --evaluate --data-dir ../shared/data"
RECIPE = dict(  # one line of reason each
    epochs=15,  # digits are clear after 2-3 epochs; the rest sharpens them
    batch_size=128,  # the DCGAN paper's batch size
    lr=2e-4,  # Adam with beta1 = 0.5: the DCGAN paper's settings, stable for both nets
    diversity=1.0,  # MSGAN's mode-seeking weight: without it G drew one image per class whatever z
    max_minutes=40,  # the CPU budget (2 shared cores): training stops at the step that crosses it
)
EVAL_SAMPLES_PER_CLASS = 1000  # 10,000 generated digits: as many as the test set
EVAL_SEED = 1234  # the evaluation's noise, fixed so that the card can be reproduced exactly
SNAPSHOT_SEED = 7  # the fixed noise behind every per-epoch grid


def snapshot_noise() -> tuple[torch.Tensor, torch.Tensor]:
    """10 rows x 10 columns: each row one digit 0-9, the same 10 noise vectors in every row."""
    z = torch.randn(10, DIGIT_GAN.latent_dim, generator=torch.Generator().manual_seed(SNAPSHOT_SEED))
    return z.repeat(10, 1), torch.arange(10).repeat_interleave(10)


def save_snapshot(model: DigitGan, epoch: int, directory: Path = SNAPSHOT_DIR) -> Path:
    z, labels = snapshot_noise()
    was_training = model.training
    model.eval()
    images = generate(z, labels, model).numpy()
    model.train(was_training)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"epoch_{epoch:02d}.png"
    Image.fromarray(tile(images, columns=10)).save(path, optimize=True)
    return path


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
    return load_digit_model("cnn").cpu()  # loaded outside inference mode, as other callers need gradients


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


def measure(model: DigitGan, data_dir: str | None) -> dict:
    """Consistency and Frechet distances, all on 10,000 digits per side."""
    model.eval()
    z = torch.randn(10 * EVAL_SAMPLES_PER_CLASS, DIGIT_GAN.latent_dim, generator=torch.Generator().manual_seed(EVAL_SEED))
    labels = torch.arange(10).repeat_interleave(EVAL_SAMPLES_PER_CLASS)
    fakes = torch.cat([generate(zc, lc, model) for zc, lc in zip(z.split(1000), labels.split(1000))])
    judge_model()
    predicted, fake_features = judge(fakes)
    per_class = [float((predicted[labels == d] == d).float().mean()) for d in range(10)]

    test_images, _ = mnist_tensors(train=False, root=data_dir)
    train_images, _ = mnist_tensors(train=True, root=data_dir)
    pick = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(EVAL_SEED))[: len(test_images)]
    _, test_features = judge(test_images.float() / 255)
    _, train_features = judge(train_images[pick].float() / 255)
    return {
        "samples": len(labels),
        "class_consistency": round(float((predicted == labels).float().mean()), 4),
        "class_consistency_per_digit": [round(c, 4) for c in per_class],
        "frechet_generated_vs_test": round(frechet_distance(fake_features, test_features), 3),
        "frechet_train_vs_test_floor": round(frechet_distance(train_features, test_features), 3),
    }


# ---------- commands ----------


def train(data_dir: str | None, seed: int, epochs: int | None, max_minutes: float | None, device: torch.device) -> dict:
    recipe = dict(RECIPE, **({"epochs": epochs} if epochs else {}), **({"max_minutes": max_minutes} if max_minutes else {}))
    torch.manual_seed(seed)  # weight initialisation (a command-line run, never a request handler)
    images, labels = mnist_tensors(train=True, root=data_dir)
    scaled = images.float().div(127.5).sub(1)[:, None]  # uint8 0..255 -> [-1, 1], (N, 1, 28, 28)
    batches = ShuffledBatches(scaled, labels, recipe["batch_size"], torch.Generator().manual_seed(seed), drop_last=True)
    model = DigitGan().to(device)
    g, d = model.generator, model.discriminator
    betas = (0.5, 0.999)
    step = adversarial_step(
        g,
        d,
        torch.optim.Adam(g.parameters(), lr=recipe["lr"], betas=betas),
        torch.optim.Adam(d.parameters(), lr=recipe["lr"], betas=betas),
        latent_dim=DIGIT_GAN.latent_dim,
        loss="non-saturating",
        d_steps=1,
        diversity=recipe["diversity"],
        noise=torch.Generator().manual_seed(seed + 1),
        device=device,
    )
    save_snapshot(model, 0)
    epochs_done = 0

    def after_epoch() -> dict:
        nonlocal epochs_done
        epochs_done += 1
        save_snapshot(model, epochs_done)
        return {}

    start = time.perf_counter()
    records = fit(step, batches, recipe["epochs"], evaluate=after_epoch, max_seconds=recipe["max_minutes"] * 60)
    history = []
    for record in with_progress_bar(records, desc="digit GAN"):
        if record.phase == "epoch":
            history.append({"epoch": record.epoch, "steps": record.step, **{k: round(v, 4) for k, v in record.metrics.items()}})
    seconds = time.perf_counter() - start
    model.cpu()
    card = {
        "model": "conditional DCGAN: DigitGenerator + DigitDiscriminator (projection) in core/gan/models.py",
        "config": dataclasses.asdict(DIGIT_GAN),
        "parameters": {"generator": count(g), "discriminator": count(d)},
        "data": "MNIST: the 60,000 training digits as they are, scaled to [-1, 1]",
        "command": TRAIN_COMMAND
        + f" --seed {seed}"
        + (f" --epochs {epochs}" if epochs else "")
        + (f" --max-minutes {max_minutes:g}" if max_minutes else ""),
        "seed": seed,
        "recipe": recipe,
        "loss": "non-saturating, one D step per G step, plus the mode-seeking term (recipe: diversity)",
        "device": str(device),
        "torch": torch.__version__,
        "epochs_done": epochs_done,
        "training_seconds": round(seconds, 1),
        "history": history,
        "snapshots": [f"docs/gan/epoch_{e:02d}.png" for e in range(epochs_done + 1)],
        "evaluate_command": EVALUATE_COMMAND,
    }
    save_checkpoint(model, CHECKPOINT, card)
    size = weights_path(CHECKPOINT).stat().st_size
    card["weights_megabytes"] = round(size / 1e6, 2)
    try:
        card["metrics"] = measure(model, data_dir)
    except FileNotFoundError as missing:  # the judge is not trained yet: --evaluate --update-card later
        print(f"not measured: {missing}")
    save_checkpoint(model, CHECKPOINT, card)
    return card


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def evaluate(data_dir: str | None, update_card: bool) -> bool:
    """Re-measure the shipped GAN; True when the card's numbers are reproduced (or were written)."""
    model = load_digit_gan()
    measured = measure(model, data_dir)
    card = dict(gan_card())
    for key, value in measured.items():
        print(f"{key}: measured {value}, card {card.get('metrics', {}).get(key)}")
    if update_card:
        card["metrics"] = measured
        save_checkpoint(model, CHECKPOINT, card, CHECKPOINT_DIR)
        print("card updated")
        return True
    claimed = card.get("metrics", {})
    same = all(
        math.isclose(measured[k], claimed.get(k, math.nan), rel_tol=1e-3, abs_tol=1e-3)
        for k in ("class_consistency", "frechet_generated_vs_test", "frechet_train_vs_test_floor")
    )
    target = measured["class_consistency"] >= 0.95
    print(f"card {'reproduced' if same else 'MISMATCH'}; consistency target 95% {'met' if target else 'NOT met'}")
    return same and target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None, help="folder with MNIST/raw (default: $GALLERY_DATA_DIR or ./data)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None, help="override the recipe's epoch count")
    parser.add_argument("--max-minutes", type=float, default=None, help="override the recipe's time budget")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: ~10x faster than 2 on a busy shared machine)")
    parser.add_argument("--evaluate", action="store_true", help="measure the shipped checkpoint instead")
    parser.add_argument("--update-card", action="store_true", help="with --evaluate: write the measurements into the card")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.evaluate:
        raise SystemExit(0 if evaluate(args.data_dir, args.update_card) else 1)
    card = train(args.data_dir, args.seed, args.epochs, args.max_minutes, pick_device(args.device))
    print(f"saved {CHECKPOINT} after {card['epochs_done']} epochs in {card['training_seconds']}s: {card.get('metrics')}")


if __name__ == "__main__":
    main()
