"""Writes the PyTorch reference for symmetric InfoNCE with in-batch negatives (cpt-text / CLIP).

Written here on its own from the definition, with autograd doing the gradients:

    q^ = q / |q|,  d^ = d / |d|            N queries q, N + M documents d (N positives, then M hard negatives)
    z_ij = q^_i . d^_j / tau,  tau = exp(theta)
    loss = 1/2 * ( CE(z, arange(N))                        query -> every document
                 + CE(z[:, :N].T, arange(N)) )             positive -> the N queries

Three cases: a fixed temperature without hard negatives, a learned one (theta a leaf) without, and a learned
one with 3 hard negatives. Vectors are drawn N(0, 1) with a seeded generator, so neither the loss nor the
gradients are near zero. Computed in float64 (stored as JSON numbers).

Output: tests/Gpt.Sdk.Tests/Reference/infonce_expected.json, a list of cases, each
  {"name", "pairs", "dimension", "log_temperature", "queries": [N*D], "documents": [(N+M)*D],
   "loss", "grad_queries": [N*D], "grad_documents": [(N+M)*D], "grad_log_temperature", "accuracy"}

Run from the repository root with Debian's torch:  /usr/bin/python3 tests/reference/pytorch/infonce_reference.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F


def case(name, pairs, negatives, dimension, temperature, seed):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(pairs, dimension, generator=g, dtype=torch.float64).float().double().requires_grad_(True)
    d = torch.randn(pairs + negatives, dimension, generator=g, dtype=torch.float64).float().double().requires_grad_(True)
    # make the positives resemble their queries a little, so the accuracy is not trivial
    with torch.no_grad():
        d[:pairs] += 0.7 * q
    d = d.detach().float().double().requires_grad_(True)
    theta = torch.tensor(math.log(temperature), dtype=torch.float64, requires_grad=True)
    qn, dn = F.normalize(q, dim=1), F.normalize(d, dim=1)
    z = qn @ dn.T / torch.exp(theta)
    targets = torch.arange(pairs)
    loss = 0.5 * (F.cross_entropy(z, targets) + F.cross_entropy(z[:, :pairs].T, targets))
    loss.backward()
    accuracy = (z.argmax(dim=1) == targets).double().mean().item()
    return {
        "name": name, "pairs": pairs, "dimension": dimension, "log_temperature": theta.item(),
        "queries": q.detach().flatten().tolist(), "documents": d.detach().flatten().tolist(),
        "loss": loss.item(), "grad_queries": q.grad.flatten().tolist(), "grad_documents": d.grad.flatten().tolist(),
        "grad_log_temperature": theta.grad.item(), "accuracy": accuracy,
    }


cases = [
    case("fixed temperature", 6, 0, 5, 0.05, 1),
    case("learned temperature", 6, 0, 5, 0.3, 2),
    case("learned temperature, hard negatives", 5, 3, 4, 0.2, 3),
]
root = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(root, "..", "..", "Gpt.Sdk.Tests", "Reference", "infonce_expected.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
for c in cases:
    print(c["name"], "loss", c["loss"], "dtheta", c["grad_log_temperature"], "accuracy", c["accuracy"])
