using Gpt.Kernels.Compute;

namespace Gpt.Kernels.Gpu;

/// <summary>
/// Softmax cross-entropy for GPU devices. Forward: one group per row (a power of two threads up to
/// <see cref="MaxGroupSize"/>), max and sum of exponentials by tree reductions in shared memory. Backward: one
/// thread per logit. Targets stay on the device and are not checked there: a target outside [0, vocab) is
/// treated as ignored (loss 0, gradient 0) rather than read out of bounds.
/// </summary>
internal static partial class CrossEntropyGpuKernels
{
    /// <summary>The largest group size the shared scratch holds.</summary>
    internal const int MaxGroupSize = 256;

    /// <summary>logSumExp[r] = log Σ exp(logits[r]); losses[r] = logSumExp[r] − logits[r, target] (0 if ignored).</summary>
    /// <param name="logits">(rows, vocab) scores.</param>
    /// <param name="targets">(rows) class per row; negative to ignore.</param>
    /// <param name="losses">(rows) per-row losses.</param>
    /// <param name="logSumExp">(rows) saved for backward.</param>
    /// <param name="rows">Number of rows (one group each).</param>
    /// <param name="vocab">Number of classes.</param>
    [Kernel]
    internal static void Forward(ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> losses, ArrayView<float> logSumExp,
        int rows, int vocab)
    {
        var scratch = SharedMemory.Allocate<float>(MaxGroupSize);
        int row = Grid.IdxX;
        if (row >= rows) return; // the whole group leaves together
        int thread = Group.IdxX;
        int threads = Group.DimX;
        var z = logits.SubView(row * vocab, vocab); // (vocab)

        float max = float.NegativeInfinity;
        for (int c = thread; c < vocab; c += threads) max = KernelMath.Max(max, z[c]);
        scratch[thread] = max;
        Group.Barrier();
        for (int stride = threads / 2; stride > 0; stride /= 2)
        {
            if (thread < stride) scratch[thread] = KernelMath.Max(scratch[thread], scratch[thread + stride]);
            Group.Barrier();
        }
        max = scratch[0];
        Group.Barrier();

        float sum = 0f;
        for (int c = thread; c < vocab; c += threads) sum += KernelMath.Exp(z[c] - max);
        scratch[thread] = sum;
        Group.Barrier();
        for (int stride = threads / 2; stride > 0; stride /= 2)
        {
            if (thread < stride) scratch[thread] += scratch[thread + stride];
            Group.Barrier();
        }
        if (thread == 0)
        {
            float lse = max + KernelMath.Log(scratch[0]);
            logSumExp[row] = lse;
            int target = targets[row];
            losses[row] = target < 0 || target >= vocab ? 0f : lse - z[target];
        }
    }

    /// <summary><see cref="Forward"/>, one thread per row with the obvious loops: the barrier-free reference
    /// (<see cref="CrossEntropyKernels.Forward"/> runs it on the CPU). The sum of exponentials is compensated (Kahan):
    /// a plain float running sum over GPT-2's 50257 classes drifts by ~1e-5 relative, and kernels have no double.</summary>
    /// <param name="logits">(rows, vocab) scores.</param>
    /// <param name="targets">(rows) class per row; negative to ignore.</param>
    /// <param name="losses">(rows) per-row losses.</param>
    /// <param name="logSumExp">(rows) saved for backward.</param>
    /// <param name="rows">Number of rows (one thread each).</param>
    /// <param name="vocab">Number of classes.</param>
    [Kernel]
    internal static void ForwardRows(ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> losses, ArrayView<float> logSumExp,
        int rows, int vocab)
    {
        int row = Grid.GlobalIndex.X;
        if (row >= rows) return;
        var z = logits.SubView(row * vocab, vocab); // (vocab)
        float max = float.NegativeInfinity;
        for (int c = 0; c < vocab; c++) max = KernelMath.Max(max, z[c]);
        float sum = 0f, compensation = 0f;
        for (int c = 0; c < vocab; c++)
        {
            float term = KernelMath.Exp(z[c] - max) - compensation;
            float next = sum + term;
            compensation = next - sum - term;
            sum = next;
        }
        float lse = max + KernelMath.Log(sum);
        logSumExp[row] = lse;
        int target = targets[row];
        losses[row] = target < 0 || target >= vocab ? 0f : lse - z[target];
    }

    /// <summary>dLogits = (softmax − onehot)·dLosses[row]; one thread per logit; dLogits may be the logits.</summary>
    /// <param name="logits">(rows, vocab) scores.</param>
    /// <param name="logSumExp">(rows) from the forward pass.</param>
    /// <param name="targets">(rows) class per row; negative to ignore.</param>
    /// <param name="dLosses">(rows) gradient of each row's loss.</param>
    /// <param name="dLogits">(rows, vocab) overwritten with the gradient.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="vocab">Number of classes.</param>
    [Kernel]
    internal static void Backward(ArrayView<float> logits, ArrayView<float> logSumExp, ArrayView<int> targets, ArrayView<float> dLosses,
        ArrayView<float> dLogits, int rows, int vocab)
    {
        int i = Grid.GlobalIndex.X;
        if (i >= rows * vocab) return;
        int r = i / vocab, c = i % vocab;
        int target = targets[r];
        bool ignored = target < 0 || target >= vocab;
        float p = KernelMath.Exp(logits[i] - logSumExp[r]); // read before the (possibly aliased) write
        dLogits[i] = ignored ? 0f : (p - (c == target ? 1f : 0f)) * dLosses[r];
    }
}
