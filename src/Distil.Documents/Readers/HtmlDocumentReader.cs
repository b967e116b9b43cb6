using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Distil.Pipelines;

/// <summary>
/// HTML (<c>.html</c>, <c>.htm</c>; parsed as browsers do, by AngleSharp). The text is what a reader sees of the
/// body: runs of white space made one space (but kept in <c>&lt;pre&gt;</c>), a blank line between blocks
/// (paragraphs, headings, divisions...), a line break for <c>&lt;br&gt;</c> and between list items and table rows,
/// without scripts, styles or the head. Each heading (<c>&lt;h1&gt;</c>...<c>&lt;h6&gt;</c>) starts a section that runs
/// to the next heading of any level, under the headings above it; the text before the first heading has no heading path.
/// </summary>
public sealed class HtmlDocumentReader : DocumentReader
{
    /// <inheritdoc/>
    public override string Name => "html";

    /// <inheritdoc/>
    public override IReadOnlyList<string> Extensions { get; } = [".html", ".htm"];

    /// <inheritdoc/>
    public override DocumentText Read(Stream content)
    {
        var document = new HtmlParser().ParseDocument(DocumentFiles.ReadText(content));
        var text = new VisibleText();
        if (((INode?)document.Body ?? document.DocumentElement) is { } root) text.Walk(root);
        return text.ToDocument();
    }

    /// <summary>The visible text of an HTML tree, written node by node, with where each heading starts.</summary>
    private sealed class VisibleText
    {
        private static readonly HashSet<string> Hidden = new(StringComparer.OrdinalIgnoreCase) { "head", "script", "style", "noscript", "template", "svg", "iframe", "object" };

        // Blocks end a line; these end one line, the other blocks leave a blank line between them.
        private static readonly HashSet<string> Lines = new(StringComparer.OrdinalIgnoreCase) { "li", "tr", "dt", "dd", "option" };

        private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
        {
            "address", "article", "aside", "blockquote", "details", "dialog", "div", "dl", "fieldset", "figcaption", "figure", "footer", "form",
            "header", "hr", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "ul", "caption",
        };

        private readonly StringBuilder _text = new();
        private readonly List<(int Start, IReadOnlyList<string> Path)> _headings = [];
        private readonly List<(int Level, string Title)> _open = [];
        private bool _space;
        private int _preformatted;

        public void Walk(INode node)
        {
            switch (node)
            {
                case IText text:
                    Write(text.Data);
                    break;
                case IElement element when Hidden.Contains(element.LocalName):
                    break;
                case IElement { LocalName: "br" }:
                    Break(1);
                    break;
                case IElement element when HeadingLevel(element) is { } level:
                    Heading(element, level);
                    break;
                case IElement element:
                    Element(element);
                    break;
                default:
                    foreach (var child in node.ChildNodes) Walk(child);
                    break;
            }
        }

        public DocumentText ToDocument()
        {
            while (_text.Length > 0 && char.IsWhiteSpace(_text[^1])) _text.Length--;
            var text = _text.ToString();
            var sections = new List<DocumentSection>();
            var firstHeading = _headings.Count == 0 ? text.Length : Math.Min(_headings[0].Start, text.Length);
            if (firstHeading > 0) sections.Add(new DocumentSection(0, firstHeading, null, []));
            for (var i = 0; i < _headings.Count; i++)
            {
                var start = Math.Min(_headings[i].Start, text.Length);
                var end = i + 1 < _headings.Count ? Math.Min(_headings[i + 1].Start, text.Length) : text.Length;
                sections.Add(new DocumentSection(start, end, null, _headings[i].Path));
            }
            return new DocumentText(text, sections);
        }

        private void Element(IElement element)
        {
            var name = element.LocalName;
            var lines = Lines.Contains(name) ? 1 : Blocks.Contains(name) ? 2 : 0;
            var preformatted = name is "pre" or "textarea";
            if (lines > 0) Break(lines);
            if (preformatted) _preformatted++;
            foreach (var child in element.ChildNodes) Walk(child);
            if (preformatted) _preformatted--;
            if (lines > 0) Break(lines);
            // Table cells sit side by side: a space keeps their words apart.
            else if (name is "td" or "th") _space = _text.Length > 0;
        }

        private void Heading(IElement element, int level)
        {
            Break(2);
            // Rule: a heading closes every open heading of its level or deeper.
            _open.RemoveAll(h => h.Level >= level);
            _open.Add((level, DocumentFiles.CollapseSpaces(element.TextContent)));
            _headings.Add((_text.Length, [.. _open.Select(h => h.Title)]));
            foreach (var child in element.ChildNodes) Walk(child);
            Break(2);
        }

        private void Write(string data)
        {
            if (_preformatted > 0)
            {
                if (_space) _text.Append(' ');
                _space = false;
                _text.Append(data);
                return;
            }
            foreach (var c in data)
            {
                if (char.IsWhiteSpace(c))
                {
                    _space = _text.Length > 0 && _text[^1] != '\n';
                    continue;
                }
                if (_space) _text.Append(' ');
                _space = false;
                _text.Append(c);
            }
        }

        /// <summary>Ends the line: at least <paramref name="lines"/> line breaks at the end of the text, none at its start.</summary>
        private void Break(int lines)
        {
            _space = false;
            while (_text.Length > 0 && _text[^1] == ' ') _text.Length--;
            if (_text.Length == 0) return;
            var trailing = 0;
            while (trailing < _text.Length && _text[_text.Length - 1 - trailing] == '\n') trailing++;
            for (; trailing < lines; trailing++) _text.Append('\n');
        }

        private static int? HeadingLevel(IElement element) =>
            element.LocalName is ['h', >= '1' and <= '6'] name ? name[1] - '0' : null;
    }
}
