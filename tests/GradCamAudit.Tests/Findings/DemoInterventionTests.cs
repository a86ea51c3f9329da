using GradCamAudit.Findings;
using GradCamAudit.Results;
using GradCamAudit.Tests.Pipeline;
using Xunit;
using Xunit.Abstractions;

namespace GradCamAudit.Tests.Findings;

/// <summary>
/// The demo's planted shortcuts, confirmed by intervention with the shipped defaults: a marker trap's background alone
/// (the marker without the shape) still gives 'triangle', and a texture trap's background alone still gives 'square'.
/// Checked against the manifest's truth (the group column), not against the tool's own verdict.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class DemoInterventionTests(DemoRunFixture demo, ITestOutputHelper output) : IClassFixture<DemoRunFixture>
{
    private Dictionary<string, string> Groups() => File.ReadLines(demo.Options.Dataset.Manifest).Skip(1).Select(l => l.Split(','))
        .ToDictionary(c => c[0], c => c[4], StringComparer.Ordinal);

    [Fact]
    public void Traps_AreShortcuts_ConfirmedByIntervention_ForAtLeast90Percent()
    {
        var groups = Groups();
        var findings = FindingsRun.Read(demo.OutputDirectory).ToDictionary(f => f.SampleId, StringComparer.Ordinal);
        var rows = ResultsReader.ReadRows(demo.OutputDirectory).ToDictionary(r => r.SampleId, StringComparer.Ordinal);
        var traps = groups.Where(g => g.Value != "clean").Select(g => g.Key).ToList();
        Assert.True(traps.Count >= 60, $"{traps.Count} traps");
        int confirmed = traps.Count(id => findings[id].Kind is FindingKinds.Shortcut or FindingKinds.RightForWrongReason && findings[id].Evidence == InterventionEvidence.Confirmed);
        output.WriteLine($"traps confirmed as shortcuts by intervention: {confirmed} of {traps.Count}");
        Assert.True(confirmed >= traps.Count * 9 / 10, $"{confirmed} of {traps.Count}");
        // The evidence is what the intervention says, read back from the results: the corner marker (group "trap") alone gives triangle.
        var markerTraps = traps.Where(id => groups[id] == "trap" && rows[id].PredName == "triangle").ToList();
        Assert.NotEmpty(markerTraps);
        Assert.True(markerTraps.Count(id => rows[id].BackgroundOnlyPred == 2) >= markerTraps.Count * 9 / 10);
    }

    /// <summary>Every candidate (misclassified or off the object) of a class no larger than the cap is intervened on, and each class has its controls.</summary>
    [Fact]
    public void Candidates_AreAllIntervenedOn_AndEachClassHasItsControls()
    {
        var rows = ResultsReader.ReadRows(demo.OutputDirectory);
        Assert.All(rows.Where(r => !r.Correct || r.OffObject == true), r => Assert.True(r.Intervened, r.SampleId));
        Assert.All(rows.Where(r => r.Intervened), r => Assert.Contains(r.Intervention, new[] { InterventionResult.Candidate, InterventionResult.Control }));
        Assert.All(rows.Where(r => !r.Intervened), r => Assert.Null(r.Intervention));
        foreach (var byClass in rows.GroupBy(r => r.TrueLabel))
        {
            Assert.Equal(Math.Min(50, byClass.Count()), byClass.Count(r => r.Intervention == InterventionResult.Control));
        }
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(demo.OutputDirectory, FindingsRun.JsonName)));
        foreach (var c in json.RootElement.GetProperty("classes").EnumerateArray())
        {
            Assert.Equal(50, c.GetProperty("interventionControls").GetInt32());
            double core = c.GetProperty("coreAccuracy").GetDouble();
            string name = c.GetProperty("name").GetString()!;
            var controls = rows.Where(r => r.TrueName == name && r.Intervention == InterventionResult.Control).ToList();
            Assert.Equal(controls.Count(r => r.ObjectOnlyPred == r.TrueLabel) / (double)controls.Count, core, 12);
        }
    }
}
