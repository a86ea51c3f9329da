using System.Text.Json.Nodes;
using GradCamAudit.Data;
using GradCamAudit.Scoring.Metrics;
using GradCamAudit.Tests.Data;
using GradCamAudit.Tests.Pipeline;
using GradCamAudit.Tests.Reporting;
using Xunit;

namespace GradCamAudit.Tests.Cli;

/// <summary>
/// Defects found by trying documented settings and hostile files, each checked through the command line as a user
/// runs it: every metric selection reports, a custom template survives --baseline, 16-bit and alpha masks read as
/// stored or are refused, hostile COCO numbers cost one row (validate finds them too), and nothing from a run folder
/// reaches the page unescaped or runs in it.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class DefectRegressionTests(DemoRunFixture demo) : IClassFixture<DemoRunFixture>
{
    private static Task<(int Code, string Output)> Cli(params string[] args) => CliCapture.RunCapturingAsync(true, args);

    /// <summary>A config of a small demo slice with extra JSON members in the root (e.g. an explain section).</summary>
    private static string SliceConfig(string dir, int rows, string rootMembers = "", string audit = "")
    {
        string config = TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, rows), audit: audit);
        if (rootMembers.Length > 0)
        {
            string text = File.ReadAllText(config);
            File.WriteAllText(config, "{ " + rootMembers + ", " + text.TrimStart()[1..]);
        }
        return config;
    }

    public static TheoryData<string> MetricSelections()
    {
        var data = new TheoryData<string> { "" };
        foreach (string optional in MetricCatalogue.Columns.Except(MetricCatalogue.Required))
        {
            data.Add(optional);
        }
        data.Add(string.Join(",", MetricCatalogue.Columns));
        return data;
    }

    [Theory]
    [MemberData(nameof(MetricSelections))]
    public async Task EveryMetricSelection_AuditsReportsAndReRenders(string extra)
    {
        string dir = TestPaths.NewTempDir("metrics");
        string[] selected = [.. MetricCatalogue.Required, .. extra.Split(',', StringSplitOptions.RemoveEmptyEntries)];
        string metrics = string.Join(", ", selected.Distinct().Select(m => $"\"{m}\""));
        string config = SliceConfig(dir, 10, $"\"explain\": {{ \"metrics\": [{metrics}] }}");
        (int code, string log) = await Cli("audit", "--config", config, "--quiet");
        Assert.True(code == 0, log);
        string output = Path.Combine(dir, "out");
        Assert.EndsWith("</html>", File.ReadAllText(Path.Combine(output, "report.html")).TrimEnd(), StringComparison.Ordinal);
        var columns = Duck.Query($"DESCRIBE SELECT * FROM {Duck.Results(output)}").Select(r => (string)r["column_name"]!).ToHashSet();
        Assert.Equal(selected.Contains("pointing_hit"), columns.Contains("pred_pointing_hit"));
        (code, log) = await Cli("report", "--run", output, "--quiet");
        Assert.True(code == 0, log);
        Assert.Equal(10, GradCamAudit.Results.ResultsReader.ReadRows(output).Count);
    }

    [Fact]
    public async Task CustomTemplate_SurvivesTheBaselineComparison()
    {
        string dir = TestPaths.NewTempDir("templates");
        string templates = Path.Combine(dir, "templates");
        Directory.CreateDirectory(templates);
        File.WriteAllText(Path.Combine(templates, "report.sbn"), "<!DOCTYPE html><html><body><p id=\"custom\">custom {{ run.name }} {{ gates.size }}</p></body></html>\n");
        string config = SliceConfig(dir, 8, "", "\"batchSize\": 4");
        string baseline = Path.Combine(dir, "baseline");
        (int code, string log) = await Cli("audit", "--config", config, "--output", baseline, "--quiet");
        Assert.True(code == 0, log);
        string current = Path.Combine(dir, "current");
        (code, log) = await Cli("audit", "--config", config, "--output", current, "--templates", templates, "--baseline", baseline, "--quiet");
        Assert.True(code == 0, log);
        Assert.Contains("<p id=\"custom\">custom test", File.ReadAllText(Path.Combine(current, "report.html")), StringComparison.Ordinal);
        (code, log) = await Cli("compare", "--baseline", baseline, "--current", current, "--templates", templates, "--quiet");
        Assert.True(code == 0, log);
        Assert.Contains("<p id=\"custom\">custom test", File.ReadAllText(Path.Combine(current, "report.html")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SixteenBitMask_IsReadAsStored_AndAlphaWithoutAlphaIsRefused()
    {
        string dir = TestPaths.NewTempDir("mask16");
        string manifest = TestDatasets.DemoSubset(dir, 4);
        string data = Path.GetDirectoryName(manifest)!;
        string[] lines = File.ReadAllLines(manifest);
        // Rewrite every mask as a 16-bit grey PNG whose object value is 1 (an 8-bit reduction makes it 0).
        foreach (string line in lines.Skip(1))
        {
            string mask = Path.Combine(data, line.Split(',')[3]);
            using var bitmap = SkiaSharp.SKBitmap.Decode(mask);
            var samples = new ushort[bitmap.Width * bitmap.Height];
            for (int p = 0; p < samples.Length; p++)
            {
                samples[p] = (ushort)(bitmap.GetPixel(p % bitmap.Width, p / bitmap.Width).Red != 0 ? 1 : 0);
            }
            File.WriteAllBytes(mask, PngTestEncoder.Encode(bitmap.Width, bitmap.Height, 0, 16, samples));
        }
        string config = TestDatasets.Config(dir, manifest);
        (int code, string log) = await Cli("audit", "--config", config, "--quiet");
        Assert.True(code == 0, log);
        var rows = Duck.Query($"SELECT mask_fraction FROM {Duck.Results(Path.Combine(dir, "out"))}");
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.True((double)r["mask_fraction"]! > 0.01, "a 16-bit mask of value 1 read as empty"));

        // The same grey masks under maskEncoding alpha: no alpha channel, so every row is mask_corrupt with the reason.
        string alpha = Path.Combine(dir, "alpha.json");
        File.WriteAllText(alpha, File.ReadAllText(config).Replace("\"classes\":", "\"maskEncoding\": \"alpha\", \"classes\":", StringComparison.Ordinal));
        (code, log) = await Cli("audit", "--config", alpha, "--output", Path.Combine(dir, "out-alpha"), "--quiet");
        Assert.True(code == 0, log);
        string[] errors = File.ReadAllLines(Path.Combine(dir, "out-alpha", "errors.csv"));
        Assert.Equal(5, errors.Length);
        Assert.All(errors.Skip(1), e => Assert.Contains(ReasonCodes.MaskCorrupt + ",", e, StringComparison.Ordinal));
        Assert.Contains("no alpha channel", errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostileCocoNumbers_CostOneRowEach_FoundByValidate_RunExitsZero()
    {
        string dir = TestPaths.NewTempDir("coco-hostile");
        FormatFixtureSet f = FormatFixtures.Write(Path.Combine(dir, "fx"), 8);
        JsonNode doc = JsonNode.Parse(File.ReadAllText(f.CocoAnnotations))!;
        JsonArray annotations = doc["annotations"]!.AsArray();
        var images = doc["images"]!.AsArray().ToDictionary(i => (long)i!["id"]!, i => i!);
        long[] hostileImages = annotations.Select(a => (long)a!["image_id"]!).Distinct().Take(3).ToArray();
        JsonNode First(long image) => annotations.First(a => (long)a!["image_id"]! == image)!;
        JsonNode rle = First(hostileImages[0]);
        rle["segmentation"] = new JsonObject { ["counts"] = new JsonArray(5, long.MaxValue), ["size"] = new JsonArray((int)images[hostileImages[0]]["height"]!, (int)images[hostileImages[0]]["width"]!) };
        JsonNode negative = First(hostileImages[1]);
        negative.AsObject().Remove("segmentation");
        negative["bbox"] = new JsonArray(-1e10, 0, 1e10, 1);
        JsonNode wide = First(hostileImages[2]);
        wide.AsObject().Remove("segmentation");
        wide["bbox"] = new JsonArray(0, 0, 1e10, 1);
        File.WriteAllText(f.CocoAnnotations, doc.ToJsonString());
        string config = FormatFixtures.Config(dir, "coco", $"\"format\": \"coco\", \"annotations\": {FormatFixtures.J(f.CocoAnnotations)}, \"images\": {FormatFixtures.J(f.CocoImages)}", Path.Combine(dir, "out"));

        (int code, string output) = await CliCapture.RunCapturingAsync(false, "validate", "--config", config);
        Assert.Equal(3, output.Split('\n').Count(l => l.Contains(ReasonCodes.MaskCorrupt, StringComparison.Ordinal)));

        (code, string log) = await Cli("audit", "--config", config, "--quiet");
        Assert.True(code == 0, log);
        string[] errors = File.ReadAllLines(Path.Combine(dir, "out", "errors.csv")).Skip(1).ToArray();
        Assert.Equal(3, errors.Count(e => e.Contains(ReasonCodes.MaskCorrupt, StringComparison.Ordinal)));
        Assert.Contains(errors, e => e.Contains("RLE counts cover more than", StringComparison.Ordinal));
        Assert.Equal(2, errors.Count(e => e.Contains("bbox corner", StringComparison.Ordinal)));
        var results = Duck.Query($"SELECT count(*) AS n FROM {Duck.Results(Path.Combine(dir, "out"))}");
        Assert.Equal(8, Convert.ToInt64(results[0]["n"], System.Globalization.CultureInfo.InvariantCulture) + errors.Length);
    }

    [Fact]
    public async Task HostileRunJson_IsEscaped_AndAScriptSlippedIntoThePageDoesNotRun()
    {
        string copy = TestPaths.CopyOf(demo.OutputDirectory, "hostile");
        const string Hostile = "<script>window.__pwned = 1;</script><img src=x onerror=\"window.__pwned = 2\">";
        string runJson = Path.Combine(copy, "run.json");
        JsonNode run = JsonNode.Parse(File.ReadAllText(runJson))!;
        run["toolVersion"] = Hostile;
        File.WriteAllText(runJson, run.ToJsonString());
        (int code, string log) = await Cli("report", "--run", copy, "--quiet");
        Assert.True(code == 0, log);
        string html = File.ReadAllText(Path.Combine(copy, "report.html"));
        Assert.DoesNotContain(Hostile, html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;window.__pwned = 1;&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("http-equiv=\"Content-Security-Policy\"", html, StringComparison.Ordinal);

        // An escaping slip (a custom template that asks for the raw value) puts the script into the page: the
        // Content-Security-Policy keeps it inert, while the report's own script (the gallery filter count) runs.
        string embedded = new StreamReader(typeof(GradCamAudit.Reporting.ReportBuilder).Assembly.GetManifestResourceStream("GradCamAudit.Templates.report.sbn")!).ReadToEnd();
        string templates = TestPaths.NewTempDir("slip");
        File.WriteAllText(Path.Combine(templates, "report.sbn"), embedded.Replace("gradcam-audit {{ run.tool_version }}", "gradcam-audit {{ run.tool_version | html.raw }}", StringComparison.Ordinal));
        (code, log) = await Cli("report", "--run", copy, "--templates", templates, "--quiet");
        Assert.True(code == 0, log);
        Assert.Contains(Hostile, File.ReadAllText(Path.Combine(copy, "report.html")), StringComparison.Ordinal);
        await using var browser = await HeadlessChromium.OpenAsync(new Uri(Path.Combine(copy, "report.html")).AbsoluteUri);
        await Task.Delay(500);
        Assert.Equal("undefined", (await browser.EvaluateAsync("typeof window.__pwned")).GetString());
        Assert.Contains("cards shown", (await browser.EvaluateAsync("document.getElementById('filter-count').textContent")).GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ErrorsCsv_OfARealAudit_NeutralisesEveryFormulaStart()
    {
        string dir = TestPaths.NewTempDir("csv-injection");
        string manifest = TestDatasets.DemoSubset(dir, 2);
        string[] hostile = ["=1+1", "+SUM(A1)", "-2+3", "@cmd"];
        File.AppendAllLines(manifest, hostile.Select((id, i) => $"\"{id}\",missing{i}.png,circle,masks/none.png,clean,none"));
        (int code, string log) = await Cli("audit", "--config", TestDatasets.Config(dir, manifest), "--quiet");
        Assert.True(code == 0, log);
        string[] errors = File.ReadAllLines(Path.Combine(dir, "out", "errors.csv")).Skip(1).ToArray();
        Assert.Equal(4, errors.Length);
        foreach (string id in hostile)
        {
            string line = errors.Single(e => e.Contains(id, StringComparison.Ordinal));
            Assert.Contains(",'" + id, line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task HistoryFolder_WithAFifoAnImplausibleDateAndGarbage_IsSkipped_TheReportFinishes()
    {
        string copy = TestPaths.CopyOf(demo.OutputDirectory, "history-run");
        string history = TestPaths.NewTempDir("history-hostile");
        string good = Path.Combine(history, "night-1");
        Directory.CreateDirectory(good);
        File.Copy(Path.Combine(demo.OutputDirectory, "summary.json"), Path.Combine(good, "summary.json"));
        string fifo = Path.Combine(history, "fifo");
        Directory.CreateDirectory(fifo);
        using (var mk = System.Diagnostics.Process.Start("mkfifo", [Path.Combine(fifo, "summary.json")]))
        {
            await mk.WaitForExitAsync();
        }
        string future = Path.Combine(history, "future");
        Directory.CreateDirectory(future);
        File.WriteAllText(Path.Combine(future, "summary.json"), File.ReadAllText(Path.Combine(demo.OutputDirectory, "summary.json"))
            .Replace("\"finishedUtc\": \"20", "\"finishedUtc\": \"29", StringComparison.Ordinal));
        string garbage = Path.Combine(history, "garbage");
        Directory.CreateDirectory(garbage);
        File.WriteAllText(Path.Combine(garbage, "summary.json"), "{ not json");
        var trend = GradCamAudit.Reporting.Trend.Read(new GradCamAudit.Reporting.HistoryOptions(history), copy);
        Assert.Single(trend); // only night-1: the FIFO is never opened (it would block), the future date and garbage are left off
        Task<(int Code, string Output)> report = Cli("report", "--run", copy, "--history", history, "--quiet");
        Assert.Same(report, await Task.WhenAny(report, Task.Delay(TimeSpan.FromSeconds(60))));
        Assert.Equal(0, (await report).Code);
    }

    [Fact]
    public async Task FilesOverTheSizeCap_AreRefusedFromTheirSize_OneRowEach_AlsoByValidate()
    {
        string dir = TestPaths.NewTempDir("file-cap");
        string manifest = TestDatasets.DemoSubset(dir, 3);
        string first = Path.Combine(Path.GetDirectoryName(manifest)!, File.ReadAllLines(manifest)[1].Split(',')[1]);
        using (var padded = new FileStream(first, FileMode.Append))
        {
            padded.Write(new byte[64 * 1024]); // a valid PNG with 64 KiB of padding after its end
        }
        string config = TestDatasets.Config(dir, manifest, audit: "\"maxFileBytes\": 32768");
        (int code, string output) = await CliCapture.RunCapturingAsync(false, "validate", "--config", config);
        Assert.Contains(ReasonCodes.ImageTooLarge, output, StringComparison.Ordinal);
        (code, string log) = await Cli("audit", "--config", config, "--quiet");
        Assert.True(code == 0, log);
        string[] errors = File.ReadAllLines(Path.Combine(dir, "out", "errors.csv")).Skip(1).ToArray();
        Assert.Single(errors);
        Assert.Contains("over audit.maxFileBytes", errors[0], StringComparison.Ordinal);
        Assert.Equal(2, GradCamAudit.Results.ResultsReader.ReadRows(Path.Combine(dir, "out")).Count);
    }

    [Fact]
    public async Task CocoImageDeclaredLargerThanItsFile_IsAMaskSizeMismatch_BeforeRasterising()
    {
        string dir = TestPaths.NewTempDir("coco-declared");
        FormatFixtureSet f = FormatFixtures.Write(Path.Combine(dir, "fx"), 4);
        JsonNode doc = JsonNode.Parse(File.ReadAllText(f.CocoAnnotations))!;
        JsonNode image = doc["images"]!.AsArray()[0]!;
        (image["width"], image["height"]) = (8000, 8000);
        File.WriteAllText(f.CocoAnnotations, doc.ToJsonString());
        string config = FormatFixtures.Config(dir, "coco", $"\"format\": \"coco\", \"annotations\": {FormatFixtures.J(f.CocoAnnotations)}, \"images\": {FormatFixtures.J(f.CocoImages)}", Path.Combine(dir, "out"));
        (int code, string log) = await Cli("audit", "--config", config, "--quiet");
        Assert.True(code == 0, log);
        string[] errors = File.ReadAllLines(Path.Combine(dir, "out", "errors.csv")).Skip(1).ToArray();
        Assert.Single(errors);
        // Refused from numbers alone: its annotation does not fit the declared size (an RLE or polygon), or the declared
        // size does not fit the file; never rasterised at 8000x8000.
        Assert.True(errors[0].Contains(ReasonCodes.MaskSizeMismatch + ",mask is 8000x8000", StringComparison.Ordinal)
            || errors[0].Contains(ReasonCodes.MaskCorrupt + ",", StringComparison.Ordinal), errors[0]);
    }
}
