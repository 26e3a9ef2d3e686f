"""Writes the PyTorch reference for LoRA (Hu et al. 2021) as Hugging Face PEFT implements it.

The base model is gpt2_reference.py's tiny GPT-2 (same seed, so the same weights as gpt2_tiny/):
vocab 61, context 16, n_embd 32, 2 layers, 4 heads. Every Conv1D inside the blocks (attn.c_attn,
attn.c_proj, mlp.c_fc, mlp.c_proj; not lm_head, which is the tied wte) gets a rank-4 adapter,
lora_alpha 8, so scaling = alpha / r = 2. The LoRA here is written from PEFT's semantics, not copied:

    y = base(x) + scaling * (dropout(x) @ A.T @ B.T)     A: (r, in), B: (out, r)
    scaling = lora_alpha / r  (rsLoRA: lora_alpha / sqrt(r))
    merge: W_conv1d (in, out) += scaling * (B @ A).T

As for gpt2_reference.py, the reference runs in float64 from the float32 weights and is stored
rounded to float32; PyTorch's own float32 run is printed beside it.

Run from the repository root with Debian's torch:  /usr/bin/python3 tests/reference/pytorch/lora_reference.py

## The fixture (the contract for the C# parity test)

Every tensor is little-endian, row-major; F32 is float32, I32 is int32.

`Reference/lora_tiny/`: the base model, a Hugging Face GPT-2 folder byte-identical to gpt2_tiny/:
`config.json`, and `model.safetensors` with `transformer.` keys and Conv1D weights stored (in, out).

`Reference/lora_tiny/adapter/`: the adapter as PEFT's save_pretrained writes it.
- `adapter_config.json`: peft_type "LORA", task_type "CAUSAL_LM", r 4, lora_alpha 8, lora_dropout
  0.0, target_modules ["c_attn", "c_proj", "c_fc"], fan_in_fan_out true, bias "none", use_rslora
  false, base_model_name_or_path "lora_tiny", and PEFT 0.15's other fields at their defaults.
- `adapter_model.safetensors`, metadata {"format": "pt"}: 16 F32 tensors, for i in 0 and 1:

  | key                                                          | shape    |
  |--------------------------------------------------------------|----------|
  | base_model.model.transformer.h.{i}.attn.c_attn.lora_A.weight | (4, 32)  |
  | base_model.model.transformer.h.{i}.attn.c_attn.lora_B.weight | (96, 4)  |
  | base_model.model.transformer.h.{i}.attn.c_proj.lora_A.weight | (4, 32)  |
  | base_model.model.transformer.h.{i}.attn.c_proj.lora_B.weight | (32, 4)  |
  | base_model.model.transformer.h.{i}.mlp.c_fc.lora_A.weight    | (4, 32)  |
  | base_model.model.transformer.h.{i}.mlp.c_fc.lora_B.weight    | (128, 4) |
  | base_model.model.transformer.h.{i}.mlp.c_proj.lora_A.weight  | (4, 128) |
  | base_model.model.transformer.h.{i}.mlp.c_proj.lora_B.weight  | (32, 4)  |

  A is (r, in) and B is (out, r), nn.Linear's (out, in) convention, although the Conv1D weight
  they adapt is stored (in, out): PEFT never transposes the adapter matrices on disk.

`Reference/lora_tiny_expected.safetensors` (B=2, T=8, V=61); metadata (strings): torch, r,
lora_alpha, scaling, use_rslora, lora_dropout.

  | key                | dtype | shape      | what                                              |
  |--------------------|-------|------------|---------------------------------------------------|
  | input_ids          | I32   | (2, 8)     | the batch                                         |
  | targets            | I32   | (2, 8)     | targets[b, t] is the token after input_ids[b, t]  |
  | logits             | F32   | (2, 8, 61) | adapter applied                                   |
  | loss               | F32   | (1,)       | mean cross-entropy of logits against targets      |
  | base_logits        | F32   | (2, 8, 61) | adapter disabled                                  |
  | merged_logits      | F32   | (2, 8, 61) | base weights with the delta merged in, no branch  |
  | grad.<adapter key> | F32   | as the key | d loss / d that lora_A or lora_B, base frozen     |

There are 16 grad. keys, one per adapter tensor, e.g.
`grad.base_model.model.transformer.h.0.attn.c_attn.lora_A.weight`.
"""
import copy
import json
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from gpt2_reference import CFG, OUT, build_model, max_errors, write_model_folder  # noqa: E402
from gpt2_torch import Gpt2, hf_layout  # noqa: E402

B, T = 2, 8
R, ALPHA, DROPOUT, USE_RSLORA = 4, 8, 0.0, False
TARGETS = ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj")  # per block; lm_head is not targeted
PREFIX = "base_model.model."  # PeftModel -> LoraModel -> GPT2LMHeadModel


def lora_scaling(r, alpha, use_rslora):
    return alpha / math.sqrt(r) if use_rslora else alpha / r


class LoraLinear(nn.Module):
    """A frozen base Linear plus scaling * B(A(dropout(x))), PEFT's LoRA on one layer."""

    def __init__(self, base, r, alpha, dropout, use_rslora):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))    # (r, in)
        self.lora_B = nn.Parameter(torch.empty(base.out_features, r))   # (out, r)
        self.scaling = lora_scaling(r, alpha, use_rslora)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.enabled = True
        self.merged = False

    def reset_parameters(self):
        # A as PEFT (and nn.Linear) initialise it. PEFT sets B to zero, which makes a fresh adapter
        # a no-op and dL/dA zero; this fixture deliberately draws B non-zero so that the adapter
        # changes the logits and both A and B get gradients worth comparing.
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        nn.init.normal_(self.lora_B, 0.0, 0.02)

    def forward(self, x):
        y = self.base(x)
        if not self.enabled or self.merged:
            return y
        return y + self.scaling * (self.dropout(x) @ self.lora_A.t() @ self.lora_B.t())

    @torch.no_grad()
    def merge(self):
        # The base here is (out, in), so the delta is B @ A; in the Conv1D file layout it is (B @ A).T.
        self.base.weight += self.scaling * (self.lora_B @ self.lora_A)
        self.merged = True


def replace_targets(model, replace):
    for block in model.transformer.h:
        for target in TARGETS:
            parent_name, child_name = target.split(".")
            parent = getattr(block, parent_name)
            setattr(parent, child_name, replace(getattr(parent, child_name)))


def add_lora(model, r, alpha, dropout, use_rslora):
    """Freezes the base and wraps every targeted layer."""
    for p in model.parameters():
        p.requires_grad_(False)
    replace_targets(model, lambda base: LoraLinear(base, r, alpha, dropout, use_rslora))


def without_lora(model):
    """A copy with each LoraLinear replaced by its base Linear: the base model, to write out."""
    plain = copy.deepcopy(model)
    replace_targets(plain, lambda layer: layer.base)
    return plain


def lora_layers(model):
    """{PEFT checkpoint key stem: LoraLinear}; module names are HF's, so the stem is PREFIX + name."""
    return {PREFIX + name: m for name, m in model.named_modules() if isinstance(m, LoraLinear)}


def adapter_tensors(layers):
    """PEFT's checkpoint keys (no adapter name) -> the A and B parameters."""
    tensors = {}
    for stem, layer in layers.items():
        tensors[stem + ".lora_A.weight"] = layer.lora_A
        tensors[stem + ".lora_B.weight"] = layer.lora_B
    return tensors


def build_lora_model(use_rslora=USE_RSLORA):
    model = build_model()  # gpt2_reference's seed and weights
    add_lora(model, R, ALPHA, DROPOUT, use_rslora)
    torch.manual_seed(4321)
    for layer in lora_layers(model).values():
        layer.reset_parameters()
    return model


def set_enabled(layers, enabled):
    for layer in layers.values():
        layer.enabled = enabled


def run(model, ids, targets):
    """Adapter logits, loss and LoRA gradients; base logits; merged logits (merges a copy)."""
    layers = lora_layers(model)
    params = adapter_tensors(layers)
    for p in params.values():
        p.grad = None
    logits, loss = model(ids, targets)
    loss.backward()
    grads = {k: p.grad.detach().clone() for k, p in params.items()}
    with torch.no_grad():
        set_enabled(layers, False)
        base_logits, _ = model(ids)
        set_enabled(layers, True)
        merged = copy.deepcopy(model)
        for layer in lora_layers(merged).values():
            layer.merge()
        merged_logits, _ = merged(ids)
    return logits.detach(), loss.detach(), grads, base_logits, merged_logits


def write_adapter_folder(layers, folder):
    os.makedirs(folder, exist_ok=True)
    weights = {k: p.detach().float().numpy() for k, p in adapter_tensors(layers).items()}
    safetensors_io.save(os.path.join(folder, "adapter_model.safetensors"), weights, {"format": "pt"})
    # Every field PEFT 0.15's LoraConfig.save_pretrained writes (json, indent 2, sorted keys, no
    # final newline), so a reader meets the extra fields of a real file too. save_pretrained sets
    # inference_mode to true; init_lora_weights true is what a trained default adapter records.
    config = {
        "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": "lora_tiny", "bias": "none",
        "corda_config": None, "eva_config": None, "exclude_modules": None, "fan_in_fan_out": True,
        "inference_mode": True, "init_lora_weights": True, "layer_replication": None, "layers_pattern": None,
        "layers_to_transform": None, "loftq_config": {}, "lora_alpha": ALPHA, "lora_bias": False,
        "lora_dropout": DROPOUT, "megatron_config": None, "megatron_core": "megatron.core",
        "modules_to_save": None, "peft_type": "LORA", "r": R, "rank_pattern": {}, "revision": None,
        "target_modules": ["c_attn", "c_proj", "c_fc"], "task_type": "CAUSAL_LM",
        "trainable_token_indices": None, "use_dora": False, "use_rslora": USE_RSLORA,
    }
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        f.write(json.dumps(config, indent=2, sort_keys=True))


def check_merge(use_rslora, ids, targets):
    """Merged logits against adapter logits, in float64 and float32."""
    model32 = build_lora_model(use_rslora)
    model64 = copy.deepcopy(model32).double()
    result = {}
    for name, model in (("float64", model64), ("float32", model32)):
        logits, _, _, base_logits, merged_logits = run(model, ids, targets)
        merge_error = (merged_logits - logits).abs().max().item()
        assert merge_error <= 1e-5, f"{name}: merged logits differ from adapter logits by {merge_error}"
        result[name] = (merge_error, (logits - base_logits).abs().max().item())
    return result


def merged_from_files(folder):
    """A plain Gpt2 read back from the written folder, the adapter merged in the file layout.

    This is what a reader of the files does (and what the C# side will): Conv1D (in, out) weights
    plus scaling * (B @ A).T, with scaling taken from adapter_config.json.
    """
    with open(os.path.join(folder, "adapter", "adapter_config.json")) as f:
        config = json.load(f)
    scaling = lora_scaling(config["r"], config["lora_alpha"], config["use_rslora"])
    adapter = safetensors_io.load(os.path.join(folder, "adapter", "adapter_model.safetensors"))
    state = {}
    for name, array in safetensors_io.load(os.path.join(folder, "model.safetensors")).items():
        w = torch.from_numpy(array.copy()).double()
        stem = PREFIX + name[: -len(".weight")]
        if stem + ".lora_A.weight" in adapter:
            a = torch.from_numpy(adapter[stem + ".lora_A.weight"].copy()).double()  # (r, in)
            b = torch.from_numpy(adapter[stem + ".lora_B.weight"].copy()).double()  # (out, r)
            w = w + scaling * (b @ a).t()                                            # (in, out)
        state[name] = hf_layout(name, w)  # back to (out, in)
    model = Gpt2(CFG).double()
    model.load_state_dict(state)
    return model


def main():
    model32 = build_lora_model()
    model64 = copy.deepcopy(model32).double()
    generator = torch.Generator().manual_seed(77)
    tokens = torch.randint(0, CFG.vocab_size, (B, T + 1), generator=generator)
    ids, targets = tokens[:, :-1], tokens[:, 1:]

    write_model_folder(without_lora(model32), os.path.join(OUT, "lora_tiny"))
    write_adapter_folder(lora_layers(model32), os.path.join(OUT, "lora_tiny", "adapter"))

    logits, loss, grads, base_logits, merged_logits = run(model64, ids, targets)
    logits32, loss32, grads32, base_logits32, merged_logits32 = run(model32, ids, targets)

    expected = {
        "input_ids": ids.int().numpy(),
        "targets": targets.int().numpy(),
        "logits": logits.float().numpy(),
        "loss": loss.reshape(1).float().numpy(),
        "base_logits": base_logits.float().numpy(),
        "merged_logits": merged_logits.float().numpy(),
    }
    for key, g in grads.items():
        expected["grad." + key] = g.float().numpy()
    metadata = {
        "torch": torch.__version__, "r": R, "lora_alpha": ALPHA, "scaling": lora_scaling(R, ALPHA, USE_RSLORA),
        "use_rslora": str(USE_RSLORA).lower(), "lora_dropout": DROPOUT,
    }
    path = os.path.join(OUT, "lora_tiny_expected.safetensors")
    safetensors_io.save(path, expected, metadata)
    written = safetensors_io.load(path)
    assert all((written[k] == v).all() and written[k].shape == v.shape for k, v in expected.items()), "safetensors round trip"
    with torch.no_grad():
        from_files, _ = merged_from_files(os.path.join(OUT, "lora_tiny"))(ids)

    print("torch float32 vs float64 (max abs, max abs / max |ref|):")
    print(f"  logits         {max_errors(logits32, logits)}   max |logit| {logits.abs().max().item():.4f}")
    print(f"  base_logits    {max_errors(base_logits32, base_logits)}")
    print(f"  merged_logits  {max_errors(merged_logits32, merged_logits)}")
    print(f"  loss           {max_errors(loss32, loss)}   loss {loss.item():.6f}")
    worst = max((max_errors(grads32[k], grads[k])[1], k) for k in grads)
    print(f"  grads          worst scale-relative {worst[0]:.3e} ({worst[1]})")
    smallest = min((g.abs().max().item(), k) for k, g in grads.items())
    print(f"  smallest max |grad| {smallest[0]:.3e} ({smallest[1]})")
    print(f"adapter moves the logits by up to {(logits - base_logits).abs().max().item():.4e}")
    files_error = (from_files - logits).abs().max().item()
    print(f"logits of the written files, merged as a reader would, vs the adapter logits: {files_error:.3e}")
    assert files_error <= 1e-5, "the written files do not reproduce the logits"
    print("sanity: merged logits vs adapter logits (max abs; must be <= 1e-5), and adapter vs base:")
    for use_rslora in (False, True):
        label = f"rsLoRA (scaling {lora_scaling(R, ALPHA, True):g})" if use_rslora else f"LoRA (scaling {lora_scaling(R, ALPHA, False):g})"
        for precision, (merge_error, moved) in check_merge(use_rslora, ids, targets).items():
            print(f"  {label:22} {precision}: merged - adapter {merge_error:.3e}, adapter - base {moved:.4e}")


if __name__ == "__main__":
    main()
