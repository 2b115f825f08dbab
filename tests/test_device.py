"""One place decides the device, and every loader follows it.

On a machine without a GPU the loaders are sent to PyTorch's `meta` device (GALLERY_DEVICE=meta,
with the cached loaders cleared): a parameter or buffer left behind on the CPU shows up as "cpu".
On a GPU machine the whole suite runs with GALLERY_DEVICE=cuda.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
import torch

from core import device as core_device

DEMOS = Path(__file__).resolve().parents[1] / "demos"

# The handlers that run a model, per demo: each must carry @gpu (ZeroGPU). Handlers that only read
# files, list layers or parse settings are left out.
MODEL_HANDLERS = {
    "sketcher": ["predict_drawing", "predict_upload", "classify_digit"],
    "augment": ["sample_ui", "sample_drawing", "augment_digit_image"],
    "filters": ["inspect_layer", "pick_channel", "show_channel", "excite_filter", "feature_maps"],
    "gan": [
        *("generate_digits", "show_digits", "send_to_sketcher", "walk_between", "show_class_walk"),
        *("move_digit", "train_live", "first_digits", "first_walk", "first_class_walk"),
    ],
    "overfit": ["train_on_page", "train_playground"],
    "sentiment": ["explain", "classify_sentiment", "classify_lines", "classify_lines_on_page"],
}


def _loaders():
    from core.digits import predict as digits
    from core.gan import fused, models, sample
    from core.sentiment import int8
    from core.sentiment import models as sentiment
    from core.vision import filters, imagenet, model

    return [
        digits.load_digit_model,
        digits.answering_cnn,
        model.digit_vision_model,
        imagenet._load,
        models.load_digit_gan,
        fused.load_fused_generator,
        sentiment.load_scratch,
        sentiment.load_transfer,
        int8.load_transfer_int8,
        filters.excite,
        sample._directions_at,
    ]


def _clear_all():
    core_device.default_device.cache_clear()
    for loader in _loaders():
        loader.cache_clear()


@pytest.fixture
def on_meta(monkeypatch):
    """Every loader builds afresh on the meta device; the real ones are rebuilt after the test."""
    monkeypatch.setenv(core_device.DEVICE_ENV, "meta")
    _clear_all()
    yield torch.device("meta")
    _clear_all()  # meta models must not outlive the test (the env var is restored after this)


def left_behind(model: torch.nn.Module, device: torch.device) -> list[str]:
    """Names of the parameters and buffers of `model` that are not on `device`."""
    tensors = [*model.named_parameters(), *model.named_buffers()]
    assert tensors, "a model with no tensors proves nothing"
    return [name for name, tensor in tensors if tensor.device.type != device.type]


# ---------- choosing the device ----------


@pytest.mark.unit
def test_gallery_device_decides_and_cuda_is_refused_where_there_is_none(monkeypatch):
    monkeypatch.setenv(core_device.DEVICE_ENV, "cpu")
    assert core_device.pick_device() == torch.device("cpu")
    assert core_device.pick_device("meta") == torch.device("meta")  # an argument overrides the variable
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            core_device.pick_device("cuda")
    monkeypatch.delenv(core_device.DEVICE_ENV)
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert core_device.pick_device().type == expected


@pytest.mark.unit
def test_model_device_reads_parameters_or_buffers():
    assert core_device.model_device(torch.nn.Linear(2, 2, device="meta")).type == "meta"
    buffers_only = torch.nn.Module()
    buffers_only.register_buffer("w", torch.zeros(1, device="meta"))
    assert core_device.model_device(buffers_only).type == "meta"
    assert core_device.model_device(torch.nn.ReLU()).type == "cpu"


# ---------- ZeroGPU ----------


@pytest.mark.unit
def test_without_spaces_the_gpu_decorator_is_the_identity():
    with pytest.raises(ImportError):
        import spaces  # noqa: F401  (only installed on a ZeroGPU Space)

    def handler(x):
        return x

    assert core_device.gpu(handler) is handler
    assert core_device.gpu(duration=60)(handler) is handler


@pytest.mark.unit
@pytest.mark.parametrize("demo", sorted(MODEL_HANDLERS))
def test_every_model_running_handler_carries_the_gpu_decorator(demo):
    tree = ast.parse((DEMOS / f"{demo}.py" if (DEMOS / f"{demo}.py").exists() else DEMOS / demo / "handlers.py").read_text())
    decorated = {
        node.name: [d.id for d in node.decorator_list if isinstance(d, ast.Name)] for node in tree.body if isinstance(node, ast.FunctionDef)
    }
    for name in MODEL_HANDLERS[demo]:
        assert name in decorated, f"demos/{demo}.py has no handler {name}"
        assert "gpu" in decorated[name], f"demos/{demo}.py: {name} runs a model but lacks @gpu"


# ---------- every loader lands on the chosen device ----------


@pytest.mark.reference
def test_digit_models_land_on_the_chosen_device(on_meta):
    from core.digits.predict import answering_cnn, load_digit_model

    for model in (load_digit_model("cnn"), load_digit_model("mlp"), answering_cnn()):
        assert left_behind(model, on_meta) == []


@pytest.mark.reference
def test_vision_models_land_on_the_chosen_device(on_meta, tmp_path):
    from torchvision.models import resnet18

    from core.vision.imagenet import RESNET18, imagenet_vision_model, weights_file
    from core.vision.model import digit_vision_model

    assert left_behind(digit_vision_model().model, on_meta) == []
    path = weights_file(RESNET18, tmp_path)  # ResNet-18 with random weights: nothing downloaded
    path.parent.mkdir(parents=True)
    torch.save(resnet18(weights=None).state_dict(), path)
    vision = imagenet_vision_model(RESNET18, tmp_path)
    assert left_behind(vision.model, on_meta) == []
    assert vision.device.type == "meta"


@pytest.mark.reference
def test_gan_models_land_on_the_chosen_device(on_meta):
    from core.gan.fused import load_fused_generator
    from core.gan.models import load_digit_gan

    gan = load_digit_gan()
    assert left_behind(gan.generator, on_meta) == []
    assert left_behind(gan.discriminator, on_meta) == []
    assert left_behind(load_fused_generator(), on_meta) == []


@pytest.mark.reference
def test_sentiment_models_land_on_the_chosen_device_and_answer_in_fp16_off_the_cpu(on_meta):
    from core.sentiment.int8 import ANSWER_DTYPE_OFF_CPU, load_transfer_int8
    from core.sentiment.models import load_scratch, load_transfer

    assert left_behind(load_scratch()[0], on_meta) == []
    transfer = load_transfer()
    assert left_behind(transfer, on_meta) == []
    answering = load_transfer_int8()  # off the CPU: the float model in half precision, not int8
    assert left_behind(answering, on_meta) == []
    assert {p.dtype for p in answering.parameters()} == {ANSWER_DTYPE_OFF_CPU}
    assert {p.dtype for p in transfer.parameters()} == {torch.float32}  # attributions keep float32


@pytest.mark.reference
def test_the_cpu_keeps_the_int8_answering_model(monkeypatch):
    monkeypatch.setenv(core_device.DEVICE_ENV, "cpu")
    _clear_all()
    try:
        from core.sentiment.int8 import Int8Linear, load_transfer_int8

        assert any(isinstance(m, Int8Linear) for m in load_transfer_int8().modules())
    finally:
        _clear_all()


@pytest.mark.reference
def test_training_models_land_on_the_chosen_device(on_meta):
    from core.gan.config import ToyConfig
    from core.gan.toy import toy_models
    from core.playground.experiment import DEFAULTS, PlaygroundRun

    run = PlaygroundRun(dataclasses.replace(DEFAULTS, points=64))
    assert left_behind(run.model, on_meta) == []
    assert run.batches.inputs.device.type == "meta" and run.data.x_train.device.type == "cpu"  # pictures draw from the CPU copy
    for model in toy_models(ToyConfig()):
        assert left_behind(model, on_meta) == []
