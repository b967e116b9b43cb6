using System.ComponentModel;
using System.Text;

namespace Distil.Templates;

/// <summary>
/// Writes template output with Scriban's auto-indent: after a newline, text written under an
/// indented <c>{{</c> tag is prefixed with that tag's indentation. Compiled templates use it only
/// when some tag is indented; otherwise they append to a <see cref="StringBuilder"/> directly.
/// Called by generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class TemplateWriter(int capacity)
{
    private readonly StringBuilder _text = new(capacity);
    private bool _previousWasNewLine;

    /// <summary>Writes <paramref name="text"/> under <paramref name="indent"/> (null: no indentation).</summary>
    public void Write(string? text, string? indent)
    {
        if (text is null) return;
        if (indent is null)
        {
            if (text.Length > 0) _previousWasNewLine = text[text.Length - 1] == '\n';
            _text.Append(text);
            return;
        }

        var i = 0;
        while (i < text.Length)
        {
            if (_previousWasNewLine)
            {
                _text.Append(indent);
                _previousWasNewLine = false;
            }
            var newLine = text.IndexOf('\n', i);
            if (newLine < 0)
            {
                _text.Append(text, i, text.Length - i);
                return;
            }
            _text.Append(text, i, newLine - i + 1);
            i = newLine + 1;
            _previousWasNewLine = true;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => _text.ToString();
}
