"""Opening untrusted image files: bounded cost and clear messages for anything that is not one."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import UserError

MAX_PIXELS = 40_000_000  # refuse to decode more than this (a 10,000 x 10,000 PNG is 100 MP)
MAX_SIDE = 1024  # decoded images are shrunk to this longest side: every demo's work is bounded

# Pillow's own bomb check, lowered from ~89 MP, for every decoder anywhere in the process.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def unreadable(reason: str) -> UserError:
    """The error for a file that is not an image we can use, with the reason."""
    return UserError(f"Could not read that image: {reason}.")


def common_mode(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> L, RGB or RGBA. 16-bit and float greys are rescaled, not clipped."""
    if image.mode in ("L", "RGB", "RGBA"):
        return image
    if image.mode.startswith("I") or image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") else max(float(values.max()), 1.0)
        return Image.fromarray(np.clip(values / top * 255.0, 0, 255).astype(np.uint8), mode="L")
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def open_image(path: str | os.PathLike, max_side: int = MAX_SIDE) -> Image.Image:
    """Decode the first frame of an image file, upright (EXIF), as RGB/RGBA/L, longest side <= max_side.

    Anything that is not such an image is a UserError that says why."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise unreadable(f"it is {width}x{height} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels")
            if width == 0 or height == 0:
                raise unreadable("it has no pixels")
            image.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced size directly
            image.seek(0)  # animated GIF/PNG/WebP: the first frame
            image = ImageOps.exif_transpose(image)
            image = common_mode(image)
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            return image
    except UserError:
        raise
    except Image.DecompressionBombError as error:  # Pillow refuses at open past twice the limit
        raise unreadable(f"it has more than {MAX_PIXELS // 1_000_000} megapixels, the limit") from error
    except UnidentifiedImageError as error:
        raise unreadable("this file is not an image that can be read (PNG, JPEG, GIF, WebP, BMP, TIFF)") from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:  # truncated or corrupt data
        raise unreadable(f"the file is damaged or truncated ({error.__class__.__name__})") from error
