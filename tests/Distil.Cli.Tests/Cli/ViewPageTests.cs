using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Tests.Support;
using NUnit.Framework;
using PuppeteerSharp;

namespace Distil.Tests.Cli;

/// <summary>
/// <c>distil view</c> as a user meets it, every part a real process: <c>distil fake-server</c> answering slowly (with
/// markup in its answers and some calls failing), <c>distil run</c> writing a run directory, <c>distil view</c> serving
/// it, headless Chromium showing the page. Rows appear while the run is still going, filters narrow them, a reject
/// click reaches <c>distil view --export</c>, model markup stays text, and the page asks nothing of any other host.
/// </summary>
[NonParallelizable]
public class ViewPageTests
{
    private const string Chromium = "/usr/bin/chromium";
    private const int Rows = 60;
    // What every answer says: markup that would run script if the page ever rendered it as HTML.
    private const string Answer = "<img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script> <b id=\"injected\">bold</b>";
    private static readonly Regex ViewAddress = new(@"at (http://127\.0\.0\.1:\d+/)", RegexOptions.Compiled);
    private static readonly Regex FakeAddress = new(@"listening on (http://127\.0\.0\.1:\d+/v1/)", RegexOptions.Compiled);

    private TempFolder _temp = null!;
    private readonly List<ChildProgram.Child> _children = [];

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-view-");

    [TearDown]
    public void StopChildren()
    {
        foreach (var child in _children) child.Dispose();
        _children.Clear();
        _temp.Dispose();
    }

    private string RunDirectory => Path.Combine(_temp.Path, "run");

    private ChildProgram.Child Start(params string[] arguments)
    {
        var child = ChildProgram.Distil.Start(arguments);
        _children.Add(child);
        return child;
    }

    private static async Task<string> WaitForAsync(ChildProgram.Child child, Regex printed, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (printed.Match(child.Output) is { Success: true } match) return match.Groups[1].Value;
            if (child.HasExited) Assert.Fail($"{what} exited ({child.Process.ExitCode}) before it was ready: {child.Output}{child.Error}");
            await Task.Delay(100);
        }
        Assert.Fail($"{what} printed no address in 90 s: {child.Output}{child.Error}");
        return "";
    }

    private static async Task<IBrowser> LaunchAsync()
    {
        if (!File.Exists(Chromium)) Prerequisite.Missing($"Chromium is not installed at {Chromium} (apt-get install chromium; .ci/run installs it).");
        return await Puppeteer.LaunchAsync(new LaunchOptions
        {
            Headless = true,
            ExecutablePath = Chromium,
            DefaultViewport = new ViewPortOptions { Width = 1500, Height = 950 },
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    private static Task<T> Eval<T>(IPage page, string script) => page.EvaluateExpressionAsync<T>(script);

    private static async Task WaitUntilAsync(IPage page, string condition, string what, int seconds = 60)
    {
        try
        {
            await page.WaitForFunctionAsync($"() => {condition}", new WaitForFunctionOptions { Timeout = seconds * 1000, PollingInterval = 100 });
        }
        catch (WaitTaskTimeoutException)
        {
            Assert.Fail($"{what}: not within {seconds} s. The page's state: {await Eval<string>(page, "JSON.stringify({ step: view.step, q: view.query.q, flags: [...view.query.flags], eq: view.query.eq, range: view.query.range, status: document.getElementById('status').textContent })")}; it said: {await Eval<string>(page, "document.body.innerText")}");
        }
    }

    [Test]
    public async Task Rows_appear_while_the_run_goes_filters_narrow_them_and_a_reject_reaches_the_export()
    {
        var fake = Start("fake-server", "--latency", "400", "--faults", "0.15", "--seed", "3", "--answer", Answer);
        var model = $"endpoint:{await WaitForAsync(fake, FakeAddress, "distil fake-server")}#fake-model";
        var input = Path.Combine(_temp.Path, "items.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, Rows).Select(i => new JsonObject { ["instruction"] = $"Describe item {i}.", ["n"] = i }.ToJsonString()));
        Directory.CreateDirectory(RunDirectory);
        var run = Start("run", "--task", "text_generation", "--input", input, "--output", Path.Combine(_temp.Path, "out.jsonl"), "--run-dir", RunDirectory,
            "--model", model, "--concurrency", "1", "--max-retries", "0");
        var view = Start("view", RunDirectory, "--port", "0");
        var address = await WaitForAsync(view, ViewAddress, "distil view");

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
        await page.GoToAsync(address);

        // Live: rows show up while distil run is still answering, and more come without a reload.
        await WaitUntilAsync(page, "document.querySelectorAll('#rows tbody tr').length > 0", "the first committed rows");
        var firstTotal = int.Parse(await Eval<string>(page, "document.getElementById('status').dataset.total"));
        Assert.That(run.HasExited, Is.False, "the rows were shown while the run was still going");
        Assert.That(firstTotal, Is.LessThan(Rows));
        Assert.That(await Eval<string>(page, "document.getElementById('live').textContent"), Is.EqualTo("running"));
        await WaitUntilAsync(page, $"Number(document.getElementById('status').dataset.total) > {firstTotal}", "more rows as the run commits them");

        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3))) await run.Process.WaitForExitAsync(timeout.Token);
        Assert.That(run.Process.ExitCode, Is.EqualTo(1), "distil run says some rows have failed calls: " + run.Error);
        await WaitUntilAsync(page, $"document.getElementById('status').dataset.total === '{Rows}' && document.getElementById('live').dataset.outcome === 'completed'", "every row, and the run's end");

        // The failed filter narrows the rows to those whose call failed (the fake server's faults, with no retries).
        var failed = File.ReadAllLines(Path.Combine(_temp.Path, "out.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(r => r["distilabel_metadata"]?["error_text_generation"] is not null).Select(r => (string)r["instruction"]!).ToList();
        Assert.That(failed, Is.Not.Empty, "the fake server failed some calls");
        string Stat(string name) => Eval<string>(page, $"document.querySelector('#steps tr[data-step=\"text_generation\"] [data-stat=\"{name}\"]').textContent").GetAwaiter().GetResult();
        Assert.That(Stat("calls"), Is.EqualTo((Rows - failed.Count).ToString()), "the calls answered, from the run log");
        Assert.That(Stat("failed"), Is.EqualTo(failed.Count.ToString()));
        await page.ClickAsync("#flags input[data-flag=\"failed\"]");
        await WaitUntilAsync(page, $"document.getElementById('status').dataset.total === '{failed.Count}'", "only the failed rows");
        Assert.That(await Eval<string[]>(page, "[...document.querySelectorAll('#rows tbody tr')].map(r => r.dataset.flags)"), Has.All.Contain("failed"));
        Assert.That(await Eval<string[]>(page, "[...document.querySelectorAll('#rows tbody td[data-column=\"instruction\"]')].map(c => c.textContent)"), Is.EquivalentTo(failed));
        await page.ClickAsync("#flags input[data-flag=\"failed\"]");

        // A search narrows them too (every answer holds the word "1", from its markup: not a word to look for).
        await page.TypeAsync("#search", "item 17");
        await WaitUntilAsync(page, "document.getElementById('status').dataset.total === '1'", "the rows of the search");
        Assert.That(await Eval<string>(page, "document.querySelector('#rows tbody td[data-column=\"instruction\"]').textContent"), Is.EqualTo("Describe item 17."));
        // And a numeric range on a column: n from 20 to 24.
        await page.EvaluateExpressionAsync("document.getElementById('search').value = ''; document.getElementById('search').dispatchEvent(new Event('input'))");
        await page.SelectAsync("#filter-column", "n");
        await page.TypeAsync("#filter-min", "20");
        await page.TypeAsync("#filter-max", "24");
        await page.ClickAsync("#filter-add");
        await WaitUntilAsync(page, "document.getElementById('status').dataset.total === '5'", "the rows of the range");

        // A row's answer: the model's markup is shown as text, and none of it runs.
        var answered = await Eval<string>(page, "[...document.querySelectorAll('#rows tbody tr')].find(r => !r.dataset.flags.includes('failed')).dataset.key");
        await page.ClickAsync($"#rows tbody tr[data-key=\"{answered}\"]");
        await WaitUntilAsync(page, $"document.getElementById('detail').dataset.key === '{answered}' && document.querySelector('#detail [data-part=\"raw-answers\"]') !== null", "the row view");
        Assert.That(await Eval<string>(page, "document.querySelector('#detail [data-part=\"raw-answers\"] pre').textContent"), Is.EqualTo(Answer));
        Assert.That(await Eval<string>(page, "document.querySelector('#detail [data-part=\"prompt\"] pre').textContent"), Is.EqualTo($"Describe item {answered}."));
        Assert.That(await Eval<int>(page, "document.querySelectorAll('img, #injected, body script:not([src])').length"), Is.Zero);
        Assert.That(await Eval<bool>(page, "window.__xss === undefined"), "no script from an answer ran");
        Assert.That(await Eval<string>(page, "document.body.innerText"), Does.Contain("<script>window.__xss=2</script>"));

        // Reject it: saved at once, shown in the list, and in the exported dataset.
        await page.ClickAsync("#review button[data-verdict=\"rejected\"]");
        await WaitUntilAsync(page, $"document.getElementById('review-state').dataset.verdict === 'rejected' && document.querySelector('#rows tbody tr[data-key=\"{answered}\"]').dataset.review === 'rejected'", "the reject saved");
        await page.TypeAsync("#note", "Markup instead of a description.");
        await page.ClickAsync("#note-save");
        await WaitUntilAsync(page, "document.querySelector('#rows tbody tr .has-note') !== null", "the note saved");
        await SaveScreenshotsAsync(page);

        Assert.That(errors, Is.Empty, "no script error and no Content-Security-Policy violation");
        Assert.That(requests, Is.Not.Empty.And.All.StartWith(address), "the page asked nothing of any host but the view");

        view.Signal(15);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30))) await view.Process.WaitForExitAsync(timeout.Token);
        Assert.That(view.Process.ExitCode, Is.Zero, view.Error);
        var exported = Path.Combine(_temp.Path, "reviewed.jsonl");
        var (exitCode, error) = await ChildProgram.Distil.RunAsync("view", RunDirectory, "--export", exported);
        Assert.That(exitCode, Is.Zero, error);
        var rows = File.ReadAllLines(exported).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.That(rows, Has.Count.EqualTo(Rows));
        var rejected = rows.Single(r => (string?)r["review_status"] == "rejected");
        Assert.That((string?)rejected["instruction"], Is.EqualTo($"Describe item {answered}."));
        Assert.That((string?)rejected["review_note"], Is.EqualTo("Markup instead of a description."));
        Assert.That(rows.Count(r => r["review_status"] is not null), Is.EqualTo(1));
    }

    // DISTIL_VIEW_SCREENSHOTS=docs/images: the pictures of docs/view.md.
    private static async Task SaveScreenshotsAsync(IPage page)
    {
        if (Environment.GetEnvironmentVariable("DISTIL_VIEW_SCREENSHOTS") is not { Length: > 0 } folder) return;
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(Path.Combine(folder, "view-row.png"));
        await page.ClickAsync("#detail-close");
        await page.ClickAsync("#active-filters .chip");
        await page.WaitForFunctionAsync("() => document.getElementById('status').dataset.total === '60'");
        await page.ScreenshotAsync(Path.Combine(folder, "view-rows.png"));
    }
}
