"""No picture a browser may be reading is ever rewritten: the pictures the pages send are files the
project writes once and atomically (demos.png), whoever makes the same picture at the same moment.

Gradio's own `processing_utils.save_pil_to_cache` names a picture by its content's hash and writes it
with a plain `write_bytes`, so two events making the same picture rewrite one file while a browser is
reading it (CI: net::ERR_CONTENT_LENGTH_MISMATCH on the filter page).
"""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from gradio_client import Client
from PIL import Image

from demos import DEMOS
from demos.png import png_file
from harness.browser import open_gradio
from harness.serving import free_port

SIDE = 1000  # random pixels: a PNG of about 3 MB, long enough to write that a reader can catch it half-written
SEED = 100  # the picture every client asks the served page for


def noise(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)


def whole(data: bytes, picture: np.ndarray) -> bool:
    """True when `data` is the complete PNG of `picture`."""
    try:
        return np.array_equal(np.asarray(Image.open(io.BytesIO(data))), picture)
    except OSError:  # truncated, or no PNG at all
        return False


@pytest.mark.unit
def test_the_same_picture_made_by_many_threads_at_once_is_only_ever_read_whole(tmp_path, monkeypatch):
    """Eight threads make the same picture at the same moment while two readers read its file again
    and again from the moment it has a name: every read is the whole file."""
    pictures = [noise(seed) for seed in range(3)]
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "first"))  # png_file's cache: first, to learn each file's name and bytes
    expected = {Path(path).name: Path(path).read_bytes() for path in map(png_file, pictures)}
    cache = tmp_path / "cache"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(cache))  # then an empty one, for the race
    broken, reads, done = [], [0], threading.Event()
    watched: list[Path] = []  # the file of the picture being made now

    def read_again_and_again() -> None:
        while not done.is_set():
            for path in list(watched):
                try:
                    data = path.read_bytes()
                except FileNotFoundError:
                    continue
                reads[0] += 1
                if data != expected[path.name]:
                    broken.append(f"{path.name}: {len(data)} of {len(expected[path.name])} bytes")

    def write(picture: np.ndarray, start: threading.Barrier) -> None:
        start.wait(timeout=60)
        png_file(picture)

    readers = [threading.Thread(target=read_again_and_again) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for picture, name in zip(pictures, expected):
            watched[:] = [cache / "png" / name[:2] / name]
            start = threading.Barrier(8)
            writers = [threading.Thread(target=write, args=(picture, start)) for _ in range(8)]
            for writer in writers:
                writer.start()
            for writer in writers:
                writer.join(timeout=120)
    finally:
        done.set()
        for reader in readers:
            reader.join(timeout=60)
    assert sorted(path.name for path in cache.glob("png/*/*")) == sorted(expected)  # one file a picture, no leftovers
    assert not broken, broken[:5]
    assert reads[0] > len(pictures)  # the readers did read while the pictures were made


@pytest.fixture(scope="module")
def same_picture_url():
    """A served page whose endpoint makes picture `seed` (the same for everyone who asks for it)."""

    def same_picture(seed: int) -> gr.FileData:
        return gr.FileData(path=png_file(noise(int(seed))))

    with gr.Blocks() as page:
        gr.api(same_picture, api_name="same_picture", concurrency_limit=8)
    port = free_port()
    page.launch(prevent_thread_lock=True, server_port=port, server_name="127.0.0.1")
    yield f"http://127.0.0.1:{port}/"
    page.close()


@pytest.mark.e2e
def test_visitors_who_make_the_same_picture_at_once_each_download_it_whole(same_picture_url):
    """Five clients ask for the same picture four times each, all at once, and each downloads the file
    it is given: every download is the whole picture (a file rewritten in place while another client
    downloads it breaks that download, or tears the file it gets)."""
    clients = [Client(same_picture_url, verbose=False) for _ in range(5)]
    start, failures = threading.Barrier(len(clients)), []

    def ask(client: Client) -> None:
        start.wait(timeout=60)
        for _ in range(4):
            try:
                path = client.predict(SEED, api_name="/same_picture")
            except Exception as error:  # a broken download surfaces as any of httpx's errors
                failures.append(f"{type(error).__name__}: {error}")
                continue
            if not whole(Path(path).read_bytes(), noise(SEED)):
                failures.append(f"{Path(path).stat().st_size} bytes, not the whole picture")

    threads = [threading.Thread(target=ask, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures


# What Gradio's save_pil_to_cache names a picture it wrote itself: <cache>/<sha256 of the bytes>/image.<format>.
GRADIO_WRITTEN = re.compile(r"/[0-9a-f]{64}/image\.(webp|png|jpeg|jpg|gif)$")


@pytest.mark.browser
@pytest.mark.parametrize("slug", [demo.slug for demo in DEMOS])
def test_every_picture_a_page_opens_on_is_a_file_the_project_wrote(page, app_url, slug):
    """Each page as it opens: no picture it shows was written by Gradio from an array (a file that the
    next visitor's page load writes again while this browser reads it)."""
    open_gradio(page, f"{app_url}/demos/{slug}/")
    sources = page.eval_on_selector_all("img", "images => images.map(image => image.src)")
    files = [src.split("?")[0] for src in sources if "/file=" in src]
    written = [src for src in files if GRADIO_WRITTEN.search(src)]
    assert not written, written
