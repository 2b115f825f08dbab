"""Train and evaluate the digit models on MNIST.

    python -m train.digits --model cnn --data-dir ../shared/data
    python -m train.digits --model mlp --data-dir ../shared/data
    python -m train.digits --evaluate --data-dir ../shared/data   # re-measure the cards (exits 1 unless they hold)

Every digit, train and test, first goes through `core.digits.preprocess.prepare_digit`, the function the
app applies to a canvas or a photo. Training then adds mild augmentation on the batch: small
rotations, shifts, scale and shear, and thicker or thinner strokes.

`--evaluate` holds each model to its card within CARD_TOLERANCE: 10 of the 10,000 test digits read
differently (0.1 point). Another CPU's kernels (or another torch) may flip a digit that sits on the
edge between two classes, so a card made on another machine is held to its figure give or take those.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from core.checkpoints import save_checkpoint
from core.data import mnist_tensors
from core.device import pick_device
from core.digits.predict import ARCHITECTURES, CHECKPOINTS, digit_card, load_digit_model, train_command
from core.digits.preprocess import normalize, prepare_digit
from core.training import ShuffledBatches, evaluate_classifier, fit, supervised_step, with_progress_bar
from train.cards import matches_card, right

RECIPES = {  # one line of reason each: what makes that model reach its target on a CPU
    "cnn": dict(epochs=12, batch_size=128, lr=3e-3, weight_decay=5e-4),  # OneCycle AdamW: fast, 99.5%+
    "mlp": dict(epochs=30, batch_size=128, lr=2e-3, weight_decay=1e-4),  # small net: many cheap epochs
}
CARD_TOLERANCE = 10  # test digits a re-measurement may read differently from the card (train.cards)


def prepare_all(images: torch.Tensor) -> torch.Tensor:
    """(N, 28, 28) uint8 MNIST digits -> (N, 1, 28, 28) float [0, 1] through `prepare_digit`."""
    return torch.from_numpy(np.stack([prepare_digit(img).image for img in images.numpy()]))[:, None]


def augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mild, label-safe augmentation of a (B, 1, 28, 28) [0, 1] batch, all samples at once.

    Rotation +-12 deg, scale 0.85-1.1, shear +-8 deg, shift +-2 px; a third of the strokes are
    thickened and a sixth thinned by a 2x2 grey dilation or erosion.
    """
    b = batch.shape[0]

    def uniform(low, high):
        return torch.rand(b, generator=generator) * (high - low) + low

    angle, shear = uniform(-12, 12) * math.pi / 180, uniform(-8, 8) * math.pi / 180
    scale = uniform(0.85, 1.1)
    shift = (torch.rand(b, 2, generator=generator) * 4 - 2) / 14  # pixels -> [-1, 1] grid units
    rotation = torch.stack([torch.cos(angle), -torch.sin(angle), torch.sin(angle), torch.cos(angle)], 1).view(b, 2, 2)
    shearing = torch.eye(2).repeat(b, 1, 1)
    shearing[:, 0, 1] = torch.tan(shear)
    linear = rotation @ shearing / scale.view(b, 1, 1)
    theta = torch.cat([linear, shift.view(b, 2, 1)], dim=2)  # (B, 2, 3): output grid -> input
    grid = F.affine_grid(theta, batch.shape, align_corners=False)
    out = F.grid_sample(batch, grid, align_corners=False, padding_mode="zeros")

    stroke = torch.rand(b, generator=generator)
    thick = F.max_pool2d(F.pad(out, (0, 1, 0, 1)), 2, stride=1)
    thin = -F.max_pool2d(F.pad(-out, (0, 1, 0, 1), value=-1.0), 2, stride=1)
    out = torch.where((stroke < 1 / 3).view(-1, 1, 1, 1), thick, out)
    out = torch.where((stroke > 5 / 6).view(-1, 1, 1, 1), thin, out)
    return out.clamp(0, 1)


def test_loader(data_dir: str | None, batch_size: int = 1000) -> DataLoader:
    images, labels = mnist_tensors(train=False, root=data_dir)
    return DataLoader(TensorDataset(normalize(prepare_all(images)), labels), batch_size=batch_size)


def train(kind: str, data_dir: str | None, seed: int, epochs: int | None, device: torch.device) -> dict:
    recipe = dict(RECIPES[kind], **({"epochs": epochs} if epochs else {}))
    torch.manual_seed(seed)  # weight initialisation (a command-line run, never a request handler)
    images, labels = mnist_tensors(train=True, root=data_dir)
    start = time.perf_counter()
    prepared = prepare_all(images)
    print(f"prepared {len(prepared)} training digits in {time.perf_counter() - start:.1f}s")
    generator = torch.Generator().manual_seed(seed)
    batches = ShuffledBatches(prepared, labels, recipe["batch_size"], generator, transform=lambda x, g: normalize(augment(x, g)))
    tests = test_loader(data_dir)

    model = ARCHITECTURES[kind]().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe["lr"], weight_decay=recipe["weight_decay"])
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe["lr"], total_steps=len(batches) * recipe["epochs"])
    step = supervised_step(
        model,
        optimizer,
        loss_fn=lambda logits, y: F.cross_entropy(logits, y, label_smoothing=0.05),
        scheduler=scheduler,
        device=device,
    )
    records = fit(
        step, batches, recipe["epochs"], evaluate=lambda: {"test_" + k: v for k, v in evaluate_classifier(model, tests, device).items()}
    )
    for record in with_progress_bar(records, desc=f"digit {kind}"):
        last = record
    seconds = time.perf_counter() - start
    metrics = evaluate_classifier(model, tests, device)
    card = {
        "model": ARCHITECTURES[kind].__name__,
        "parameters": sum(p.numel() for p in model.parameters()),
        "data": "MNIST: 60,000 training digits; metrics on the 10,000 test digits, each through prepare_digit",
        "command": train_command(kind) + f" --seed {seed}" + (f" --epochs {epochs}" if epochs else ""),
        "seed": seed,
        "recipe": recipe,
        "augmentation": augment.__doc__.split("\n\n")[1].strip().replace("\n   ", "").replace("    ", " "),
        "device": str(device),
        "hardware": f"{platform.machine()}, {os.cpu_count()} cores",
        "torch": torch.__version__,
        "training_seconds": round(seconds, 1),
        "final_train_loss": round(last.metrics["loss"], 4),
        "test_accuracy": round(metrics["accuracy"], 4),
        "test_loss": round(metrics["loss"], 4),
        "evaluate_command": "python -m train.digits --evaluate --data-dir ../shared/data",
    }
    save_checkpoint(model, CHECKPOINTS[kind], card)
    return card


def evaluate(data_dir: str | None) -> bool:
    """Re-measure each shipped model on the test set; True when every card's accuracy holds."""
    tests = test_loader(data_dir)
    examples = len(tests.dataset)
    ok = True
    for kind in CHECKPOINTS:
        model = load_digit_model(kind)
        measured = {"accuracy": evaluate_classifier(model, tests, next(model.parameters()).device)["accuracy"], "examples": examples}
        claimed = {"accuracy": digit_card(kind)["test_accuracy"], "examples": examples}  # the card's figure is on the same test set
        same = matches_card(measured, claimed, CARD_TOLERANCE)
        ok &= same
        print(
            f"{kind}: measured {right(measured)} of {examples} right, card {right(claimed)} -> "
            f"{'reproduced' if same else 'MISMATCH'} (tolerance: {CARD_TOLERANCE} digits read differently)"
        )
    return ok


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(ARCHITECTURES), default="cnn")
    parser.add_argument("--data-dir", default=None, help="folder with MNIST/raw (default: $GALLERY_DATA_DIR or ./data)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None, help="override the recipe's epoch count")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    parser.add_argument(
        "--evaluate",
        action="store_true",
        help=f"measure the shipped checkpoints instead; exits 1 unless each is within {CARD_TOLERANCE} test digits of its card",
    )
    args = parser.parse_args(argv)
    if args.evaluate:
        raise SystemExit(0 if evaluate(args.data_dir) else 1)
    card = train(args.model, args.data_dir, args.seed, args.epochs, pick_device(args.device))
    print(f"saved {CHECKPOINTS[args.model]}: test accuracy {card['test_accuracy']:.4f} in {card['training_seconds']}s")


if __name__ == "__main__":
    main()
