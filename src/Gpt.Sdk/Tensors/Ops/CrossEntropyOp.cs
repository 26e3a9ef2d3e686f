using Gpt.Kernels.Devices;

namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>
    /// Mean softmax cross-entropy of logits (…, V) against targets, over the targets that are not
    /// negative (a negative target masks its row out, e.g. prompt tokens in fine-tuning). Returns a
    /// scalar. When no earlier op's backward reads the logits, backward writes their gradient over the
    /// logits themselves, saving a (rows, V) buffer; otherwise (the same logits also feed
    /// <see cref="TokenLogProbs"/>, say) it computes the gradient aside and adds it. Read the logits
    /// before <see cref="Tape.Backward(Tensor, float)"/> if you need them afterwards.
    /// </summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="logits">Unnormalised scores (…, V).</param>
    /// <param name="targets">One target per row of logits; negative = ignore.</param>
    /// <param name="counted">Number of non-negative targets (the mean's denominator), known to the caller on the host.</param>
    public static Tensor CrossEntropy(this Tape tape, Tensor logits, IndexTensor targets, int counted)
    {
        int rows = logits.Shape.Rows, vocab = logits.Shape.Last;
        if (targets.Count != rows) throw new ArgumentException($"cross-entropy: {targets.Count} targets for {rows} rows of logits.");
        if (counted <= 0) throw new ArgumentException("cross-entropy: every target is masked out; there is nothing to learn from this batch.");
        var losses = tape.NewTensor(new Shape(rows));
        var logSumExp = tape.NewTensor(new Shape(rows));
        tape.Device.CrossEntropyForward(logits.Data, targets.Data, losses.Data, logSumExp.Data, rows, vocab);
        var loss = tape.NewTensor(new Shape());
        float mean = (float)(tape.Device.Sum(losses.Data) / counted);
        tape.Device.Fill(loss.Data, mean, 1);
        loss.RequiresGrad = tape.NeedsGrad(logits);
        tape.Record(new TapeEntry
        {
            Op = CrossEntropyBackward.Instance, Input0 = logits, Indices = targets, Output = loss, Saved0 = losses, Saved1 = logSumExp, Int0 = counted,
        });
        return loss;
    }

    private sealed class CrossEntropyBackward : TapeOp
    {
        public static readonly CrossEntropyBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            var logits = e.Input0!;
            int rows = logits.Shape.Rows, vocab = logits.Shape.Last;
            Span<float> seed = stackalloc float[1];
            tape.Device.Download(e.Output!.Grad!.Data, seed);
            // Each row's loss enters the mean with weight 1/counted; reuse the per-row loss buffer for dLoss.
            var dLosses = e.Saved0!.Data;
            tape.Device.Fill(dLosses, seed[0] / e.Int0, rows);
            AddGradient(tape, logits, e.Saved1!.Data, e.Indices!, dLosses);
        }
    }

    /// <summary>Adds (softmax − onehot)·dLosses[row] to the logits' gradient. When the logits have no gradient yet and no op
    /// recorded earlier still reads them, the gradient is written over the logits' own memory (saving a (rows, V) buffer);
    /// otherwise it is computed aside and added.</summary>
    private static void AddGradient(Tape tape, Tensor logits, Slice<float> logSumExp, IndexTensor targets, Slice<float> dLosses)
    {
        int rows = logits.Shape.Rows, vocab = logits.Shape.Last;
        if (logits.Grad is null && tape.CanOverwrite(logits))
        {
            tape.Device.CrossEntropyBackward(logits.Data, logSumExp, targets.Data, dLosses, tape.GradInPlace(logits), rows, vocab);
            return;
        }

        var scratch = tape.NewTensor(logits.Shape);
        tape.Device.CrossEntropyBackward(logits.Data, logSumExp, targets.Data, dLosses, scratch.Data, rows, vocab);
        tape.Device.AddInPlace(tape.GradOf(logits), scratch.Data, logits.Length);
    }
}
