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
from torchvision.models import resnet18

from core import device as core_device
from core.digits.predict import answering_cnn, load_digit_model
from core.gan import sample
from core.gan.config import ToyConfig
from core.gan.fused import load_fused_generator
from core.gan.models import load_digit_gan
from core.gan.toy import toy_models
from core.playground.experiment import DEFAULTS, PlaygroundRun
from core.sentiment.int8 import ANSWER_DTYPE_OFF_CPU, Int8Linear, load_transfer_int8
from core.sentiment.models import load_scratch, load_transfer
from core.vision import filters, imagenet
from core.vision.imagenet import RESNET18, imagenet_vision_model, weights_file
from core.vision.model import digit_vision_model
from demos import DEMOS


def _loaders():
    return [
        load_digit_model,
        answering_cnn,
        digit_vision_model,
        imagenet._load,
        load_digit_gan,
        load_fused_generator,
        load_scratch,
        load_transfer,
        load_transfer_int8,
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
        import spaces  # noqa: F401, PLC0415  (only installed on a ZeroGPU Space; its absence is the test)

    def handler(x):
        return x

    assert core_device.gpu(handler) is handler
    assert core_device.gpu(duration=60)(handler) is handler


# ---------- which handlers run a model: found from the code ----------
#
# On a ZeroGPU Space the GPU exists only inside a function decorated with @gpu, and every model
# lives on `default_device()` and is fed through `model_device(model)`. So a handler runs a model
# when what it calls, followed through core/ and demos/, reaches one of those two or a cached
# loader. Followed: functions and classes named directly or through a module (imports, including
# `lazy_module`), methods through `self`, and properties by name; a function passed as a value counts
# as called. A handler is a demo function passed as a value (to an event, `gr.api`, `partial`,
# `dict(fn=...)`), or a function a demo function returns (`preset_picker`'s `pick_preset`).

ROOT = Path(__file__).resolve().parents[1]
DEVICE_SEEDS = {("core.device", "default_device"), ("core.device", "model_device")}
DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclasses.dataclass
class Module:
    name: str
    tree: ast.Module
    aliases: dict = dataclasses.field(default_factory=dict)  # local name -> ("module", name) or ("symbol", module, name)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _parse_tree() -> dict[str, Module]:
    modules = {}
    for folder in ("core", "demos"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            modules[_module_name(path)] = Module(_module_name(path), ast.parse(path.read_text(encoding="utf-8")))
    for module in modules.values():
        package = module.name if (ROOT / module.name.replace(".", "/")).is_dir() else module.name.rpartition(".")[0]
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import):
                for name in node.names:
                    if name.asname:
                        module.aliases[name.asname] = ("module", name.name)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                for name in node.names:
                    full = f"{base}.{name.name}"
                    module.aliases[name.asname or name.name] = ("module", full) if full in modules else ("symbol", base, name.name)
            elif (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "id", None) == "lazy_module"
                and isinstance(node.targets[0], ast.Name)
            ):
                module.aliases[node.targets[0].id] = ("module", node.value.args[0].value)
    return modules


class CallGraph:
    """Every function, method and class of core/ and demos/, with what each one names."""

    def __init__(self):
        self.modules = _parse_tree()
        self.functions: dict[tuple[str, str], ast.AST] = {}  # (module, qualified name) -> def
        self.classes: dict[tuple[str, str], ast.ClassDef] = {}
        self.owner: dict[tuple[str, str], str | None] = {}  # a method's class
        self.properties: dict[str, list[tuple[str, str]]] = {}  # property name -> its getters
        self.loaders: set[tuple[str, str]] = set()
        for module in self.modules.values():
            self._collect(module.name, module.tree.body, "", None)

    def _collect(self, module: str, body: list, prefix: str, owner: str | None) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                self.classes[(module, prefix + node.name)] = node
                self._collect(module, node.body, f"{prefix}{node.name}.", prefix + node.name)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                key = (module, prefix + node.name)
                self.functions[key], self.owner[key] = node, owner
                decorators = {ast.unparse(d).split("(")[0].rsplit(".", 1)[-1] for d in node.decorator_list}
                if "cached_loader" in decorators:
                    self.loaders.add(key)
                if "property" in decorators:
                    self.properties.setdefault(node.name, []).append(key)
                self._collect(module, node.body, f"{prefix}{node.name}.", owner)

    def resolve(self, module: str, name: str, depth: int = 0) -> tuple[str, str] | None:
        """`name` as seen in `module` -> ("module", name) for a module, else (module, name) of a def or class."""
        if depth > 8:
            return None
        if (module, name) in self.functions or (module, name) in self.classes:
            return module, name
        alias = self.modules[module].aliases.get(name) if module in self.modules else None
        if alias is None:
            return None
        if alias[0] == "module":
            return ("module", alias[1]) if alias[1] in self.modules else None
        return self.resolve(alias[1], alias[2], depth + 1) if alias[1] in self.modules else None

    def _target(self, module: str, node: ast.AST, owner: str | None):
        """What an expression names: a def or class, a module, or None."""
        if isinstance(node, ast.Name):
            return self.resolve(module, node.id)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "self" and owner:
                return (module, f"{owner}.{node.attr}") if (module, f"{owner}.{node.attr}") in self.functions else None
            base = self._target(module, node.value, owner)
            if base and base[0] == "module":
                found = self.resolve(base[1], node.attr)
                if found is None and f"{base[1]}.{node.attr}" in self.modules:
                    return "module", f"{base[1]}.{node.attr}"
                return found
        return None

    def named(self, key: tuple[str, str]) -> set[tuple[str, str]]:
        """The defs `key` calls or passes on: functions, classes' constructors and calls, properties."""
        module, _ = key
        node = self.functions.get(key) or self.classes[key]
        if key in self.classes:
            methods = ("__init__", "__post_init__", "__call__")
            return {(module, f"{key[1]}.{m}") for m in methods if (module, f"{key[1]}.{m}") in self.functions}
        found = set()
        for child in ast.walk(node):
            if isinstance(child, ast.Attribute) and child.attr in self.properties:
                found.update(self.properties[child.attr])
            target = self._target(module, child, self.owner[key])
            if target and target[0] != "module":
                found.add(target)
        return found

    def runs_a_model(self, key: tuple[str, str]) -> list[tuple[str, str]] | None:
        """The path from `key` to the device (None when it never gets there)."""
        paths, queue = {key: [key]}, [key]
        while queue:
            current = queue.pop(0)
            if current in DEVICE_SEEDS:
                return paths[current]
            for callee in self.named(current):
                if callee not in paths:
                    paths[callee] = [*paths[current], callee]
                    queue.append(callee)
        return None

    def handlers(self, package: str) -> set[tuple[str, str]]:
        """A demo's event handlers: its functions passed as values, and the functions its functions return."""
        found = set()
        for name, module in self.modules.items():
            if name != package and not name.startswith(package + "."):
                continue
            called = {id(node.func) for node in ast.walk(module.tree) if isinstance(node, ast.Call)}
            called |= {id(d) for node in ast.walk(module.tree) if isinstance(node, DEFS) for d in node.decorator_list}
            for node in ast.walk(module.tree):
                if isinstance(node, (ast.Name, ast.Attribute)) and id(node) not in called and isinstance(node.ctx, ast.Load):
                    target = self._target(name, node, None)
                    if target and target[0].startswith("demos") and target in self.functions and self.owner[target] is None:
                        found.add(target)
        for key, node in list(self.functions.items()):
            if (key[0] == package or key[0].startswith(package + ".")) and self.owner[key] is None and "." not in key[1]:
                inner = {child.name for child in node.body if isinstance(child, ast.FunctionDef)}
                for child in ast.walk(node):
                    if isinstance(child, ast.Return) and isinstance(child.value, ast.Name) and child.value.id in inner:
                        found.add((key[0], f"{key[1]}.{child.value.id}"))
        return found

    def decorated_with_gpu(self, key: tuple[str, str]) -> bool:
        return any(ast.unparse(d).split("(")[0] == "gpu" for d in self.functions[key].decorator_list)


@pytest.fixture(scope="module")
def graph() -> CallGraph:
    return CallGraph()


def _named(key: tuple[str, str]) -> str:
    return f"{key[0]}.{key[1]}"


@pytest.mark.unit
@pytest.mark.parametrize("demo", DEMOS, ids=lambda demo: demo.slug)
def test_every_handler_that_runs_a_model_carries_the_gpu_decorator(graph, demo):
    handlers = graph.handlers(demo.module)
    assert handlers, f"no handlers found in {demo.module}"
    missing = {}
    for key in sorted(handlers):
        path = graph.runs_a_model(key)
        if path and not graph.decorated_with_gpu(key):
            missing[_named(key)] = " -> ".join(_named(step) for step in path)
    assert not missing, "these handlers run a model but lack @gpu (each with what it calls to reach the device):\n" + "\n".join(
        f"{name}: {path}" for name, path in missing.items()
    )


@pytest.mark.unit
def test_the_finder_tells_the_handlers_that_run_a_model_from_the_rest(graph):
    """What the finder must see, so that the test above cannot pass by finding nothing."""
    runs = {
        ("demos.sketcher.handlers", "classify_digit"),  # a cached loader, through core.digits.reading
        ("demos.overfit.handlers", "open_page"),  # trains the opening run (PlaygroundRun) and draws it
        ("demos.overfit.handlers", "redraw"),  # draws a kept model: core.playground.draw.predict -> model_device
        ("demos.filters.handlers", "feature_maps"),
        ("demos.gan.handlers", "generate_digits"),
        ("demos.sentiment.handlers", "classify_sentiment"),
    }
    light = {
        ("demos.overfit.handlers", "show_schedule"),  # a table of numbers
        ("demos.overfit.handlers", "clear_history"),
        ("demos.overfit.handlers", "preset_picker.pick_preset"),  # a Try-this button: settings only
        ("demos.filters.handlers", "convolve"),  # numpy's convolution, no model
    }
    loaders = {("core.digits.predict", "load_digit_model"), ("core.gan.models", "load_digit_gan"), ("core.vision.imagenet", "_load")}
    loaders |= {("core.sentiment.models", "load_scratch"), ("core.sentiment.models", "load_transfer")}
    assert loaders <= graph.loaders and all(graph.runs_a_model(key) for key in loaders)  # every model lands on the device
    assert not graph.runs_a_model(("core.digits.predict", "digit_card"))  # a cached model card is not a model
    handlers = set().union(*(graph.handlers(demo.module) for demo in DEMOS))
    assert runs | light <= handlers, (runs | light) - handlers
    assert all(graph.runs_a_model(key) for key in runs), [_named(key) for key in runs if not graph.runs_a_model(key)]
    assert not any(graph.runs_a_model(key) for key in light), [_named(key) for key in light if graph.runs_a_model(key)]
    assert ("demos", "user_errors") not in handlers  # a decorator is not a handler


# ---------- every loader lands on the chosen device ----------


@pytest.mark.reference
def test_digit_models_land_on_the_chosen_device(on_meta):
    for model in (load_digit_model("cnn"), load_digit_model("mlp"), answering_cnn()):
        assert left_behind(model, on_meta) == []


@pytest.mark.reference
def test_vision_models_land_on_the_chosen_device(on_meta, tmp_path):
    assert left_behind(digit_vision_model().model, on_meta) == []
    path = weights_file(RESNET18, tmp_path)  # ResNet-18 with random weights: nothing downloaded
    path.parent.mkdir(parents=True)
    torch.save(resnet18(weights=None).state_dict(), path)
    vision = imagenet_vision_model(RESNET18, tmp_path)
    assert left_behind(vision.model, on_meta) == []
    assert vision.device.type == "meta"


@pytest.mark.reference
def test_gan_models_land_on_the_chosen_device(on_meta):
    gan = load_digit_gan()
    assert left_behind(gan.generator, on_meta) == []
    assert left_behind(gan.discriminator, on_meta) == []
    assert left_behind(load_fused_generator(), on_meta) == []


@pytest.mark.reference
def test_sentiment_models_land_on_the_chosen_device_and_answer_in_fp16_off_the_cpu(on_meta):
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
        assert any(isinstance(m, Int8Linear) for m in load_transfer_int8().modules())
    finally:
        _clear_all()


@pytest.mark.reference
def test_training_models_land_on_the_chosen_device(on_meta):
    run = PlaygroundRun(dataclasses.replace(DEFAULTS, points=64))
    assert left_behind(run.model, on_meta) == []
    assert run.batches.inputs.device.type == "meta" and run.data.x_train.device.type == "cpu"  # pictures draw from the CPU copy
    for model in toy_models(ToyConfig()):
        assert left_behind(model, on_meta) == []
