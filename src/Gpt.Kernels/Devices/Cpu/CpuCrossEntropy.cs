using System.Runtime.Intrinsics;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// Softmax cross-entropy on the CPU: SIMD per row (vector exp), rows split across threads. The
/// backward pass may run in place over the logits. Same signatures as <see cref="CrossEntropyKernels"/>.
/// </summary>
internal static unsafe class CpuCrossEntropy
{
    private const int Grain = 1 << 14;

    private struct Job
    {
        public float* Logits, Losses, LogSumExp, DLosses, DLogits;
        public int* Targets;
        public int Vocab;
    }

    /// <inheritdoc cref="CrossEntropyKernels.Forward"/>
    public static void Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> losses,
        Span<float> logSumExp, int rows, int vocab)
    {
        KernelGuards.CrossEntropy(logits.Length, targets, logSumExp.Length, losses.Length, nameof(losses), rows, vocab);
        if (vocab == 0)
        {
            // No classes: every denominator is empty (log 0 = -inf, as the reference computes) and the
            // guard has refused any target >= 0, so every row is ignored.
            logSumExp[..rows].Fill(float.NegativeInfinity);
            losses[..rows].Clear();
            return;
        }
        fixed (float* pz = logits, pl = losses, ps = logSumExp)
        fixed (int* pt = targets)
        {
            var job = new Job { Logits = pz, Targets = pt, Losses = pl, LogSumExp = ps, Vocab = vocab };
            CpuRanges.For(rows, Math.Max(1, Grain / vocab), &job, &ForwardRows);
        }
    }

    /// <inheritdoc cref="CrossEntropyKernels.Backward"/>
    public static void Backward(ReadOnlySpan<float> logits, ReadOnlySpan<float> logSumExp, ReadOnlySpan<int> targets,
        ReadOnlySpan<float> dLosses, Span<float> dLogits, int rows, int vocab)
    {
        KernelGuards.CrossEntropy(logits.Length, targets, logSumExp.Length, dLosses.Length, nameof(dLosses), rows, vocab);
        KernelGuards.Length(dLogits.Length, (long)rows * vocab, nameof(dLogits), "rows × vocab");
        KernelGuards.SameOrDisjoint(logits, dLogits, rows * vocab, nameof(logits), nameof(dLogits));
        if (vocab == 0) return;
        fixed (float* pz = logits, ps = logSumExp, pd = dLosses, pg = dLogits)
        fixed (int* pt = targets)
        {
            var job = new Job { Logits = pz, LogSumExp = ps, Targets = pt, DLosses = pd, DLogits = pg, Vocab = vocab };
            CpuRanges.For(rows, Math.Max(1, Grain / vocab), &job, &BackwardRows);
        }
    }

    private static void ForwardRows(void* state, int start, int count)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int vocab = job.Vocab;
        for (int r = start; r < start + count; r++)
        {
            float* z = job.Logits + (long)r * vocab; // (vocab)
            float max = CpuVector.Max(z, vocab);
            float lse = max + MathF.Log(CpuVector.SumExp(z, max, vocab));
            job.LogSumExp[r] = lse;
            int target = job.Targets[r];
            job.Losses[r] = target < 0 ? 0f : lse - z[target];
        }
    }

    // dz = (exp(z - lse) - onehot) * dLoss, overwriting; each element is loaded before its store, so
    // dLogits may be the logits themselves. The target's logit is read before its row is overwritten.
    private static void BackwardRows(void* state, int start, int count)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int vocab = job.Vocab;
        for (int r = start; r < start + count; r++)
        {
            float* z = job.Logits + (long)r * vocab;   // (vocab)
            float* dz = job.DLogits + (long)r * vocab; // (vocab); may be z
            int target = job.Targets[r];
            if (target < 0)
            {
                new Span<float>(dz, vocab).Clear();
                continue;
            }
            float lse = job.LogSumExp[r], dLoss = job.DLosses[r];
            float targetLogit = z[target];
            Vector256<float> lseV = Vector256.Create(lse), dLossV = Vector256.Create(dLoss);
            int c = 0;
            for (; c <= vocab - 8; c += 8)
                Vector256.Store(Vector256.Exp(Vector256.Load(z + c) - lseV) * dLossV, dz + c);
            for (; c < vocab; c++) dz[c] = MathF.Exp(z[c] - lse) * dLoss;
            dz[target] = (MathF.Exp(targetLogit - lse) - 1f) * dLoss;
        }
    }
}
