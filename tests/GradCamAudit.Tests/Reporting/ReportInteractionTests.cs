using System.Text.Json;
using System.Text.Json.Nodes;
using GradCamAudit.Gates;
using GradCamAudit.Options;
using GradCamAudit.Results;
using GradCamAudit.Tests.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace GradCamAudit.Tests.Reporting;

/// <summary>
/// The report as a stakeholder uses it, in Debian's chromium over the DevTools protocol: it loads without a console
/// error, every image decodes, the filters, the confusion-matrix cells, the gate evidence links and the sortable
/// tables work; and the acknowledge list takes findings out of the gates while keeping them visible.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ReportInteractionTests(DemoRunFixture demo) : IClassFixture<DemoRunFixture>
{
    /// <summary>A copy of the demo run with gates and an acknowledge list in its config, compared without a baseline.</summary>
    private (string Dir, List<ReportRow> Flagged) GatedCopy()
    {
        string copy = TestPaths.CopyOf(demo.OutputDirectory, "gated");
        // Worst first, as the gallery orders them: the first is on a card.
        var flagged = ResultsReader.ReadRows(copy).Where(r => r.Flagged == true).OrderBy(r => r.PredEnergyLift).ThenBy(r => r.Row).ToList();
        string correct = ResultsReader.ReadRows(copy).First(r => r.Correct && r.OffObject == false).SampleId;
        string ack = Path.Combine(copy, "acknowledged.csv");
        File.WriteAllText(ack, "sample_id,note,review_by\n"
            + $"{flagged[0].SampleId},\"known marker, ticket 12\",2999-12-31\n"
            + $"{flagged[1].SampleId},expired,2000-01-01\n"
            + $"{correct},fixed long ago,\n");
        string runJson = Path.Combine(copy, "run.json");
        JsonNode run = JsonNode.Parse(File.ReadAllText(runJson))!;
        run["config"]!["gates"] = new JsonObject
        {
            ["minOnObjectRate"] = 90.0,
            ["minClassSamples"] = 10,
            ["confidence"] = 0.95,
            ["maxErrorRate"] = 5.0,
            ["acknowledged"] = ack,
        };
        File.WriteAllText(runJson, run.ToJsonString());
        GradCamAudit.Reporting.ComparedReport.Run(copy, null, NullLogger.Instance);
        return (copy, flagged);
    }

    [Fact]
    public async Task Report_InChromium_NoErrors_ImagesDecode_FiltersSortingAndEvidenceWork()
    {
        (string dir, _) = GatedCopy();
        string report = Path.Combine(dir, "report.html");
        string html = File.ReadAllText(report);
        await using HeadlessChromium page = await HeadlessChromium.OpenAsync("file://" + report);

        // Loaded whole, script ran, no console error, every image decoded.
        Assert.True(page.Errors.IsEmpty, string.Join("\n", page.Errors));
        int images = html.Split("<img ").Length - 1;
        Assert.True(images > 100, $"{images} images");
        JsonElement decoded = await page.EvaluateAsync("[document.images.length, Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length]");
        Assert.Equal(images, decoded[0].GetInt32());
        Assert.Equal(images, decoded[1].GetInt32());
        Assert.Equal("errors", (await page.EvaluateAsync("document.querySelector('main').lastElementChild.id")).GetString());
        int cards = (await page.EvaluateAsync("document.querySelectorAll('.gallery .card').length")).GetInt32();
        Assert.Equal($"{cards} of {cards} cards shown", (await page.EvaluateAsync("document.getElementById('filter-count').textContent")).GetString());

        // A predicted-class filter shows exactly the cards of that class.
        const string visible = "Array.from(document.querySelectorAll('.gallery .card')).filter(c => c.style.display !== 'none')";
        await page.EvaluateAsync("(() => { const s = document.getElementById('filter-pred'); s.value = 'triangle'; s.dispatchEvent(new Event('change')); })()");
        JsonElement shown = await page.EvaluateAsync($"{visible}.map(c => c.dataset.pred)");
        Assert.InRange(shown.GetArrayLength(), 1, cards - 1);
        Assert.All(shown.EnumerateArray(), p => Assert.Equal("triangle", p.GetString()));
        Assert.Equal(html.Split("data-pred=\"triangle\" data-kind=").Length - 1, shown.GetArrayLength());

        // A lift range keeps the cards inside it.
        await page.EvaluateAsync("(() => { document.getElementById('filter-reset').click(); const i = document.getElementById('filter-min'); i.value = '0.1'; i.dispatchEvent(new Event('input')); })()");
        JsonElement lifts = await page.EvaluateAsync($"{visible}.map(c => parseFloat(c.dataset.lift))");
        Assert.InRange(lifts.GetArrayLength(), 1, cards - 1);
        Assert.All(lifts.EnumerateArray(), l => Assert.True(l.GetDouble() >= 0.1));

        // A confusion-matrix cell filters the galleries to its true and predicted class.
        await page.EvaluateAsync("document.querySelector('.cm td[data-true=\"cross\"][data-pred=\"triangle\"]').click()");
        JsonElement cell = await page.EvaluateAsync($"{visible}.map(c => c.dataset.true + '>' + c.dataset.pred)");
        Assert.True(cell.GetArrayLength() > 0);
        Assert.All(cell.EnumerateArray(), p => Assert.Equal("cross>triangle", p.GetString()));

        // A class gate's evidence link shows the off-object samples of that class.
        JsonElement evidence = await page.EvaluateAsync("(() => { const a = document.querySelector('a.evidence[data-filter-kind=\"off-object\"]'); a.click(); return a.dataset.filterTrue; })()");
        string gatedClass = evidence.GetString()!;
        JsonElement behind = await page.EvaluateAsync($"{visible}.map(c => c.dataset.true + '>' + c.dataset.kind)");
        Assert.True(behind.GetArrayLength() > 0);
        Assert.All(behind.EnumerateArray(), p => Assert.Matches($"^{gatedClass}>(flagged|rfwr)$", p.GetString()!));

        // Sorting the per-class table by a column, both ways.
        const string column = "Array.from(document.querySelectorAll('#class-table tr')).slice(1).map(r => parseFloat(r.cells[7].textContent))";
        await page.EvaluateAsync("document.querySelectorAll('#class-table th')[7].click()");
        double[] ascending = (await page.EvaluateAsync(column)).EnumerateArray().Select(e => e.GetDouble()).ToArray();
        await page.EvaluateAsync("document.querySelectorAll('#class-table th')[7].click()");
        double[] descending = (await page.EvaluateAsync(column)).EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(4, ascending.Length);
        Assert.Equal(ascending.Order().ToArray(), ascending);
        Assert.Equal(ascending.Reverse().ToArray(), descending);
        Assert.NotEqual(ascending, descending);

        Assert.True(page.Errors.IsEmpty, string.Join("\n", page.Errors));
        byte[] png = await page.ScreenshotAsync();
        string shot = Path.Combine(AppContext.BaseDirectory, "report-interaction.png");
        await File.WriteAllBytesAsync(shot, png);
        Assert.True(png.Length > 100_000, "the screenshot should hold a rendered page");
    }

    [Fact]
    public void Acknowledged_LeftOutOfTheGates_UntilTheirReviewDate_AndShownGreyed()
    {
        (string dir, List<ReportRow> flagged) = GatedCopy();
        RunRates all = RunRates.Read(dir, Acknowledgements.None);
        RunRates gated = RunRates.Read(dir); // the run's own list: a flagged one that holds, a flagged one expired, a correct one that holds
        Assert.Equal(2, gated.AcknowledgedSamples);
        Assert.Equal(all.Overall.Flagged - 1, gated.Overall.Flagged);
        Assert.Equal(all.Overall.Samples - 2, gated.Overall.Samples);
        Assert.False(gated.FlaggedIds.ContainsKey(flagged[0].SampleId));
        Assert.True(gated.FlaggedIds.ContainsKey(flagged[1].SampleId));

        string html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("<section id=\"acknowledged\">", html, StringComparison.Ordinal);
        Assert.Contains("Acknowledged findings (2)", html, StringComparison.Ordinal);
        Assert.Contains("1 acknowledged samples are no longer findings", html, StringComparison.Ordinal);
        Assert.Contains("acknowledged: known marker, ticket 12 (review by 2999-12-31)", html, StringComparison.Ordinal);
        Assert.Contains("<td>known marker, ticket 12</td><td>2999-12-31</td><td>acknowledged: not counted</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>expired</td><td>2000-01-01</td><td>review date passed: counted</td>", html, StringComparison.Ordinal);
        Assert.Contains($"<div class=\"card ack\" data-true=\"{flagged[0].TrueName}\"", html, StringComparison.Ordinal);
        Assert.Contains("2 acknowledged samples (gates.acknowledged) are left out of the rates, counts and gates below.", File.ReadAllText(Path.Combine(dir, "summary.md")), StringComparison.Ordinal);
        Assert.EndsWith("</html>", html.TrimEnd(), StringComparison.Ordinal);

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var gates = summary.RootElement.GetProperty("gates").EnumerateArray().ToList();
        Assert.Equal(5, gates.Count); // minOnObjectRate for 4 classes, maxErrorRate
        Assert.Contains("class", html[html.IndexOf("id=\"gate-table\"", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    [Fact]
    public void AcknowledgeList_Problems_AreListedAtOnce()
    {
        string dir = TestPaths.NewTempDir("ack");
        string path = Path.Combine(dir, "ack.csv");
        File.WriteAllText(path, "sample_id,note,review_by\na,x,2026-12-01\nc,x,2026-13-01\n,empty,\na,twice,\nb,\"open quote,\n");
        var ex = Assert.Throws<GradCamAudit.Options.ConfigException>(() => Acknowledgements.Load(path));
        Assert.Equal(4, ex.Errors.Count);
        Assert.Contains(ex.Errors, e => e.Contains("'2026-13-01' is not a date", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("empty sample_id", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("'a' is listed twice", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("unbalanced quotes", StringComparison.Ordinal));
        File.WriteAllText(path, "id,comment\n");
        Assert.Contains("needs the columns sample_id,note", Assert.Throws<GradCamAudit.Options.ConfigException>(() => Acknowledgements.Load(path)).Message, StringComparison.Ordinal);
    }
}
