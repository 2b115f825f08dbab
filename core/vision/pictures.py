"""Feature maps, kernels and heat maps as pictures: numpy arrays in, RGB uint8 images out.

One diverging colour scale runs through the visualiser (negative, white for zero, positive) and one
one-sided scale for Grad-CAM's heat, both from `core.palette`, in the visitor's palette.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.palette import PALETTES, checked, diverging, one_sided

# What each palette's colours are called in the page's legends: the words change with the colours.
COLOUR_WORDS = {
    "default": {"negative": "blue", "positive": "red", "heat": "black → red → yellow"},
    "safe": {"negative": "blue", "positive": "orange", "heat": "purple → green → yellow (viridis)"},
}


def colour_words(palette: str = "default") -> dict[str, str]:
    """{"negative", "positive", "heat"}: how the legends name the palette's colours."""
    return COLOUR_WORDS[checked(palette)]


def notes(markdown: str, palette: str = "default") -> dict[str, str]:
    """Markdown of `## name` sections (what comes before the first is left out) -> {name: its text,
    the palette's colours named where it says {negative}, {positive} or {heat}}."""
    sections = dict(part.split("\n", 1) for part in markdown.split("\n## ")[1:])
    return {name: text.strip().format(**colour_words(palette)) for name, text in sections.items()}


def enlarge(image: np.ndarray, min_side: int) -> np.ndarray:
    """Nearest-neighbour upscale by a whole factor until the shorter side is at least `min_side`."""
    zoom = max(1, -(-min_side // min(image.shape[:2])))
    return image.repeat(zoom, axis=0).repeat(zoom, axis=1)


def side_by_side(images: list[np.ndarray], side: int = 224, gap: int = 6) -> np.ndarray:
    """uint8 images, grey (H, W) or RGB -> one RGB row, each enlarged to at least `side` tall, white between."""
    rgb = [enlarge(i if i.ndim == 3 else np.repeat(i[..., None], 3, axis=2), side) for i in images]
    height = max(i.shape[0] for i in rgb)
    padded = [np.pad(i, ((0, height - i.shape[0]), (0, gap), (0, 0)), constant_values=255) for i in rgb]
    return np.concatenate(padded, axis=1)[:, :-gap]


def tile(images: list[np.ndarray], columns: int, gap: int = 1, fill: int = 128) -> np.ndarray:
    """Same-size (h, w[, 3]) uint8 images -> one grid image, row by row, `gap` pixels of `fill` between."""
    h, w = images[0].shape[:2]
    rows = -(-len(images) // columns)
    grid = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, *images[0].shape[2:]), fill, np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        grid[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = image
    return grid


MAX_MAPS = 512  # feature-map grids show at most this many channels
LEVELS = 255  # feature maps use 255 shades of the diverging scale: index 0 = -peak, 127 = 0, 254 = +peak
GAP_INDEX = 255  # ... and one grey for the gaps between maps
# (256, 3) colour tables, one a palette: a map grid is drawn once as indices and coloured by either.
MAP_COLOURS = {
    name: np.vstack([diverging(np.linspace(-1.0, 1.0, LEVELS), 1.0, name), [[128, 128, 128]]]).astype(np.uint8) for name in PALETTES
}


@dataclass(frozen=True, eq=False)
class MapGrid:
    """Every channel's feature map tiled into one paletted image, row by row, and where each tile sits."""

    indices: np.ndarray  # (H, W) uint8 into a MAP_COLOURS table
    tile: int  # side of one map in the grid, pixels
    columns: int
    count: int  # channels shown
    gap: int = 1
    palette: str = "default"  # a name from core.palette.PALETTES

    @property
    def image(self) -> np.ndarray:
        """(H, W, 3) uint8 RGB."""
        return MAP_COLOURS[checked(self.palette)][self.indices]

    def paletted(self):
        """The same picture as a PIL "P" image: a third of the bytes to encode as PNG."""
        image = Image.fromarray(self.indices, mode="P")
        image.putpalette(MAP_COLOURS[checked(self.palette)].ravel().tolist())
        return image

    def channel_at(self, x: int, y: int) -> int | None:
        """The channel under pixel (x, y) of the grid image, or None on a gap or past the last tile."""
        step = self.tile + self.gap
        col, row = int(x) // step, int(y) // step
        if col >= self.columns or int(x) % step >= self.tile or int(y) % step >= self.tile:
            return None
        channel = row * self.columns + col
        return channel if 0 <= channel < self.count else None


def grid_shape(count: int, height: int, width: int, min_side: int = 28) -> tuple[int, int, int]:
    """How `count` maps of height x width are laid out: (zoom, tile side, columns)."""
    zoom = max(1, -(-min_side // min(height, width)))
    columns = 8 if count <= 32 else 16 if count <= 256 else 32
    return zoom, height * zoom, columns


def map_grid(maps: np.ndarray, min_side: int = 28, palette: str = "default") -> MapGrid:
    """(channels, h, w) -> a MapGrid: each map on its own symmetric diverging scale, in `palette`."""
    maps = maps[:MAX_MAPS]
    peaks = np.abs(maps).reshape(len(maps), -1).max(axis=1, keepdims=True)[..., None]
    scaled = np.clip(maps / np.where(peaks > 0, peaks, 1.0), -1.0, 1.0)
    indices = np.rint((scaled + 1.0) * (LEVELS - 1) / 2).astype(np.uint8)  # (C, h, w) into a MAP_COLOURS table
    zoom, side, columns = grid_shape(*maps.shape, min_side)
    tiles = list(indices.repeat(zoom, axis=1).repeat(zoom, axis=2))
    return MapGrid(tile(tiles, columns, fill=GAP_INDEX), side, columns, len(maps), palette=checked(palette))


MAX_KERNEL_ROWS, MAX_KERNEL_COLUMNS = 64, 64  # the kernel grid shows at most this many filters x inputs


def kernel_grid(weight: np.ndarray, zoom: int = 6, palette: str = "default") -> tuple[np.ndarray, float, str]:
    """Conv weights (out, in, k, k) -> (grid image, colour scale, how to read it).

    Three input channels (an RGB first layer): each filter as a colour picture, rescaled to [0, 1]
    together. Otherwise: one row per filter, one column per input channel, every kernel on one
    shared diverging scale (in `palette`), so colours compare across the whole layer.
    """
    words = colour_words(palette)
    w = np.asarray(weight, np.float32)
    out_channels, in_channels, kh, kw = w.shape
    if in_channels == 3:
        low, high = float(w.min()), float(w.max())
        pictures = ((w - low) / ((high - low) or 1.0)).transpose(0, 2, 3, 1)  # (out, k, k, 3)
        tiles = [enlarge((p * 255).astype(np.uint8), kh * zoom) for p in pictures[:MAX_KERNEL_ROWS]]
        how = (
            f"{len(tiles)} filters of {kh}×{kw}×3 drawn as colour pictures: weights from {low:.2f} (black) "
            f"to {high:.2f} (bright), grey is 0-ish. Each shows the colour pattern its filter looks for."
        )
        return tile(tiles, columns=min(16, len(tiles))), max(abs(low), abs(high)), how
    shown = w[:MAX_KERNEL_ROWS, :MAX_KERNEL_COLUMNS]
    scale = float(np.abs(shown).max())
    zoom = 4 * zoom if shown.shape[1] == 1 else zoom if shown.shape[1] <= 32 else max(2, zoom * 2 // 3)  # fit the page
    tiles = [enlarge(diverging(shown[o, i], scale, palette), kh * zoom) for o in range(shown.shape[0]) for i in range(shown.shape[1])]
    columns = shown.shape[1] if shown.shape[1] > 1 else 8  # a first layer on grey input: 8 kernels a row
    how = (
        f"One row per filter ({shown.shape[0]} of {out_channels}), one column per input channel "
        f"({shown.shape[1]} of {in_channels}); each square is a {kh}×{kw} kernel. Colour scale, shared by "
        f"all: {words['positive']} = positive weight up to +{scale:.2f}, {words['negative']} = negative down to −{scale:.2f}, white = 0."
    )
    if shown.shape[1] == 1:
        how = how.replace(
            f"One row per filter ({shown.shape[0]} of {out_channels}), one column per input channel ({shown.shape[1]} of {in_channels})",
            f"{shown.shape[0]} filters, one square each, row by row",
        )
    return tile(tiles, columns=columns, gap=2), scale, how


def heat_overlay(pixels: np.ndarray, heat: np.ndarray, strength: float = 0.6, palette: str = "default") -> np.ndarray:
    """Pixels (H, W) or (H, W, 3) in [0, 1] and a same-size heat map in [0, 1] -> RGB uint8 overlay,
    the heat on the palette's one-sided scale."""
    base = pixels if pixels.ndim == 3 else np.repeat(pixels[..., None], 3, axis=2)
    base = 0.3 + 0.7 * base if pixels.ndim == 2 else base  # grey digits, so the heat's colours stand out
    h = np.clip(heat, 0, 1)[..., None]
    warm = one_sided(h[..., 0], palette) / 255.0
    return (255 * np.clip(base * (1 - strength * h) + warm * strength * h, 0, 1)).astype(np.uint8)


def cell_picture(
    values: np.ndarray,
    cell: int = 24,
    scale: float | None = None,
    blank: np.ndarray | None = None,
    box: tuple[int, int, int, int] | None = None,
    marks: list[tuple[int, int]] | None = None,
    palette: str = "default",
) -> np.ndarray:
    """A small matrix as coloured cells with grid lines: `blank` cells (e.g. padding) light grey,
    an optional black outline around cells (top, left, bottom, right), and a black dot in each
    `marks` cell (row, col): a dilated kernel's taps, as the sandbox draws them. Colours: `palette`'s diverging scale."""
    rgb = diverging(values, scale, palette).astype(np.uint8)
    if blank is not None:
        rgb[blank] = 225
    picture = rgb.repeat(cell, axis=0).repeat(cell, axis=1)
    picture[::cell, :], picture[:, ::cell] = 160, 160  # grid lines
    picture = np.pad(picture, ((0, 1), (0, 1), (0, 0)), constant_values=160)
    if box is not None:
        top, left, bottom, right = (v * cell for v in box)
        for y0, y1, x0, x1 in (
            (top, top + 3, left, right + 1),
            (bottom - 2, bottom + 1, left, right + 1),
            (top, bottom + 1, left, left + 3),
            (top, bottom + 1, right - 2, right + 1),
        ):
            picture[y0:y1, x0:x1] = 0
    dot = max(2, cell // 6)
    for row, col in marks or ():
        y, x = row * cell + cell // 2, col * cell + cell // 2
        picture[y - dot : y + dot + 1, x - dot : x + dot + 1] = 0
    return picture
