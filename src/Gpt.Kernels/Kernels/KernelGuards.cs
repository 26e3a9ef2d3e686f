namespace Gpt.Kernels;

/// <summary>
/// Argument checks shared by the reference kernels and their CPU fast paths, so both refuse
/// exactly the same inputs with the same messages. Each kernel family checks once, at its door.
/// </summary>
internal static class KernelGuards
{
    /// <summary>Refuses a negative size.</summary>
    public static void NonNegative(int value, string name)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be zero or positive, but was {value}.");
    }

    /// <summary>Refuses a span shorter than the sizes imply.</summary>
    /// <param name="actual">The span's length.</param>
    /// <param name="required">The number of elements the sizes imply.</param>
    /// <param name="name">The span's parameter name.</param>
    /// <param name="shape">How <paramref name="required"/> follows from the sizes, e.g. "rows × cols".</param>
    public static void Length(int actual, long required, string name, string shape)
    {
        if (actual < required)
            throw new ArgumentException(
                $"'{name}' has {actual} elements but {required} are needed ({shape}); pass a span at least that long.", name);
    }

    /// <summary>Refuses an optional gradient output that is neither empty (frozen) nor long enough.</summary>
    public static void OptionalLength(int actual, long required, string name, string shape)
    {
        if (actual != 0) Length(actual, required, name, shape);
    }

    /// <summary>Refuses an empty input where a result needs at least one element.</summary>
    public static void NotEmpty(int length, string name)
    {
        if (length == 0)
            throw new ArgumentException($"'{name}' is empty; the result is undefined for no elements.", name);
    }

    /// <summary>Refuses a value that is not finite (NaN or infinite).</summary>
    public static void Finite(float value, string name)
    {
        if (!float.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be finite, but was {value}.");
    }

    /// <summary>Refuses a value outside [0, 1): dropout probabilities and Adam betas.</summary>
    public static void UnitInterval(float value, string name)
    {
        if (!(value >= 0f && value < 1f))
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be in [0, 1), but was {value}.");
    }

    /// <summary>Refuses a negative or non-finite value.</summary>
    public static void NonNegativeFinite(float value, string name)
    {
        if (!(value >= 0f && float.IsFinite(value)))
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be finite and zero or positive, but was {value}.");
    }

    /// <summary>Refuses ids outside [0, <paramref name="tableRows"/>), before any output is written.</summary>
    public static void Ids(ReadOnlySpan<int> ids, int count, int tableRows, string name)
    {
        for (int i = 0; i < count; i++)
        {
            if ((uint)ids[i] >= (uint)tableRows)
                throw new ArgumentOutOfRangeException(name, ids[i],
                    $"'{name}'[{i}] = {ids[i]} is outside the table's rows [0, {tableRows}).");
        }
    }

    /// <summary>Refuses targets at or beyond the vocabulary; negative targets mean "ignore this row".</summary>
    public static void Targets(ReadOnlySpan<int> targets, int rows, int vocab, string name)
    {
        for (int i = 0; i < rows; i++)
        {
            if (targets[i] >= vocab)
                throw new ArgumentOutOfRangeException(name, targets[i],
                    $"'{name}'[{i}] = {targets[i]} is outside the vocabulary [0, {vocab}); use a negative target to ignore a row.");
        }
    }

    // ---- per-family checks, one implementation for the reference and the fast path ----

    /// <summary>Checks the arguments of a row-wise (rows, cols) kernel's two operands.</summary>
    public static void Rows(int inputLength, string inputName, int outputLength, string outputName, int rows, int cols)
    {
        NonNegative(rows, nameof(rows));
        NonNegative(cols, nameof(cols));
        long n = (long)rows * cols;
        Length(inputLength, n, inputName, "rows × cols");
        Length(outputLength, n, outputName, "rows × cols");
    }

    /// <summary>Checks an elementwise kernel's operands against <paramref name="count"/>.</summary>
    public static void Count(int count, int aLength, string aName, int bLength, string bName)
    {
        NonNegative(count, nameof(count));
        Length(aLength, count, aName, "count");
        Length(bLength, count, bName, "count");
    }

    /// <summary>Checks the sizes and spans of causal attention.</summary>
    public static void Attention(int qkvLength, int outputLength, int logSumExpLength,
        int batch, int seqLen, int heads, int headSize)
    {
        NonNegative(batch, nameof(batch));
        NonNegative(seqLen, nameof(seqLen));
        NonNegative(heads, nameof(heads));
        NonNegative(headSize, nameof(headSize));
        long positions = (long)batch * seqLen;
        long channels = (long)heads * headSize;
        Length(qkvLength, positions * 3 * channels, "qkv", "batch × seqLen × 3 × heads × headSize");
        Length(outputLength, positions * channels, "output", "batch × seqLen × heads × headSize");
        Length(logSumExpLength, positions * heads, "logSumExp", "batch × heads × seqLen");
    }

    /// <summary>Refuses attention segment starts that are neither empty (plain causal attention) nor one per position.
    /// The check every device makes; kernel devices stop here, as their starts live in device memory.</summary>
    public static void SegmentStartsLength(int length, int batch, int seqLen)
    {
        long positions = (long)batch * seqLen;
        if (length != 0 && length != positions)
            throw new ArgumentException(
                $"'segmentStarts' has {length} elements; pass none (plain causal attention) or one per position, batch × seqLen = {positions}.",
                "segmentStarts");
    }

    /// <summary>Refuses attention segment starts that do not describe examples packed one after another in each
    /// row: position t's start must be t (an example begins there) or position t − 1's start (the same example).
    /// That also keeps every start in [0, t].</summary>
    public static void SegmentStarts(ReadOnlySpan<int> segmentStarts, int batch, int seqLen)
    {
        SegmentStartsLength(segmentStarts.Length, batch, seqLen);
        if (segmentStarts.IsEmpty) return;
        for (int b = 0; b < batch; b++)
        for (int t = 0; t < seqLen; t++)
        {
            int i = b * seqLen + t, start = segmentStarts[i];
            if (start != t && (t == 0 || start != segmentStarts[i - 1]))
                throw new ArgumentOutOfRangeException("segmentStarts", start,
                    $"'segmentStarts'[{i}] (row {b}, position {t}) is {start}; it must be {t} (an example starts there)" +
                    (t == 0 ? "" : $" or {segmentStarts[i - 1]} (the previous position's example)") + ": examples lie one after another in a row.");
        }
    }

    /// <summary>Checks the sizes and spans of the AdamW step.</summary>
    public static void AdamW(int paramLength, int gradLength, int mLength, int vLength, int count,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step, float gradScale)
    {
        NonNegative(count, nameof(count));
        Length(paramLength, count, "param", "count");
        Length(gradLength, count, "grad", "count");
        Length(mLength, count, "m", "count");
        Length(vLength, count, "v", "count");
        NonNegativeFinite(learningRate, nameof(learningRate));
        UnitInterval(beta1, nameof(beta1));
        UnitInterval(beta2, nameof(beta2));
        NonNegativeFinite(epsilon, nameof(epsilon));
        NonNegativeFinite(weightDecay, nameof(weightDecay));
        Finite(gradScale, nameof(gradScale));
        if (step < 1)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"'step' counts from 1 (bias correction divides by 1 - beta^step), but was {step}.");
    }

    /// <summary>Checks the sizes and spans of the layer-norm forward pass.</summary>
    public static void LayerNormForward(int inputLength, int weightLength, int biasLength, int outputLength,
        int meanLength, int rstdLength, int rows, int cols, float epsilon)
    {
        Rows(inputLength, "input", outputLength, "output", rows, cols);
        Length(weightLength, cols, "weight", "cols");
        Length(biasLength, cols, "bias", "cols");
        Length(meanLength, rows, "mean", "rows");
        Length(rstdLength, rows, "rstd", "rows");
        NonNegativeFinite(epsilon, nameof(epsilon));
    }

    /// <summary>Checks the sizes and spans of the layer-norm backward pass.</summary>
    public static void LayerNormBackward(int dOutputLength, int inputLength, int weightLength, int meanLength,
        int rstdLength, int dInputLength, int dWeightLength, int dBiasLength, int rows, int cols)
    {
        Rows(dOutputLength, "dOutput", dInputLength, "dInput", rows, cols);
        Length(inputLength, (long)rows * cols, "input", "rows × cols");
        Length(weightLength, cols, "weight", "cols");
        Length(meanLength, rows, "mean", "rows");
        Length(rstdLength, rows, "rstd", "rows");
        OptionalLength(dWeightLength, cols, "dWeight", "cols; or empty when frozen");
        OptionalLength(dBiasLength, cols, "dBias", "cols; or empty when frozen");
    }

    /// <summary>Checks the sizes and spans of the cross-entropy forward and backward passes, targets included.</summary>
    public static void CrossEntropy(int logitsLength, ReadOnlySpan<int> targets, int logSumExpLength,
        int perRowLength, string perRowName, int rows, int vocab)
    {
        NonNegative(rows, nameof(rows));
        NonNegative(vocab, nameof(vocab));
        Length(logitsLength, (long)rows * vocab, "logits", "rows × vocab");
        Length(targets.Length, rows, "targets", "rows");
        Length(logSumExpLength, rows, "logSumExp", "rows");
        Length(perRowLength, rows, perRowName, "rows");
        Targets(targets, rows, vocab, "targets");
    }

    /// <summary>Checks the sizes and spans of the embedding lookup, ids included.</summary>
    public static void EmbeddingForward(ReadOnlySpan<int> ids, int tableLength, int outputLength, int count, int dim, int tableRows)
    {
        NonNegative(count, nameof(count));
        NonNegative(dim, nameof(dim));
        NonNegative(tableRows, nameof(tableRows));
        Length(ids.Length, count, "ids", "count");
        Length(tableLength, (long)tableRows * dim, "table", "tableRows × dim");
        Length(outputLength, (long)count * dim, "output", "count × dim");
        Ids(ids, count, tableRows, "ids");
    }

    /// <summary>Checks the sizes and spans of the embedding backward pass; the table's rows are
    /// <paramref name="dTableLength"/> / <paramref name="dim"/>.</summary>
    public static void EmbeddingBackward(ReadOnlySpan<int> ids, int dOutputLength, int dTableLength, int count, int dim)
    {
        NonNegative(count, nameof(count));
        NonNegative(dim, nameof(dim));
        Length(ids.Length, count, "ids", "count");
        Length(dOutputLength, (long)count * dim, "dOutput", "count × dim");
        if (dim > 0) Ids(ids, count, dTableLength / dim, "ids");
    }

    /// <summary>Checks the arguments of a dropout pass.</summary>
    public static void Dropout(int inputLength, string inputName, int outputLength, string outputName, int count, float p)
    {
        Count(count, inputLength, inputName, outputLength, outputName);
        UnitInterval(p, nameof(p));
    }

    /// <summary>Checks a clamp's bounds: neither NaN, low not above high (a reversed interval is a caller's bug, such
    /// as a negative clip range, so it is refused rather than given torch's everything-is-high meaning).
    /// Infinite bounds are allowed: a one-sided clamp.</summary>
    public static void ClampBounds(float low, float high)
    {
        if (float.IsNaN(low)) throw new ArgumentOutOfRangeException(nameof(low), low, "'low' must not be NaN.");
        if (float.IsNaN(high)) throw new ArgumentOutOfRangeException(nameof(high), high, "'high' must not be NaN.");
        if (low > high)
            throw new ArgumentOutOfRangeException(nameof(high), high, $"'high' ({high}) is below 'low' ({low}); the interval is empty.");
    }

    /// <summary>Checks the backward pass of a choice between two operands (minimum, maximum).</summary>
    public static void SelectBackward(int aLength, int bLength, int outputLength, int dOutputLength, int dALength, int dBLength, int count)
    {
        Count(count, aLength, "a", bLength, "b");
        Length(outputLength, count, "output", "count");
        Length(dOutputLength, count, "dOutput", "count");
        OptionalLength(dALength, count, "dA", "count; or empty when frozen");
        OptionalLength(dBLength, count, "dB", "count; or empty when frozen");
    }

    /// <summary>Checks the sizes and spans of a weighted row sum.</summary>
    public static void RowSum(int xLength, int weightsLength, int outputLength, int rows, int cols)
    {
        Rows(xLength, "x", weightsLength, "weights", rows, cols);
        Length(outputLength, rows, "output", "rows");
    }

    /// <summary>Checks the sizes and spans of a weighted row sum's backward pass.</summary>
    public static void RowSumBackward(int dOutputLength, int weightsLength, int dInputLength, int rows, int cols)
    {
        Rows(weightsLength, "weights", dInputLength, "dInput", rows, cols);
        Length(dOutputLength, rows, "dOutput", "rows");
    }

    /// <summary>Checks the sizes and spans of a column sum.</summary>
    public static void ColumnSum(int inputLength, int outputLength, int rows, int cols)
    {
        NonNegative(rows, nameof(rows));
        NonNegative(cols, nameof(cols));
        Length(inputLength, (long)rows * cols, "input", "rows × cols");
        Length(outputLength, cols, "output", "cols");
    }

    /// <summary>Refuses an output that overlaps an input without being exactly the same memory: an
    /// in-place kernel reads each element before writing it, but a shifted overlap would read results.</summary>
    public static void SameOrDisjoint(ReadOnlySpan<float> input, ReadOnlySpan<float> output, int count, string inputName, string outputName)
    {
        if (count > 0 && input[..count].Overlaps(output[..count], out int offset) && offset != 0)
            throw new ArgumentException(
                $"'{outputName}' overlaps '{inputName}' shifted by {offset} elements; pass the same memory (in place) or separate memory.", outputName);
    }
}
