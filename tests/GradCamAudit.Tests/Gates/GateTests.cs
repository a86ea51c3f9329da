using GradCamAudit.Cli;
using GradCamAudit.Gates;
using GradCamAudit.Options;
using GradCamAudit.Results;
using GradCamAudit.Tests.Pipeline;
using Xunit;

namespace GradCamAudit.Tests.Gates;

/// <summary>Intervals with published values, and gates on real runs: a rise that fails (exit 3), a small class that does not.</summary>
[Collection(TorchCollection.Name)]
public sealed class GateTests
{
    [Fact]
    public void Intervals_MatchPublishedValues()
    {
        Assert.Equal(1.959964, Intervals.Z(0.95), 5);
        (double lo, double hi) = Intervals.Wilson(10, 100, Intervals.Z(0.95));
        Assert.Equal(0.0552, lo, 4); // Wilson score interval of 10/100
        Assert.Equal(0.1744, hi, 4);
        // Newcombe (1998), Statistics in Medicine 17, p. 873, example (a): 56/70 - 48/80, hybrid score interval 0.0524 to 0.3339.
        (lo, hi) = Intervals.NewcombeDifference(56, 70, 48, 80, Intervals.Z(0.95));
        Assert.Equal(0.0524, lo, 4);
        Assert.Equal(0.3339, hi, 4);
        Assert.Equal((0.0, 1.0), Intervals.Wilson(0, 0, 1.96));
        // Exact binomial tails: P(X <= 0 | 10, 0.5) = 1/1024, P(X <= 5 | 10, 0.5) = 638/1024, P(X <= 2 | 3, 0.9) = 1 - 0.9^3.
        Assert.Equal(1.0 / 1024, Intervals.BelowLimitPValue(0, 10, 0.5), 12);
        Assert.Equal(638.0 / 1024, Intervals.BelowLimitPValue(5, 10, 0.5), 12);
        Assert.Equal(1 - (0.9 * 0.9 * 0.9), Intervals.BelowLimitPValue(2, 3, 0.9), 12);
        Assert.Equal([true, false, false], Intervals.Holm([0.001, 0.03, 0.04], 0.05)); // 0.001 <= 0.05/3; 0.03 > 0.05/2 stops
        Assert.Equal([true, true, true], Intervals.Holm([0.04, 0.001, 0.02], 0.05)); // 0.001, 0.02 <= 0.05/2, 0.04 <= 0.05
    }

    [Fact]
    public async Task FlaggedRateRise_FailsTheNight_Exit3_AndAGenerousLimitPasses()
    {
        string dir = TestPaths.NewTempDir("gates");
        string manifest = TestDatasets.DemoSubset(dir, 340);
        // Baseline: a threshold of 0 calls nothing off-object, so nothing is flagged. Tonight: the default threshold.
        string baseConfig = TestDatasets.Config(dir, manifest, audit: "\"offObjectLiftThreshold\": 0", output: "night1");
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", baseConfig]));
        string tonight = TestDatasets.Config(dir, manifest, output: "night2");
        string night1 = Path.Combine(dir, "night1"), night2 = Path.Combine(dir, "night2");
        int code = await Commands.Build().ParseAndRunAsync(
            ["audit", "--config", tonight, "--baseline", night1, "--set", "gates.maxFlaggedRateRise=5", "--set", "gates.minOnObjectRate=99", "--set", "gates.minClassSamples=1000"]);
        Assert.Equal(Commands.GateFailed, code);

        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(night2, "summary.json")));
        var gates = summary.RootElement.GetProperty("gates").EnumerateArray().ToList();
        var rise = gates.Single(g => g.GetProperty("name").GetString() == "maxFlaggedRateRise");
        Assert.Equal("fail", rise.GetProperty("state").GetString());
        Assert.True(rise.GetProperty("interval")[0].GetDouble() > 5);
        Assert.All(gates.Where(g => g.GetProperty("name").GetString() == "minOnObjectRate"), g => Assert.Equal("not_evaluated", g.GetProperty("state").GetString()));
        var counts = summary.RootElement.GetProperty("gateCounts");
        Assert.Equal(gates.Count, counts.GetProperty("pass").GetInt32() + counts.GetProperty("warn").GetInt32() + counts.GetProperty("fail").GetInt32() + counts.GetProperty("not_evaluated").GetInt32());

        using var comparison = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(night2, "comparison.json")));
        long newly = comparison.RootElement.GetProperty("newlyFlagged").GetInt64();
        Assert.Equal(Convert.ToInt64(Duck.Query($"SELECT count(*) FILTER (WHERE flagged) AS n FROM {Duck.Results(night2)}")[0]["n"]), newly);
        Assert.Equal(newly, Convert.ToInt64(Duck.Query($"SELECT count(*) AS n FROM read_parquet('{Path.Combine(night2, "comparison.parquet")}') WHERE Change = 'newly_flagged'")[0]["n"]));
        Assert.Contains("config", comparison.RootElement.GetProperty("differences").EnumerateArray().Select(d => d.GetString()));

        // The report, re-rendered after the comparison, opens with the gate table and shows the baseline.
        string html = File.ReadAllText(Path.Combine(night2, "report.html"));
        Assert.True(html.IndexOf("<section id=\"gates\">", StringComparison.Ordinal) < html.IndexOf("<section id=\"headline\">", StringComparison.Ordinal));
        Assert.Contains("<tr class=\"alarm\" data-state=\"fail\"><td>fail (major)</td><td>maxFlaggedRateRise</td>", html, StringComparison.Ordinal); // a rise beyond twice the limit
        Assert.Contains("<section id=\"baseline\">", html, StringComparison.Ordinal);
        Assert.Contains("The runs differ in config", html, StringComparison.Ordinal);
        Assert.Contains($"{newly} samples newly flagged", html, StringComparison.Ordinal);
        Assert.EndsWith("</html>", html.TrimEnd(), StringComparison.Ordinal);

        // Declared a warning, the same rise is reported but does not fail the job, unless asked to.
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(
            ["audit", "--config", tonight, "--overwrite", "--baseline", night1, "--set", "gates.maxFlaggedRateRise=5", "--set", "gates.severity={\"maxFlaggedRateRise\":\"warn\"}",
             "--set", "gates.maxNewlyFlagged=1000", "--set", "gates.minOnObjectRate=99", "--set", "gates.minClassSamples=1000", "--set", "gates.maxShortcutRate=100"]));
        using (var warned = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(night2, "summary.json"))))
        {
            var states = warned.RootElement.GetProperty("gates").EnumerateArray().ToDictionary(g => g.GetProperty("name").GetString() + "/" + g.GetProperty("scope").GetString(), g => g.GetProperty("state").GetString());
            Assert.Equal("warn", states["maxFlaggedRateRise/overall"]);
            Assert.Equal("pass", states["maxNewlyFlagged/overall"]);
            Assert.Equal("pass", states["maxShortcutRate/overall"]); // a finding gate in the config: findings.parquet is read and gated
            Assert.Equal(1, warned.RootElement.GetProperty("gateCounts").GetProperty("warn").GetInt32());
        }
        Assert.Equal(Commands.GateFailed, await Commands.Build().ParseAndRunAsync(["compare", "--baseline", night1, "--current", night2, "--fail-on-warn"]));
        Assert.Equal(Commands.GateFailed, await Commands.Build().ParseAndRunAsync(["compare", "--baseline", night1, "--current", night2, "--fail-if-not-evaluated"]));
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["compare", "--baseline", night1, "--current", night2]));
        Assert.Contains("⚠️ warn (major) | maxFlaggedRateRise", File.ReadAllText(Path.Combine(night2, "summary.md")), StringComparison.Ordinal);

        // The same comparison with a limit above the measured rise passes.
        File.WriteAllText(tonight, File.ReadAllText(tonight).Replace("\"report\":", "\"gates\": { \"maxFlaggedRateRise\": 80 },\n  \"report\":", StringComparison.Ordinal));
        RunManifest run = RunManifest.Load(Path.Combine(night2, "run.json"));
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", tonight, "--overwrite", "--baseline", night1]));
        Assert.NotEqual(run.RunId, RunManifest.Load(Path.Combine(night2, "run.json")).RunId);
    }

    [Fact]
    public void SmallClass_DoesNotFailOnNoise_ALargeOneWithTheSameRateDoes()
    {
        (_, string output) = ReferenceRun.Baseline.Value;
        RunRates real = RunRates.Read(output);
        var small = new RateCounts { Samples = 3, Judged = 3, OffObject = 1 }; // 67% on-object, 3 samples
        var large = new RateCounts { Samples = 300, Judged = 300, OffObject = 100 }; // 67% on-object, 300 samples
        var gates = new GatesOptions(null, null, MinOnObjectRate: 90, null, MinClassSamples: 3, Confidence: 0.95);
        RunRates Rates(RateCounts c) => real with { PerClass = [c, c, c, c] };
        // Below the limit on noise: never "pass" (the estimate is beyond the limit), never "fail" (the interval reaches it).
        Assert.All(GateEvaluator.Evaluate(gates, Rates(small), null), g => Assert.Equal("inconclusive", g.State));
        Assert.All(GateEvaluator.Evaluate(gates, Rates(large), null), g => Assert.Equal("fail", g.State));
        var notEvaluated = GateEvaluator.Evaluate(gates with { MaxFlaggedRateRise = 5 }, Rates(large), null).Single(g => g.Name == "maxFlaggedRateRise");
        Assert.Equal("not_evaluated", notEvaluated.State);
    }
}

/// <summary>The finding gates read findings.parquet of the run: Wilson over the samples with a finding, like maxErrorRate.</summary>
[Collection(TorchCollection.Name)]
public sealed class FindingGateTests
{
    [Fact]
    public void ShortcutAndLabelErrorRates_AreCountedFromTheFindings_AndGatedWithWilson()
    {
        (_, string output) = ReferenceRun.Baseline.Value;
        RunRates plain = RunRates.Read(output);
        Assert.Null(plain.Findings); // no finding gate in the run's config: findings.parquet is not read
        var findings = GradCamAudit.Findings.FindingsRun.Read(output).Where(f => f.Kind != null).ToList();
        FindingCounts counts = Assert.IsType<FindingCounts>(FindingCounts.Read(output, Acknowledgements.For(plain.Run.Config.GatesSettings), DateOnly.FromDateTime(plain.Run.StartedUtc.UtcDateTime)));
        RunRates real = plain with { Findings = counts };
        Assert.Equal(findings.Count, counts.WithFinding);
        Assert.Equal(findings.Count(f => f.Kind == "shortcut"), counts.Shortcuts);
        Assert.Equal(findings.Count(f => f.Kind == "label_error"), counts.LabelErrors);
        Assert.True(counts.LabelErrors > 0 && counts.WithFinding > 30, $"{counts}");
        double rate = 100.0 * counts.LabelErrors / counts.WithFinding;
        (double lo, double hi) = Intervals.Wilson(counts.LabelErrors, counts.WithFinding, Intervals.Z(0.95));

        GateResult Gate(GatesOptions g) => Assert.Single(GateEvaluator.Evaluate(g, real, null));
        var none = new GatesOptions(null, null, null, null, 30, 0.95);
        // Below the interval's lower end: fail, with the value and the Wilson interval over the samples with a finding.
        GateResult failing = Gate(none with { MaxLabelErrorRate = 100 * lo / 2 });
        Assert.Equal(("maxLabelErrorRate", "fail"), (failing.Name, failing.State));
        Assert.Equal(rate, failing.Value!.Value, 9);
        Assert.Equal(100 * lo, failing.Lower!.Value, 9);
        Assert.Equal(100 * hi, failing.Upper!.Value, 9);
        // Between the lower end and the estimate: inconclusive, with the sample size that would decide it.
        GateResult close = Gate(none with { MaxLabelErrorRate = (100 * lo + rate) / 2 });
        Assert.Equal("inconclusive", close.State);
        Assert.Contains("samples with a finding would decide it", close.Reason, StringComparison.Ordinal);
        Assert.Equal("pass", Gate(none with { MaxLabelErrorRate = rate + 0.01 }).State);
        // The shortcut gate counts shortcuts, not label errors.
        GateResult shortcuts = Gate(none with { MaxShortcutRate = 0.01 });
        Assert.Equal(100.0 * counts.Shortcuts / counts.WithFinding, shortcuts.Value!.Value, 9);
        Assert.Equal(counts.Shortcuts == 0, shortcuts.State == "pass");
        // Without findings.parquet (a run folder of an older version): not evaluated, with the reason.
        GateResult missing = Assert.Single(GateEvaluator.Evaluate(none with { MaxLabelErrorRate = 1 }, real with { Findings = null }, null));
        Assert.Equal("not_evaluated", missing.State);
        Assert.Contains("findings.parquet", missing.Reason, StringComparison.Ordinal);
    }
}

/// <summary>Many classes, many tests: Holm's correction keeps unchanged nights green; suggested gates pass an unchanged night.</summary>
[Collection(TorchCollection.Name)]
public sealed class GateFamilyTests
{
    [Fact]
    public void HolmCorrection_UnchangedNightsRarelyFail_UncorrectedMostlyDo_ARealDropIsStillCaught()
    {
        (_, string output) = ReferenceRun.Baseline.Value;
        RunRates real = RunRates.Read(output);
        var rng = new Random(20261126);
        var gates = new GatesOptions(null, null, MinOnObjectRate: 90, null, MinClassSamples: 30, Confidence: 0.95);
        int nights = 200, holmFailures = 0, uncorrectedFailures = 0, caught = 0;
        for (int night = 0; night < nights; night++)
        {
            // 100 classes of 50 samples whose true on-object rate is exactly the limit: every failure is noise.
            var classes = Enumerable.Range(0, 100).Select(_ => Sample(rng, 50, 0.90)).ToList();
            RunRates rates = real with { PerClass = classes, Run = real.Run with { Config = real.Run.Config with { Dataset = new DatasetOptions("", Enumerable.Range(0, 100).Select(i => $"c{i}").ToList()) } } };
            holmFailures += GateEvaluator.Evaluate(gates, rates, null).Any(g => g.Failed) ? 1 : 0;
            uncorrectedFailures += classes.Any(c => 100 * Intervals.Wilson(c.Judged - c.OffObject, c.Judged, Intervals.Z(0.95)).Upper < 90) ? 1 : 0;
            // The same night with one class really dropped to 50% on-object.
            classes[night % 100] = Sample(rng, 50, 0.50);
            caught += GateEvaluator.Evaluate(gates, rates with { PerClass = classes }, null).Count(g => g.Failed && g.Scope == $"class c{night % 100}") == 1 ? 1 : 0;
        }
        Assert.True(holmFailures <= 0.06 * nights, $"{holmFailures} of {nights} unchanged nights failed with Holm's correction");
        Assert.True(uncorrectedFailures >= 0.5 * nights, $"only {uncorrectedFailures} of {nights} unchanged nights failed uncorrected (expected most)");
        Assert.True(caught >= 0.95 * nights, $"the dropped class was caught on {caught} of {nights} nights");
    }

    private static RateCounts Sample(Random rng, int n, double onObject)
    {
        int on = Enumerable.Range(0, n).Count(_ => rng.NextDouble() < onObject);
        return new RateCounts { Samples = n, Judged = n, OffObject = n - on };
    }

    [Fact]
    public async Task SuggestGates_ThenAnUnchangedNight_Passes_AndSummaryMdTellsTheGates()
    {
        (string config, string baseline) = ReferenceRun.Baseline.Value;
        (int code, string output) = await CliCapture.RunCapturingAsync(false, "suggest-gates", "--run", baseline, "--margin", "5");
        Assert.Equal(Commands.Ok, code);
        var suggested = System.Text.Json.Nodes.JsonNode.Parse(output)!["gates"]!.AsObject();
        Assert.Equal(5.0, (double)suggested["maxFlaggedRateRise"]!);
        Assert.True(File.Exists(Path.Combine(baseline, "suggested-gates.json")));

        string night = Path.Combine(TestPaths.NewTempDir("unchanged"), "out");
        var sets = suggested.Select(kv => $"gates.{kv.Key}={kv.Value!.ToJsonString()}").ToList();
        string[] args = ["audit", "--config", config, "--output", night, "--baseline", baseline, .. sets.SelectMany(s => new[] { "--set", s })];
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(args));

        string md = File.ReadAllText(Path.Combine(night, "summary.md"));
        Assert.StartsWith("## Grad-CAM audit: test", md, StringComparison.Ordinal);
        Assert.Contains("### Gates: 0 failed", md, StringComparison.Ordinal);
        Assert.Contains("| ✅ pass | maxFlaggedRateRise | overall |", md, StringComparison.Ordinal);
        Assert.Contains("### Top regressions", md, StringComparison.Ordinal);
        Assert.EndsWith("</details>", md.TrimEnd(), StringComparison.Ordinal);
        Assert.Equal(4, md.Split('\n').Count(l => l.StartsWith("| circle |", StringComparison.Ordinal) || l.StartsWith("| square |", StringComparison.Ordinal)
            || l.StartsWith("| triangle |", StringComparison.Ordinal) || l.StartsWith("| cross |", StringComparison.Ordinal)));
    }
}

/// <summary>
/// A gate never says "pass" on an estimate beyond its limit: such a gate is inconclusive (with the sample size that
/// would decide it) unless its whole interval is beyond, and a night with nothing audited passes no rate gate.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class GateInconclusiveTests
{
    [Fact]
    public void RiseBeyondTheLimit_WithAnIntervalReachingIt_IsInconclusive_WithASampleSize()
    {
        (_, string output) = ReferenceRun.Baseline.Value;
        RunRates real = RunRates.Read(output);
        // 20 of 100 flagged against 10 of 100: a rise of 10 points, interval about -0.2 to 20.
        RunRates current = real with { Overall = new RateCounts { Samples = 100, Judged = 100, Flagged = 20 } };
        RunRates baseline = real with { Overall = new RateCounts { Samples = 100, Judged = 100, Flagged = 10 } };
        var gates = new GatesOptions(MaxFlaggedRateRise: 5, null, null, null, MinClassSamples: 30, Confidence: 0.95);
        GateResult rise = GateEvaluator.Evaluate(gates, current, baseline).Single();
        Assert.Equal("inconclusive", rise.State);
        Assert.False(rise.Failed);
        Assert.True(rise.Value > 5 && rise.Lower <= 5, rise.ToString());
        Assert.Contains("samples with a mask per run", rise.Reason, StringComparison.Ordinal);
        // Below the limit: pass; the whole interval beyond it: fail.
        Assert.Equal("pass", GateEvaluator.Evaluate(gates with { MaxFlaggedRateRise = 12 }, current, baseline).Single().State);
        RunRates big = real with { Overall = new RateCounts { Samples = 10_000, Judged = 10_000, Flagged = 2_000 } };
        RunRates bigBase = real with { Overall = new RateCounts { Samples = 10_000, Judged = 10_000, Flagged = 1_000 } };
        Assert.Equal("fail", GateEvaluator.Evaluate(gates, big, bigBase).Single().State);
    }

    [Fact]
    public void EmptyNight_PassesNoRateGate_AndMinAuditedRowsFailsIt()
    {
        (_, string output) = ReferenceRun.Baseline.Value;
        RunRates real = RunRates.Read(output);
        RunRates empty = real with
        {
            Run = real.Run with { Counts = new RunCounts(0, 0, 0, 0) },
            Overall = new RateCounts(),
            PerClass = real.PerClass.Select(_ => new RateCounts()).ToList(),
        };
        var gates = new GatesOptions(MaxFlaggedRateRise: 5, MaxRightForWrongReasonRateRise: 5, MinOnObjectRate: 90, MaxErrorRate: 5, MinClassSamples: 1, Confidence: 0.95,
            MinAuditedRows: 1);
        var results = GateEvaluator.Evaluate(gates, empty, real);
        Assert.DoesNotContain(results, g => g.State == "pass");
        Assert.Equal("fail", results.Single(g => g.Name == "minAuditedRows").State);
        Assert.All(results.Where(g => g.Name != "minAuditedRows"), g => Assert.Equal("not_evaluated", g.State));
    }

    [Fact]
    public async Task InconclusiveGate_ShownApart_InReportSummaryMdAndJson_ExitsThreeOnlyWhenAsked()
    {
        string dir = TestPaths.NewTempDir("inconclusive");
        string manifest = TestDatasets.DemoSubset(dir, 340);
        string night1 = Path.Combine(dir, "night1"), night2 = Path.Combine(dir, "night2");
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", TestDatasets.Config(dir, manifest, audit: "\"offObjectLiftThreshold\": 0", output: "night1"), "--quiet"]));
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", TestDatasets.Config(dir, manifest, output: "night2"), "--quiet", "--baseline", night1]));
        RunRates current = RunRates.Read(night2), baseline = RunRates.Read(night1);
        GateResult probe = GateEvaluator.Evaluate(new GatesOptions(MaxFlaggedRateRise: 0, null, null, null, 30, 0.95), current, baseline).Single();
        Assert.True(probe.Value > 0 && probe.Lower < probe.Value, probe.ToString());
        double limit = (probe.Value!.Value + Math.Max(0, probe.Lower!.Value)) / 2; // beyond the estimate's reach of the interval: inconclusive by construction
        string runJson = Path.Combine(night2, "run.json");
        var run = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(runJson))!;
        run["config"]!["gates"] = new System.Text.Json.Nodes.JsonObject { ["maxFlaggedRateRise"] = limit, ["minClassSamples"] = 30, ["confidence"] = 0.95 };
        File.WriteAllText(runJson, run.ToJsonString());

        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["compare", "--baseline", night1, "--current", night2, "--quiet"]));
        Assert.Equal(Commands.GateFailed, await Commands.Build().ParseAndRunAsync(["compare", "--baseline", night1, "--current", night2, "--quiet", "--fail-on-inconclusive"]));
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(night2, "summary.json")));
        Assert.Equal("inconclusive", summary.RootElement.GetProperty("gates").EnumerateArray().Single().GetProperty("state").GetString());
        Assert.Equal(1, summary.RootElement.GetProperty("gateCounts").GetProperty("inconclusive").GetInt32());
        Assert.Contains("❔ inconclusive | maxFlaggedRateRise", File.ReadAllText(Path.Combine(night2, "summary.md")), StringComparison.Ordinal);
        string html = File.ReadAllText(Path.Combine(night2, "report.html"));
        Assert.Contains("<table id=\"inconclusive\">", html, StringComparison.Ordinal);
        Assert.Contains("would decide it", html, StringComparison.Ordinal);
        Assert.DoesNotContain("data-state=\"pass\"", html, StringComparison.Ordinal);
    }
}
