using System;
using System.Text;

namespace Distil.Generators.Writing;

/// <summary>Writes C# text line by line with the current indentation.</summary>
internal sealed class SourceWriter
{
    private const string IndentUnit = "    ";
    private readonly StringBuilder _text = new();
    private int _indent;

    public SourceWriter WriteLine(string line = "")
    {
        if (line.Length > 0)
        {
            for (var i = 0; i < _indent; i++) _text.Append(IndentUnit);
            _text.Append(line);
        }
        _text.Append('\n');
        return this;
    }

    /// <summary>Writes several lines, each indented at the current level.</summary>
    public SourceWriter WriteLines(string lines)
    {
        foreach (var line in lines.Split('\n')) WriteLine(line.TrimEnd('\r'));
        return this;
    }

    public SourceWriter OpenBlock(string? header = null)
    {
        if (header is not null) WriteLine(header);
        WriteLine("{");
        _indent++;
        return this;
    }

    public SourceWriter CloseBlock(string suffix = "")
    {
        _indent--;
        WriteLine("}" + suffix);
        return this;
    }

    public IDisposable Block(string? header = null, string suffix = "")
    {
        OpenBlock(header);
        return new Closer(this, suffix);
    }

    public override string ToString() => _text.ToString();

    private sealed class Closer(SourceWriter writer, string suffix) : IDisposable
    {
        public void Dispose() => writer.CloseBlock(suffix);
    }
}
