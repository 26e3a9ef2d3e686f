"""Writes the PPO reference the C# parity test (tests/Gpt.Sdk.Tests/Reference/PpoParityTests.cs) checks against.

PPO for language models as TRL's PPOTrainer (the version with the adaptive KL controller) computes it, written out
here on its own in PyTorch on fixed, seeded inputs: 3 responses of lengths 5, 2 and 4 right-padded to 5 with a 0/1
mask.

- KL penalty / per-token rewards: r_t = -beta * (logp_t - ref_logp_t) on response tokens, plus the score at each
  row's last response token (TRL's compute_rewards), and each row's summed KL.
- GAE(gamma, lambda): delta_t = r_t + gamma V_{t+1} - V_t (V and r zero past the row's end), A_t = delta_t +
  gamma lambda A_{t+1}, returns = A + V; then TRL's masked_whiten of the advantages (unbiased variance, eps 1e-8).
- Clipped policy loss: masked mean of max(-A ratio, -A clamp(ratio, 1-eps, 1+eps)), ratio = exp(logp - old_logp),
  and its gradient with respect to logp (autograd).
- Clipped value loss: 0.5 masked mean of max((V - R)^2, (V_clipped - R)^2), V_clipped = V_old + clamp(V - V_old,
  -eps_v, eps_v), and its gradient with respect to V.

Everything is float64. The policy-loss inputs put some ratios outside [1-eps, 1+eps] on both sides and advantages of
both signs, so clipped and unclipped branches are both taken; none sits within 1e-3 of a clip bound or a tie.

Output: tests/Gpt.Sdk.Tests/Reference/ppo_expected.json (inputs and expected values, flattened row-major (3, 5)).
Run from the repository root with Debian's torch:  /usr/bin/python3 tests/reference/pytorch/ppo_reference.py
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Gpt.Sdk.Tests", "Reference", "ppo_expected.json")
LENGTHS = [5, 2, 4]
T = 5
GAMMA, LAM, BETA = 0.99, 0.95, 0.1
CLIP, VCLIP = 0.2, 0.2


def masked_mean(x, mask):
    return (x * mask).sum() / mask.sum()


def masked_whiten(x, mask):
    mean = masked_mean(x, mask)
    centred = x - mean
    var = masked_mean(centred ** 2, mask) * (mask.sum() / (mask.sum() - 1))
    return (x - mean) * torch.rsqrt(var + 1e-8) * mask


def main():
    g = torch.Generator().manual_seed(20240917)
    rows = len(LENGTHS)
    mask = torch.zeros(rows, T, dtype=torch.float64)
    for r, n in enumerate(LENGTHS):
        mask[r, :n] = 1
    logp = (-torch.rand(rows, T, generator=g, dtype=torch.float64) * 3) * mask
    ref_logp = (-torch.rand(rows, T, generator=g, dtype=torch.float64) * 3) * mask
    values = (torch.randn(rows, T, generator=g, dtype=torch.float64)) * mask
    scores = torch.tensor([1.5, -0.7, 0.3], dtype=torch.float64)

    # KL penalty and per-token rewards (TRL compute_rewards).
    kl = (logp - ref_logp) * mask
    rewards = -BETA * kl
    for r, n in enumerate(LENGTHS):
        rewards[r, n - 1] += scores[r]
    rewards = rewards * mask
    kl_sum = kl.sum(dim=1)

    # GAE (TRL compute_advantages).
    last = torch.zeros(rows, dtype=torch.float64)
    advantages_reversed = []
    for t in reversed(range(T)):
        next_values = values[:, t + 1] if t < T - 1 else torch.zeros(rows, dtype=torch.float64)
        delta = rewards[:, t] + GAMMA * next_values - values[:, t]
        last = delta + GAMMA * LAM * last
        advantages_reversed.append(last)
    advantages = torch.stack(advantages_reversed[::-1], dim=1) * mask
    returns = (advantages + values) * mask
    whitened = masked_whiten(advantages, mask)

    # Clipped policy loss on the response tokens only, with ratios spread across both clip bounds.
    n = int(mask.sum().item())
    old = torch.tensor([-1.2, -0.4, -2.3, -0.9, -1.7, -0.3, -1.1, -2.0, -0.6, -1.4, -0.8], dtype=torch.float64)[:n]
    shifts = torch.tensor([0.35, -0.31, 0.05, -0.08, 0.27, -0.45, 0.12, 0.4, -0.25, 0.02, -0.15], dtype=torch.float64)[:n]
    new = (old + shifts).clone().requires_grad_(True)
    adv = whitened[mask.bool()]
    ratio = torch.exp(new - old)
    pg = torch.max(-adv * ratio, -adv * torch.clamp(ratio, 1 - CLIP, 1 + CLIP)).mean()
    pg.backward()

    # Clipped value loss, with predictions inside and outside the clip band.
    v_old = values[mask.bool()]
    v_shift = torch.tensor([0.5, -0.1, 0.33, -0.42, 0.05, 0.27, -0.6, 0.15, -0.05, 0.45, -0.3], dtype=torch.float64)[:n]
    v_new = (v_old + v_shift).clone().requires_grad_(True)
    ret = returns[mask.bool()]
    v_clipped = v_old + torch.clamp(v_new - v_old, -VCLIP, VCLIP)
    vf = 0.5 * torch.max((v_new - ret) ** 2, (v_clipped - ret) ** 2).mean()
    vf.backward()

    flat = lambda x: [float(v) for v in x.detach().reshape(-1)]
    data = {
        "torch": torch.__version__,
        "lengths": LENGTHS, "T": T, "gamma": GAMMA, "lambda": LAM, "beta": BETA, "clip": CLIP, "value_clip": VCLIP,
        "mask": flat(mask), "logp": flat(logp), "ref_logp": flat(ref_logp), "values": flat(values), "scores": flat(scores),
        "rewards": flat(rewards), "kl": flat(kl_sum), "advantages": flat(advantages), "returns": flat(returns), "whitened": flat(whitened),
        "old_logp": flat(old), "new_logp": flat(new), "token_advantages": flat(adv), "policy_loss": float(pg), "policy_grad": flat(new.grad),
        "old_values": flat(v_old), "new_values": flat(v_new), "token_returns": flat(ret), "value_loss": float(vf), "value_grad": flat(v_new.grad),
    }
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: policy loss {float(pg):.6f}, value loss {float(vf):.6f}")


if __name__ == "__main__":
    main()
