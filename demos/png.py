"""`png_file`: a picture the server made, written as a PNG straight into Gradio's file cache
(`jpeg_file`: the same for photos, as a JPEG).

Handlers return its path to a `gr.Image` output, which then serves the file as it is. Given the
picture itself, Gradio would encode it with Pillow's defaults (zlib level 6, with metadata) and
write it again even when the same picture is already there. For the pictures in this gallery
(digits, feature maps: a few hundred pixels a side, large flat areas) zlib's run-length strategy at
level 1 encodes several times faster than that default, into a file no larger: runs of one colour
are what these pictures are made of. A picture already in the cache (same bytes, same name) is
not written again.
`python -m bench.endpoints` measures the endpoints that return one.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
import zlib
from pathlib import Path

import numpy as np
from gradio.utils import get_upload_folder
from PIL import Image


def png_file(picture: np.ndarray | Image.Image) -> str:
    """A uint8 array (H, W) or (H, W, 3|4), or a PIL image -> path of its PNG in Gradio's cache."""
    with io.BytesIO() as buffer:
        _pil(picture).save(buffer, "PNG", compress_level=1, compress_type=zlib.Z_RLE)
        return _cached(buffer.getvalue(), "png")


def jpeg_file(picture: np.ndarray | Image.Image) -> str:
    """The same as `png_file`, as a JPEG at Pillow's default quality (what `gr.Gallery(format="jpeg")`
    writes): for photos, where PNG would be several times larger."""
    with io.BytesIO() as buffer:
        _pil(picture).convert("RGB").save(buffer, "JPEG")
        return _cached(buffer.getvalue(), "jpeg")


def _pil(picture: np.ndarray | Image.Image) -> Image.Image:
    if isinstance(picture, np.ndarray):
        if picture.dtype != np.uint8:
            raise TypeError(f"png_file takes uint8 pixels, not {picture.dtype}")
        return Image.fromarray(picture)
    return picture


def named_file(data: bytes, name: str) -> str:
    """`data` written into Gradio's cache as a file called `name`, the name a browser saves it under
    (a gr.DownloadButton's value), in a folder named by its content: the same bytes are written once."""
    digest = hashlib.sha256(data).hexdigest()
    return _written(data, Path(get_upload_folder()) / "named" / digest[:2] / digest / name, digest)


def _cached(data: bytes, suffix: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    # Gradio serves files from its cache folder and does not copy them again (GRADIO_TEMP_DIR moves it).
    return _written(data, Path(get_upload_folder()) / suffix / digest[:2] / f"{digest}.{suffix}", digest)


def _written(data: bytes, path: Path, digest: str) -> str:
    if path.exists():  # the name is the content: the file already holds these bytes
        path.touch()  # handed out again: a cache cleaner that ages files by time must keep it
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{digest}.{os.getpid()}.{threading.get_ident()}.part")  # unique across replicas sharing a folder
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a concurrent reader never sees half a file
    return str(path)


def delete_older_than(age: float) -> int:
    """Delete the pictures `png_file` and `jpeg_file` wrote more than `age` seconds ago; how many.

    Aged by ctime, as Gradio's `delete_cache` ages files (a picture handed out again is touched).
    Gradio deletes only the files its components track, and a gr.Gallery's pictures are not among
    them (measured: tests/test_deploy.py), so the app sweeps what it writes itself (app.py, every
    DELETE_CACHE frequency)."""
    root, now, deleted = Path(get_upload_folder()), time.time(), 0
    for suffix in ("png", "jpeg"):
        for path in (root / suffix).glob(f"*/*.{suffix}"):
            try:
                if now - path.stat().st_ctime > age:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:  # deleted meanwhile (by Gradio's own sweep)
                continue
    return deleted


def trim_to(limit: int, keep: frozenset[str] = frozenset()) -> int:
    """Delete the oldest files in Gradio's cache folder (uploads, and pictures the pages made) until
    the rest add up to at most `limit` bytes; returns the bytes left. Files in `keep` are neither
    counted nor deleted (demos.visitors.budgets.FileCache: the pages' own pictures and examples).

    Oldest by ctime, as `delete_older_than` ages them. Trimmed to nine tenths of `limit`, so that the
    next few uploads do not each start a trim. A file deleted while a browser reads it is read to
    its end (the reader keeps it open); one a later event names is gone, as after the age sweep."""
    files = []
    for folder, _, names in os.walk(get_upload_folder()):
        for name in names:
            path = os.path.join(folder, name)
            if path in keep:
                continue
            try:
                stat = os.stat(path)
            except FileNotFoundError:  # deleted meanwhile
                continue
            files.append((stat.st_ctime, stat.st_size, path))
    total = sum(size for _, size, _ in files)
    if total <= limit:
        return total
    for _, size, path in sorted(files):
        if total <= limit * 0.9:
            break
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        total -= size
    return total


def cached_files() -> frozenset[str]:
    """Every file in Gradio's cache folder now (see `trim_to`'s `keep`)."""
    return frozenset(os.path.join(folder, name) for folder, _, names in os.walk(get_upload_folder()) for name in names)
