using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;
using PuppeteerSharp;

namespace Distil.Tests.Pipelines;

/// <summary>
/// The HTML run report of a run with two tasks (one grouped), failed calls, unparsed answers and
/// answers holding markup, rendered in headless Chromium: what the page shows is checked against
/// the run store, no request leaves the page, and model text stays text.
/// </summary>
[NonParallelizable]
public class RunReportTests : FakeServerTests
{
    private const string Chromium = "/usr/bin/chromium";
    private const int Rows = 30;
    private static readonly Regex Item = new(@"Item (\d+)", RegexOptions.Compiled);

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-report-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    // Item 3's call fails (503), item 4's times out, items 5 and 6 are not JSON, item 7 carries markup in a value.
    private FakeReply Answer(FakeRequest request)
    {
        if (Item.Match(request.LastMessage) is { Success: true } match)
        {
            var id = int.Parse(match.Groups[1].Value);
            return id switch
            {
                3 => new FakeReply.ServerError(503),
                4 => new FakeReply.Answer("late").After(TimeSpan.FromSeconds(30)),
                5 or 6 => new FakeReply.Answer("not json <b id=\"injected\">bold</b> <img src=x onerror=\"window.__xss=1\">"),
                7 => new FakeReply.Answer(ReviewAnalysisTask.Answer(id).Replace("\"s7\"", "\"</script><script>window.__xss=2</script>\"")),
                _ => new FakeReply.Answer(ReviewAnalysisTask.Answer(id)),
            };
        }
        return new FakeReply.Answer(request.LastMessage.Contains("review 8") ? "<script>window.__xss=3</script>" : "A summary of " + request.LastMessage);
    }

    private async Task<PipelineResult> RunAsync()
    {
        Server.Reply = Answer;
        var factory = FakeServerClients.Factory(Server, resilience: FakeServerClients.FastRetries with { MaxRetries = 0, AttemptTimeout = TimeSpan.FromSeconds(1) });
        var llm = factory.Create("openai:fake-model");
        var pipeline = Pipeline.Create("report-test");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load(Enumerable.Range(0, Rows).Select(i => new JsonObject { ["id"] = i, ["text"] = $"review {i}", ["instruction"] = $"Summarise review {i}." }))
            .Then(new ReviewAnalysisTask { Llm = llm, MaxConcurrency = 8 })
            .Then(new TextGeneration { Llm = llm, NumGenerations = 2, GroupGenerations = true, MaxConcurrency = 8 });
        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        Assert.That(result.Completed);
        return result;
    }

    private static async Task<IBrowser> LaunchAsync()
    {
        if (!File.Exists(Chromium)) Prerequisite.Missing($"Chromium is not installed at {Chromium} (apt-get install chromium; .ci/run installs it).");
        return await Puppeteer.LaunchAsync(new LaunchOptions
        {
            Headless = true,
            ExecutablePath = Chromium,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    [Test]
    public async Task The_report_shows_the_store_s_counts_charts_and_examples_and_runs_nothing_a_model_wrote()
    {
        var result = await RunAsync();
        var report = await result.WriteReportAsync(options: new RunReportOptions { Prices = new PriceTable().Set("fake-model", 1m, 2m) });
        var stored = await result.Dataset.ToListAsync();

        await using var browser = await LaunchAsync();
        await using var page = await browser.NewPageAsync();
        var requests = new List<string>();
        var errors = new List<string>();
        await page.SetRequestInterceptionAsync(true);
        page.Request += async (_, e) =>
        {
            lock (requests) requests.Add(e.Request.Url);
            await e.Request.ContinueAsync();
        };
        page.Console += (_, e) => { if (e.Message.Type == ConsoleType.Error) lock (errors) errors.Add(e.Message.Text); };
        page.PageError += (_, e) => { lock (errors) errors.Add(e.Message); };
        var url = new Uri(report).AbsoluteUri;
        await page.GoToAsync(url);

        Assert.That(requests, Is.EqualTo(new[] { url }), "nothing but the page itself is loaded");
        Assert.That(errors, Is.Empty, "no script error and no Content-Security-Policy violation");

        // Counts equal to the store's.
        string Stat(string step, string key) => page.EvaluateExpressionAsync<string>(
            $"document.querySelector('section[data-step=\"{step}\"] [data-stat=\"{key}\"]').textContent").GetAwaiter().GetResult();
        // After the grouped task, the metadata is one object per generation, each with the review task's keys.
        var review = stored.Select(r => r["distilabel_metadata"]!.AsArray()[0]!.AsObject()).ToList();
        Assert.That(Stat("review_analysis", "rows"), Is.EqualTo(Rows.ToString()));
        Assert.That(Stat("review_analysis", "failed-generations"), Is.EqualTo(review.Count(m => m["error_review_analysis"] is not null).ToString()).And.EqualTo("2"));
        Assert.That(Stat("review_analysis", "unparsed-generations"), Is.EqualTo("2"));
        Assert.That(Stat("text_generation", "generations"), Is.EqualTo((Rows * 2).ToString()), "grouped: two generations per row");
        Assert.That(Stat("review_analysis", "input-tokens"), Is.EqualTo(result.Tasks["review_analysis"].InputTokens.ToString("N0")));
        Assert.That(Stat("review_analysis", "cost"), Does.StartWith("$"));
        Assert.That(await page.EvaluateExpressionAsync<string>("[...document.querySelectorAll('table.reasons td')].map(c => c.textContent).join('|')"),
            Does.Contain("HTTP 503|1").And.Contain("timeout|1"));

        // Charts: the graph, and the sentiment labels counted as in the store.
        Assert.That(await page.EvaluateExpressionAsync<int>("document.querySelectorAll('svg.graph g.node').length"), Is.EqualTo(3));
        var positive = stored.Count(r => (string?)r["sentiment"] == "Positive");
        Assert.That(await page.EvaluateExpressionAsync<string>(
            "document.querySelector('.chart[data-column=\"sentiment\"] g.bar[data-label=\"Positive\"]').dataset.count"), Is.EqualTo(positive.ToString()));
        Assert.That(await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('.chart')].filter(c => c.querySelector('svg')).map(c => c.dataset.column)"),
            Is.EqualTo(new[] { "sentiment", "score", "ratings", "generation" }), "labels, numbers, a list of numbers, grouped texts; records get only their null share");

        // Examples of answers that did not fit, and model markup shown as text.
        Assert.That(await page.EvaluateExpressionAsync<string>("document.querySelector('section[data-step=\"review_analysis\"] details.example pre').textContent"),
            Does.StartWith("not json <b id=\"injected\">bold</b>"));
        Assert.That(await page.EvaluateExpressionAsync<int>("document.querySelectorAll('img, #injected').length"), Is.Zero);
        Assert.That(await page.EvaluateExpressionAsync<bool>("window.__xss === undefined"));
        Assert.That(await page.EvaluateExpressionAsync<string>("document.body.innerText"),
            Does.Contain("</script><script>window.__xss=2</script>").And.Contain("<script>window.__xss=3</script>"));

        // The filter shows only failed rows.
        await page.ClickAsync("section[data-step=\"review_analysis\"] .filter button[data-show=\"failed\"]");
        var visible = await page.EvaluateExpressionAsync<string[]>(
            "[...document.querySelectorAll('section[data-step=\"review_analysis\"] table.rows tbody tr')].filter(r => !r.hidden).map(r => r.dataset.status)");
        Assert.That(visible, Has.Length.EqualTo(2).And.All.EqualTo("failed"));

        if (Environment.GetEnvironmentVariable("DISTIL_REPORT_SCREENSHOTS") is { Length: > 0 } folder)
        {
            await page.ClickAsync("section[data-step=\"review_analysis\"] .filter button[data-show=\"all\"]");
            await page.SetViewportAsync(new ViewPortOptions { Width = 1280, Height = 900 });
            await page.EvaluateExpressionAsync("window.scrollTo(0, 0)");
            await page.ScreenshotAsync(Path.Combine(folder, "report-top.png"));
            await page.EvaluateExpressionAsync("document.querySelector('section[data-step=\"review_analysis\"] h3').scrollIntoView()");
            await page.ScreenshotAsync(Path.Combine(folder, "report-task.png"));
        }
    }

    // Text a model or a user may write, in every field the report shows: markup that would run, quotes, ampersands, non-ASCII.
    private const string Hostile = "</script><img src=x onerror=\"window.__xss=1;alert(1)\"><script>alert('s')</script> \"dq\" 'sq' a<b && c&amp; ünï 中文 🙂";
    // Names that become folder names hold no slash.
    private const string HostileName = "<img src=x onerror=alert(2)><svg onload=alert(3)> \"q\" 'q' a<b&c ü";

    // A call's error (its first 80 characters become a reason in the report).
    private const string ErrorText = "<img src=x onerror=alert(6)></script>&\"'ü 中";

    private static readonly System.Text.Json.JsonSerializerOptions RawJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Chart labels (80 characters at most, or the chart shows text lengths instead).
    private static string Label(int i) => i % 2 == 0 ? "<svg onload=alert(4)>even</script><img src=x onerror=\"window.__xss=4\">&amp;\"'ü" : "odd</text><script>alert(5)</script>&lt;";

    private async Task<(string Report, string Pipeline, string Task, string InputColumn)> RunHostileAsync()
    {
        var inputColumn = "in<put " + Hostile;
        var model = new ScriptedChatClient(request =>
        {
            var text = request.Messages[^1].Text;
            var i = int.Parse(text[(text.LastIndexOf('#') + 1)..]);
            return i switch
            {
                3 => throw new InvalidOperationException(ErrorText),
                4 => ScriptedChatClient.Answer("not json " + Hostile),
                _ => ScriptedChatClient.Answer(new JsonObject { [HostileColumnTask.ColumnName] = Label(i) }.ToJsonString(RawJson)),
            };
        }, modelId: "model " + HostileName);
        var pipelineName = "pipeline " + HostileName;
        var taskName = "task " + HostileName;
        var pipeline = Pipeline.Create(pipelineName);
        pipeline.RunDirectory = Path.Combine(_temp.Path, "hostile");
        pipeline.Load(Enumerable.Range(0, 8).Select(i => new JsonObject { [inputColumn] = Hostile + i, ["text"] = $"{Hostile} #{i}" }))
            .Then(new HostileColumnTask { Llm = model, Name = taskName });
        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        Assert.That(result.Completed);
        return (await result.WriteReportAsync(), pipelineName, taskName, inputColumn);
    }

    [Test]
    public async Task Hostile_text_in_every_field_stays_text_and_runs_nothing()
    {
        var (report, pipelineName, taskName, inputColumn) = await RunHostileAsync();

        await using var browser = await LaunchAsync();
        await using var page = await browser.NewPageAsync();
        var dialogs = new List<string>();
        var errors = new List<string>();
        page.Dialog += async (_, e) =>
        {
            lock (dialogs) dialogs.Add(e.Dialog.Message);
            await e.Dialog.Dismiss();
        };
        page.Console += (_, e) => { if (e.Message.Type == ConsoleType.Error) lock (errors) errors.Add(e.Message.Text); };
        page.PageError += (_, e) => { lock (errors) errors.Add(e.Message); };
        await page.GoToAsync(new Uri(report).AbsoluteUri);
        await Task.Delay(200); // any onerror or onload would have fired by now

        Assert.That(dialogs, Is.Empty, "no alert ran");
        Assert.That(errors, Is.Empty, "nothing was blocked either: no markup of a model reached the page");
        Assert.That(await page.EvaluateExpressionAsync<bool>("window.__xss === undefined"));
        Assert.That(await page.EvaluateExpressionAsync<int>("document.querySelectorAll('img, svg script, svg svg, [onerror], [onload]').length"), Is.Zero);
        Assert.That(await page.EvaluateExpressionAsync<int>("document.scripts.length"), Is.EqualTo(1), "the page's own script only");

        async Task<string> Text(string expression) => await page.EvaluateExpressionAsync<string>(expression);
        async Task<string[]> Texts(string expression) => await page.EvaluateExpressionAsync<string[]>(expression);
        // Pipeline and task names: title, heading, graph, step table, task section.
        Assert.That(await page.GetTitleAsync(), Is.EqualTo("Run report: " + pipelineName));
        Assert.That(await Text("document.querySelector('h1').textContent"), Is.EqualTo("Run report: " + pipelineName));
        Assert.That(await Texts("[...document.querySelectorAll('svg.graph g.node')].map(g => g.dataset.step)"), Does.Contain(taskName));
        Assert.That(await Texts("[...document.querySelectorAll('svg.graph g.node text:first-of-type')].map(t => t.textContent)"),
            Does.Contain(taskName.Length <= 28 ? taskName : taskName[..27] + "…"));
        Assert.That(await Texts("[...document.querySelectorAll('tr[data-step] td:first-child')].map(t => t.textContent)"), Does.Contain(taskName));
        Assert.That(await Text("document.querySelector('section.task').dataset.step"), Is.EqualTo(taskName));
        Assert.That(await Text("document.querySelector('section.task h2').textContent"), Is.EqualTo($"Task {taskName} HostileColumnTask · model {HostileName} (scripted)"));

        // The output column and its chart labels: each bar's label and text as written.
        Assert.That(await Text("document.querySelector('.chart').dataset.column"), Is.EqualTo(HostileColumnTask.ColumnName));
        Assert.That(await Text("document.querySelector('.chart h4').textContent"), Does.StartWith(HostileColumnTask.ColumnName));
        var labels = Enumerable.Range(0, 8).Where(i => i is not 3 and not 4).Select(Label).Distinct().ToList();
        Assert.That(await page.EvaluateExpressionAsync<bool>("document.querySelector('.chart svg').classList.contains('labels')"), "a chart of labels");
        Assert.That(await Texts("[...document.querySelectorAll('.chart g.bar')].map(g => g.dataset.label)"), Is.EquivalentTo(labels));
        Assert.That(await Texts("[...document.querySelectorAll('.chart g.bar text:first-of-type')].map(t => t.textContent)"),
            Is.EquivalentTo(labels.Select(l => l.Length <= 18 ? l : l[..17] + "…")));

        // Errors, unreadable answers, and the sample's column names, values and answers.
        Assert.That(await Texts("[...document.querySelectorAll('table.reasons td:first-child')].map(t => t.textContent)"), Is.EqualTo(new[] { "InvalidOperationException: " + ErrorText }));
        Assert.That(await Text("document.querySelector('details.example pre').textContent"), Is.EqualTo("not json " + Hostile));
        var sample = "document.querySelector('table.rows tbody tr[data-status=\"ok\"]')";
        Assert.That(await Texts($"[...{sample}.cells[1].querySelectorAll('b')].map(b => b.textContent)"), Is.EquivalentTo(new[] { inputColumn, "text" }));
        Assert.That(await Texts($"[...{sample}.cells[1].querySelectorAll('pre')].map(p => p.textContent)"), Is.EquivalentTo(new[] { Hostile + "0", Hostile + " #0" }));
        Assert.That(await Text($"{sample}.cells[3].querySelector('pre').textContent"), Is.EqualTo(new JsonObject { [HostileColumnTask.ColumnName] = Label(0) }.ToJsonString(RawJson)));
        Assert.That(await Texts($"[...{sample}.cells[4].querySelectorAll('b')].map(b => b.textContent)"), Is.EqualTo(new[] { HostileColumnTask.ColumnName }));
        Assert.That(await Text("document.querySelector('table.rows tbody tr[data-status=\"failed\"] .muted').textContent"), Is.EqualTo("InvalidOperationException: " + ErrorText));
    }

    [Test]
    public async Task The_content_security_policy_allows_only_the_page_s_own_style_and_script()
    {
        var (report, _, _, _) = await RunHostileAsync();

        await using var browser = await LaunchAsync();
        await using var page = await browser.NewPageAsync();
        await page.GoToAsync(new Uri(report).AbsoluteUri);

        static string Hash(string text) => "sha256-" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        var style = Hash(await page.EvaluateExpressionAsync<string>("document.querySelector('style').textContent"));
        var script = Hash(await page.EvaluateExpressionAsync<string>("document.scripts[0].textContent"));
        Assert.That(await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('meta[http-equiv]')].map(m => m.httpEquiv + ': ' + m.content)"),
            Is.EqualTo(new[] { $"Content-Security-Policy: default-src 'none'; style-src '{style}'; script-src '{script}'; img-src 'none'; base-uri 'none'; form-action 'none'" }));
        Assert.That(await page.EvaluateExpressionAsync<string>("document.head.children[1].httpEquiv"), Is.EqualTo("Content-Security-Policy"),
            "right after the charset, before anything it governs");

        // And it holds: an inline script or style the page did not ship is refused.
        var violations = await page.EvaluateFunctionAsync<string[]>(@"async () => {
            const seen = [];
            document.addEventListener('securitypolicyviolation', e => seen.push(e.violatedDirective));
            const s = document.createElement('script'); s.textContent = 'window.__injected = 1'; document.body.appendChild(s);
            const i = document.createElement('img'); i.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw='; document.body.appendChild(i);
            await new Promise(r => setTimeout(r, 200));
            return seen; }");
        Assert.That(await page.EvaluateExpressionAsync<bool>("window.__injected === undefined"));
        Assert.That(violations, Is.SupersetOf(new[] { "script-src-elem", "img-src" }));
    }

    [Test]
    public async Task The_report_lists_the_rows_a_deduplication_step_dropped_and_what_each_repeats()
    {
        var pipeline = Pipeline.Create("dedup-report");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "dedup");
        pipeline.Load(Enumerable.Range(0, 40).Select(i => new JsonObject { ["id"] = i, ["text"] = i % 4 == 3 ? $"Text {i - 1}!" : $"text {i}" }))
            .Deduplicate("text", new DedupOptions { Method = DedupMethod.Exact }, name: "unique");
        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        var report = await result.WriteReportAsync(options: new RunReportOptions { SampleRows = 4 });

        await using var browser = await LaunchAsync();
        await using var page = await browser.NewPageAsync();
        await page.GoToAsync(new Uri(report).AbsoluteUri);

        Assert.That(await page.EvaluateExpressionAsync<string>("document.querySelector('section.dedup[data-step=\"unique\"] [data-stat=\"duplicates\"]').textContent"),
            Is.EqualTo("10"), "every fourth row repeats the one before it");
        var cells = await page.EvaluateExpressionAsync<string[]>(
            "[...document.querySelectorAll('section.dedup table.duplicates tbody tr')].map(r => [...r.cells].map(c => c.textContent).join('>'))");
        Assert.That(cells, Is.EqualTo(new[] { "3>2>exact", "7>6>exact", "11>10>exact", "15>14>exact" }), "the first four, each with the row it repeats");
        Assert.That(await page.EvaluateExpressionAsync<string>("document.querySelector('section.dedup').innerText"), Does.Contain("The first 4 of 10"));
    }

    [Test]
    public async Task A_directory_without_a_run_says_so_and_the_command_writes_the_report()
    {
        var error = Assert.ThrowsAsync<PipelineException>(() => RunReport.WriteAsync(_temp.Path));
        Assert.That(error!.Message, Does.Contain("is not a run directory"));

        await RunAsync();
        var output = Path.Combine(_temp.Path, "out", "report.html");
        var (exitCode, stderr) = await ChildProgram.Distil.RunAsync("report", Path.Combine(_temp.Path, "run"), "--output", output, "--price", "fake-model=0.5/1.5");

        Assert.That(exitCode, Is.Zero, stderr);
        var html = await File.ReadAllTextAsync(output);
        Assert.That(html, Does.Contain("Content-Security-Policy").And.Contain("<svg class=\"graph\"").And.Not.Contain("<script>window.__xss"));
    }
}
