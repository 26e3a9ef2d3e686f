using System.Linq;
using Gpt.Kernels.Generator.Emit;
using Gpt.Kernels.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Gpt.Kernels.Generator.Translation;

internal sealed partial class FunctionTranslator
{
    /// <summary>An expression used as a statement: assignments and calls without outer parentheses.</summary>
    private string StatementExpression(IOperation op) => op switch
    {
        ISimpleAssignmentOperation or ICompoundAssignmentOperation or IIncrementOrDecrementOperation => Assignment(op),
        _ => Expr(op),
    };

    /// <summary>A C expression for <paramref name="op"/>; compound expressions come parenthesised, so operator
    /// precedence never depends on the context.</summary>
    private string Expr(IOperation op)
    {
        switch (op)
        {
            case IObjectCreationOperation or ITypeParameterObjectCreationOperation or IAnonymousObjectCreationOperation
                when op.Type?.TypeKind == TypeKind.Delegate:
                Report(KernelDiagnostics.Lambda, op, Short(op.Syntax));
                return "0";
            case IObjectCreationOperation or ITypeParameterObjectCreationOperation or IAnonymousObjectCreationOperation
                or IWithOperation:
                Report(KernelDiagnostics.Allocation, op, Short(op.Syntax));
                return "0";
            case IArrayCreationOperation or IArrayElementReferenceOperation or IArrayInitializerOperation:
                Report(KernelDiagnostics.Array, op, Short(op.Syntax));
                return "0";
            case IAnonymousFunctionOperation or IDelegateCreationOperation or IMethodReferenceOperation:
                Report(KernelDiagnostics.Lambda, op, Short(op.Syntax));
                return "0";
            case ITranslatedQueryOperation:
                Report(KernelDiagnostics.Linq, op, Short(op.Syntax));
                return "0";
            case IInterpolatedStringOperation:
                Report(KernelDiagnostics.String, op, Short(op.Syntax));
                return "0";
            case IThrowOperation:
                Report(KernelDiagnostics.ExceptionHandling, op, "throw");
                return "0";
            case IInvocationOperation invocation:
                return Call(invocation);
            case IFieldReferenceOperation { ConstantValue.HasValue: false } field:
                Report(KernelDiagnostics.Field, op, field.Field.ToDisplayString());
                return "0";
            case IInstanceReferenceOperation:
                Report(KernelDiagnostics.UnsupportedExpression, op, Short(op.Syntax), "; kernels are static and have no object");
                return "0";
            case IInvalidOperation:
                return "0"; // the compiler reports it
        }

        if (Known.IsView(op.Type))
        {
            Report(KernelDiagnostics.View, op,
                $"View '{Short(op.Syntax)}' can only be indexed, asked for its Length, sliced with SubView, passed to a helper or named with var");
            return "0";
        }
        if (op is IConversionOperation { Type: { } target } boxing && ScalarKinds.Of(target) is null)
        {
            // Report what is converted ("new Foo()" allocates) before the type it is converted to.
            int before = _session.Diagnostics.Count;
            Expr(boxing.Operand);
            if (_session.Diagnostics.Count == before) CheckType(target, op);
            return "0";
        }
        if (op.Type is { SpecialType: not SpecialType.System_Void } type && !CheckType(type, op)) return "0";
        if (op.ConstantValue.HasValue) return Constant(op);

        switch (op)
        {
            case ILocalReferenceOperation local:
                return CNames.Mangle(local.Local.Name);
            case IParameterReferenceOperation parameter:
                return CNames.Mangle(parameter.Parameter.Name);
            case IConversionOperation conversion:
                return Conversion(conversion);
            case IPropertyReferenceOperation property:
                return Property(property);
            case IBinaryOperation binary:
                return Binary(binary);
            case IUnaryOperation unary:
                return Unary(unary);
            case ISimpleAssignmentOperation or ICompoundAssignmentOperation or IIncrementOrDecrementOperation:
                return "(" + Assignment(op) + ")";
            case IConditionalOperation { IsRef: false, WhenFalse: not null } conditional:
                return $"({Expr(conditional.Condition)} ? {Expr(conditional.WhenTrue)} : {Expr(conditional.WhenFalse)})";
            case IParenthesizedOperation parenthesized:
                return Expr(parenthesized.Operand);
            default:
                return Unsupported(op);
        }
    }

    /// <summary>Reports and returns false when kernels cannot compute with <paramref name="type"/>.</summary>
    private bool CheckType(ITypeSymbol type, IOperation op)
    {
        if (ScalarKinds.Of(type) is not null) return true;
        if (type.SpecialType == SpecialType.System_String)
        {
            Report(KernelDiagnostics.String, op, Short(op.Syntax));
            return false;
        }
        string hint = type.SpecialType switch
        {
            SpecialType.System_Double =>
                "use float (OpenCL devices need not support double); write float literals with an f suffix, e.g. 0.5f",
            SpecialType.System_Decimal => "use float",
            SpecialType.System_Char or SpecialType.System_Byte or SpecialType.System_SByte or SpecialType.System_Int16
                or SpecialType.System_UInt16 => "use int",
            _ when Known.Is(type, Known.Dim3) => "read Grid.GlobalIndex through .X, .Y or .Z",
            _ when type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T => "nullable values have no GPU form",
            _ when type.TypeKind == TypeKind.Pointer => "use ArrayView<T> instead of pointers",
            _ => "kernels compute with int, uint, long, ulong, float and bool only",
        };
        Report(KernelDiagnostics.UnsupportedType, op, type.ToDisplayString(), hint);
        return false;
    }

    private string Constant(IOperation op)
    {
        object? value = op.ConstantValue.Value;
        var type = op.Type!;
        if (type.TypeKind == TypeKind.Enum) type = ((INamedTypeSymbol)type).EnumUnderlyingType!;
        if (value is null)
        {
            Report(KernelDiagnostics.UnsupportedExpression, op, Short(op.Syntax), "; kernels have no null");
            return "0";
        }
        if (ScalarKinds.Of(type) is { } kind) return D.Literal(value, kind);
        CheckType(type, op);
        return "0";
    }

    private string Conversion(IConversionOperation conversion)
    {
        if (conversion.OperatorMethod is not null)
        {
            Report(KernelDiagnostics.UnsupportedExpression, conversion, Short(conversion.Syntax), "; user-defined conversions are not translated");
            return "0";
        }
        if (conversion.IsChecked) return CheckedArithmetic(conversion);
        string operand = Expr(conversion.Operand);
        if (SymbolEqualityComparer.Default.Equals(conversion.Type, conversion.Operand.Type)) return operand;
        return $"(({D.TypeName(ScalarKinds.Of(conversion.Type)!.Value)}){operand})";
    }

    private string CheckedArithmetic(IOperation op)
    {
        Report(KernelDiagnostics.UnsupportedExpression, op, Short(op.Syntax), "; checked arithmetic cannot throw on a GPU (integers wrap around)");
        return "0";
    }

    private string Property(IPropertyReferenceOperation reference)
    {
        var property = reference.Property;
        var type = property.ContainingType;
        if (Known.IsView(type) && property.IsIndexer)
        {
            var view = View(reference.Instance!);
            return $"{view.Pointer}[{Full(reference.Arguments[0].Value)}]";
        }
        if (Known.IsView(type) && property.Name == "Length") return View(reference.Instance!).Length;
        if (Known.Is(type, Known.Dim3) && reference.Instance is IPropertyReferenceOperation { Property.Name: "GlobalIndex" } inner
            && Known.Is(inner.Property.ContainingType, Known.Grid) && Axis(property.Name) is { } axis)
            return "(" + D.Grid(GridQuantity.GlobalIndex, axis) + ")";
        if ((Known.Is(type, Known.Grid) || Known.Is(type, Known.Group)) && property.Name.Length == 4 && Axis(property.Name.Substring(3)) is { } dimension)
        {
            bool grid = Known.Is(type, Known.Grid);
            var quantity = property.Name.StartsWith("Idx", System.StringComparison.Ordinal)
                ? grid ? GridQuantity.GroupIndex : GridQuantity.ThreadIndex
                : grid ? GridQuantity.GroupCount : GridQuantity.GroupSize;
            return "(" + D.Grid(quantity, dimension) + ")";
        }
        Report(KernelDiagnostics.UnsupportedExpression, reference, Short(reference.Syntax),
            "; kernels read parameters, locals, const fields, view elements and the Grid and Group indices");
        return "0";
    }

    private static int? Axis(string name) => name switch { "X" => 0, "Y" => 1, "Z" => 2, _ => null };

    private string Binary(IBinaryOperation binary)
    {
        if (binary.OperatorMethod is not null)
        {
            Report(KernelDiagnostics.UnsupportedExpression, binary, Short(binary.Syntax), "; user-defined operators are not translated");
            return "0";
        }
        if (binary.IsChecked) return CheckedArithmetic(binary);
        string left = Expr(binary.LeftOperand), right = Expr(binary.RightOperand);
        var kind = ScalarKinds.Of(binary.LeftOperand.Type);
        switch (binary.OperatorKind)
        {
            case BinaryOperatorKind.Remainder when kind == ScalarKind.Float32:
                return D.FloatRemainder(left, right);
            case BinaryOperatorKind.LeftShift:
                return $"({left} << {ShiftCount(binary.RightOperand, right, kind)})";
            case BinaryOperatorKind.RightShift:
                return $"({left} >> {ShiftCount(binary.RightOperand, right, kind)})";
            case BinaryOperatorKind.UnsignedRightShift when kind is ScalarKind.Int32 or ScalarKind.Int64:
                var unsigned = kind == ScalarKind.Int32 ? ScalarKind.UInt32 : ScalarKind.UInt64;
                return $"(({D.TypeName(kind.Value)})((({D.TypeName(unsigned)}){left}) >> {ShiftCount(binary.RightOperand, right, kind)}))";
            case BinaryOperatorKind.UnsignedRightShift:
                return $"({left} >> {ShiftCount(binary.RightOperand, right, kind)})";
        }
        string? symbol = BinarySymbol(binary.OperatorKind);
        return symbol is null ? Unsupported(binary) : $"({left} {symbol} {right})";
    }

    private static string? BinarySymbol(BinaryOperatorKind kind) => kind switch
    {
        BinaryOperatorKind.Add => "+",
        BinaryOperatorKind.Subtract => "-",
        BinaryOperatorKind.Multiply => "*",
        BinaryOperatorKind.Divide => "/",
        BinaryOperatorKind.Remainder => "%",
        BinaryOperatorKind.LeftShift => "<<",
        BinaryOperatorKind.RightShift => ">>",
        BinaryOperatorKind.And => "&",
        BinaryOperatorKind.Or => "|",
        BinaryOperatorKind.ExclusiveOr => "^",
        BinaryOperatorKind.ConditionalAnd => "&&",
        BinaryOperatorKind.ConditionalOr => "||",
        BinaryOperatorKind.Equals => "==",
        BinaryOperatorKind.NotEquals => "!=",
        BinaryOperatorKind.LessThan => "<",
        BinaryOperatorKind.LessThanOrEqual => "<=",
        BinaryOperatorKind.GreaterThan => ">",
        BinaryOperatorKind.GreaterThanOrEqual => ">=",
        _ => null,
    };

    /// <summary>C# masks a shift count to the operand's width; C leaves a too-large count undefined.</summary>
    private static string ShiftCount(IOperation count, string text, ScalarKind? kind)
    {
        int mask = kind is ScalarKind.Int64 or ScalarKind.UInt64 ? 63 : 31;
        if (count.ConstantValue is { HasValue: true, Value: int value }) return (value & mask).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return $"({text} & {mask})";
    }

    private string Unary(IUnaryOperation unary)
    {
        if (unary.OperatorMethod is not null)
        {
            Report(KernelDiagnostics.UnsupportedExpression, unary, Short(unary.Syntax), "; user-defined operators are not translated");
            return "0";
        }
        if (unary.IsChecked) return CheckedArithmetic(unary);
        string symbol = unary.OperatorKind switch
        {
            UnaryOperatorKind.BitwiseNegation => "~",
            UnaryOperatorKind.Not => "!",
            UnaryOperatorKind.Plus => "+",
            UnaryOperatorKind.Minus => "-",
            _ => "",
        };
        return symbol.Length == 0 ? Unsupported(unary) : $"({symbol}{Expr(unary.Operand)})";
    }

    /// <summary>=, op= and ++/-- without outer parentheses.</summary>
    private string Assignment(IOperation op)
    {
        switch (op)
        {
            case ISimpleAssignmentOperation { IsRef: true }:
                Report(KernelDiagnostics.RefLocal, op, Short(op.Syntax));
                return "0";
            case ISimpleAssignmentOperation assignment when Known.IsView(assignment.Target.Type):
                Report(KernelDiagnostics.View, op,
                    $"View '{Short(assignment.Target.Syntax)}' cannot be reassigned: declare a new local (var part = view.SubView(offset, length))");
                return "0";
            case ISimpleAssignmentOperation assignment:
                return $"{Expr(assignment.Target)} = {Full(assignment.Value)}";
            case ICompoundAssignmentOperation compound:
                return CompoundAssignment(compound);
            case IIncrementOrDecrementOperation step:
                if (step.OperatorMethod is not null || step.IsChecked) return Unsupported(step);
                string target = Expr(step.Target), symbol = step.Kind == OperationKind.Increment ? "++" : "--";
                return step.IsPostfix ? target + symbol : symbol + target;
            default:
                return Expr(op);
        }
    }

    private string CompoundAssignment(ICompoundAssignmentOperation compound)
    {
        if (compound.OperatorMethod is not null || compound.IsChecked) return Unsupported(compound);
        string target = Expr(compound.Target);
        var kind = ScalarKinds.Of(compound.Target.Type);
        switch (compound.OperatorKind)
        {
            case BinaryOperatorKind.Remainder when kind == ScalarKind.Float32:
                // C has no %= on floats: x = fmod(x, y) names the target twice, so it must have no side effects.
                if (compound.Target.DescendantsAndSelf().Any(o =>
                        o is IAssignmentOperation or IIncrementOrDecrementOperation or IInvocationOperation))
                {
                    Report(KernelDiagnostics.UnsupportedExpression, compound, Short(compound.Syntax),
                        "; compute the index first (C has no %= on floats, so the target is written twice)");
                    return "0";
                }
                return $"{target} = {D.FloatRemainder(target, Full(compound.Value))}";
            case BinaryOperatorKind.LeftShift:
                return $"{target} <<= {ShiftCount(compound.Value, Expr(compound.Value), kind)}";
            case BinaryOperatorKind.RightShift:
            case BinaryOperatorKind.UnsignedRightShift when kind is ScalarKind.UInt32 or ScalarKind.UInt64:
                return $"{target} >>= {ShiftCount(compound.Value, Expr(compound.Value), kind)}";
        }
        string? symbol = BinarySymbol(compound.OperatorKind);
        return symbol is null || compound.OperatorKind is BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr
            ? Unsupported(compound)
            : $"{target} {symbol}= {Full(compound.Value)}";
    }

    /// <summary>The C form of a view-valued expression.</summary>
    private ViewInfo View(IOperation op)
    {
        switch (op)
        {
            case IParameterReferenceOperation parameter when _views.TryGetValue(parameter.Parameter, out var view):
                return view;
            case ILocalReferenceOperation local when _views.TryGetValue(local.Local, out var view):
                return view;
            case IConversionOperation { OperatorMethod: null } conversion
                when SymbolEqualityComparer.Default.Equals(conversion.Type, conversion.Operand.Type):
                return View(conversion.Operand);
            case IInvocationOperation call when Known.IsView(call.TargetMethod.ContainingType) && call.TargetMethod.Name == "SubView":
                var source = View(call.Instance!);
                var arguments = call.Arguments.OrderBy(a => a.Parameter!.Ordinal).Select(a => Expr(a.Value)).ToArray();
                return source with { Pointer = $"({source.Pointer} + {arguments[0]})", Length = arguments[1] };
            case IInvocationOperation call when Known.Is(call.TargetMethod.ContainingType, Known.SharedMemory):
                Report(KernelDiagnostics.SharedMemory, op, "must initialise a local ('var tile = SharedMemory.Allocate<float>(256);')");
                return ErrorView;
            case IInvalidOperation:
                return ErrorView;
            default:
                Report(KernelDiagnostics.View, op,
                    $"View expression '{Short(op.Syntax)}' is not supported: views come from parameters, view locals, SubView and SharedMemory.Allocate");
                return ErrorView;
        }
    }
}
