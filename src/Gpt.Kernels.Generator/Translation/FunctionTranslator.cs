using System.Collections.Generic;
using System.Linq;
using Gpt.Kernels.Generator.Emit;
using Gpt.Kernels.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Gpt.Kernels.Generator.Translation;

/// <summary>
/// Translates one C# method (the kernel or a helper) into one C function of the session's dialect, walking
/// Roslyn's operation tree, where implicit conversions, default arguments and constants are already explicit.
/// Anything outside the kernel subset is reported at its own syntax and translated as a placeholder.
/// This file holds the function frame and statements; expressions and calls are in the other parts.
/// </summary>
internal sealed partial class FunctionTranslator
{
    /// <summary>A view in C: a pointer expression, a length expression, where it lives and what it holds.</summary>
    private sealed record ViewInfo(string Pointer, string Length, AddressSpace Space, ScalarKind Element);

    private static readonly ViewInfo ErrorView = new("0", "0", AddressSpace.Global, ScalarKind.Float32);

    private readonly TranslationSession _session;
    private readonly IMethodSymbol _method;
    private readonly SyntaxNode _declaration;
    private readonly string _name;
    private readonly bool _isKernel;
    private readonly CodeWriter _out = new();
    private readonly Dictionary<ISymbol, ViewInfo> _views = new(SymbolEqualityComparer.Default);
    private readonly SemanticModel _model;

    public FunctionTranslator(TranslationSession session, IMethodSymbol method, SyntaxNode declaration, string name, bool isKernel)
    {
        _session = session;
        _method = method;
        _declaration = declaration;
        _name = name;
        _isKernel = isKernel;
        _model = session.Compilation.GetSemanticModel(declaration.SyntaxTree);
    }

    private CDialect D => _session.Dialect;

    private KnownSymbols Known => _session.Known;

    public string Translate()
    {
        var parameters = new List<string>();
        var prologue = new List<string>();
        foreach (var parameter in _method.Parameters)
        {
            string name = CNames.Mangle(parameter.Name);
            if (Known.IsView(parameter.Type) && ScalarKinds.Of(KnownSymbols.ElementOf(parameter.Type)) is { } element)
            {
                string pointer = D.Pointer(element, AddressSpace.Global);
                string length = CNames.Length(name);
                if (_isKernel)
                {
                    // A buffer argument is (memory, element offset, length): OpenCL cannot offset a cl_mem pointer
                    // on the host, so both targets add the offset here.
                    string memory = CNames.Prefix + "p_" + name, offset = CNames.Prefix + "off_" + name;
                    parameters.Add($"{pointer} {memory}, {D.TypeName(ScalarKind.Int64)} {offset}, int {length}");
                    prologue.Add($"{pointer} {name} = {memory} + {offset};");
                }
                else
                {
                    parameters.Add($"{pointer} {name}, int {length}");
                }
                _views[parameter] = new ViewInfo(name, length, AddressSpace.Global, element);
            }
            else
            {
                // Unsupported kernel parameter types are reported by the generator (GPTK003); keep translating.
                parameters.Add($"{D.TypeName(ScalarKinds.Of(parameter.Type) ?? ScalarKind.Int32)} {name}");
            }
        }

        string returnType = _method.ReturnsVoid ? "void" : D.TypeName(ScalarKinds.Of(_method.ReturnType) ?? ScalarKind.Int32);
        string header = _isKernel
            ? $"{D.KernelQualifier} {_name}({string.Join(", ", parameters)})"
            : $"{D.HelperQualifier}{returnType} {_name}({string.Join(", ", parameters)})";
        _out.Open(header);
        foreach (string line in prologue) _out.Line(line);
        if (_model.GetOperation(_declaration) is IMethodBodyOperation body && (body.BlockBody ?? body.ExpressionBody) is { } block)
        {
            foreach (var statement in block.Operations) Statement(statement, topLevel: true);
        }
        _out.Close();
        return _out.ToString();
    }

    private void Statement(IOperation op, bool topLevel = false)
    {
        switch (op)
        {
            case IBlockOperation block when IsCheckedBlock(block):
                var checkedStatement = block.Syntax as CheckedStatementSyntax ?? block.Syntax.Parent!;
                _session.Report(KernelDiagnostics.UnsupportedStatement, checkedStatement.GetLocation(), "checked");
                break;
            case IBlockOperation block:
                _out.Open("");
                foreach (var inner in block.Operations) Statement(inner);
                _out.Close();
                break;
            case IVariableDeclarationGroupOperation group:
                foreach (var declaration in group.Declarations)
                foreach (var declarator in declaration.Declarators)
                    Declare(declarator, topLevel);
                break;
            case IExpressionStatementOperation expression:
                string text = StatementExpression(expression.Operation);
                if (text.Length > 0) _out.Line(text + ";");
                break;
            case IConditionalOperation conditional:
                If(conditional);
                break;
            case IWhileLoopOperation loop when loop.ConditionIsTop:
                _out.Open($"while ({Full(loop.Condition!)})");
                Body(loop.Body);
                _out.Close();
                break;
            case IWhileLoopOperation loop:
                _out.Open("do");
                Body(loop.Body);
                _out.Close($"}} while ({Full(loop.Condition!)});");
                break;
            case IForLoopOperation loop:
                For(loop);
                break;
            case IBranchOperation { BranchKind: BranchKind.Break }:
                _out.Line("break;");
                break;
            case IBranchOperation { BranchKind: BranchKind.Continue }:
                _out.Line("continue;");
                break;
            case IBranchOperation:
                Report(KernelDiagnostics.UnsupportedStatement, op, "goto");
                break;
            case IReturnOperation { Kind: OperationKind.YieldReturn or OperationKind.YieldBreak }:
                Report(KernelDiagnostics.UnsupportedStatement, op, "yield");
                break;
            case IReturnOperation { ReturnedValue: null, IsImplicit: true }:
                break;
            case IReturnOperation { ReturnedValue: null }:
                _out.Line("return;");
                break;
            case IReturnOperation ret:
                _out.Line($"return {Full(ret.ReturnedValue!)};");
                break;
            case IEmptyOperation:
                break;
            case ITryOperation:
                Report(KernelDiagnostics.ExceptionHandling, op, "try");
                break;
            case ILocalFunctionOperation function:
                Report(KernelDiagnostics.Lambda, op, "local function " + function.Symbol.Name);
                break;
            case IForEachLoopOperation:
                Report(KernelDiagnostics.UnsupportedStatement, op, "foreach");
                break;
            case ISwitchOperation:
                Report(KernelDiagnostics.UnsupportedStatement, op, "switch");
                break;
            case IUsingOperation or IUsingDeclarationOperation:
                Report(KernelDiagnostics.UnsupportedStatement, op, "using");
                break;
            case ILockOperation:
                Report(KernelDiagnostics.UnsupportedStatement, op, "lock");
                break;
            case ILabeledOperation labeled:
                if (labeled.Operation is { } target) Statement(target); // the goto that needs it is reported
                break;
            case IThrowOperation:
                Report(KernelDiagnostics.ExceptionHandling, op, "throw");
                break;
            case IInvalidOperation:
                break; // the compiler reports it
            default:
                Report(KernelDiagnostics.UnsupportedStatement, op, op.Syntax.GetFirstToken().Text);
                break;
        }
    }

    private void Body(IOperation body)
    {
        if (body is IBlockOperation block && !IsCheckedBlock(block))
            foreach (var inner in block.Operations) Statement(inner);
        else
            Statement(body);
    }

    private static bool IsCheckedBlock(IBlockOperation block) =>
        (block.Syntax as CheckedStatementSyntax ?? block.Syntax.Parent as CheckedStatementSyntax)?.Keyword.Text == "checked";

    private void If(IConditionalOperation conditional)
    {
        _out.Open($"if ({Full(conditional.Condition)})");
        Body(conditional.WhenTrue);
        if (conditional.WhenFalse is { } whenFalse)
        {
            _out.Close();
            _out.Open("else");
            Body(whenFalse);
        }
        _out.Close();
    }

    private void For(IForLoopOperation loop)
    {
        string condition = loop.Condition is null ? "" : Full(loop.Condition);
        string step = string.Join(", ", loop.AtLoopBottom.Select(s =>
            s is IExpressionStatementOperation e ? StatementExpression(e.Operation) : Unsupported(s)));
        string? init = ForInitializer(loop.Before);
        if (init is not null)
        {
            _out.Open($"for ({init}; {condition}; {step})");
            Body(loop.Body);
            _out.Close();
            return;
        }

        // Mixed or view initialisers: declare them in an enclosing block, as C89 would.
        _out.Open("");
        foreach (var before in loop.Before) Statement(before);
        _out.Open($"for (; {condition}; {step})");
        Body(loop.Body);
        _out.Close();
        _out.Close();
    }

    /// <summary>The for-header initialiser when it is one scalar declaration or only expressions; else null.</summary>
    private string? ForInitializer(IEnumerable<IOperation> before)
    {
        var items = before.ToList();
        if (items.Count == 0) return "";
        if (items.All(i => i is IExpressionStatementOperation))
            return string.Join(", ", items.Select(i => StatementExpression(((IExpressionStatementOperation)i).Operation)));
        if (items.Count == 1 && items[0] is IVariableDeclarationGroupOperation group && group.Declarations.Length == 1)
        {
            var declarators = group.Declarations[0].Declarators;
            var type = declarators[0].Symbol.Type;
            if (Known.IsView(type) || declarators.Any(d => d.Symbol.IsConst || d.Symbol.IsRef)) return null;
            if (!CheckType(type, declarators[0])) return "int gptk_error = 0";
            var parts = declarators.Select(d =>
                d.GetVariableInitializer() is { } initializer
                    ? $"{CNames.Mangle(d.Symbol.Name)} = {Full(initializer.Value)}"
                    : CNames.Mangle(d.Symbol.Name));
            return $"{D.TypeName(ScalarKinds.Of(type)!.Value)} {string.Join(", ", parts)}";
        }
        return null;
    }

    private void Declare(IVariableDeclaratorOperation declarator, bool topLevel)
    {
        var local = declarator.Symbol;
        var initializer = declarator.GetVariableInitializer()?.Value;
        if (local.IsRef)
        {
            Report(KernelDiagnostics.RefLocal, declarator, "ref " + local.Name);
            return;
        }
        if (local.IsConst) return; // every use is folded to its value
        string name = CNames.Mangle(local.Name);
        if (Known.IsView(local.Type))
        {
            DeclareView(declarator, name, initializer, topLevel);
            return;
        }
        if (ScalarKinds.Of(local.Type) is null)
        {
            // The initialiser usually says more ("new Foo()" allocates) than the type it gives the local.
            int before = _session.Diagnostics.Count;
            if (initializer is not null) Expr(initializer);
            if (_session.Diagnostics.Count == before) CheckType(local.Type, declarator);
            return;
        }
        string type = D.TypeName(ScalarKinds.Of(local.Type)!.Value);
        _out.Line(initializer is null ? $"{type} {name};" : $"{type} {name} = {Full(initializer)};");
    }

    private void DeclareView(IVariableDeclaratorOperation declarator, string name, IOperation? initializer, bool topLevel)
    {
        var local = declarator.Symbol;
        if (initializer is null)
        {
            Report(KernelDiagnostics.View, declarator, $"View '{local.Name}' must be initialised where it is declared (from a parameter, a SubView or SharedMemory.Allocate)");
            _views[local] = ErrorView;
            return;
        }
        if (initializer is IInvocationOperation call && Known.Is(call.TargetMethod.ContainingType, Known.SharedMemory))
        {
            _views[local] = DeclareShared(call, name, topLevel) ?? ErrorView;
            return;
        }
        var source = View(initializer);
        if (ReferenceEquals(source, ErrorView))
        {
            _views[local] = ErrorView;
            return;
        }
        string length = CNames.Length(name);
        _out.Line($"{D.Pointer(source.Element, source.Space)} {name} = {source.Pointer};");
        _out.Line($"int {length} = {source.Length};");
        _views[local] = source with { Pointer = name, Length = length };
    }

    private ViewInfo? DeclareShared(IInvocationOperation call, string name, bool topLevel)
    {
        if (!_isKernel)
        {
            Report(KernelDiagnostics.SharedMemory, call, "cannot be called in a helper method (OpenCL declares shared memory only in the kernel itself)");
            return null;
        }
        if (!topLevel)
        {
            Report(KernelDiagnostics.SharedMemory, call, "must be at the top level of the kernel body, not inside a block or loop");
            return null;
        }
        var element = ScalarKinds.Of(call.TargetMethod.TypeArguments[0]);
        if (element is null or ScalarKind.Bool)
        {
            Report(KernelDiagnostics.SharedMemory, call, $"cannot hold '{call.TargetMethod.TypeArguments[0].ToDisplayString()}' (use float, int, uint, long or ulong)");
            return null;
        }
        var length = call.Arguments.Length == 1 ? call.Arguments[0].Value.ConstantValue : default;
        if (!length.HasValue || length.Value is not int count || count <= 0)
        {
            Report(KernelDiagnostics.SharedMemory, call, "needs a positive compile-time constant length");
            return null;
        }
        _out.Line(D.SharedArray(element.Value, name, count));
        _session.SharedMemoryBytes += count * ScalarKinds.Size(element.Value);
        return new ViewInfo(name, count.ToString(System.Globalization.CultureInfo.InvariantCulture), AddressSpace.Shared, element.Value);
    }

    private void Report(DiagnosticDescriptor descriptor, IOperation op, params string[] arguments) =>
        _session.Report(descriptor, op.Syntax.GetLocation(), arguments);

    private string Unsupported(IOperation op)
    {
        Report(KernelDiagnostics.UnsupportedExpression, op, Short(op.Syntax), "");
        return "0";
    }

    /// <summary>An expression in a context that needs no parentheses around it (a condition, an initialiser,
    /// an argument, an index, the right side of an assignment).</summary>
    private string Full(IOperation op) => Bare(Expr(op));

    private static string Bare(string text)
    {
        if (text.Length < 2 || text[0] != '(' || text[text.Length - 1] != ')') return text;
        int depth = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')' && --depth == 0) return i == text.Length - 1 ? text.Substring(1, text.Length - 2) : text;
        }
        return text;
    }

    private static string Short(SyntaxNode syntax)
    {
        string text = string.Join(" ", syntax.ToString().Split([' ', '\n', '\r', '\t'], System.StringSplitOptions.RemoveEmptyEntries));
        return text.Length <= 60 ? text : text.Substring(0, 57) + "...";
    }
}
