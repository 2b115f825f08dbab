"""Which device to compute on, and the ZeroGPU decorator for Hugging Face Spaces.

torch is imported inside the functions so that demos can apply `gpu` at import time without
paying for torch before the server is up.
"""

from __future__ import annotations

import functools
import os

DEVICE_ENV = "GALLERY_DEVICE"


def pick_device(override: str | None = None):
    """CUDA, then Apple MPS, then CPU; `override` or $GALLERY_DEVICE forces one ("cpu", "cuda:1", ...)."""
    import torch

    choice = override or os.environ.get(DEVICE_ENV, "").strip()
    if choice:
        device = torch.device(choice)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"{DEVICE_ENV}={choice} but CUDA is not available on this machine")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError(f"{DEVICE_ENV}={choice} but Apple MPS is not available on this machine")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@functools.cache
def default_device():
    """The device every cached model lives on, chosen once per process."""
    return pick_device()


def configure_for_serving() -> int:
    """Use $GALLERY_TORCH_THREADS intra-op threads (default 1) in a server.

    Gradio already runs requests side by side; several requests each spinning up all cores'
    OpenMP threads fight over them (measured: 8x slower layer grids on 2 busy cores). Returns the count.
    """
    import torch

    threads = max(1, int(os.environ.get("GALLERY_TORCH_THREADS", "1")))
    torch.set_num_threads(threads)
    return threads


def _no_op_gpu(fn=None, **_kwargs):
    # Same call shapes as spaces.GPU: @gpu and @gpu(duration=...).
    return fn if fn is not None else (lambda f: f)


try:  # ZeroGPU on Spaces; elsewhere spaces.GPU returns the function unchanged.
    import spaces

    gpu = spaces.GPU
except ImportError:
    gpu = _no_op_gpu
