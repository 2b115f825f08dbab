"""The transfer model as the app answers with it: int8, in few calls, on the CPU.

`load_transfer_int8` copies the fine-tuned MiniLM (`core.sentiment.models.load_transfer`), turns each
layer into a `LeanBertLayer` and its Linear layers into int8 `Int8Linear`s. Attributions need
gradients and keep using the float model.

int8 dynamic quantization is a CPU technique (its kernels are FBGEMM/oneDNN). On a GPU (or any
device but the CPU) the answering model is the float model in half precision instead
(`half_precision`): fp16 rather than bf16, since its 10-bit mantissa keeps logits closer to float32
and every CUDA GPU and Apple MPS runs it. Its SST-2 accuracy is not yet measured on a GPU.
"""

from __future__ import annotations

import copy
import functools
import os
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

try:
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
except ImportError:  # a torch without eager-mode quantization: answer with the float model
    quantize_dynamic = None

from core.device import model_device, on_cpu
from core.loading import cached_loader
from core.sentiment.models import load_transfer


@cached_loader
def load_transfer_int8() -> nn.Module:
    """The transfer model for answers: its layers as `LeanBertLayer`s, their Linear layers in int8
    (dynamic quantization, one weight scale per output channel, activations on all 8 bits:
    `Int8Linear`); a one-sentence answer takes 1.5 ms on one core, 4x less than float32. The card's
    accuracies are measured through this model; attributions need gradients and use the floats.
    Off the CPU: the fp16 copy (`half_precision`)."""
    model = load_transfer()
    if not on_cpu(model_device(model)):
        return half_precision(model)
    if quantize_dynamic is None:
        return model
    model = copy.deepcopy(model)  # the float model stays as it is, for attributions
    layers = model.encoder.encoder.layer
    for i in range(model.split, len(layers)):
        layers[i] = LeanBertLayer(layers[i])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eager-mode quantization is deprecated in favour of torchao
        quantized = quantize_dynamic(model, {nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True)
    for name, module in list(quantized.named_modules()):
        if type(module).__name__ == "Linear" and hasattr(module, "_packed_params"):  # a dynamic quantized Linear
            parent_name, _, child = name.rpartition(".")
            setattr(quantized.get_submodule(parent_name) if parent_name else quantized, child, Int8Linear(module))
    return quantized


ANSWER_DTYPE_OFF_CPU = torch.float16  # see the module's docstring; accuracy on a GPU not yet measured


def half_precision(model: nn.Module) -> nn.Module:
    """A copy of the float transfer model in `ANSWER_DTYPE_OFF_CPU`, on the model's device, for
    answers on a GPU (no gradients: attributions keep the float32 model)."""
    return copy.deepcopy(model).to(ANSWER_DTYPE_OFF_CPU).eval()


class LeanBertLayer(nn.Module):
    """A transformers BertLayer's inference computation in a few calls: query, key and value in one
    Linear (the same rows, stacked: quantized one scale per row, and all three read the same input,
    so int8 gives the same numbers as three), attention by `scaled_dot_product_attention`, then the
    layer's own output, feed-forward and LayerNorm modules. Equal to the BertLayer (tested)."""

    def __init__(self, layer: nn.Module):
        super().__init__()
        attention = layer.attention.self
        self.heads, self.head_size = attention.num_attention_heads, attention.attention_head_size
        width = self.heads * self.head_size
        self.qkv = nn.Linear(attention.query.in_features, 3 * width)
        with torch.no_grad():
            self.qkv.weight.copy_(torch.cat([attention.query.weight, attention.key.weight, attention.value.weight]))
            self.qkv.bias.copy_(torch.cat([attention.query.bias, attention.key.bias, attention.value.bias]))
        self.attention_out, self.attention_norm = layer.attention.output.dense, layer.attention.output.LayerNorm
        self.intermediate, self.activation = layer.intermediate.dense, layer.intermediate.intermediate_act_fn
        self.out, self.out_norm = layer.output.dense, layer.output.LayerNorm

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        batch, length, _ = hidden.shape
        q, k, v = self.qkv(hidden).view(batch, length, 3, self.heads, self.head_size).permute(2, 0, 3, 1, 4)  # (B, heads, T, d) each
        context = F.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask)  # (B, heads, T, d)
        context = context.transpose(1, 2).reshape(batch, length, -1)  # (B, T, 384)
        hidden = self.attention_norm(self.attention_out(context) + hidden)
        return self.out_norm(self.out(self.activation(self.intermediate(hidden))) + hidden)  # (B, T, 384)


VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")  # /proc/cpuinfo's names for int8 dot products summed in 32 bits


@functools.cache
def activation_bits() -> int:
    """How many bits `Int8Linear` quantizes activations to on this machine: 8 where the CPU's int8
    kernels sum in 32 bits, else 7, as torch's own module always does (`reduce_range`).

    FBGEMM (torch's x86 engine) without VNNI multiplies with AVX2's vpmaddubsw, which adds two
    u8 x s8 products into an int16 and saturates when both are large: on an AMD EPYC with AVX2 and no
    VNNI, 8-bit activations gave a random Linear 3x the error of 7-bit ones (tests/test_sentiment.py)
    and SST-2 dev 89.22% where the card's VNNI machine measured 90.14%. QNNPACK (ARM) sums in 32 bits.
    GALLERY_INT8_ACTIVATION_BITS=7 or 8 overrides (to measure the other figure of the card)."""
    chosen = os.environ.get("GALLERY_INT8_ACTIVATION_BITS", "").strip()
    if chosen in ("7", "8"):
        return int(chosen)
    if torch.backends.quantized.engine == "qnnpack":
        return 8
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return 7  # nothing says the kernels are safe: the bit torch gives up
    return 8 if flags & set(VNNI_FLAGS) else 7


class Int8Linear(nn.Module):
    """A dynamically quantized Linear whose activations are quantized to all 8 bits where the CPU
    allows it (`activation_bits`).

    torch's own module asks for 7 (`reduce_range=True`): on CPUs without VNNI, int8 products summed
    in pairs can saturate 16 bits, and one bit less rules that out. For this model the lost bit
    matters (SST-2 dev: 88.99% with 7 bits, 90.14% with 8, 89.91% in float32, on the 2-core AMD
    machine of the card, which has VNNI) at the same speed, so answers use 8 bits where that is
    safe; tested against float32. The card gives the 7-bit figure too (`sst2_dev_7bit`)."""

    def __init__(self, quantized: nn.Module):
        super().__init__()
        self.packed = quantized._packed_params  # weights and bias, packed once by quantize_dynamic
        self.reduce_range = activation_bits() == 7

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.quantized.linear_dynamic(x, self.packed._packed_params, reduce_range=self.reduce_range).to(x.dtype)
