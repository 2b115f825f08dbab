"""What the toy GAN's live view shows of its two networks, after GAN Lab: D's score over the plane,
G's manifold (how G warps the noise plane) and the gradient arrows on generated points (where G's
loss pushes them), gathered in a `ToyFrame`.

Functions of the networks they are given (no training state): `core.gan.toy` calls them for every
frame, and the tests check them against torch computed independently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from core.gan.config import MAX_TOY_SECONDS
from core.gan.models import generator_loss, realness

EXTENT = 3.0  # the plane shown: [-3, 3]^2
NOISE_EXTENT = 2.0  # the manifold's grid covers the noise plane's [-2, 2]^2, where ~91% of N(0, I) noise falls
GRID_CELLS = 20  # cells per side of that grid, as GAN Lab's NUM_MANIFOLD_CELLS
ARROWS = 64  # generated points that carry an arrow: enough to see the flow, few enough to read


def noise_grid(cells: int = GRID_CELLS, extent: float = NOISE_EXTENT) -> torch.Tensor:
    """The regular grid over the noise plane, ((cells + 1)^2, 2): row r, column c is at index
    r * (cells + 1) + c, with z = (axis[c], axis[r]) and axis = linspace(-extent, extent, cells + 1)."""
    axis = torch.linspace(-extent, extent, cells + 1)
    zy, zx = torch.meshgrid(axis, axis, indexing="ij")  # (cells + 1, cells + 1) each
    return torch.stack([zx.flatten(), zy.flatten()], dim=1)  # ((cells + 1)^2, 2)


@torch.no_grad()
def generator_manifold(g: nn.Module, cells: int = GRID_CELLS) -> np.ndarray:
    """G applied to `noise_grid(cells)`: the warped grid, ((cells + 1)^2, 2), in the grid's order."""
    device = next(g.parameters()).device
    return g(noise_grid(cells).to(device)).cpu().numpy()


def generator_arrows(g: nn.Module, d: nn.Module, z: torch.Tensor, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """Generated points x = G(z) and, at each, -dL/dx: minus the gradient, with respect to that
    point, of its own term of G's loss L = loss(D(x)) (the term G's step averages over its batch).
    It is the direction in which G's next step would move the point if G could move it freely;
    G's weights then move to follow these arrows as far as the network allows. Returns (N, 2), (N, 2)."""
    with torch.no_grad():
        x = g(z)  # (N, 2)
    x = x.detach().requires_grad_(True)
    terms = generator_loss(d(x), loss) * len(x)  # the batch mean times N: the sum of each point's own term
    (grad,) = torch.autograd.grad(terms, x)  # (N, 2); D's weights keep no gradient
    return x.detach().cpu().numpy(), (-grad).cpu().numpy()


@torch.no_grad()
def d_surface(d: nn.Module, loss: str, resolution: int = 64) -> np.ndarray:
    """D's realness on a (resolution, resolution) grid over [-EXTENT, EXTENT]^2; rows are y, upwards."""
    device = next(d.parameters()).device
    axis = torch.linspace(-EXTENT, EXTENT, resolution, device=device)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    return realness(d(torch.stack([xx.flatten(), yy.flatten()], 1)), loss).view(resolution, resolution).cpu().numpy()


@dataclass(frozen=True)
class ToyFrame:
    step: int
    total_steps: int
    elapsed: float
    real: np.ndarray  # (N, 2) real points
    fake: np.ndarray  # (N, 2) generated points, from the same fixed noise every frame
    surface: np.ndarray  # (R, R) D's realness on the grid over [-EXTENT, EXTENT]^2, rows = y
    history: dict = field(default_factory=dict)  # "step", "d_loss", "g_loss": lists
    modes: int | None = None  # modes covered by the generated points
    total_modes: int | None = None
    manifold: np.ndarray | None = None  # ((GRID_CELLS + 1)^2, 2): G on the noise grid (generator_manifold)
    arrows_at: np.ndarray | None = None  # (ARROWS, 2): the generated points that carry an arrow
    arrows: np.ndarray | None = None  # (ARROWS, 2): -dL_G/dx at each (generator_arrows), unscaled

    def since(self, sent: int) -> dict:
        """The frame's plain values for a page that has drawn the first `sent` loss points: the new
        points, the plane's size and extent, and the title (its arrays are the page's to encode)."""
        covered = "" if self.modes is None else f" · modes covered {self.modes}/{self.total_modes}"
        losses = {"steps": self.history["step"][sent:], "d_loss": self.history["d_loss"][sent:], "g_loss": self.history["g_loss"][sent:]}
        title = f"step {self.step}/{self.total_steps}{covered}"
        return {"resolution": len(self.surface), "extent": EXTENT, **losses, "total_steps": self.total_steps, "title": title}

    def status(self, done: bool = False) -> str:
        """The line under the live view: the step while training; at the end, the steps, the time and any cap."""
        if not done:
            return f"Training… step {self.step} of {self.total_steps}"
        capped = f" (stopped at the {MAX_TOY_SECONDS:.0f} s limit per run)" if self.step < self.total_steps else ""
        return f"Done: {self.step} steps in {self.elapsed:.1f} s{capped}."
