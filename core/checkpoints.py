"""Safetensors weights with a model card beside each, loaded through cached loaders.

A checkpoint `checkpoints/<name>.safetensors` comes with `checkpoints/<name>.json`: the card
(data, command, seed, measured metrics). Loading one that is missing names the file and the
command that makes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from core.errors import UserError

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"


class MissingCheckpointError(UserError, FileNotFoundError):
    """A shipped weight file is absent; the message says how to make it. Pages catch it to work
    without that model; training commands catch it as the missing file it also is."""


def weights_path(name: str, directory: Path = CHECKPOINT_DIR) -> Path:
    return Path(directory) / f"{name}.safetensors"


def card_path(name: str, directory: Path = CHECKPOINT_DIR) -> Path:
    return Path(directory) / f"{name}.json"


def save_checkpoint(model: torch.nn.Module, name: str, card: dict, directory: Path = CHECKPOINT_DIR) -> Path:
    """Write the model's state dict as safetensors and its card as JSON; return the weights path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    path = weights_path(name, directory)
    save_file(state, str(path), metadata={"name": name})
    card_path(name, directory).write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
    return path


def load_card(name: str, directory: Path = CHECKPOINT_DIR) -> dict:
    path = card_path(name, directory)
    if not path.exists():
        raise MissingCheckpointError(f"The model card {path} is missing.")
    return json.loads(path.read_text())


def load_weights(model: torch.nn.Module, name: str, make_command: str, directory: Path = CHECKPOINT_DIR) -> torch.nn.Module:
    """Load `<name>.safetensors` into `model` (strict) and return it in eval mode on the CPU."""
    path = weights_path(name, directory)
    if not path.exists():
        raise MissingCheckpointError(f"The checkpoint {path} is missing; make it with: {make_command}")
    model.load_state_dict(load_file(str(path), device="cpu"))
    return model.eval()
