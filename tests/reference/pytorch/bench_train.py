"""PyTorch's time for one GPT-2 training step (forward + backward + clip + AdamW), for comparison
with `gpt bench train`: same configs, same batch shapes, same JSON shape.

  /usr/bin/python3 tests/reference/pytorch/bench_train.py --config gpt2   # 124M, B=4, T=64
  /usr/bin/python3 tests/reference/pytorch/bench_train.py --config baby   # 4 layers, 128 wide, B=12, T=64, vocab 65
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_torch import Config, Gpt2, adamw  # noqa: E402

CONFIGS = {
    "gpt2": (Config(), 4),
    "baby": (Config(vocab_size=65, n_positions=64, n_embd=128, n_layer=4, n_head=4), 12),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="gpt2")
    parser.add_argument("--steps", type=int, default=10, help="timed steps (after warm-up)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed warm-up steps")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    cfg, batch = CONFIGS[args.config]
    seq_len = 64
    model = Gpt2(cfg)
    with torch.no_grad():
        for p in model.parameters():  # GPT-2's scale; the values do not change the timing
            p.normal_(0.0, 0.02) if p.dim() >= 2 else p.zero_()
    # The settings of the SDK's Trainer defaults: AdamW (0.9, 0.99), decay 0.1 on matrices, clip 1.0.
    optimizer = adamw(model, 1e-3, (0.9, 0.99), 1e-8, 0.1)

    def step():
        x = torch.randint(0, cfg.vocab_size, (batch, seq_len + 1))
        optimizer.zero_grad(set_to_none=True)
        _, loss = model(x[:, :-1], x[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(max(1, args.steps)):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    median = times[len(times) // 2]
    result = {
        "framework": f"pytorch {torch.__version__}",
        "config": args.config,
        "batch": batch,
        "seq_len": seq_len,
        "threads": torch.get_num_threads(),
        "ms_per_step": round(median, 2),
        "ms_per_step_min": round(times[0], 2),
        "tokens_per_s": round(batch * seq_len / (median / 1000), 1),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3, 1),  # ru_maxrss is KiB on Linux
    }
    print(json.dumps({"train": result}))


if __name__ == "__main__":
    main()
