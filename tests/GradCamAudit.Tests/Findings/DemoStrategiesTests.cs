using GradCamAudit.Cli;
using GradCamAudit.Findings;
using GradCamAudit.Findings.Strategies;
using GradCamAudit.Results;
using GradCamAudit.Tests.Pipeline;
using Xunit;
using Xunit.Abstractions;

namespace GradCamAudit.Tests.Findings;

/// <summary>
/// The strategies (SpRAy) on the demo's planted shortcuts, from the maps alone, checked against the manifest's truth
/// (the group column), never against the tool's own verdict; and the same strategies whatever order the parts are read in.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class DemoStrategiesTests(DemoRunFixture demo, ITestOutputHelper output) : IClassFixture<DemoRunFixture>
{
    private Dictionary<string, string> Groups() => File.ReadLines(demo.Options.Dataset.Manifest).Skip(1).Select(l => l.Split(','))
        .ToDictionary(c => c[0], c => c[4], StringComparer.Ordinal);

    [Fact]
    public void Triangle_HasACornerStrategy_HoldingTheMarkerTraps_AndSquare_ABackgroundStrategyHoldingTheTextureTraps()
    {
        var groups = Groups();
        var rows = ResultsReader.ReadRows(demo.OutputDirectory).ToDictionary(r => r.SampleId, StringComparer.Ordinal);
        var strategies = StrategiesRun.Read(demo.OutputDirectory);
        var assigned = StrategiesRun.ReadAssignments(demo.OutputDirectory).ToDictionary(a => a.SampleId, StringComparer.Ordinal);
        var findings = FindingsRun.Read(demo.OutputDirectory).ToDictionary(f => f.SampleId, StringComparer.Ordinal);
        Assert.Equal(rows.Count, assigned.Count);
        foreach (StrategyRecord s in strategies)
        {
            var members = assigned.Values.Where(a => a.PredLabel == s.ClassIndex && a.Strategy == s.Strategy).Select(a => a.SampleId).ToList();
            string kinds = string.Join(", ", members.GroupBy(id => findings[id].Kind ?? "none").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));
            output.WriteLine($"{s.Class} strategy {s.Strategy}: {s.Size} rows, share {s.Share:F2}, accuracy {s.Accuracy:F2}, lift {s.MeanLift:F2}, {s.Region}, overlap {s.OverlapWithReference:F2}, suspicious {s.Suspicious}; "
                + $"marker traps {members.Count(id => groups[id] == "trap")}, texture traps {members.Count(id => groups[id] == "texture-trap")}, clean correct {members.Count(id => groups[id] == "clean" && rows[id].Correct)}; findings: {kinds}");
            Assert.Equal(members.Count, s.Size);
        }
        // triangle: one strategy in the bottom-right corner holding >= 90% of the marker traps predicted triangle and <= 5% of the correct clean triangles.
        var markerTraps = rows.Values.Where(r => groups[r.SampleId] == "trap" && r.PredName == "triangle").ToList();
        var cleanTriangles = rows.Values.Where(r => groups[r.SampleId] == "clean" && r.Correct && r.PredName == "triangle").ToList();
        Assert.True(markerTraps.Count >= 60 && cleanTriangles.Count >= 10, $"{markerTraps.Count} marker traps, {cleanTriangles.Count} clean triangles");
        StrategyRecord corner = Assert.Single(strategies, s => s.Class == "triangle" && s.Region == "the bottom-right corner");
        Assert.True(markerTraps.Count(r => assigned[r.SampleId].Strategy == corner.Strategy) >= markerTraps.Count * 0.9);
        Assert.True(cleanTriangles.Count(r => assigned[r.SampleId].Strategy == corner.Strategy) <= cleanTriangles.Count * 0.05);
        Assert.True(corner.Suspicious);
        // The mean map's mass sits in the corner: the bottom-right quarter of the grid holds most of it.
        int side = corner.GridHeight;
        double quarter = Enumerable.Range(0, side * side).Where(i => i / side >= side / 2 && i % side >= side / 2).Sum(i => corner.MeanMap[i]);
        Assert.True(quarter > 0.6, $"bottom-right quarter holds {quarter:F2}");
        // square: a strategy holding >= 90% of the texture traps predicted square, and looking at the background: its
        // rows' maps lie off the object (mean lift below 1, read here from the masks' column as the truth).
        var textureTraps = rows.Values.Where(r => groups[r.SampleId] == "texture-trap" && r.PredName == "square").ToList();
        Assert.True(textureTraps.Count >= 60, $"{textureTraps.Count} texture traps predicted square");
        StrategyRecord background = strategies.Where(s => s.Class == "square")
            .OrderByDescending(s => textureTraps.Count(r => assigned[r.SampleId].Strategy == s.Strategy)).First();
        Assert.True(textureTraps.Count(r => assigned[r.SampleId].Strategy == background.Strategy) >= textureTraps.Count * 0.9);
        Assert.True(background.MeanLift < 1.0, $"mean lift {background.MeanLift}");
        Assert.True(background.Suspicious);
        // The verdict names both, without reading a mask for it.
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(demo.OutputDirectory, StrategiesRun.JsonName)));
        var verdicts = json.RootElement.GetProperty("verdicts").EnumerateArray().Select(v => v.GetString()!).ToList();
        Assert.Contains(verdicts, v => v.StartsWith($"triangle: strategy {corner.Strategy} ", StringComparison.Ordinal) && v.Contains("bottom-right corner", StringComparison.Ordinal));
        Assert.Contains(verdicts, v => v.StartsWith($"square: strategy {background.Strategy} ", StringComparison.Ordinal));
        // No strategy of the classes the model learned from their shape is called a shortcut.
        Assert.DoesNotContain(strategies, s => s.Suspicious && s.Class is "circle" or "cross");
        string html = File.ReadAllText(demo.ReportPath);
        Assert.Contains("<section id=\"strategies\">", html, StringComparison.Ordinal);
        Assert.Contains($"data-class=\"triangle\" data-strategy=\"{corner.Strategy}\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_OnACopyWithThePartsRenamedInReverse_FindsTheSameStrategies()
    {
        string baseline = ReferenceRun.Baseline.Value.Output;
        string copy = TestPaths.CopyOf(baseline, "strategies-reordered");
        foreach (string name in new[] { StrategiesRun.ParquetName, StrategiesRun.AssignmentsName, StrategiesRun.JsonName })
        {
            File.Delete(Path.Combine(copy, name));
        }
        string results = Path.Combine(copy, "results");
        string[] parts = [.. Directory.GetFiles(results, "part-*.parquet").Order(StringComparer.Ordinal)];
        Assert.True(parts.Length > 3);
        for (int i = 0; i < parts.Length; i++)
        {
            File.Move(parts[i], Path.Combine(results, $"tmp-{parts.Length - 1 - i:D5}"));
        }
        foreach (string tmp in Directory.GetFiles(results, "tmp-*"))
        {
            File.Move(tmp, Path.Combine(results, "part-" + Path.GetFileName(tmp)[4..] + ".parquet"));
        }
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["report", "--run", copy]));
        static string Key(StrategyRecord s) => string.Join("|", s.Class, s.Strategy, s.Size, s.Share.ToString("R"), s.Accuracy?.ToString("R"), s.MeanLift?.ToString("R"),
            s.Region, s.Suspicious, s.OverlapWithReference?.ToString("R"), string.Join(",", s.MeanMap.Select(v => v.ToString("R"))));
        Assert.Equal(StrategiesRun.Read(baseline).Select(Key), StrategiesRun.Read(copy).Select(Key));
        static IEnumerable<string> Assignments(string dir) => StrategiesRun.ReadAssignments(dir).Select(a => $"{a.SampleId}|{a.PredLabel}|{a.Strategy}|{a.Distance:R}").Order(StringComparer.Ordinal);
        Assert.Equal(Assignments(baseline), Assignments(copy));
        Assert.Equal(File.ReadAllText(Path.Combine(baseline, StrategiesRun.JsonName)), File.ReadAllText(Path.Combine(copy, StrategiesRun.JsonName)));
    }
}
