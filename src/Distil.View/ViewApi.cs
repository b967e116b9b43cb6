using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Pipelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;

namespace Distil.View;

/// <summary>
/// The view's page and API. Every answer is JSON built from nodes (no reflection), the page reads model text only into
/// text nodes, and every response forbids the browser to load anything from elsewhere.
/// </summary>
internal static class ViewApi
{
    // Rule: nothing but this page's own script, style and API (no CDN, font or image from elsewhere; works offline).
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    // A page of another site cannot send this header without the browser asking first (CORS), and the view never says yes.
    public const string WriteHeader = "X-Distil-View";

    private static readonly Dictionary<string, string> Page = new(StringComparer.Ordinal)
    {
        ["/"] = "index.html",
        ["/app.js"] = "app.js",
        ["/app.css"] = "app.css",
    };

    public static void Map(WebApplication app, ViewState state)
    {
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers["Content-Security-Policy"] = ContentSecurityPolicy;
            headers["X-Content-Type-Options"] = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cache-Control"] = "no-store";
            // Rule: only requests addressed to this machine's view (a page of another site that points its own name at
            // 127.0.0.1 carries that name in Host, and is turned away).
            if (!IsLocalHost(context.Request.Host, state.Port))
            {
                context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                return;
            }
            await next(context).ConfigureAwait(false);
        });
        foreach (var (path, resource) in Page) app.MapGet(path, context => ServePageAsync(context, resource));
        app.MapGet("/api/run", context => AnswerAsync(context, () => RunSummary.Read(state)));
        app.MapGet("/api/rows", context => AnswerAsync(context, () => Rows(state, context.Request.Query)));
        app.MapGet("/api/row", context => RowAnswerAsync(state, context));
        app.MapPost("/api/review", context => ReviewAsync(state, context));
    }

    private static bool IsLocalHost(HostString host, int port) =>
        host.Port == port && (host.Host == "127.0.0.1" || host.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase));

    private static async Task ServePageAsync(HttpContext context, string resource)
    {
        var stream = typeof(ViewApi).Assembly.GetManifestResourceStream("Distil.View.Page." + resource)
            ?? throw new InvalidOperationException($"The page's resource '{resource}' is missing from {typeof(ViewApi).Assembly.GetName().Name}.");
        await using (stream.ConfigureAwait(false))
        {
            context.Response.ContentType = Path.GetExtension(resource) switch
            {
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                _ => "text/html; charset=utf-8",
            };
            await stream.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static Task AnswerAsync(HttpContext context, Func<JsonNode> answer) => JsonAsync(context, () => Task.FromResult(answer()));

    // A bad query is the page's (or a user's) mistake: 400 with what was wrong. A run busy writing is a moment's wait: 503.
    private static async Task JsonAsync(HttpContext context, Func<Task<JsonNode>> answer)
    {
        JsonNode body;
        try
        {
            body = await answer().ConfigureAwait(false);
        }
        catch (ArgumentException error)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            body = new JsonObject { ["error"] = error.Message };
        }
        catch (SqliteException error)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            body = new JsonObject { ["error"] = $"The run directory could not be read just now ({error.Message}); try again." };
        }
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The query a page's address asks for (parameters: q, flags, eq=COLUMN=VALUE, range=COLUMN=MIN..MAX, sort, desc, offset, limit).</summary>
    internal static RowQuery ParseQuery(IQueryCollection query)
    {
        var flags = RowFlags.None;
        foreach (var name in query["flags"].SelectMany(f => (f ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            flags |= RowFlagReader.Names.TryGetValue(name, out var flag)
                ? flag
                : throw new ArgumentException($"There is no row status '{name}' (the statuses: {string.Join(", ", RowFlagReader.Names.Keys)}).");
        }
        var equal = query["eq"].Select(e => Split(e ?? "", "eq")).ToList();
        var ranges = query["range"].Select(r =>
        {
            var (column, bounds) = Split(r ?? "", "range");
            var at = bounds.IndexOf("..", StringComparison.Ordinal);
            if (at < 0) throw new ArgumentException($"range '{r}' is not COLUMN=MIN..MAX (either bound may be left out).");
            return (column, Number(bounds[..at], r), Number(bounds[(at + 2)..], r));
        }).ToList();
        return new RowQuery
        {
            Search = query["q"].FirstOrDefault(),
            Flags = flags,
            Equal = equal,
            Ranges = ranges,
            Sort = query["sort"].FirstOrDefault() is { Length: > 0 } sort ? sort : null,
            Descending = query["desc"].FirstOrDefault() is "1" or "true",
            Offset = Integer(query["offset"].FirstOrDefault(), "offset", 0),
            Limit = Integer(query["limit"].FirstOrDefault(), "limit", 50),
        };
    }

    private static (string Column, string Value) Split(string text, string parameter)
    {
        var at = text.IndexOf('=', StringComparison.Ordinal);
        return at <= 0 ? throw new ArgumentException($"{parameter} '{text}' is not COLUMN=VALUE.") : (text[..at], text[(at + 1)..]);
    }

    private static double? Number(string text, string? whole) =>
        text.Length == 0 ? null
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value
        : throw new ArgumentException($"range '{whole}': '{text}' is not a number.");

    private static int Integer(string? text, string parameter, int otherwise) =>
        string.IsNullOrEmpty(text) ? otherwise
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value
        : throw new ArgumentException($"{parameter} '{text}' is not a whole number of zero or more.");

    private static string Required(IQueryCollection query, string name) =>
        query[name].FirstOrDefault() is { Length: > 0 } value ? value : throw new ArgumentException($"The request has no '{name}'.");

    private static JsonNode Rows(ViewState state, IQueryCollection parameters)
    {
        var step = Required(parameters, "step");
        var page = state.Index.Query(step, ParseQuery(parameters));
        var labels = state.Labels(step, page.Rows.Select(r => r.Key));
        var rows = new JsonArray();
        foreach (var row in page.Rows)
        {
            var cells = new JsonObject();
            for (var i = 0; i < page.Columns.Count; i++) cells[page.Columns[i].Name] = Cell(row.Cells[i], page.Columns[i].Kind);
            rows.Add((JsonNode)new JsonObject
            {
                ["key"] = row.Key,
                ["seq"] = row.Sequence,
                ["flags"] = RowFlagReader.NamesOf(row.Flags),
                ["cells"] = cells,
                ["review"] = labels.TryGetValue(row.Key, out var label) ? LabelJson(label) : null,
            });
        }
        return new JsonObject
        {
            ["step"] = step,
            ["total"] = page.Total,
            ["columns"] = new JsonArray([.. page.Columns.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["kind"] = c.Kind })]),
            ["rows"] = rows,
        };
    }

    private static JsonNode? Cell(object? value, string? kind) => value switch
    {
        null => null,
        long whole when kind == ColumnKinds.Boolean => whole != 0,
        long whole => whole,
        double real => real,
        string text => text,
        _ => value.ToString(),
    };

    private static Task RowAnswerAsync(ViewState state, HttpContext context) =>
        JsonAsync(context, () => RowAsync(state, context.Request.Query, context.RequestAborted));

    // The whole row, read from the run store by its commit (with the other rows of that commit: the generations of one input).
    private static async Task<JsonNode> RowAsync(ViewState state, IQueryCollection parameters, CancellationToken cancellationToken)
    {
        var step = Required(parameters, "step");
        var key = Required(parameters, "key");
        var sequence = state.Index.SequenceOf(step, key) ?? throw new ArgumentException($"Step '{step}' has no row '{key}' (yet).");
        var siblings = new JsonArray();
        JsonObject? found = null;
        await foreach (var row in RunDirectoryReader.ReadCommittedRowsAsync(state.RunDirectory, step, sequence - 1, cancellationToken).ConfigureAwait(false))
        {
            if (row.Sequence != sequence) break;
            if (row.Key == key) found = row.Row;
            siblings.Add((JsonNode)new JsonObject { ["key"] = row.Key, ["row"] = row.Row });
        }
        if (found is null) throw new ArgumentException($"Step '{step}' no longer has row '{key}': a later run replaced it.");
        var label = state.Labels(step, [key]).GetValueOrDefault(key);
        return new JsonObject
        {
            ["step"] = step,
            ["key"] = key,
            ["seq"] = sequence,
            ["row"] = found.DeepClone(),
            ["siblings"] = siblings,
            ["review"] = label is null ? null : LabelJson(label),
        };
    }

    private static JsonObject LabelJson(ReviewLabel label) => new()
    {
        ["verdict"] = label.Verdict switch { ReviewVerdict.Accepted => "accepted", ReviewVerdict.Rejected => "rejected", _ => null },
        ["corrections"] = label.Corrections?.DeepClone(),
        ["note"] = label.Note,
        ["updated_at"] = label.UpdatedAt.ToString("O", CultureInfo.InvariantCulture),
    };

    // Body: {"step", "key", "action": "verdict" | "correct" | "clear-correction" | "note", "verdict", "column", "value", "note"}.
    private static async Task ReviewAsync(ViewState state, HttpContext context)
    {
        if (!context.Request.Headers.ContainsKey(WriteHeader) || context.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }
        await JsonAsync(context, async () =>
        {
            JsonObject body;
            try
            {
                body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false) as JsonObject
                    ?? throw new ArgumentException("The review is not a JSON object.");
            }
            catch (JsonException error)
            {
                throw new ArgumentException($"The review is not JSON: {error.Message}");
            }
            var step = Text(body, "step") ?? throw new ArgumentException("The review names no 'step'.");
            var key = Text(body, "key") ?? throw new ArgumentException("The review names no 'key'.");
            if (state.Index.SequenceOf(step, key) is null) throw new ArgumentException($"Step '{step}' has no row '{key}'.");
            var label = Text(body, "action") switch
            {
                "verdict" => state.Review(r => r.SetVerdict(step, key, Verdict(Text(body, "verdict")))),
                "correct" => state.Review(r => r.Correct(step, key, Text(body, "column") ?? throw new ArgumentException("A correction names no 'column'."), body["value"]?.DeepClone())),
                "clear-correction" => state.Review(r => r.ClearCorrection(step, key, Text(body, "column") ?? throw new ArgumentException("Clearing a correction names no 'column'."))),
                "note" => state.Review(r => r.SetNote(step, key, Text(body, "note") is { Length: > 0 } note ? note : null)),
                var other => throw new ArgumentException($"There is no review action '{other}' (verdict, correct, clear-correction, note)."),
            };
            return LabelJson(label);
        }).ConfigureAwait(false);
    }

    private static string? Text(JsonObject body, string name) =>
        body[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static ReviewVerdict? Verdict(string? text) => text switch
    {
        "accepted" => ReviewVerdict.Accepted,
        "rejected" => ReviewVerdict.Rejected,
        null or "" => null,
        _ => throw new ArgumentException($"There is no verdict '{text}' (accepted, rejected, or none to clear)."),
    };
}
