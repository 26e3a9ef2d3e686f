namespace Gpt.Sdk.Tensors;

/// <summary>Owns the gradient memory of some tensors (a parameter segment owns its parameters'), allocated only once a
/// backward pass or an optimizer needs it, so a model used for inference never holds gradients.</summary>
internal interface IGradientOwner
{
    /// <summary>Allocates the zeroed gradient buffer and binds it to the owned tensors, if not done yet.</summary>
    void AllocateGradients();
}
