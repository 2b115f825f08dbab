"""The browser's digit reader, exported to ONNX from the shipped checkpoints and `core.digits.canvas`.

One graph, `digit_reader.onnx`: a drawing surface's (140, 140) uint8 raster in, both models'
probabilities out (`canvas.RasterReader`), and the MLP opened: its normalised input and its hidden
layers (`LayerReader`, with `core.digits.mlp_view.mlp_layers`), which the sketcher's MLP view draws
as the pen moves. The checkpoints' SHA-256 digests are written into its
metadata, so a test sees when an export is stale (tests/test_onnx.py). Remade by
`python -m train.export_onnx`; exporting needs `onnx` and `onnxscript` (requirements-dev.txt), the
app never does.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

from core.checkpoints import load_weights, weights_path
from core.digits.canvas import RasterReader
from core.digits.mlp_view import mlp_layers
from core.digits.predict import ARCHITECTURES, CHECKPOINTS, fold_batch_norms, train_command

READER_FILE = "digit_reader.onnx"
OPSET = 18  # onnxruntime-web 1.31 runs opsets up to 23; 18 is the lowest with every operator used here
INPUTS = ["raster"]
OUTPUTS = ["cnn", "mlp", "found", "field", "mlp_input", "mlp_pre1", "mlp_h1", "mlp_h2"]


class LayerReader(nn.Module):
    """`RasterReader`'s reading with the MLP opened. Outputs: CNN and MLP probabilities (10,), found,
    the 28x28 field, then the MLP's normalised input (784,), its first layer before and after the
    ReLU (128,) each, and its second layer's activations (64,): `mlp_view.mlp_layers`, so the MLP's
    probabilities are the softmax of the same pass's logits."""

    def __init__(self, reader: RasterReader):
        super().__init__()
        self.reader = reader

    def forward(self, raster: torch.Tensor):
        inputs, field, found = self.reader.prepare(raster)  # (1, 1, 28, 28)
        cnn = torch.softmax(self.reader.cnn(inputs), dim=1)[0]  # (10,)
        layers = mlp_layers(self.reader.mlp, inputs)
        mlp = torch.softmax(layers.logits, dim=1)[0]  # (10,)
        return cnn, mlp, found, field, layers.inputs[0], layers.pre1[0], layers.h1[0], layers.h2[0]


def checkpoint_digests() -> dict[str, str]:
    """{"digit_cnn.sha256": ..., "digit_mlp.sha256": ...}: what an export was made from."""
    return {f"{name}.sha256": hashlib.sha256(weights_path(name).read_bytes()).hexdigest() for name in CHECKPOINTS.values()}


def reader_model(side: int) -> LayerReader:
    """The shipped models on the CPU, the CNN with its batch norms folded (as the server answers)."""
    models = {kind: load_weights(ARCHITECTURES[kind](), name, train_command(kind)) for kind, name in CHECKPOINTS.items()}
    cnn = fold_batch_norms(models["cnn"]).to(memory_format=torch.contiguous_format)
    return LayerReader(RasterReader(side, cnn, models["mlp"])).eval()


def export_reader(directory: Path, side: int) -> Path:
    """Write `directory/digit_reader.onnx` for a (side, side) raster; returns its path."""
    import onnx  # noqa: PLC0415  a dev dependency, only for the export command (the app never exports)

    path = Path(directory) / READER_FILE
    example = torch.full((side, side), 255, dtype=torch.uint8)
    example[side // 4 : 3 * side // 4, side // 2 - 4 : side // 2 + 4] = 0  # a stroke: every branch is traced
    program = torch.onnx.export(
        reader_model(side), (example,), input_names=INPUTS, output_names=OUTPUTS, opset_version=OPSET, dynamo=True, external_data=False
    )
    program.optimize()
    proto = program.model_proto
    for node in proto.graph.node:  # the exporter's per-node notes (torch stack traces): a third of the file, for nothing
        node.ClearField("metadata_props")
        node.doc_string = ""
    for info in proto.graph.value_info:
        info.ClearField("metadata_props")
    for key, value in checkpoint_digests().items():
        proto.metadata_props.add(key=key, value=value)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".onnx.partial")
    onnx.save(proto, str(partial))
    partial.replace(path)  # a browser may be reading the old one: never rewritten in place
    return path


def export_digests(path: Path) -> dict[str, str]:
    """The checkpoint digests written into an export's metadata."""
    import onnx  # noqa: PLC0415  a dev dependency: tests and the export command read the metadata

    return {prop.key: prop.value for prop in onnx.load(str(path), load_external_data=False).metadata_props if prop.key.endswith(".sha256")}
