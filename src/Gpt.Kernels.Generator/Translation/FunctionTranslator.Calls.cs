using System.Collections.Generic;
using System.Linq;
using Gpt.Kernels.Generator.Emit;
using Gpt.Kernels.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Gpt.Kernels.Generator.Translation;

internal sealed partial class FunctionTranslator
{
    private string Call(IInvocationOperation call)
    {
        var method = call.TargetMethod;
        var type = method.ContainingType;
        var arguments = call.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).ToList();

        if (Known.Is(type, Known.Group) && method.Name == "Barrier")
        {
            _session.UsesBarriers = true;
            return D.Barrier;
        }
        if (Known.Is(type, Known.SharedMemory))
        {
            Report(KernelDiagnostics.SharedMemory, call, "must initialise a local ('var tile = SharedMemory.Allocate<float>(256);')");
            return "0";
        }
        if (Known.Is(type, Known.Atomic)) return Atomic(call, arguments);
        if (Known.Is(type, Known.KernelMath))
        {
            var kind = ScalarKinds.Of(method.Parameters[0].Type) ?? ScalarKind.Float32;
            return D.Math(method.Name, kind, arguments.Select(a => Full(a.Value)).ToList());
        }
        if (Known.IsView(type))
        {
            Report(KernelDiagnostics.View, call,
                $"'{Short(call.Syntax)}' can only initialise a view local (var part = view.SubView(offset, length)) or be passed to a helper");
            return "0";
        }
        if (method.ContainingNamespace?.ToDisplayString() is "System.Linq" or "System.Linq.Parallel")
        {
            Report(KernelDiagnostics.Linq, call, Short(call.Syntax));
            return "0";
        }
        if (type.TypeKind == TypeKind.Delegate || method.MethodKind is MethodKind.LocalFunction or MethodKind.AnonymousFunction)
        {
            Report(KernelDiagnostics.Lambda, call, Short(call.Syntax));
            return "0";
        }
        if (call.IsVirtual || method.IsVirtual || method.IsAbstract || method.IsOverride || type.TypeKind == TypeKind.Interface)
        {
            Report(KernelDiagnostics.VirtualCall, call, method.ToDisplayString());
            return "0";
        }
        if (!method.IsStatic)
        {
            Report(KernelDiagnostics.UnsupportedCall, call, method.ToDisplayString(), "; kernels have no objects to call instance methods on");
            return "0";
        }
        if (method.DeclaringSyntaxReferences.IsEmpty)
        {
            string hint = type.ToDisplayString() switch
            {
                "System.Math" or "System.MathF" => $"; use KernelMath.{method.Name} (float)",
                "System.Threading.Interlocked" => "; use Atomic",
                _ => "",
            };
            Report(KernelDiagnostics.UnsupportedCall, call, method.ToDisplayString(), hint);
            return "0";
        }
        if (_session.IsInProgress(method))
        {
            Report(KernelDiagnostics.Recursion, call, method.ToDisplayString());
            return "0";
        }

        string? name = _session.Helper(method, call.Syntax.GetLocation());
        if (name is null) return "0";
        var texts = new List<string>();
        foreach (var argument in arguments)
        {
            if (Known.IsView(argument.Value.Type))
            {
                var view = View(argument.Value);
                if (view.Space == AddressSpace.Shared)
                    Report(KernelDiagnostics.View, argument,
                        "A shared-memory view cannot be passed to a helper: OpenCL C 1.2 has no generic address space; index it in the kernel itself");
                texts.Add($"{view.Pointer}, {view.Length}");
            }
            else
            {
                texts.Add(Full(argument.Value));
            }
        }
        return $"{name}({string.Join(", ", texts)})";
    }

    private string Atomic(IInvocationOperation call, IReadOnlyList<IArgumentOperation> arguments)
    {
        if (arguments[0].Value is not IPropertyReferenceOperation { Property.IsIndexer: true } element
            || !Known.IsView(element.Property.ContainingType))
        {
            Report(KernelDiagnostics.AtomicTarget, arguments[0], call.TargetMethod.Name);
            return "0";
        }
        var view = View(element.Instance!);
        string pointer = $"&{view.Pointer}[{Full(element.Arguments[0].Value)}]";
        var kind = ScalarKinds.Of(call.TargetMethod.Parameters[0].Type) ?? ScalarKind.Int32;
        var values = arguments.Skip(1).Select(a => Full(a.Value)).ToList();
        return D.Atomic(call.TargetMethod.Name, kind, view.Space, pointer, values, _session.AtomicHelpers);
    }
}
