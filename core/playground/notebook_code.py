"""The code cells of a playground run's notebook (core.playground.notebook puts the words between them).

Plain PyTorch that imports nothing from this project. Each cell makes its random numbers with the same
generator calls, in the same order and in float32, as `core.playground.data.make_data` and
`core.playground.experiment.PlaygroundRun` do, so the notebook gives the page's losses epoch by epoch
(tests/test_notebook.py runs both and compares). Change either side and change the other with it.
Only the code a run needs is written: its problem, its layers, its optimiser, its schedule.
"""

from __future__ import annotations

from core.playground.settings import Points, Settings

# Each toy problem's points, as core.playground.data.toy_points draws them: same calls, same order.
# Every 2-D problem first draws a class order and a position along its shape.
_CLASS_ORDER = """\
y = torch.arange(POINTS) % {classes}  # (N,) the classes in turn: as many points of each
y = y[torch.randperm(POINTS, generator=generator)]  # ... in a random order
"""
_UNUSED = "# {what}: not used by this problem, but the playground draws them for every problem, so the numbers after them match\n"
TOY_CODE = {
    "moons": _CLASS_ORDER.format(classes=2)
    + """\
t = torch.rand(POINTS, generator=generator)  # (N,) where along its half circle each point sits
angle = math.pi * t
upper = torch.stack([torch.cos(angle) - 0.5, torch.sin(angle) - 0.25], 1)  # (N, 2) class 0's arc
lower = torch.stack([0.5 - torch.cos(angle), 0.25 - torch.sin(angle)], 1)  # (N, 2) class 1's arc
x = torch.where((y == 0)[:, None], upper, lower)  # (N, 2)
x = x + NOISE * torch.randn(POINTS, 2, generator=generator)  # the jitter: noise a big network can memorise
""",
    "circles": _CLASS_ORDER.format(classes=2)
    + """\
t = torch.rand(POINTS, generator=generator)  # (N,) where around its circle each point sits
angle = 2 * math.pi * t
radius = torch.where(y == 0, 1.0, 0.5)[:, None]  # (N, 1) class 0 on the ring, class 1 on the inner circle
x = radius * torch.stack([torch.cos(angle), torch.sin(angle)], 1)  # (N, 2)
x = x + NOISE * torch.randn(POINTS, 2, generator=generator)  # the jitter: noise a big network can memorise
""",
    "spiral": _CLASS_ORDER.format(classes=2)
    + """\
t = torch.rand(POINTS, generator=generator)  # (N,) how far along its arm each point sits
angle = 3 * math.pi * t + math.pi * y  # the second arm is the first turned half a turn
radius = 0.1 + 0.9 * t
x = radius[:, None] * torch.stack([torch.cos(angle), torch.sin(angle)], 1)  # (N, 2)
x = x + (NOISE / 2) * torch.randn(POINTS, 2, generator=generator)  # half the noise: the arms are close
""",
    "xor": _UNUSED.format(what="A class order and a position along a shape")
    + """\
torch.randperm(POINTS, generator=generator)
torch.rand(POINTS, generator=generator)
x = torch.rand(POINTS, 2, generator=generator) * 2 - 1  # (N, 2) uniform in the square [-1, 1]²
y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long()  # (N,) class 1 where the signs differ
x = x + NOISE * torch.randn(POINTS, 2, generator=generator)  # the jitter: some points cross their quadrant's edge
""",
    "blobs": _CLASS_ORDER.format(classes=3)
    + _UNUSED.format(what="A position along a shape")
    + """\
torch.rand(POINTS, generator=generator)
centres = torch.tensor([[-0.6, -0.45], [0.6, -0.45], [0.0, 0.6]])  # (3, 2) one centre per class
x = centres[y] + 0.25 * torch.randn(POINTS, 2, generator=generator)  # (N, 2) a cluster around each centre
x = x + NOISE * torch.randn(POINTS, 2, generator=generator)  # the jitter: the clusters overlap more
""",
    "curve": """\
x = torch.rand(POINTS, 1, generator=generator) * 2 - 1  # (N, 1) uniform in [-1, 1]
y = torch.sin(3 * x) + 0.3 * x + NOISE * torch.randn(POINTS, 1, generator=generator)  # (N, 1) the curve, plus noise
""",
    "mnist": """\
mnist = MNIST(DATA_ROOT, train=True, download=True)  # 60,000 digits (downloaded once, about 10 MB)
images, labels = mnist.data.reshape(-1, 784), mnist.targets  # (60000, 784) uint8, (60000,)
pick = torch.randperm(len(labels), generator=generator)[:POINTS]  # POINTS digits at random
x = (images[pick].float() / 255 - 0.1307) / 0.3081  # (N, 784) pixels scaled by MNIST's mean and std
y = labels[pick]  # (N,) the digit each one shows
""",
}

ACTIVATION_CODE = {"relu": "nn.ReLU()", "tanh": "nn.Tanh()", "sigmoid": "nn.Sigmoid()"}
OPTIMIZER_CODE = {
    "sgd": "torch.optim.SGD(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)",
    "momentum": "torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9, weight_decay=WEIGHT_DECAY)",
    "adam": "torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)",
    "rmsprop": "torch.optim.RMSprop(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)",
}
# core.playground.settings.lr_factor, one schedule at a time.
SCHEDULE_CODE = {
    "step": """\
def lr_factor(epoch):
    \"\"\"The learning rate of `epoch` (1-based), as a fraction of LR: divided by 10 at half way and again at three quarters.\"\"\"
    return 1.0 if epoch <= EPOCHS // 2 else 0.1 if epoch <= 3 * EPOCHS // 4 else 0.01
""",
    "cosine": """\
def lr_factor(epoch):
    \"\"\"The learning rate of `epoch` (1-based), as a fraction of LR: from 1 down towards 0 on half a cosine wave.\"\"\"
    progress = (epoch - 1) / max(1, EPOCHS)  # 0 at the first epoch
    return 0.5 * (1 + math.cos(math.pi * progress))
""",
    "warmup_cosine": """\
WARMUP = max(1, EPOCHS // 10)  # the first tenth of the epochs, at least one


def lr_factor(epoch):
    \"\"\"The learning rate of `epoch` (1-based), as a fraction of LR: a linear rise over the warm-up, then half a cosine wave.\"\"\"
    if epoch <= WARMUP:
        return epoch / (WARMUP + 1)  # below the peak throughout, which the first cosine epoch reaches
    progress = (epoch - 1 - WARMUP) / max(1, EPOCHS - WARMUP)  # 0 at the first cosine epoch
    return 0.5 * (1 + math.cos(math.pi * progress))
""",
}


def imports_code(s: Settings, points: Points | None) -> str:
    mnist = "from torchvision.datasets import MNIST\n" if s.problem == "mnist" and not points else ""
    copy = "import copy\n" if s.patience else ""  # to keep the best epoch's weights
    return f"""\
{copy}import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
{mnist}
# The playground trains on one CPU thread. Split among threads, a matrix product may add its
# numbers in another order, and the last digits differ: one thread here too, to get its digits.
torch.set_num_threads(1)
"""


def settings_code(s: Settings, points: Points | None) -> str:
    lines = [f"SEED = {s.seed}  # fixes the data, the initial weights, the batches' order and the dropout masks"]
    if not points:
        lines.append(f"POINTS = {s.points}  # examples before the split")
        if s.problem == "mnist":
            lines.append('DATA_ROOT = "data"  # where torchvision keeps MNIST')
        else:
            lines.append(f"NOISE = {s.noise!r}  # std of the Gaussian jitter on each point")
    lines += [
        f"VAL_FRACTION = {s.val_fraction!r}  # share held out for validation: never trained on, only measured",
        f"DEPTH = {s.depth}  # hidden layers (0: a linear model)",
        f"WIDTH = {s.width}  # units per hidden layer",
    ]
    if s.dropout:
        lines.append(f"DROPOUT = {s.dropout!r}  # chance that a hidden unit is zeroed in a training step")
    lines += [
        f"WEIGHT_DECAY = {s.weight_decay!r}  # L2 penalty: pulls every weight towards zero",
        f"LR = {s.lr!r}  # learning rate" + (" (its peak: a schedule changes it)" if s.lr_schedule != "constant" else ""),
        f"BATCH_SIZE = {s.batch_size}  # examples per step",
        f"EPOCHS = {s.epochs}  # passes over the training set",
    ]
    if s.patience:
        lines.append(f"PATIENCE = {s.patience}  # stop after this many epochs without a new best validation loss")
    return "\n".join(lines) + "\n"


def data_code(s: Settings, points: Points | None, regression: bool) -> str:
    start = "generator = torch.Generator().manual_seed(SEED)  # the data's random numbers, in this order\n\n"
    if points:
        labels = [label if regression else int(label) for label in points.labels]
        rows = "".join(f"    [{x!r}, {y!r}, {label!r}],\n" for (x, y), label in zip(points.xy, labels))
        target = "table[:, 2:]  # (N, 1) the number to predict" if regression else "table[:, 2].long()  # (N,) the class, 0 or 1"
        return (
            start
            + f"POINTS_TABLE = [  # x, y, label\n{rows}]\n"
            + "table = torch.tensor(POINTS_TABLE, dtype=torch.float32)  # (N, 3)\n"
            + "x = table[:, :2]  # (N, 2) the positions\n"
            + f"y = {target}\n"
            + f"classes = {0 if regression else 2}  # 0: a regression\n"
        )
    classes = "classes = 0  # a regression: one number to predict" if regression else "classes = int(y.max()) + 1"
    return start + TOY_CODE[s.problem] + classes + '\nprint(x.shape, y.shape, "classes:", classes)\n'


SPLIT_CODE = """\
order = torch.randperm(len(x), generator=generator)  # the points in a random order
n_val = min(len(x) - 1, max(1, round(len(x) * VAL_FRACTION)))  # at least one point on each side
x_val, y_val = x[order[:n_val]], y[order[:n_val]]
x_train, y_train = x[order[n_val:]], y[order[n_val:]]
print(len(x_train), "training points,", len(x_val), "validation points")
"""


def model_code(s: Settings, regression: bool) -> str:
    dropout = ""
    if s.dropout:
        dropout = '''\
class SeededDropout(nn.Module):
    """nn.Dropout with its masks drawn from our generator, so that the seed fixes them too."""

    def __init__(self, p, generator):
        super().__init__()
        self.p, self.generator = p, generator

    def forward(self, x):
        if not self.training:
            return x  # measuring: every unit on
        keep = torch.rand(x.shape, generator=self.generator) >= self.p  # (B, WIDTH) True for the units kept
        return x * keep / (1 - self.p)  # scaled up, so the next layer gets the same total on average


'''
    hidden = ["    layers.append(nn.Linear(size, WIDTH))  # (B, WIDTH)"]
    if s.batch_norm:
        hidden.append("    layers.append(nn.BatchNorm1d(WIDTH))")
    hidden.append(f"    layers.append({ACTIVATION_CODE[s.activation]})")
    if s.dropout:
        hidden.append("    layers.append(SeededDropout(DROPOUT, generator))")
    out = "1))  # (B, 1) the prediction" if regression else "classes))  # (B, classes) one logit per class"
    return (
        "generator = torch.Generator().manual_seed(SEED + 1)  # the weights, the batches' order"
        + (" and the dropout masks\n\n\n" if s.dropout else "\n\n\n")
        + dropout
        + "layers = []\n"
        + "size = x_train.shape[1]  # the inputs: a point's coordinates (or a digit's pixels)\n"
        + "for _ in range(DEPTH):\n"
        + "\n".join(hidden)
        + "\n    size = WIDTH\n"
        + f"layers.append(nn.Linear(size, {out}\n"
        + "model = nn.Sequential(*layers)\n\n"
        + "for layer in model:  # PyTorch's default initialisation, drawn from our generator in order\n"
        + "    if isinstance(layer, nn.Linear):\n"
        + "        nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)\n"
        + "        bound = 1 / math.sqrt(layer.in_features)\n"
        + "        nn.init.uniform_(layer.bias, -bound, bound, generator=generator)\n"
        + 'print(model)\nprint(sum(p.numel() for p in model.parameters()), "weights")\n'
    )


def optimizer_code(s: Settings, regression: bool) -> str:
    loss = "F.mse_loss  # mean squared error" if regression else "F.cross_entropy  # takes logits and the true classes"
    schedule = "\n\n" + SCHEDULE_CODE[s.lr_schedule] if s.lr_schedule != "constant" else ""
    return f"loss_fn = {loss}\noptimizer = {OPTIMIZER_CODE[s.optimizer]}\n{schedule}"


def measure_code(regression: bool) -> str:
    accuracy = (
        ""
        if regression
        else """\
        "train_accuracy": float((out_train.argmax(1) == y_train).float().mean()),
        "val_accuracy": float((out_val.argmax(1) == y_val).float().mean()),
"""
    )
    return f"""\
def measure():
    model.eval()
    with torch.no_grad():
        out = model(torch.cat([x_train, x_val]))  # (N_train + N_val, outputs)
    out_train, out_val = out[: len(x_train)], out[len(x_train) :]
    return {{
        "train_loss": float(loss_fn(out_train, y_train)),
        "val_loss": float(loss_fn(out_val, y_val)),
{accuracy}    }}
"""


def loop_code(s: Settings) -> str:
    schedule = (
        '    for group in optimizer.param_groups:\n        group["lr"] = LR * lr_factor(epoch)\n' if s.lr_schedule != "constant" else ""
    )
    stop = (
        """\
    if row["val_loss"] < best_val_loss:
        best_val_loss, best_epoch = row["val_loss"], epoch
        best_weights = copy.deepcopy(model.state_dict())
    if epoch - best_epoch >= PATIENCE:
        print(f"Early stopping at epoch {epoch}: kept the weights of epoch {best_epoch}")
        model.load_state_dict(best_weights)
        break
"""
        if s.patience
        else ""
    )
    return (
        "history = []  # one row per epoch\n"
        + "batch_size = min(BATCH_SIZE, len(x_train))\n"
        + ("best_val_loss, best_epoch = math.inf, 0\n" if s.patience else "")
        + "for epoch in range(1, EPOCHS + 1):\n"
        + schedule
        + "    model.train()\n"
        + "    order = torch.randperm(len(x_train), generator=generator)  # a new order every epoch\n"
        + "    for start in range(0, len(x_train), batch_size):\n"
        + "        batch = order[start : start + batch_size]\n"
        + "        logits = model(x_train[batch])  # (B, outputs)\n"
        + "        loss = loss_fn(logits, y_train[batch])\n"
        + "        optimizer.zero_grad()\n"
        + "        loss.backward()\n"
        + "        optimizer.step()\n"
        + '    row = {"epoch": epoch, **measure()}\n'
        + "    history.append(row)\n"
        + stop
    )


def curves_code(regression: bool) -> str:
    accuracy = (
        ""
        if regression
        else """\
axes[1].plot(epochs, [row["train_accuracy"] for row in history], label="training")
axes[1].plot(epochs, [row["val_accuracy"] for row in history], label="validation")
axes[1].set(xlabel="epoch", ylabel="accuracy")
axes[1].legend()
"""
    )
    return f"""\
best = min(history, key=lambda row: row["val_loss"])
print("epoch   training loss   validation loss")
for row in history:
    print(f"{{row['epoch']:5d}}   {{row['train_loss']:13.6f}}   {{row['val_loss']:15.6f}}")
print(f"Validation loss was lowest at epoch {{best['epoch']}}: overfitting starts there.")

epochs = [row["epoch"] for row in history]
fig, axes = plt.subplots(1, {1 if regression else 2}, figsize=({6 if regression else 12}, 4), squeeze=False)
axes = axes[0]
axes[0].plot(epochs, [row["train_loss"] for row in history], label="training")
axes[0].plot(epochs, [row["val_loss"] for row in history], label="validation")
axes[0].axvline(best["epoch"], color="grey", linestyle="--", label="overfitting starts here")
axes[0].set(xlabel="epoch", ylabel="loss", yscale="log")
axes[0].legend()
{accuracy}plt.show()
"""
