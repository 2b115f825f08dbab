"""The browser's digit reader (demos/assets/reader/): its ONNX graph is exported from the shipped
checkpoints and from `core.digits.canvas`, which is `prepare_digit` written as a fixed-shape torch
module. Proved here on canvas-style digits, with onnxruntime on the CPU: the module equals
`prepare_digit`, the graph equals the module and the server's readings, and the export is fresh.
(tests/test_reader_browser.py proves the same of onnxruntime-web in chromium.)"""

from __future__ import annotations

import gzip
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
from PIL import Image

from core.data import mnist_tensors
from core.digits import reading
from core.digits.canvas import PrepareRaster, pillow_weights
from core.digits.export import OUTPUTS, READER_FILE, checkpoint_digests, export_digests, reader_model
from core.digits.synthetic import random_style, render, surface_raster
from demos import drawing
from tests.conftest import need
from train.export_onnx import RASTER_SIDE, READER_DIR, RUNTIME_DIR, RUNTIME_FILES

SIDE = drawing.SEND_SIDE
EXPORT = READER_DIR / READER_FILE


def canvas_rasters(count: int, seed: int) -> list[np.ndarray]:
    """MNIST test digits drawn as canvases of every style, as the drawing surface sends them."""
    images, _ = mnist_tensors(False)
    rng = np.random.default_rng(seed)
    styles = [random_style(rng) for _ in range(count)]
    # Drawn on the surface's own 280-pixel canvas (random_style's larger canvases only cost time here).
    styles = [replace(style, canvas=280, stroke=style.stroke * 280 // style.canvas) for style in styles]
    return [surface_raster(render(images[i].numpy(), style), SIDE) for i, style in enumerate(styles)]


def hard_rasters() -> dict[str, np.ndarray]:
    """One raster per branch that canvas digits seldom take."""
    paper = np.full((SIDE, SIDE), 255, np.uint8)
    tiny, thin, blob, faint, dot = (paper.copy() for _ in range(5))
    tiny[60:72, 66:70] = 0  # enlarged (BILINEAR), not shrunk
    thin[20:120, 70] = 0  # one pixel wide: thickened
    blob[20:120, 30:110] = 0  # wider than the paper-darkness filter: the floor is not one number
    blob[60:80, 60:80] = 255
    faint[40:100, 60:70] = 250  # below MIN_CONTRAST: no ink
    dot[70, 70] = 0
    return {"tiny": tiny, "thin": thin, "blob": blob, "faint": faint, "dot": dot, "blank": paper}


def server_field(raster: np.ndarray) -> np.ndarray | None:
    prepared = reading.prepared(raster)
    return None if prepared is None else prepared.image


@pytest.fixture(scope="module")
def session() -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(str(EXPORT), providers=["CPUExecutionProvider"])


@pytest.mark.reference
def test_pillow_weights_resize_as_pillow_does():
    rng = np.random.default_rng(0)
    for _ in range(40):
        (h, w), (oh, ow) = rng.integers(1, 141, 2), rng.integers(1, 90, 2)
        image = rng.random((h, w)).astype(np.float32)
        for box, name in ((True, Image.BOX), (False, Image.BILINEAR)):
            expected = np.asarray(Image.fromarray(image, "F").resize((int(ow), int(oh)), name))
            rows, cols = pillow_weights(h, oh, h, oh, box), pillow_weights(w, ow, w, ow, box)
            np.testing.assert_allclose((rows @ torch.from_numpy(image) @ cols.T).numpy(), expected, atol=1e-5)


@pytest.mark.reference
def test_the_torch_module_is_prepare_digit_on_canvas_digits_and_every_branch():
    prepare = PrepareRaster(SIDE)
    rasters = canvas_rasters(40, seed=1) + list(hard_rasters().values())
    for raster in rasters:
        with torch.inference_mode():
            _, field, found = prepare(torch.from_numpy(raster.copy()))
        expected = server_field(raster)
        assert bool(found) == (expected is not None)
        if expected is not None:
            np.testing.assert_allclose(field.numpy(), expected, atol=1e-5)


@pytest.mark.reference
def test_the_onnx_graph_reads_200_canvas_digits_as_the_server_does(session):
    rasters = canvas_rasters(200, seed=2) + list(hard_rasters().values())
    found_some = 0
    for raster in rasters:
        cnn, mlp, found, field = session.run(["cnn", "mlp", "found", "field"], {"raster": raster})
        expected = server_field(raster)
        assert bool(found) == (expected is not None)
        if expected is None:
            continue
        found_some += 1
        np.testing.assert_allclose(field, expected, atol=1e-5)
        server_cnn, server_mlp = reading.read_probabilities(expected)
        np.testing.assert_allclose(cnn, server_cnn, atol=1e-5)
        np.testing.assert_allclose(mlp, server_mlp, atol=1e-5)
    assert found_some >= 200


@pytest.mark.reference
def test_the_onnx_graph_equals_the_torch_module_it_was_exported_from(session):
    model = reader_model(SIDE)
    for raster in canvas_rasters(10, seed=3):
        with torch.inference_mode():
            expected = [t.numpy() for t in model(torch.from_numpy(raster.copy()))]
        got = session.run(None, {"raster": raster})
        assert len(got) == len(expected)
        for name, shown, want in zip(OUTPUTS, got, expected):
            # The hidden layers are float32 sums of 784 (or 128) products of up to tens, summed in another
            # order by each runtime: they agree to about 1e-5, a hundred-thousandth of their range.
            np.testing.assert_allclose(shown, want, atol=1e-4 if name.startswith("mlp_") else 1e-5, err_msg=name)


@pytest.mark.unit
def test_the_export_is_made_from_the_shipped_checkpoints():
    """Stale exports fail here: retrain a digit model and `python -m train.export_onnx` must run again."""
    assert export_digests(EXPORT) == checkpoint_digests()


@pytest.mark.unit
def test_the_export_reads_the_raster_the_surface_sends(session):
    assert RASTER_SIDE == SIDE
    (raster,) = session.get_inputs()
    assert raster.shape == [SIDE, SIDE] and raster.type == "tensor(uint8)"
    assert [output.name for output in session.get_outputs()] == OUTPUTS
    assert OUTPUTS[:4] == ["cnn", "mlp", "found", "field"]  # what reader.mjs reads first; the MLP's layers follow


@pytest.mark.unit
def test_the_committed_runtime_is_the_npm_package_package_json_pins():
    """A Space runs no npm, so the page's runtime is committed: it must be the pinned version's own files."""
    need(RUNTIME_DIR.exists(), "node_modules/onnxruntime-web is not installed (npm ci)")
    for name in RUNTIME_FILES:
        committed = READER_DIR / (name + ".gz" if name.endswith(".wasm") else name)
        data = gzip.decompress(committed.read_bytes()) if committed.suffix == ".gz" else committed.read_bytes()
        assert data == (RUNTIME_DIR / name).read_bytes(), f"{committed.name}: run python -m train.export_onnx --runtime"


@pytest.mark.unit
def test_the_readme_states_the_bytes_a_learner_downloads():
    """The README's download size is the reader's files as the app serves them (as they are: the
    WebAssembly gzipped), and their sum."""
    text = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8").split())
    stated = re.search(
        r"A learner downloads ([\d,]+) bytes once: the runtime's WebAssembly ([\d,]+) .*?its JavaScript ([\d,]+) "
        r".*?the two models with the preprocessing ([\d,]+), and `reader.mjs` ([\d,]+)",
        text,
    )
    assert stated, "README.md no longer says what a learner downloads in the sentence this test reads"
    total, *parts = (int(group.replace(",", "")) for group in stated.groups())
    files = ("ort-wasm-simd-threaded.wasm.gz", "ort.wasm.bundle.min.mjs", READER_FILE, "reader.mjs")
    assert parts == [(READER_DIR / name).stat().st_size for name in files]
    assert total == sum(parts)
