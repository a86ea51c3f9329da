using GradCamAudit.Gates;
using GradCamAudit.Options;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace GradCamAudit.Tests.Reporting;

/// <summary>
/// Golden files of a crafted run: report.html, summary.md, summary.json and per_class.csv, whole, with only what
/// differs between machines masked (image bytes, temporary paths). A change to any of them is a visible diff in review;
/// set GRADCAM_AUDIT_UPDATE_GOLDEN=1 to rewrite them after an intended change.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class GoldenTests
{
    private static string GoldenDir => Path.Combine(TestPaths.RepoRoot, "tests", "GradCamAudit.Tests", "fixtures", "golden");

    private static void AssertGolden(string name, string actual)
    {
        string path = Path.Combine(GoldenDir, name);
        if (Environment.GetEnvironmentVariable("GRADCAM_AUDIT_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(GoldenDir);
            File.WriteAllText(path, actual);
        }
        Assert.True(File.Exists(path), $"golden file {path} missing (GRADCAM_AUDIT_UPDATE_GOLDEN=1 writes it)");
        string[] expected = File.ReadAllLines(path), lines = actual.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        for (int i = 0; i < Math.Min(expected.Length, lines.Length); i++)
        {
            Assert.True(expected[i] == lines[i], $"{name}, line {i + 1}:\nexpected: {expected[i]}\nactual:   {lines[i]}");
        }
        Assert.Equal(expected.Length, lines.Length);
    }

    [Fact]
    public void CraftedComparison_ReportSummariesAndComparison_MatchTheGoldenFiles()
    {
        string root = TestPaths.NewTempDir("golden-md");
        // A class name with a pipe: the Markdown table must escape it.
        string[] classes = ["circle", "square", "triangle", "cross|x"];
        // 42 rows over 4 classes: two classes of 11 samples are gated, two of 10 are not (minClassSamples 11).
        var gates = new GatesOptions(MaxFlaggedRateRise: 1, MaxRightForWrongReasonRateRise: 50, MinOnObjectRate: 60, MaxErrorRate: 5, MinClassSamples: 11, Confidence: 0.95,
            MaxNewlyFlagged: 3, Severity: new Dictionary<string, string> { ["maxErrorRate"] = "warn" }, MaxNewlyFlaggedPerClass: 2);
        string ack = Path.Combine(root, "acknowledged.csv");
        File.WriteAllText(ack, "sample_id,note,review_by\ngolden-003,\"known <marker>, see ticket\",2999-01-01\ngolden-006,expired,2000-01-01\n");
        gates = gates with { Acknowledged = ack };
        string baseline = CraftedRun.Write(Path.Combine(root, "baseline"), rows: 42, errors: 1, flagShift: 0, gates, classes);
        string current = CraftedRun.Write(Path.Combine(root, "current"), rows: 42, errors: 8, flagShift: 3, gates, classes, liftScale: 0.4);
        IReadOnlyList<GateResult> results = GradCamAudit.Reporting.ComparedReport.Run(current, baseline, NullLogger.Instance);
        Assert.Contains(results, g => g.State == "fail" && g.Name == "maxFlaggedRateRise");
        Assert.Contains(results, g => g.State == "fail" && g.Name == "maxNewlyFlagged");
        Assert.Contains(results, g => g.State == "warn" && g.Name == "maxErrorRate");
        // The per-class count gate: one per class, each the newly flagged samples of that true class (acknowledged ones left out).
        var perClass = results.Where(g => g.Name == "maxNewlyFlaggedPerClass").ToList();
        Assert.Equal(4, perClass.Count);
        Assert.Equal(results.Single(g => g.Name == "maxNewlyFlagged").Value, perClass.Sum(g => g.Value));
        Assert.Contains(perClass, g => g.State == "fail");
        Assert.Contains(perClass, g => g.State == "pass");
        Assert.Contains(results, g => g.State == "pass");
        Assert.Contains(results, g => g.State == "not_evaluated");
        string md = File.ReadAllText(Path.Combine(current, "summary.md"));
        Assert.Contains("cross\\|x", md, StringComparison.Ordinal);
        AssertGolden("summary.md", CraftedRun.Normalise(md, root));
        string html = File.ReadAllText(Path.Combine(current, "report.html"));
        foreach (string section in new[] { "gates", "headline", "baseline", "lift", "classes", "mean-maps", "confusion", "gallery-filters", "flagged", "rfwr", "label-errors", "acknowledged", "errors" })
        {
            Assert.Contains($"<section id=\"{section}\">", html, StringComparison.Ordinal);
        }
        Assert.Contains("known &lt;marker&gt;, see ticket", html, StringComparison.Ordinal); // escaped, never markup
        AssertGolden("report.html", CraftedRun.Normalise(html, root));
        foreach (string file in new[] { "summary.json", "per_class.csv", "comparison.json", "gates.json" })
        {
            AssertGolden(file, CraftedRun.Normalise(File.ReadAllText(Path.Combine(current, file)), root));
        }
    }
}
