"""Which device to compute on, and the ZeroGPU decorator for Hugging Face Spaces.

One place decides: $GALLERY_DEVICE (cpu, cuda, cuda:1, mps; tests also use PyTorch's `meta`),
else CUDA, then Apple MPS, then the CPU. Every cached loader puts its model on `default_device()`;
inputs follow the model (`model_device`), and outputs come back to the CPU only where a picture
or JSON is made.

torch is imported inside the functions so that demos can apply `gpu` at import time without
paying for torch before the server is up.
"""

from __future__ import annotations

import functools
import itertools
import os

DEVICE_ENV = "GALLERY_DEVICE"


def pick_device(override: str | None = None):
    """CUDA, then Apple MPS, then CPU; `override` or $GALLERY_DEVICE forces one ("cpu", "cuda:1", ...)."""
    import torch  # noqa: PLC0415  see the module's docstring: demos apply `gpu` before torch loads

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
    """The device every cached model lives on, chosen once per process (tests clear this cache).

    On CUDA, convolutions keep full float32 (no TF32): these models are small, so TF32 would save
    little, and GPU answers then agree with the CPU's to float error, as the tests check.
    """
    device = pick_device()
    if device.type == "cuda":
        import torch  # noqa: PLC0415  see the module's docstring: demos apply `gpu` before torch loads

        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    return device


def model_device(model):
    """Where `model` computes: its first parameter's device, or its first buffer's (a model made of
    buffers, such as the fused generator); the CPU for a model with neither."""
    import torch  # noqa: PLC0415  see the module's docstring: demos apply `gpu` before torch loads

    tensor = next(itertools.chain(model.parameters(), model.buffers()), None)
    return torch.device("cpu") if tensor is None else tensor.device


def on_cpu(device) -> bool:
    """True on the CPU, where the int8 and one-thread techniques apply; False on CUDA, MPS, meta."""
    return getattr(device, "type", device) == "cpu"


def configure_for_serving() -> int:
    """Use $GALLERY_TORCH_THREADS intra-op threads (default 1) in a server.

    Gradio already runs requests side by side; several requests each spinning up all cores'
    OpenMP threads fight over them, and each request ends up several times slower than on one
    thread (`python -m bench.endpoints` runs the server this way). Returns the count.
    """
    import torch  # noqa: PLC0415  see the module's docstring: demos apply `gpu` before torch loads

    threads = max(1, int(os.environ.get("GALLERY_TORCH_THREADS", "1")))
    torch.set_num_threads(threads)
    return threads


def _no_op_gpu(fn=None, **_kwargs):
    # Same call shapes as spaces.GPU: @gpu and @gpu(duration=...).
    return fn if fn is not None else (lambda f: f)


# Every demo handler that runs a model carries @gpu. Without the `spaces` package (anywhere but a
# ZeroGPU Space) it is the identity: the handler is returned unchanged (tested).
try:  # ZeroGPU on Spaces; elsewhere spaces.GPU returns the function unchanged.
    import spaces

    gpu = spaces.GPU
except ImportError:
    gpu = _no_op_gpu
