using System.Text;

namespace Gpt.Kernels.Generator.Translation;

/// <summary>Lines of C with four-space indentation.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _depth;

    public void Line(string line) => _text.Append(' ', 4 * _depth).Append(line).Append('\n');

    public void Open(string header)
    {
        if (header.Length > 0) Line(header);
        Line("{");
        _depth++;
    }

    public void Close(string closing = "}")
    {
        _depth--;
        Line(closing);
    }

    public override string ToString() => _text.ToString();
}
