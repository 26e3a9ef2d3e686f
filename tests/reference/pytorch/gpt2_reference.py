"""Writes the PyTorch reference the C# parity test (tests/Gpt.Sdk.Tests/Reference) checks against.

A small GPT-2 with random weights (fixed seed) and one fixed batch: logits, loss and the gradient of
every parameter, then the loss at each of 10 AdamW steps on that batch. The reference runs in
float64 from float32 weights, so the stored values (rounded to float32) carry no float32 error of
their own; the same computation in float32 is printed beside it to show how far a correct float32
implementation lands from it, which is what the C# tolerances are set against.

Run from the repository root with Debian's torch:  /usr/bin/python3 tests/reference/pytorch/gpt2_reference.py
"""
import copy
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from gpt2_torch import Config, Gpt2, adamw, hf_layout  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Gpt.Sdk.Tests", "Reference")
CFG = Config(vocab_size=61, n_positions=16, n_embd=32, n_layer=2, n_head=4)
B, T = 2, 12          # T < n_positions, so only a prefix of wpe gets a gradient
IGNORED = (1, 4)      # one target set to -1: it must contribute nothing
STEPS, LR, BETAS, EPS, WEIGHT_DECAY = 10, 1e-2, (0.9, 0.95), 1e-8, 0.1


def build_model():
    torch.manual_seed(1234)
    model = Gpt2(CFG)
    with torch.no_grad():
        # Far from GPT-2's 0.02 init on purpose: larger weights give every path (attention,
        # GELU, LayerNorm gains and biases) gradients well above float32 noise.
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.normal_(0.0, 0.2)
            elif ".ln_" in name or name.startswith("transformer.ln_f"):
                p.normal_(1.0 if name.endswith("weight") else 0.0, 0.1)
            else:
                p.normal_(0.0, 0.05)
    return model


def gradients(model, ids, targets):
    model.zero_grad()
    logits, loss = model(ids, targets)
    loss.backward()
    return logits.detach(), loss.detach(), {n: p.grad.detach().clone() for n, p in model.named_parameters()}


def train_losses(model, ids, targets):
    optimizer = adamw(model, LR, BETAS, EPS, WEIGHT_DECAY)
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        _, loss = model(ids, targets)
        loss.backward()
        optimizer.step()  # constant lr, no clipping
        losses.append(loss.item())
    return torch.tensor(losses, dtype=torch.float64)


def short(name):
    return name[len("transformer."):]


def max_errors(a, b):
    """Max absolute error, and max absolute error over the largest |b| (a scale-relative error)."""
    diff = (a.double() - b.double()).abs().max().item()
    return diff, diff / max(b.abs().max().item(), 1e-30)


def write_model_folder(model, folder):
    os.makedirs(folder, exist_ok=True)
    weights = {n: hf_layout(n, p.detach()).float().numpy() for n, p in model.named_parameters()}
    safetensors_io.save(os.path.join(folder, "model.safetensors"), weights, {"format": "pt"})
    config = {
        "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.0,
        "embd_pdrop": 0.0, "layer_norm_epsilon": CFG.layer_norm_epsilon, "model_type": "gpt2",
        "n_ctx": CFG.n_positions, "n_embd": CFG.n_embd, "n_head": CFG.n_head, "n_inner": None,
        "n_layer": CFG.n_layer, "n_positions": CFG.n_positions, "resid_pdrop": 0.0,
        "tie_word_embeddings": True, "torch_dtype": "float32", "vocab_size": CFG.vocab_size,
    }
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")


def main():
    model32 = build_model()
    model64 = copy.deepcopy(model32).double()
    generator = torch.Generator().manual_seed(99)
    ids = torch.randint(0, CFG.vocab_size, (B, T), generator=generator)
    targets = torch.randint(0, CFG.vocab_size, (B, T), generator=generator)
    targets[IGNORED] = -1

    write_model_folder(model32, os.path.join(OUT, "gpt2_tiny"))

    logits, loss, grads = gradients(model64, ids, targets)
    logits32, loss32, grads32 = gradients(model32, ids, targets)
    losses = train_losses(model64, ids, targets)
    losses32 = train_losses(model32, ids, targets)

    expected = {
        "ids": ids.int().numpy(),
        "targets": targets.int().numpy(),
        "logits": logits.float().numpy(),
        "loss": loss.reshape(1).float().numpy(),
        "losses": losses.float().numpy(),
    }
    for name, g in grads.items():
        expected["grad." + short(name)] = hf_layout(name, g).float().numpy()
    metadata = {
        "torch": torch.__version__, "steps": STEPS, "lr": LR, "beta1": BETAS[0], "beta2": BETAS[1],
        "eps": EPS, "weight_decay": WEIGHT_DECAY,
    }
    path = os.path.join(OUT, "gpt2_tiny_expected.safetensors")
    safetensors_io.save(path, expected, metadata)
    written = safetensors_io.load(path)
    assert all((written[k] == v).all() and written[k].shape == v.shape for k, v in expected.items()), "safetensors round trip"

    # How far PyTorch's own float32 run lands from the float64 reference.
    print("torch float32 vs float64 (max abs, max abs / max |ref|):")
    print(f"  logits   {max_errors(logits32, logits)}   max |logit| {logits.abs().max().item():.4f}")
    print(f"  loss     {max_errors(loss32, loss)}   loss {loss.item():.6f}")
    worst = max((max_errors(grads32[n], grads[n])[1], short(n)) for n in grads)
    print(f"  grads    worst scale-relative {worst[0]:.3e} ({worst[1]})")
    print(f"  losses   {max_errors(losses32, losses)}")
    print("losses", [round(x, 6) for x in losses.tolist()])


if __name__ == "__main__":
    main()
