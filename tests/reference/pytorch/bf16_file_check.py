"""Checks a model folder the SDK saved with bf16 weights the way Hugging Face loads it (transformers is not installed
here, so its loading steps are done by hand with torch): every tensor of model.safetensors is read as the header says,
with torch's own bfloat16 dtype (torch.frombuffer), config.json names torch_dtype bfloat16, the keys are transformers'
GPT2LMHeadModel keys (transformer.*, Conv1D matrices (in, out)), and the weights load into the independent PyTorch GPT-2
of gpt2_torch.py. With --logits FILE --ids JSON (raw float32 logits the SDK computed for those ids), the logits torch
computes from the loaded bf16 weights (upcast to float64) are compared with them.

    /usr/bin/python3 tests/reference/pytorch/bf16_file_check.py FOLDER [--logits FILE --ids FILE]
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_torch import Config, Gpt2, hf_layout  # noqa: E402


def read_bf16(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = bytearray(f.read())
    metadata = header.pop("__metadata__", {})
    assert metadata.get("format") == "pt", f"metadata {metadata}: transformers needs format=pt"
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "BF16", f"{name} is {info['dtype']}"
        begin, end = info["data_offsets"]
        tensors[name] = torch.frombuffer(data[begin:end], dtype=torch.bfloat16).reshape(info["shape"])
    return tensors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--logits")
    parser.add_argument("--ids")
    args = parser.parse_args()
    with open(os.path.join(args.folder, "config.json")) as f:
        c = json.load(f)
    assert c["torch_dtype"] == "bfloat16", c["torch_dtype"]
    cfg = Config(vocab_size=c["vocab_size"], n_positions=c["n_positions"], n_embd=c["n_embd"], n_layer=c["n_layer"], n_head=c["n_head"])
    model = Gpt2(cfg)
    tensors = read_bf16(os.path.join(args.folder, "model.safetensors"))
    expected = {n for n, _ in model.named_parameters()}
    assert set(tensors) == expected, f"keys differ: {sorted(set(tensors) ^ expected)}"
    model.load_state_dict({n: hf_layout(n, t) for n, t in tensors.items()}, strict=False)
    print(f"{len(tensors)} BF16 tensors load into GPT-2 ({sum(t.numel() for t in tensors.values())} weights)")
    if args.logits:
        with open(args.ids) as f:
            ids = torch.tensor([json.load(f)])
        with torch.no_grad():
            logits, _ = model.double()(ids)
        sdk = np.fromfile(args.logits, dtype="<f4").reshape(logits.shape)
        diff = np.abs(logits.numpy() - sdk).max()
        scale = np.abs(logits.numpy()).max()
        print(f"SDK bf16 logits vs torch on the loaded file: max abs diff {diff:.3e} ({diff / scale:.2e} of max |logit| {scale:.3f})")
        assert diff <= 1e-5 * scale, "logits differ"


if __name__ == "__main__":
    main()
