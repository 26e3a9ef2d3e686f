using Gpt.Kernels.Gpu;

namespace Gpt.Kernels;

/// <summary>
/// Softmax cross-entropy fused into one pass per row, the reference version: the barrier-free <c>[Kernel]</c> bodies
/// of <see cref="Gpu.CrossEntropyGpuKernels"/> (a thread per row forward, per logit backward) run on the CPU. A negative target marks
/// a row to ignore (padding, prompt tokens): its loss and its gradient are zero.
/// </summary>
internal static class CrossEntropyKernels
{
    /// <summary>losses[r] = logSumExp(logits[r]) - logits[r, targets[r]] (0 for an ignored row).</summary>
    /// <param name="logits">(rows, vocab) unnormalised scores.</param>
    /// <param name="targets">(rows) the correct class per row, or negative to ignore the row.</param>
    /// <param name="losses">(rows) per-row loss.</param>
    /// <param name="logSumExp">(rows) log of each row's softmax denominator, saved for the backward pass
    /// (written for ignored rows too).</param>
    /// <param name="rows">Number of rows (positions).</param>
    /// <param name="vocab">Number of classes.</param>
    /// <exception cref="ArgumentOutOfRangeException">A target is at least <paramref name="vocab"/>;
    /// nothing is written.</exception>
    public static void Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> losses,
        Span<float> logSumExp, int rows, int vocab)
    {
        KernelGuards.CrossEntropy(logits.Length, targets, logSumExp.Length, losses.Length, nameof(losses), rows, vocab);
        if (rows == 0 || vocab == 0) return;
        CrossEntropyGpuKernels.ForwardRowsKernel.LaunchCpu(ReferenceLaunch.Groups(rows), ReferenceLaunch.GroupSize,
            ReferenceLaunch.Writable(logits), ReferenceLaunch.Writable(targets), losses, logSumExp, rows, vocab);
    }

    /// <summary>dLogits[r] = (softmax(logits[r]) - onehot(targets[r])) * dLosses[r], OVERWRITING dLogits
    /// (zero for an ignored row).</summary>
    /// <remarks><paramref name="dLogits"/> may be the same memory as <paramref name="logits"/>: each
    /// element is read before it is written, so the gradient can replace the logits in place.</remarks>
    /// <param name="logits">(rows, vocab) the forward input.</param>
    /// <param name="logSumExp">(rows) saved by the forward pass.</param>
    /// <param name="targets">(rows) the forward targets.</param>
    /// <param name="dLosses">(rows) gradient with respect to each row's loss.</param>
    /// <param name="dLogits">(rows, vocab) receives the gradient with respect to the logits.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="vocab">Number of classes.</param>
    public static void Backward(ReadOnlySpan<float> logits, ReadOnlySpan<float> logSumExp, ReadOnlySpan<int> targets,
        ReadOnlySpan<float> dLosses, Span<float> dLogits, int rows, int vocab)
    {
        KernelGuards.CrossEntropy(logits.Length, targets, logSumExp.Length, dLosses.Length, nameof(dLosses), rows, vocab);
        KernelGuards.Length(dLogits.Length, (long)rows * vocab, nameof(dLogits), "rows × vocab");
        KernelGuards.SameOrDisjoint(logits, dLogits, rows * vocab, nameof(logits), nameof(dLogits));
        if (rows == 0 || vocab == 0) return;
        CrossEntropyGpuKernels.BackwardKernel.LaunchCpu(ReferenceLaunch.Groups(rows * vocab), ReferenceLaunch.GroupSize,
            ReferenceLaunch.Writable(logits), ReferenceLaunch.Writable(logSumExp), ReferenceLaunch.Writable(targets), ReferenceLaunch.Writable(dLosses), dLogits, rows, vocab);
    }
}
