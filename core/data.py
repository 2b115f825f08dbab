"""Where datasets live, and loading them with a message that says what to do when they are absent.

The data directory is, in order: the `--data-dir` flag a command passes in, `$GALLERY_DATA_DIR`,
or `./data`. torchvision's dataset classes read from it; on a machine with internet they
download into it as usual.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from core.errors import UserError

DATA_ENV = "GALLERY_DATA_DIR"
DEFAULT_DATA_DIR = Path("data")


class DataUnavailableError(UserError):
    """A dataset is neither on disk nor downloadable; the message says how to provide it."""


def data_dir(flag: str | os.PathLike | None = None) -> Path:
    """The data directory: the flag, else $GALLERY_DATA_DIR, else ./data."""
    chosen = flag or os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR
    return Path(chosen).expanduser()


def _missing(name: str, root: Path, expected: str, cause: Exception | None) -> DataUnavailableError:
    why = f" (download failed: {cause})" if cause else ""
    return DataUnavailableError(
        f"{name} is not in {root.resolve()} and could not be downloaded{why}. "
        f"Put {expected} there, or point --data-dir / ${DATA_ENV} at a folder that has them, "
        f"or run once on a machine with internet to download them."
    )


def mnist(train: bool, root: str | os.PathLike | None = None, download: bool = True):
    """torchvision's MNIST from the data directory; downloads only when the files are absent."""
    from torchvision.datasets import MNIST  # noqa: PLC0415  torchvision's datasets load only when data is read (the app never does)

    root = data_dir(root)
    try:
        return MNIST(str(root), train=train, download=False)
    except RuntimeError as missing:
        if not download:
            raise _missing("MNIST", root, "MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte", None) from missing
    try:
        return MNIST(str(root), train=train, download=True)
    except Exception as cause:  # URLError, HTTPError, RuntimeError from every mirror failing
        raise _missing("MNIST", root, "MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte", cause) from cause


def mnist_tensors(train: bool, root: str | os.PathLike | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST as (N, 28, 28) uint8 images (0 = background, 255 = ink) and (N,) int64 labels."""
    dataset = mnist(train, root)
    return dataset.data, dataset.targets
