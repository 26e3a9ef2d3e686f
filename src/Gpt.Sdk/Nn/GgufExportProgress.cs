namespace Gpt.Sdk.Nn;

/// <summary>How far a <see cref="GgufExport.WriteAsync"/> has come: reported after each tensor is written.</summary>
/// <param name="TensorsWritten">Tensors written so far.</param>
/// <param name="TensorCount">Tensors the file holds.</param>
/// <param name="Tensor">The GGUF name of the tensor just written, e.g. <c>blk.0.attn_qkv.weight</c>.</param>
public readonly record struct GgufExportProgress(int TensorsWritten, int TensorCount, string Tensor);
