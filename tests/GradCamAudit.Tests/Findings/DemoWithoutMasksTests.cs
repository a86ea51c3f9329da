using GradCamAudit.Findings;
using GradCamAudit.Findings.Strategies;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Results;
using Xunit;
using Xunit.Abstractions;

namespace GradCamAudit.Tests.Findings;

/// <summary>
/// The demo with its masks withheld (a manifest <c>id,image,label</c> plus the truth columns): the audit runs, every
/// mask-based finding is null with <c>no_mask</c>, and the strategies still find the marker shortcut of `triangle`
/// from the maps alone (issue 22's known answer: at least 90% of the marker traps predicted triangle, at most 5% of correct
/// clean triangles) and name it in the verdict.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class DemoWithoutMasksTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Strategies_WithNoMaskAtAll_StillFindTheTriangleCornerShortcut()
    {
        string dir = TestPaths.NewTempDir("demo-no-masks");
        string demo = Path.Combine(TestPaths.Configs, "demo");
        string images = Path.Combine(dir, "images");
        Directory.CreateDirectory(images);
        foreach (string png in Directory.GetFiles(Path.Combine(demo, "images"), "*.png"))
        {
            File.Copy(png, Path.Combine(images, Path.GetFileName(png)));
        }
        string[] lines = File.ReadAllLines(Path.Combine(demo, "manifest.csv"));
        Assert.Equal("id,image,label,mask,group,marker", lines[0]);
        File.WriteAllLines(Path.Combine(dir, "manifest.csv"), lines.Select(l => l.Split(',')).Select(c => string.Join(',', c[0], c[1], c[2], c[4], c[5])));
        var groups = lines.Skip(1).Select(l => l.Split(',')).ToDictionary(c => c[0], c => c[4], StringComparer.Ordinal);

        string outDir = Path.Combine(dir, "out");
        AuditOptions options = AuditConfig.Load(Path.Combine(TestPaths.Configs, "demo.json"), outDir, ["dataset.manifest=" + Path.Combine(dir, "manifest.csv")]);
        await AuditRunner.RunAsync(options, new RunRequest(null, Overwrite: true), _ => { });

        var rows = ResultsReader.ReadRows(outDir).ToDictionary(r => r.SampleId, StringComparer.Ordinal);
        Assert.Equal(lines.Length - 1, rows.Count);
        Assert.All(rows.Values, r => Assert.Null(r.OffObject));
        Assert.All(FindingsRun.Read(outDir), f => Assert.Equal((null, FindingKinds.NoMask), (f.Kind, f.Reason)));

        var strategies = StrategiesRun.Read(outDir);
        var assigned = StrategiesRun.ReadAssignments(outDir).ToDictionary(a => a.SampleId, StringComparer.Ordinal);
        foreach (StrategyRecord s in strategies)
        {
            output.WriteLine($"{s.Class} strategy {s.Strategy}: {s.Size} rows, share {s.Share:F2}, accuracy {s.Accuracy:F2}, lift {s.MeanLift}, {s.Region}, suspicious {s.Suspicious}");
        }
        var markerTraps = rows.Values.Where(r => groups[r.SampleId] == "trap" && r.PredName == "triangle").ToList();
        var cleanTriangles = rows.Values.Where(r => groups[r.SampleId] == "clean" && r.Correct && r.PredName == "triangle").ToList();
        StrategyRecord corner = Assert.Single(strategies, s => s.Class == "triangle" && s.Region == "the bottom-right corner");
        Assert.True(markerTraps.Count(r => assigned[r.SampleId].Strategy == corner.Strategy) >= markerTraps.Count * 0.9);
        Assert.True(cleanTriangles.Count(r => assigned[r.SampleId].Strategy == corner.Strategy) <= cleanTriangles.Count * 0.05);
        Assert.True(corner.Suspicious);
        Assert.Null(corner.MeanLift); // no mask: no lift, and the strategy is still called
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, StrategiesRun.JsonName)));
        Assert.Contains(json.RootElement.GetProperty("verdicts").EnumerateArray().Select(v => v.GetString()!),
            v => v.StartsWith($"triangle: strategy {corner.Strategy} ", StringComparison.Ordinal));
        string html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains($"data-class=\"triangle\" data-strategy=\"{corner.Strategy}\"", html, StringComparison.Ordinal);
        // No verdict pretends the maps were judged against the object.
        Assert.Contains("No sample has a mask: no map is judged against the object", html, StringComparison.Ordinal);
        Assert.Contains("No sample could be judged", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Attention is on the object for every sample", html, StringComparison.Ordinal);
    }
}
