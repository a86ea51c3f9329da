using GradCamAudit.Options;
using GradCamAudit.Reporting;
using GradCamAudit.Results;
using GradCamAudit.Tests.Pipeline;
using Xunit;

namespace GradCamAudit.Tests.Reporting;

/// <summary>The report from a streaming pass: the same figures as a whole-table computation, from any writer's Parquet.</summary>
[Collection(TorchCollection.Name)]
public sealed class StreamingReportTests(DemoRunFixture demo) : IClassFixture<DemoRunFixture>
{
    /// <summary>A copy of the demo run whose results DuckDB rewrote: one file in a sub-folder, row groups of 100, plus Spark's marker files.</summary>
    private string RewrittenByDuckDb(string select = "*")
    {
        string copy = TestPaths.NewTempDir("rewritten");
        File.Copy(Path.Combine(demo.OutputDirectory, "run.json"), Path.Combine(copy, "run.json"));
        File.Copy(Path.Combine(demo.OutputDirectory, "errors.csv"), Path.Combine(copy, "errors.csv"));
        string target = Path.Combine(copy, "results", "compacted");
        Directory.CreateDirectory(target);
        Duck.Query($"COPY (SELECT {select} FROM {Duck.Results(demo.OutputDirectory)} ORDER BY row DESC) TO '{Path.Combine(target, "data.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 100)");
        File.WriteAllText(Path.Combine(copy, "results", "_SUCCESS"), "");
        File.WriteAllText(Path.Combine(target, ".data.parquet.crc"), "not parquet");
        return copy;
    }

    [Fact]
    public void StreamingSummary_EqualsTheWholeTableComputation()
    {
        List<ReportRow> rows = ResultsReader.ReadRows(demo.OutputDirectory);
        RunManifest run = RunManifest.Load(Path.Combine(demo.OutputDirectory, "run.json"));
        ReportBuilder.BuildModel(demo.OutputDirectory, run, out RunSummary summary);
        var reference = ClassTable.Compute(rows, run.Config.Dataset.Classes.Count); // Microsoft.Data.Analysis over all rows at once
        var streamed = summary.Classes();
        Assert.Equal(reference.Count, streamed.Count);
        for (int k = 0; k < reference.Count; k++)
        {
            Assert.Equal(reference[k].Count, streamed[k].Count);
            Assert.Equal(reference[k].Flagged, streamed[k].Flagged);
            Assert.Equal(reference[k].RightForWrongReason, streamed[k].RightForWrongReason);
            foreach ((double? a, double? b) in new[]
            {
                (reference[k].Accuracy, streamed[k].Accuracy), (reference[k].MeanPredLift, streamed[k].MeanPredLift),
                (reference[k].MedianPredLift, streamed[k].MedianPredLift), (reference[k].MeanTrueLift, streamed[k].MeanTrueLift),
                (reference[k].MeanTrueEnergy, streamed[k].MeanTrueEnergy), (reference[k].OffObjectRate, streamed[k].OffObjectRate),
            })
            {
                Assert.Equal(a.HasValue, b.HasValue);
                Assert.Equal(a ?? 0, b ?? 0, 9);
            }
        }
        // The bounded heaps keep the worst flagged rows of each predicted class, taken in turn (most flagged class first).
        var byClass = rows.Where(r => r.Flagged == true).GroupBy(r => r.PredLabel).OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
            .Select(g => g.OrderBy(r => r.PredEnergyLift ?? -1).ThenBy(r => r.Row).ToList()).ToList();
        var expected = Enumerable.Range(0, byClass.Max(l => l.Count)).SelectMany(rank => byClass.Where(l => l.Count > rank).Select(l => l[rank].Row))
            .Take(run.Config.Report.GalleryMax);
        Assert.Equal(expected, summary.FlaggedGallery().Select(g => g.Row.Row));
        Assert.True(byClass.Count >= 2, "the demo flags two shortcut classes");
    }

    [Fact]
    public void ResultsRewrittenByDuckDb_RenderTheSameReport()
    {
        string copy = RewrittenByDuckDb();
        RunManifest run = RunManifest.Load(Path.Combine(copy, "run.json"));
        ReportModel original = ReportBuilder.BuildModel(demo.OutputDirectory, run);
        ReportModel rewritten = ReportBuilder.BuildModel(copy, run);
        Assert.Equal(original.Headline, rewritten.Headline);
        Assert.Equal(original.Classes, rewritten.Classes);
        Assert.Equal(original.Flagged.Select(c => c.SampleId), rewritten.Flagged.Select(c => c.SampleId));
        Assert.All(rewritten.Flagged, c => Assert.StartsWith("data:image/jpeg;base64,", c.PredUri, StringComparison.Ordinal)); // maps read back

        string html = File.ReadAllText(ReportBuilder.Render(copy, null));
        Assert.EndsWith("</html>", html.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void SummaryJsonAndPerClassCsv_CarryTheReportsFigures()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(demo.OutputDirectory, "summary.json")));
        var root = doc.RootElement;
        Assert.Equal(SummaryWriter.SchemaVersion, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(demo.Run.RunId, root.GetProperty("runId").GetString());
        Assert.Equal("complete", root.GetProperty("status").GetString());
        long flagged = Convert.ToInt64(Duck.Query($"SELECT count(*) FILTER (WHERE flagged) AS n FROM {Duck.Results(demo.OutputDirectory)}")[0]["n"]);
        Assert.Equal(flagged, root.GetProperty("headline").GetProperty("flagged").GetInt64());
        Assert.Equal(demo.Options.Dataset.Classes.Count, root.GetProperty("classes").GetArrayLength());
        Assert.Equal(0, root.GetProperty("gates").GetArrayLength());

        string[] lines = File.ReadAllLines(Path.Combine(demo.OutputDirectory, "per_class.csv"));
        Assert.Equal(string.Join(',', SummaryWriter.PerClassColumns), lines[0]);
        Assert.Equal(demo.Options.Dataset.Classes.Count + 1, lines.Length);
        var perClass = Duck.Query($"SELECT sum(samples)::BIGINT AS n, sum(flagged)::BIGINT AS f FROM read_csv('{Path.Combine(demo.OutputDirectory, "per_class.csv")}')")[0];
        Assert.Equal(demo.Run.Counts.Audited, Convert.ToInt64(perClass["n"]));
        Assert.Equal(flagged, Convert.ToInt64(perClass["f"]));
    }

    [Fact]
    public async Task History_ChartsTheHeadlineFiguresOverEarlierRuns()
    {
        string history = TestPaths.NewTempDir("history");
        string source = File.ReadAllText(Path.Combine(demo.OutputDirectory, "summary.json"));
        for (int night = 1; night <= 3; night++)
        {
            string folder = Path.Combine(history, $"night-{night}");
            Directory.CreateDirectory(folder);
            var node = System.Text.Json.Nodes.JsonNode.Parse(source)!;
            node["finishedUtc"] = new DateTimeOffset(2026, 11, night, 3, 0, 0, TimeSpan.Zero).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            node["runId"] = $"night-{night}";
            node["headline"]!["flagged"] = 10 * night;
            File.WriteAllText(Path.Combine(folder, "summary.json"), node.ToJsonString());
        }
        Directory.CreateDirectory(Path.Combine(history, "not-a-run"));
        string copy = RewrittenByDuckDb();
        Assert.Equal(GradCamAudit.Cli.Commands.Ok, await GradCamAudit.Cli.Commands.ParseAndRunAsync(GradCamAudit.Cli.Commands.Build(), ["report", "--run", copy, "--history", history, "--history-count", "2"]));
        string html = File.ReadAllText(Path.Combine(copy, "report.html"));
        int start = html.IndexOf("<section id=\"trend\">", StringComparison.Ordinal);
        Assert.True(start >= 0);
        string trend = html[start..html.IndexOf("</section>", start, StringComparison.Ordinal)];
        Assert.Contains("Trend over the last 3 runs", trend, StringComparison.Ordinal); // the two latest earlier runs and this one
        Assert.Equal(3, trend.Split("<polyline class=\"trend\"").Length - 1);
        Assert.Equal(9, trend.Split("<circle ").Length - 1);
        Assert.Contains("night-3: flagged", trend, StringComparison.Ordinal);
        Assert.DoesNotContain("night-1:", trend, StringComparison.Ordinal);
    }

    [Fact]
    public void ResultsLackingContractColumns_AreOneClearError()
    {
        string copy = RewrittenByDuckDb("* EXCLUDE (flagged, pred_energy_lift)");
        var ex = Assert.Throws<ConfigException>(() => ReportBuilder.Render(copy, null));
        Assert.Contains("pred_energy_lift", ex.Message, StringComparison.Ordinal);
        Assert.Contains("flagged", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PersistedSummary_IsReusedWhileThePartsAreUnchanged_AndRecomputedWhenOneChanges()
    {
        string copy = TestPaths.CopyOf(demo.OutputDirectory, "persisted");
        string persisted = Path.Combine(copy, RunFolder.RunSummaryName);
        Assert.True(File.Exists(persisted), "the audit persists its run summary");
        string original = File.ReadAllText(Path.Combine(copy, "report.html"));

        // Re-rendered from the persisted summary: the same page, byte for byte.
        ReportBuilder.Render(copy, null);
        Assert.Equal(original, File.ReadAllText(Path.Combine(copy, "report.html")));

        // Proof that it was reused: a planted count shows up in the page.
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(persisted))!;
        long audited = (long)node["Summary"]!["Audited"]!;
        node["Summary"]!["Audited"] = 123456;
        File.WriteAllText(persisted, node.ToJsonString());
        Assert.Contains("<div class=\"v\">123456</div>audited", File.ReadAllText(ReportBuilder.Render(copy, null)), StringComparison.Ordinal);

        // A changed part (here only its modification time) invalidates it: one streaming pass again, the true count back.
        string part = ResultsReader.Parts(copy)[0];
        File.SetLastWriteTimeUtc(part, DateTime.UtcNow.AddMinutes(1));
        string html = File.ReadAllText(ReportBuilder.Render(copy, null));
        Assert.Contains($"<div class=\"v\">{audited}</div>audited", html, StringComparison.Ordinal);
        Assert.Equal(audited, (long)System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(persisted))!["Summary"]!["Audited"]!);
        Assert.Equal(original, html);
    }

    [Fact]
    public void Gates_TakeTheirCountsFromThePersistedSummary_EqualToAStreamingPass()
    {
        string copy = TestPaths.CopyOf(demo.OutputDirectory, "persisted-rates");
        GradCamAudit.Gates.RunRates persisted = GradCamAudit.Gates.RunRates.Read(copy, cache: GradCamAudit.Reporting.SummaryStore.Rates);
        Assert.True(persisted.FromPersistedSummary);
        File.SetLastWriteTimeUtc(ResultsReader.Parts(copy)[0], DateTime.UtcNow.AddMinutes(1));
        GradCamAudit.Gates.RunRates streamed = GradCamAudit.Gates.RunRates.Read(copy, cache: GradCamAudit.Reporting.SummaryStore.Rates);
        Assert.False(streamed.FromPersistedSummary);
        static object Counts(GradCamAudit.Gates.RateCounts c) => (c.Samples, c.Correct, c.Judged, c.OffObject, c.Flagged, c.RightForWrongReason, c.LiftCount, Math.Round(c.LiftSum, 9));
        Assert.Equal(Counts(streamed.Overall), Counts(persisted.Overall));
        Assert.Equal(streamed.PerClass.Select(Counts), persisted.PerClass.Select(Counts));
        Assert.Equal(streamed.FlaggedIds.OrderBy(kv => kv.Key, StringComparer.Ordinal), persisted.FlaggedIds.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.True(streamed.Overall.Flagged > 100);
    }

    [Fact]
    public void PersistedSummary_ThatCannotBeWritten_NeverFailsTheReport()
    {
        string copy = TestPaths.CopyOf(demo.OutputDirectory, "unwritable-summary");
        string persisted = Path.Combine(copy, RunFolder.RunSummaryName);
        File.Delete(persisted);
        Directory.CreateDirectory(persisted); // a folder in its place: the atomic rename fails
        string html = File.ReadAllText(ReportBuilder.Render(copy, null));
        Assert.Equal(File.ReadAllText(Path.Combine(demo.OutputDirectory, "report.html")), html);
        Assert.True(Directory.Exists(persisted));
        Assert.Empty(Directory.GetFiles(copy, ".*tmp*"));
    }
}
