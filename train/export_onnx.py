"""Export the browser's digit reader to ONNX: `python -m train.export_onnx`.

Writes demos/assets/reader/digit_reader.onnx from checkpoints/digit_{cnn,mlp}.safetensors and the
preprocessing in core/digits/canvas.py, for the drawing surface's raster size: both models'
probabilities, and the MLP's input and hidden layers for the sketcher's MLP view
(core.digits.export.LayerReader, core.digits.mlp_view.mlp_layers). Run it after
retraining a digit model or changing the preprocessing; tests/test_onnx.py fails until then.

With `--runtime`, it also copies ONNX Runtime Web's smallest build (WASM only: the bundled glue code,
and the WebAssembly gzipped, which reader.mjs unzips) from node_modules/onnxruntime-web (`npm ci`;
package.json pins its version) beside it: a Space installs no npm packages, so the page's files are
committed.
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

from core.digits.export import export_reader

READER_DIR = Path(__file__).resolve().parent.parent / "demos" / "assets" / "reader"
RUNTIME_DIR = READER_DIR.parent.parent.parent / "node_modules" / "onnxruntime-web" / "dist"
RUNTIME_FILES = ("ort.wasm.bundle.min.mjs", "ort-wasm-simd-threaded.wasm")  # what reader.mjs loads (the second gzipped)
RASTER_SIDE = 140  # demos.drawing.SEND_SIDE: the raster the surface sends (tests/test_onnx.py checks the two agree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=READER_DIR, help="directory for digit_reader.onnx")
    parser.add_argument("--runtime", action="store_true", help="also copy onnxruntime-web's files from node_modules")
    args = parser.parse_args()
    if args.runtime:
        for name in RUNTIME_FILES:
            data = (RUNTIME_DIR / name).read_bytes()
            if name.endswith(".wasm"):
                name, data = name + ".gz", gzip.compress(data, 9, mtime=0)
            (args.out / name).write_bytes(data)
            print(f"wrote {args.out / name} ({len(data):,} bytes)")
    path = export_reader(args.out, RASTER_SIDE)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
