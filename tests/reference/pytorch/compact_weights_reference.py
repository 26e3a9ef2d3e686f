"""Writes the PyTorch reference for bf16 and int8 weight storage (tests/Gpt.Sdk.Tests/Reference/CompactWeightsParityTests).

The tiny GPT-2 of gpt2_reference.py (its folder, gpt2_tiny) and its batch, run three ways in float64:
- fp32: the weights as stored;
- bf16: every parameter rounded to bfloat16 by torch (`.to(torch.bfloat16)`, round to nearest even), as a model
  converted to bf16 holds them and as its saved BF16 file stores them; those bit patterns are written too, in the
  Hugging Face file layout, so the C# test can check its BF16 file byte for byte;
- int8: the token embedding and every linear weight quantized here, independently of the C# code, as llama.cpp's
  reference quantize_row_q8_0 does (blocks of 32 along each (out, in) row: d = max|x| / 127, q = roundf(x / d)
  computed as x * (1/d) in float32, d stored as fp16; value = fp16(d) * q in float32); other parameters unchanged.
The logits are stored as float32; the float64 run means they carry no float32 error of their own.

Run from the repository root with Debian's torch:  /usr/bin/python3 tests/reference/pytorch/compact_weights_reference.py
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from gpt2_torch import Config, Gpt2, hf_layout  # noqa: E402

REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Gpt.Sdk.Tests", "Reference")
FOLDER = os.path.join(REFERENCE, "gpt2_tiny")


def load_model():
    with open(os.path.join(FOLDER, "config.json")) as f:
        c = json.load(f)
    cfg = Config(vocab_size=c["vocab_size"], n_positions=c["n_positions"], n_embd=c["n_embd"], n_layer=c["n_layer"], n_head=c["n_head"])
    model = Gpt2(cfg)
    stored = safetensors_io.load(os.path.join(FOLDER, "model.safetensors"))
    state = {}
    for name, p in model.named_parameters():
        # hf_layout is its own inverse: a transpose for the Conv1D matrices, nothing for the rest.
        state[name] = hf_layout(name, torch.from_numpy(stored[name].copy()))
    model.load_state_dict(state, strict=False)
    return model


def quantize_q8_0(w):
    """float32 (rows, cols) -> dequantized float32, per llama.cpp's quantize_row_q8_0 and dequantize_row_q8_0."""
    x = w.astype(np.float32).reshape(-1, 32)
    amax = np.abs(x).max(axis=1)
    d = (amax / np.float32(127)).astype(np.float32)
    inv = np.where(d != 0, np.float32(1) / np.where(d != 0, d, np.float32(1)), np.float32(0)).astype(np.float32)
    scaled = (x * inv[:, None]).astype(np.float32)
    q = np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))  # roundf: half away from zero
    d16 = d.astype(np.float16).astype(np.float32)
    return (d16[:, None] * q.astype(np.float32)).astype(np.float32).reshape(w.shape)


def is_matrix(name):
    return name == "transformer.wte.weight" or (name.startswith("transformer.h.") and name.endswith(".weight") and ".ln_" not in name)


def logits64(model, ids):
    with torch.no_grad():
        logits, _ = model.double()(ids)
    return logits.float().numpy()


def main():
    expected_tiny = safetensors_io.load(os.path.join(REFERENCE, "gpt2_tiny_expected.safetensors"))
    ids = torch.from_numpy(expected_tiny["ids"].astype(np.int64))

    fp32 = load_model()
    bf16 = load_model()
    int8 = load_model()
    bits = {}
    with torch.no_grad():
        for name, p in bf16.named_parameters():
            rounded = p.to(torch.bfloat16)
            bits["bf16." + name] = hf_layout(name, rounded.view(torch.int16)).numpy().view(np.uint16)
            p.copy_(rounded.float())
        for name, p in int8.named_parameters():
            if is_matrix(name):
                p.copy_(torch.from_numpy(quantize_q8_0(p.numpy())))

    expected = {
        "ids": expected_tiny["ids"],
        "logits.fp32": logits64(fp32, ids),
        "logits.bf16": logits64(bf16, ids),
        "logits.int8": logits64(int8, ids),
    }
    expected.update(bits)
    path = os.path.join(REFERENCE, "compact_tiny_expected.safetensors")
    safetensors_io.save(path, expected, {"torch": torch.__version__})
    written = safetensors_io.load(path)
    assert all((written[k] == v).all() and written[k].shape == v.shape for k, v in expected.items()), "safetensors round trip"

    scale = np.abs(expected["logits.fp32"]).max()
    for kind in ("bf16", "int8"):
        error = np.abs(expected["logits." + kind] - expected["logits.fp32"]).max()
        print(f"{kind}: max |logits - fp32 logits| = {error:.4e}, {error / scale:.3e} of max |logit| {scale:.4f}")


if __name__ == "__main__":
    main()
