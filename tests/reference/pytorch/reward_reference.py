"""Writes the PyTorch reference for the reward model's pairwise loss (InstructGPT eq. 1).

The trunk is the tiny GPT-2 of tests/Gpt.Sdk.Tests/Reference/gpt2_tiny (vocab 61, context 16, 32 wide,
2 layers, 4 heads), read from that folder's safetensors file so this script and the C# test see the same
float32 weights. The reward model, written here on its own from the paper's definition:

    r(x, y)  = w . h_last + b          h_last = ln_f output at the last real token of prompt + response
    loss     = mean over pairs of -log sigmoid(r(x, y_chosen) - r(x, y_rejected))

The batch lays out N pairs as 2N right-padded rows (pad id 0), the N prompt + chosen rows first, then the
N prompt + rejected rows in the same order; causal attention keeps padding from changing a real position,
so each row is read at its own last real token. Five pairs: a ranked list of three responses to one prompt
(its 3 pairs), and two pairs of their own, prompts of 1 to 6 tokens, responses of 1 to 8, rows of 6 to 9 real tokens.

The head's weight is drawn N(0, 0.5^2) and its bias is 0.1, so the scores differ by O(1) and the loss,
the head's gradient and every trunk gradient are well away from zero. Computed in float64 from the
float32 weights and stored as float32; PyTorch's own float32 run is printed beside it.

Output: tests/Gpt.Sdk.Tests/Reference/reward_tiny_expected.safetensors, metadata {"torch": version,
"pairs": JSON [[prompt ids, chosen ids, rejected ids], ...]}, tensors (F32 unless said):

  | key                | shape   | what                                                        |
  |--------------------|---------|-------------------------------------------------------------|
  | input_ids          | (10, 9) | I32, the 2N padded rows                                     |
  | last_positions     | (10,)   | I32, flat r*T + t of each row's last real token             |
  | score.weight       | (1, 32) | the head's weight                                           |
  | score.bias         | (1,)    | the head's bias                                             |
  | chosen_scores      | (5,)    | r of the chosen rows                                        |
  | rejected_scores    | (5,)    | r of the rejected rows                                      |
  | loss               | (1,)    | the mean pairwise loss                                      |
  | grad.score.weight  | (1, 32) | d loss / d head weight                                      |
  | grad.score.bias    | (1,)    | d loss / d head bias: exactly 0, the bias cancels in r_c - r_r |
  | grad.<name>        | ...     | d loss / d every trunk parameter, <name> without the        |
  |                    |         | "transformer." prefix, in nn.Linear's (out, in) layout      |

Run from the repository root with Debian's torch:  /usr/bin/python3 tests/reference/pytorch/reward_reference.py
"""
import copy
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from choice_reference import CFG, REFERENCE, load_model  # noqa: E402

# (prompt length, response lengths best first): one ranked list of three, two pairs.
GROUPS = [(4, (3, 5, 2)), (1, (8, 6)), (6, (2, 1))]


def make_pairs(generator):
    pairs = []
    for prompt_length, response_lengths in GROUPS:
        prompt = torch.randint(0, CFG.vocab_size, (prompt_length,), generator=generator).tolist()
        responses = [torch.randint(0, CFG.vocab_size, (n,), generator=generator).tolist() for n in response_lengths]
        for better in range(len(responses)):
            for worse in range(better + 1, len(responses)):
                pairs.append((prompt, responses[better], responses[worse]))
    return pairs


def layout(pairs):
    """2N right-padded rows, chosen first, and each row's flat last position."""
    rows = [p + c for p, c, _ in pairs] + [p + r for p, _, r in pairs]
    t = max(len(row) for row in rows)
    ids = torch.zeros(len(rows), t, dtype=torch.long)
    last = torch.zeros(len(rows), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        last[i] = i * t + len(row) - 1
    return ids, last


def hidden_states(model, ids):
    """The trunk: ln_f(blocks(wte + wpe)), (B, T, C)."""
    positions = torch.arange(ids.shape[1])
    x = model.transformer.wte(ids) + model.transformer.wpe(positions)
    for block in model.transformer.h:
        x = block(x)
    return model.transformer.ln_f(x)


def run(model, weight, bias, ids, last):
    for p in list(model.parameters()) + [weight, bias]:
        p.grad = None
    h = hidden_states(model, ids)                                     # (2N, T, C)
    selected = h.reshape(-1, h.shape[-1])[last]                      # (2N, C)
    scores = selected @ weight.t() + bias                            # (2N, 1)
    scores = scores.squeeze(1)
    n = scores.shape[0] // 2
    chosen, rejected = scores[:n], scores[n:]
    loss = -F.logsigmoid(chosen - rejected).mean()
    loss.backward()
    grads = {"score.weight": weight.grad.clone(), "score.bias": bias.grad.clone()}
    for name, p in model.named_parameters():
        grads[name[len("transformer."):]] = p.grad.clone()
    return chosen.detach(), rejected.detach(), loss.detach(), grads


def max_errors(a, b):
    diff = (a.double() - b.double()).abs().max().item()
    return diff, diff / max(b.abs().max().item(), 1e-30)


def main():
    generator = torch.Generator().manual_seed(2024)
    pairs = make_pairs(generator)
    ids, last = layout(pairs)
    weight32 = (torch.randn(1, CFG.n_embd, generator=generator) * 0.5).requires_grad_()
    bias32 = torch.tensor([0.1]).requires_grad_()

    model32 = load_model()
    model64 = copy.deepcopy(model32).double()
    weight64 = weight32.detach().double().requires_grad_()
    bias64 = bias32.detach().double().requires_grad_()
    chosen, rejected, loss, grads = run(model64, weight64, bias64, ids, last)
    chosen32, rejected32, loss32, grads32 = run(model32, weight32, bias32, ids, last)

    expected = {
        "input_ids": ids.int().numpy(),
        "last_positions": last.int().numpy(),
        "score.weight": weight32.detach().numpy(),
        "score.bias": bias32.detach().numpy(),
        "chosen_scores": chosen.float().numpy(),
        "rejected_scores": rejected.float().numpy(),
        "loss": loss.reshape(1).float().numpy(),
    }
    for name, g in grads.items():
        expected["grad." + name] = g.float().numpy()
    path = os.path.join(REFERENCE, "reward_tiny_expected.safetensors")
    safetensors_io.save(path, expected, {"torch": torch.__version__, "pairs": json.dumps(pairs)})

    accuracy = (chosen > rejected).double().mean().item()
    print(f"{len(pairs)} pairs, rows of {ids.shape[1]}; loss {loss.item():.6f}, accuracy {accuracy:.2f}")
    print("torch float32 vs float64 (max abs, max abs / max |ref|):")
    print(f"  scores  {max_errors(torch.cat([chosen32, rejected32]), torch.cat([chosen, rejected]))}")
    print(f"  loss    {max_errors(loss32, loss)}")
    worst = max((max_errors(grads32[k], grads[k])[1], k) for k in grads if k != "score.bias")
    print(f"  grads   worst scale-relative {worst[0]:.3e} ({worst[1]})")
    print(f"  score.bias grad {grads['score.bias'].item():.3e} (float32 {grads32['score.bias'].item():.3e})")
    smallest = min((g.abs().max().item(), k) for k, g in grads.items() if k != "score.bias")
    print(f"  smallest max |grad| {smallest[0]:.3e} ({smallest[1]})")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
