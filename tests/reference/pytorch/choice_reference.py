"""Writes the log-likelihood reference the C# multiple-choice parity test checks against.

Multiple-choice evaluation (lm-evaluation-harness style) scores a choice by the sum of its tokens'
log-probabilities given the context. This script computes that sum independently in PyTorch for a few
fixed (context ids, continuation ids) pairs of varying lengths on the tiny GPT-2 of
tests/Gpt.Sdk.Tests/Reference/gpt2_tiny (vocab 61, context 16), read from that folder's safetensors
file, so the test and this script see the same float32 weights.

lm-evaluation-harness's rule, written out here on its own: the model reads
(context + continuation)[-(n_positions + 1):][:-1] (a context too long keeps its last tokens), and the
continuation's log-probabilities are read off the last len(continuation) positions of log_softmax(logits).
Two pairs overflow the 16-token context, one of them by a long way, so the truncation is checked too.

The sums are computed in float64 from the float32 weights; PyTorch's own float32 run is printed beside
them, which is the spread the C# tolerance is set against.

Output: tests/Gpt.Sdk.Tests/Reference/choice_tiny_expected.json,
{"torch": version, "pairs": [{"context": [ids], "continuation": [ids], "logprob": float64 sum}, ...]}.

Run from the repository root with Debian's torch:  /usr/bin/python3 tests/reference/pytorch/choice_reference.py
"""
import copy
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from gpt2_torch import Config, Gpt2  # noqa: E402

REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Gpt.Sdk.Tests", "Reference")
CFG = Config(vocab_size=61, n_positions=16, n_embd=32, n_layer=2, n_head=4)
# (context length, continuation length): short, one-token answers, long answers, and two that overflow
# the 16-token context (8 + 10 needs 17 positions, 30 + 3 needs 32), so the left truncation is exercised.
SHAPES = [(1, 1), (3, 2), (5, 4), (2, 9), (7, 1), (12, 4), (8, 10), (30, 3)]


def load_model():
    """The gpt2_tiny folder's weights in gpt2_torch's layout (the file keeps HF's Conv1D (in, out))."""
    stored = safetensors_io.load(os.path.join(REFERENCE, "gpt2_tiny", "model.safetensors"))
    model = Gpt2(CFG)
    state = {}
    for name, array in stored.items():
        tensor = torch.from_numpy(array.copy())
        state[name] = tensor.t().contiguous() if name.startswith("transformer.h.") and tensor.dim() == 2 else tensor
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and not missing, (missing, unexpected)
    return model.eval()


def log_likelihood(model, context, continuation):
    """Sum of log p(continuation | context), lm-evaluation-harness's way."""
    whole = (context + continuation)[-(CFG.n_positions + 1):]
    inputs = torch.tensor([whole[:-1]])
    with torch.no_grad():
        logits, _ = model(inputs)
    logprobs = torch.log_softmax(logits[0, -len(continuation):], dim=-1)           # (len(cont), V)
    return logprobs.gather(1, torch.tensor(continuation).unsqueeze(1)).sum().item()


def main():
    model32 = load_model()
    model64 = copy.deepcopy(model32).double()
    generator = torch.Generator().manual_seed(7)
    pairs = []
    for context_length, continuation_length in SHAPES:
        ids = torch.randint(0, CFG.vocab_size, (context_length + continuation_length,), generator=generator).tolist()
        context, continuation = ids[:context_length], ids[context_length:]
        value = log_likelihood(model64, context, continuation)
        value32 = log_likelihood(model32, context, continuation)
        print(f"context {context_length:2}, continuation {continuation_length:2}: float64 {value:.9f}, "
              f"float32 {value32:.9f}, abs spread {abs(value32 - value):.2e}, relative {abs(value32 - value) / abs(value):.2e}")
        pairs.append({"context": context, "continuation": continuation, "logprob": value})

    path = os.path.join(REFERENCE, "choice_tiny_expected.json")
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "pairs": pairs}, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
