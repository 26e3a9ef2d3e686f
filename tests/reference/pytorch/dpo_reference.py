"""Writes the PyTorch reference for DPO (Rafailov et al. 2023) and IPO (Azar et al. 2023) as TRL's DPOTrainer defines them.

Written from the papers and TRL's documented semantics, not from the C# code:

    z      = (log pi(chosen) - log pi(rejected)) - (log ref(chosen) - log ref(rejected))      per pair
    sigmoid: -(1 - eps) * logsigmoid(beta * z) - eps * logsigmoid(-beta * z)   (eps: label smoothing, conservative DPO)
    ipo:     (z - 1 / (2 * beta)) ** 2, with log pi the per-token MEAN of the response's log-probabilities
    loss   = mean over pairs
    rewards: beta * (log pi - log ref) of chosen and rejected; accuracy = mean(chosen reward > rejected reward)

log pi(response) is the sum of the response tokens' log-probabilities given the prompt and the response so far.

Run from the repository root with Debian's torch:  /usr/bin/python3 tests/reference/pytorch/dpo_reference.py

## The fixture (the contract for tests/Gpt.Sdk.Tests/Reference/DpoParityTests.cs)

`Reference/dpo_expected.safetensors`, little-endian, row-major; F32 float32, I32 int32. Values are computed in float64
from the float32 inputs and stored rounded to float32; PyTorch's own float32 run is printed beside them.

(a) The loss alone, for given log-probabilities of N = 6 pairs, under three settings S (metadata `losses`:
`sigmoid` beta 0.1; `smoothed` sigmoid beta 0.5, label smoothing 0.1; `ipo` beta 0.1):

  | key                       | dtype | shape | what                                                      |
  |---------------------------|-------|-------|-----------------------------------------------------------|
  | logps.policy_chosen       | F32   | (6,)  | log pi of the chosen responses                            |
  | logps.policy_rejected     | F32   | (6,)  | log pi of the rejected responses                          |
  | logps.reference_chosen    | F32   | (6,)  | log ref of the chosen responses                           |
  | logps.reference_rejected  | F32   | (6,)  | log ref of the rejected responses                         |
  | S.loss                    | F32   | (1,)  | mean loss                                                 |
  | S.grad_chosen             | F32   | (6,)  | d loss / d policy_chosen                                  |
  | S.grad_rejected           | F32   | (6,)  | d loss / d policy_rejected                                |
  | S.metrics                 | F32   | (4,)  | reward_chosen, reward_rejected, reward_accuracy, reward_margin (means) |

  S.beta and S.label_smoothing are in the metadata.

(b) Through the tiny GPT-2 of gpt2_reference.py (Reference/gpt2_tiny/, vocab 61, context 16, 32 wide, 2 layers): 3 pairs
of different lengths, laid out as one batch of 2N = 6 rows, the chosen rows first, right-padded with id 0 to T = 11.

  | key                  | dtype | shape    | what                                                               |
  |----------------------|-------|----------|--------------------------------------------------------------------|
  | model.prompt.{i}     | I32   | (p_i,)   | pair i's prompt ids                                                |
  | model.chosen.{i}     | I32   | (c_i,)   | pair i's chosen response ids                                       |
  | model.rejected.{i}   | I32   | (r_i,)   | pair i's rejected response ids                                     |
  | model.input_ids      | I32   | (6, 11)  | the batch                                                          |
  | model.targets        | I32   | (6, 11)  | the response token each position predicts, -1 elsewhere            |
  | model.sums           | F32   | (6,)     | per row, the sum of its response tokens' log-probabilities         |
  | model.means          | F32   | (6,)     | per row, their mean (IPO)                                          |
  | model.reference_sums | F32   | (6,)     | reference log-probabilities (sums) the DPO loss is taken against   |
  | model.reference_means| F32   | (6,)     | reference log-probabilities (means) the IPO loss is taken against  |
  | model.S.loss         | F32   | (1,)     | S in (sigmoid, ipo): the loss of the batch against its reference   |
  | model.S.grad.<name>  | F32   | as HF    | d loss / d every weight, Hugging Face layout (Conv1D (in, out))    |

The references are the model's own values plus fixed offsets, so that z is not zero and both terms of every gradient
matter.
"""
import copy
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from gpt2_reference import OUT, build_model, max_errors, short  # noqa: E402
from gpt2_torch import hf_layout  # noqa: E402

LOSSES = {"sigmoid": ("sigmoid", 0.1, 0.0), "smoothed": ("sigmoid", 0.5, 0.1), "ipo": ("ipo", 0.1, 0.0)}
MODEL_LOSSES = ("sigmoid", "ipo")
PAIR_LENGTHS = ((3, 4, 2), (5, 3, 6), (1, 5, 5))  # (prompt, chosen, rejected) tokens
REFERENCE_OFFSETS = (0.7, -0.4, 0.2, -0.9, 0.5, 0.3)


def preference_loss(kind, beta, smoothing, chosen, rejected, ref_chosen, ref_rejected):
    z = (chosen - rejected) - (ref_chosen - ref_rejected)
    if kind == "sigmoid":
        losses = -(1 - smoothing) * F.logsigmoid(beta * z) - smoothing * F.logsigmoid(-beta * z)
    else:
        losses = (z - 1 / (2 * beta)) ** 2
    reward_chosen = beta * (chosen - ref_chosen).detach()
    reward_rejected = beta * (rejected - ref_rejected).detach()
    metrics = torch.stack([
        reward_chosen.mean(), reward_rejected.mean(), (reward_chosen > reward_rejected).double().mean(),
        (reward_chosen - reward_rejected).mean(),
    ])
    return losses.mean(), metrics


def loss_only(dtype):
    """(a): losses and gradients for fixed log-probabilities."""
    generator = torch.Generator().manual_seed(2023)
    logps = {k: (-30 + 25 * torch.rand(6, generator=generator)).float() for k in
             ("policy_chosen", "policy_rejected", "reference_chosen", "reference_rejected")}
    results = {}
    for name, (kind, beta, smoothing) in LOSSES.items():
        chosen = logps["policy_chosen"].to(dtype, copy=True).requires_grad_()
        rejected = logps["policy_rejected"].to(dtype, copy=True).requires_grad_()
        loss, metrics = preference_loss(kind, beta, smoothing, chosen, rejected,
                                        logps["reference_chosen"].to(dtype), logps["reference_rejected"].to(dtype))
        loss.backward()
        results[name] = (loss.detach(), chosen.grad, rejected.grad, metrics)
    return logps, results


def pairs():
    generator = torch.Generator().manual_seed(555)
    return [tuple(torch.randint(1, 61, (n,), generator=generator) for n in lengths) for lengths in PAIR_LENGTHS]


def layout(pair_list):
    """2N right-padded rows, chosen first; targets are the response tokens each position predicts, -1 elsewhere."""
    n = len(pair_list)
    sequences = [(p, c) for p, c, _ in pair_list] + [(p, r) for p, _, r in pair_list]
    length = max(len(p) + len(x) for p, x in sequences)
    ids = torch.zeros(2 * n, length, dtype=torch.long)
    targets = torch.full((2 * n, length), -1, dtype=torch.long)
    for row, (prompt, response) in enumerate(sequences):
        seq = torch.cat([prompt, response])
        ids[row, :len(seq)] = seq
        for i in range(max(len(prompt) - 1, 0), len(seq) - 1):
            targets[row, i] = seq[i + 1]
    return ids, targets


def sequence_logps(model, ids, targets):
    logits, _ = model(ids)                                           # (2N, T, V)
    logp = torch.log_softmax(logits, dim=-1)
    mask = targets >= 0
    token = logp.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1) * mask   # (2N, T)
    sums = token.sum(-1)
    return sums, sums / mask.sum(-1)


def through_model(model, ids, targets, reference_sums, reference_means):
    n = ids.shape[0] // 2
    out = {}
    for name in MODEL_LOSSES:
        kind, beta, smoothing = LOSSES[name]
        model.zero_grad()
        sums, means = sequence_logps(model, ids, targets)
        logps, reference = (means, reference_means) if kind == "ipo" else (sums, reference_sums)
        reference = reference.to(logps.dtype)
        loss, _ = preference_loss(kind, beta, smoothing, logps[:n], logps[n:], reference[:n], reference[n:])
        loss.backward()
        out[name] = (loss.detach(), {p_name: p.grad.detach().clone() for p_name, p in model.named_parameters()})
    with torch.no_grad():
        sums, means = sequence_logps(model, ids, targets)
    return sums, means, out


def main():
    expected, metadata = {}, {"torch": torch.__version__, "losses": ",".join(LOSSES)}
    logps, results = loss_only(torch.float64)
    _, results32 = loss_only(torch.float32)
    for key, value in logps.items():
        expected["logps." + key] = value.numpy()
    print("(a) loss for given log-probabilities, torch float32 vs float64 (max abs, scale-relative):")
    for name, (loss, grad_c, grad_r, metrics) in results.items():
        kind, beta, smoothing = LOSSES[name]
        metadata[name + ".kind"], metadata[name + ".beta"], metadata[name + ".label_smoothing"] = kind, beta, smoothing
        expected[name + ".loss"] = loss.reshape(1).float().numpy()
        expected[name + ".grad_chosen"] = grad_c.float().numpy()
        expected[name + ".grad_rejected"] = grad_r.float().numpy()
        expected[name + ".metrics"] = metrics.float().numpy()
        l32, c32, r32, _ = results32[name]
        print(f"  {name:9} loss {loss.item():.6f} {max_errors(l32, loss)}, grads {max_errors(c32, grad_c)[1]:.2e} "
              f"{max_errors(r32, grad_r)[1]:.2e}, accuracy {metrics[2].item():.3f}")

    model32 = build_model()
    model64 = copy.deepcopy(model32).double()
    pair_list = pairs()
    ids, targets = layout(pair_list)
    for i, (p, c, r) in enumerate(pair_list):
        expected[f"model.prompt.{i}"] = p.int().numpy()
        expected[f"model.chosen.{i}"] = c.int().numpy()
        expected[f"model.rejected.{i}"] = r.int().numpy()
    expected["model.input_ids"] = ids.int().numpy()
    expected["model.targets"] = targets.int().numpy()
    with torch.no_grad():
        sums64, means64 = sequence_logps(model64, ids, targets)
    offsets = torch.tensor(REFERENCE_OFFSETS, dtype=torch.float64)
    reference_sums = (sums64 + offsets).float()          # stored as float32; both sides use these exact values
    reference_means = (means64 + offsets / 10).float()
    expected["model.reference_sums"] = reference_sums.numpy()
    expected["model.reference_means"] = reference_means.numpy()
    sums, means, out = through_model(model64, ids, targets, reference_sums, reference_means)
    sums32, means32, out32 = through_model(model32, ids, targets, reference_sums, reference_means)
    expected["model.sums"] = sums.float().numpy()
    expected["model.means"] = means.float().numpy()
    print("(b) through the tiny GPT-2, torch float32 vs float64:")
    print(f"  sums  {max_errors(sums32, sums)}   {[round(x, 4) for x in sums.tolist()]}")
    print(f"  means {max_errors(means32, means)}")
    for name, (loss, grads) in out.items():
        expected[f"model.{name}.loss"] = loss.reshape(1).float().numpy()
        for p_name, g in grads.items():
            expected[f"model.{name}.grad.{short(p_name)}"] = hf_layout(p_name, g).float().numpy()
        loss32, grads32 = out32[name]
        worst = max((max_errors(grads32[n], grads[n])[1], short(n)) for n in grads)
        smallest = min((g.abs().max().item(), short(n)) for n, g in grads.items())
        print(f"  {name:8} loss {loss.item():.6f} {max_errors(loss32, loss)}; grads worst scale-relative {worst[0]:.2e} ({worst[1]}), "
              f"smallest max |grad| {smallest[0]:.2e} ({smallest[1]})")

    path = os.path.join(OUT, "dpo_expected.safetensors")
    safetensors_io.save(path, expected, metadata)
    written = safetensors_io.load(path)
    assert all((written[k] == v).all() and written[k].shape == v.shape for k, v in expected.items()), "safetensors round trip"


if __name__ == "__main__":
    main()
