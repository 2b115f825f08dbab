"""Unit tests of the shared core: device choice, checkpoints, data directory, the training loop."""

from __future__ import annotations

import threading
import urllib.error
from pathlib import Path

import pytest
import torch
import torchvision.datasets.mnist as tv_mnist
from torch import nn

from core import checkpoints, data, device, training
from core.loading import cached_loader

ROOT = Path(__file__).resolve().parent.parent


# ---------- device ----------


@pytest.mark.unit
def test_device_override_and_fallback(monkeypatch):
    monkeypatch.setenv(device.DEVICE_ENV, "cpu")
    assert device.pick_device() == torch.device("cpu")
    monkeypatch.delenv(device.DEVICE_ENV)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert device.pick_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert device.pick_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.pick_device() == torch.device("cuda")  # CUDA first


@pytest.mark.unit
def test_device_override_to_missing_cuda_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        device.pick_device("cuda")


@pytest.mark.unit
def test_gpu_decorator_is_a_no_op_without_spaces():
    def f(x):
        return x + 1

    assert device._no_op_gpu(f) is f
    assert device._no_op_gpu(duration=30)(f) is f


# ---------- checkpoints ----------


@pytest.mark.unit
def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    model(torch.randn(8, 4))  # move the batch-norm running stats off their defaults
    card = {"command": "python make.py", "seed": 0, "test_accuracy": 0.5}
    path = checkpoints.save_checkpoint(model, "tiny", card, directory=tmp_path)
    assert path.exists() and checkpoints.card_path("tiny", tmp_path).exists()

    fresh = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    checkpoints.load_weights(fresh, "tiny", "python make.py", directory=tmp_path)
    assert not fresh.training
    x = torch.randn(5, 4)
    torch.testing.assert_close(fresh(x), model.eval()(x))
    assert checkpoints.load_card("tiny", tmp_path) == card


@pytest.mark.unit
def test_missing_checkpoint_names_the_file_and_the_command(tmp_path):
    with pytest.raises(checkpoints.MissingCheckpointError) as error:
        checkpoints.load_weights(nn.Linear(2, 2), "absent", "python -m core.make_absent", directory=tmp_path)
    assert "absent.safetensors" in str(error.value) and "python -m core.make_absent" in str(error.value)


@pytest.mark.unit
def test_shipped_checkpoints_have_cards():
    for weights in checkpoints.CHECKPOINT_DIR.glob("*.safetensors"):
        card = checkpoints.load_card(weights.stem)
        assert {"command", "seed", "data"} <= card.keys(), weights.name


# ---------- data ----------


@pytest.mark.unit
def test_data_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv(data.DATA_ENV, raising=False)
    assert data.data_dir() == Path("data")
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / "env"))
    assert data.data_dir() == tmp_path / "env"
    assert data.data_dir(tmp_path / "flag") == tmp_path / "flag"


@pytest.mark.unit
def test_offline_without_data_says_what_to_do(monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(tv_mnist, "download_and_extract_archive", offline)
    with pytest.raises(data.DataUnavailableError) as error:
        data.mnist(train=False, root=tmp_path)
    message = str(error.value)
    assert str(tmp_path) in message and "MNIST/raw" in message and data.DATA_ENV in message
    with pytest.raises(data.DataUnavailableError):
        data.mnist(train=False, root=tmp_path, download=False)


@pytest.mark.reference
def test_mnist_reads_the_real_files(mnist_dir):
    images, labels = data.mnist_tensors(train=False, root=mnist_dir)
    assert images.shape == (10000, 28, 28) and images.dtype == torch.uint8
    assert torch.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# ---------- training loop ----------


def _blobs(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 2, generator=g) + (y[:, None] * 2 - 1) * 2.0
    return list(zip(x.split(32), y.split(32)))


@pytest.mark.unit
@pytest.mark.figures
def test_training_loop_lowers_the_loss():
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    batches = _blobs()
    before = training.evaluate_classifier(model, batches)
    records = list(
        training.fit(
            training.supervised_step(model, optimizer),
            batches,
            epochs=5,
            log_every=4,
            evaluate=lambda: training.evaluate_classifier(model, batches),
        )
    )
    epochs = [r for r in records if r.phase == "epoch"]
    assert [r.epoch for r in epochs] == [1, 2, 3, 4, 5]
    assert records[-1].step == records[-1].total_steps == 40
    assert any(r.phase == "step" for r in records)
    assert epochs[-1].metrics["loss"] < before["loss"] / 4
    assert epochs[-1].metrics["accuracy"] > 0.95


@pytest.mark.unit
def test_training_loop_stops_on_time_and_when_closed():
    model = nn.Linear(2, 2)
    step = training.supervised_step(model, torch.optim.SGD(model.parameters(), lr=0.1))
    records = list(training.fit(step, _blobs(), epochs=1000, max_seconds=0.0))
    assert records[-1].epoch == 1 and records[-1].step == 1  # stopped after the first step

    calls = []
    loop = training.fit(lambda batch: calls.append(1) or {"loss": 0.0}, _blobs(), epochs=1000, log_every=1)
    next(loop)
    loop.close()  # what a Stop button does
    assert len(calls) == 1


# ---------- boundaries ----------


@pytest.mark.unit
def test_serving_uses_one_torch_thread_unless_told(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("GALLERY_TORCH_THREADS", raising=False)
        assert device.configure_for_serving() == 1 and torch.get_num_threads() == 1
        monkeypatch.setenv("GALLERY_TORCH_THREADS", "2")
        assert device.configure_for_serving() == 2 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.unit
def test_cached_loader_builds_once_when_threads_race():
    class Key:
        """A cache key that notes each thread that looks it up (any cache hashes its key)."""

        def __init__(self, threads: int):
            self.threads, self.seen, self.all_looked = threads, set(), threading.Event()

        def __hash__(self):
            self.seen.add(threading.get_ident())
            if len(self.seen) == self.threads:
                self.all_looked.set()
            return 0

    key, builds, overlapped = Key(8), [], []

    @cached_loader
    def load(key):
        builds.append(key)
        overlapped.append(key.all_looked.wait(10))  # every thread has looked for the value while it is being built
        return object()

    results = []
    threads = [threading.Thread(target=lambda: results.append(load(key))) for _ in range(key.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)  # the build waits at most 10 s
    assert overlapped[0] and builds == [key] and len(results) == 8 and len({id(r) for r in results}) == 1


@pytest.mark.unit
def test_a_built_value_never_waits_for_another_loader():
    started, release = threading.Event(), threading.Event()

    @cached_loader
    def quick():
        return "digits"

    @cached_loader
    def slow():
        started.set()
        release.wait(5)
        return "transformer"

    assert quick() == "digits"
    worker = threading.Thread(target=slow)
    worker.start()
    started.wait(5)
    answers: list = []
    reader = threading.Thread(target=lambda: answers.append(quick()))
    reader.start()
    reader.join(2)  # slow() still holds the loading lock: a cached value must not wait for it
    answered_while_loading = list(answers)
    release.set()
    worker.join(10)
    reader.join(10)
    assert answered_while_loading == ["digits"]


@pytest.mark.unit
def test_shuffled_batches_cover_every_example_and_replay_from_a_seed():
    x, y = torch.arange(10).float()[:, None], torch.arange(10)

    def epoch(batches):
        return [b[1].tolist() for b in batches]

    a = training.ShuffledBatches(x, y, 4, torch.Generator().manual_seed(3))
    b = training.ShuffledBatches(x, y, 4, torch.Generator().manual_seed(3))
    first = epoch(a)
    assert len(a) == 3 and [len(batch) for batch in first] == [4, 4, 2]
    assert sorted(sum(first, [])) == list(range(10))
    assert epoch(b) == first and epoch(a) != first  # same seed, same order; a new order each epoch
    dropped = training.ShuffledBatches(x, y, 4, torch.Generator().manual_seed(3), drop_last=True)
    assert len(dropped) == 2 and epoch(dropped) == first[:2]
    doubled = training.ShuffledBatches(x, y, 4, torch.Generator().manual_seed(3), transform=lambda t, g: t * 2)
    inputs, targets = next(iter(doubled))
    assert torch.equal(inputs[:, 0], targets.float() * 2)
