using System.Globalization;
using GradCamAudit.Cli;
using GradCamAudit.Results;
using Xunit;

namespace GradCamAudit.Tests.Pipeline;

/// <summary>One uninterrupted reference audit (63 rows, 3 of them errors, parts of 8 rows) and the equality every resumed, sharded or merged run must meet.</summary>
public static class ReferenceRun
{
    public const string Audit = "\"batchSize\": 4, \"partRows\": 8, \"threads\": 2";

    /// <summary>60 demo rows plus three broken ones (errors land in several parts).</summary>
    public static string Dataset(string dir)
    {
        string manifest = TestDatasets.DemoSubset(dir, 60);
        var lines = File.ReadAllLines(manifest).ToList();
        lines.Insert(5, "broken-a,images/missing.png,circle,masks/missing.png,clean,none");
        lines.Insert(20, "broken-b,images/clean-0000.png,hexagon,masks/clean-0000.png,clean,none");
        lines.Add("broken-c,../escape.png,circle,masks/clean-0000.png,clean,none");
        File.WriteAllLines(manifest, lines);
        return TestDatasets.Config(dir, manifest, audit: Audit);
    }

    public static readonly Lazy<(string Config, string Output)> Baseline = new(() =>
    {
        string dir = TestPaths.NewTempDir("resume-base");
        string config = Dataset(dir);
        Assert.Equal(Commands.Ok, Commands.Build().ParseAndRunAsync(["audit", "--config", config]).GetAwaiter().GetResult());
        return (config, Path.Combine(dir, "out"));
    });

    private static List<Dictionary<string, object?>> Rows(string output) =>
        Duck.Query($"SELECT * EXCLUDE (sample_id), sample_id FROM {Duck.Results(output)} ORDER BY row");

    /// <summary>Same rows by sample_id, scalars and maps within 1e-5, the same errors.csv, counts, config hash, a whole report.</summary>
    public static void AssertSameAsBaseline(string output, bool sameParts = true, string? baselineOutput = null)
    {
        string baseline = baselineOutput ?? Baseline.Value.Output;
        var expected = Rows(baseline);
        var actual = Rows(output);
        Assert.Equal(expected.Select(r => (string)r["sample_id"]!), actual.Select(r => (string)r["sample_id"]!));
        // The interventions are compared like every other column: a resumed or merged run intervenes on the same samples.
        Assert.Contains(expected, r => r["intervention"] is string);
        for (int i = 0; i < expected.Count; i++)
        {
            foreach ((string column, object? value) in expected[i])
            {
                object? other = actual[i][column];
                if (value is double or float)
                {
                    Assert.Equal(Convert.ToDouble(value, CultureInfo.InvariantCulture), Convert.ToDouble(other, CultureInfo.InvariantCulture), 1e-5);
                }
                else if (value is System.Collections.IList list)
                {
                    float[] a = Duck.Floats(value), b = Duck.Floats(other);
                    Assert.Equal(a.Length, b.Length);
                    Assert.All(Enumerable.Range(0, a.Length), k => Assert.Equal(a[k], b[k], 1e-5f));
                }
                else
                {
                    Assert.Equal(value, other);
                }
            }
        }
        Assert.Equal(File.ReadAllText(Path.Combine(baseline, "errors.csv")), File.ReadAllText(Path.Combine(output, "errors.csv")));
        Findings.FindingsAssert.Same(baseline, output); // decided after the audit from the committed rows: the same for resumed and merged runs
        string Explanations(string dir) => $"SELECT row, method, target, class, energy_lift, cam FROM read_parquet('{Path.Combine(dir, "explanations", "*.parquet")}') ORDER BY row, method, target";
        var ea = Duck.Query(Explanations(baseline));
        var eb = Duck.Query(Explanations(output));
        Assert.Equal(ea.Count, eb.Count);
        Assert.Equal(2 * expected.Count, eb.Count); // gradcam for pred and true, every audited sample
        for (int i = 0; i < ea.Count; i++)
        {
            Assert.Equal((ea[i]["row"], ea[i]["method"], ea[i]["target"], ea[i]["class"]), (eb[i]["row"], eb[i]["method"], eb[i]["target"], eb[i]["class"]));
            Assert.Equal(Convert.ToDouble(ea[i]["energy_lift"] ?? 0.0, CultureInfo.InvariantCulture), Convert.ToDouble(eb[i]["energy_lift"] ?? 0.0, CultureInfo.InvariantCulture), 1e-5);
            float[] ca = Duck.Floats(ea[i]["cam"]), cb = Duck.Floats(eb[i]["cam"]);
            Assert.Equal(ca.Length, cb.Length);
            Assert.All(Enumerable.Range(0, ca.Length), k => Assert.Equal(ca[k], cb[k], 1e-5f));
        }
        RunManifest run = RunManifest.Load(Path.Combine(output, "run.json"));
        RunManifest reference = RunManifest.Load(Path.Combine(baseline, "run.json"));
        Assert.Equal(RunStatus.Complete, run.Status);
        Assert.Equal(reference.Counts with { Parts = 0 }, run.Counts with { Parts = 0 });
        if (sameParts)
        {
            Assert.Equal(reference.Counts.Parts, run.Counts.Parts);
        }
        Assert.Equal(reference.ConfigSha256, run.ConfigSha256);
        Assert.EndsWith("</html>", File.ReadAllText(Path.Combine(output, "report.html")).TrimEnd(), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(output, ".*", SearchOption.AllDirectories));
    }

}
