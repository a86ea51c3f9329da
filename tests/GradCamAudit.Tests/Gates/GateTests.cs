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
        Assert.Equal(gates.Count, counts.GetProperty("pass").GetInt32() + counts.GetProperty("fail").GetInt32() + counts.GetProperty("not_evaluated").GetInt32());

        using var comparison = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(night2, "comparison.json")));
        long newly = comparison.RootElement.GetProperty("newlyFlagged").GetInt64();
        Assert.Equal(Convert.ToInt64(Duck.Query($"SELECT count(*) FILTER (WHERE flagged) AS n FROM {Duck.Results(night2)}")[0]["n"]), newly);
        Assert.Equal(newly, Convert.ToInt64(Duck.Query($"SELECT count(*) AS n FROM read_parquet('{Path.Combine(night2, "comparison.parquet")}') WHERE Change = 'newly_flagged'")[0]["n"]));
        Assert.Contains("config", comparison.RootElement.GetProperty("differences").EnumerateArray().Select(d => d.GetString()));

        // The same comparison with a limit above the measured rise passes.
        File.WriteAllText(tonight, File.ReadAllText(tonight).Replace("\"report\":", "\"gates\": { \"maxFlaggedRateRise\": 80 },\n  \"report\":", StringComparison.Ordinal));
        RunManifest run = RunManifest.Load(Path.Combine(night2, "run.json"));
        Assert.Equal(Commands.GateFailed, await Commands.Build().ParseAndRunAsync(["compare", "--baseline", night1, "--current", night2]));
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
        Assert.All(GateEvaluator.Evaluate(gates, Rates(small), null), g => Assert.Equal("pass", g.State));
        Assert.All(GateEvaluator.Evaluate(gates, Rates(large), null), g => Assert.Equal("fail", g.State));
        var notEvaluated = GateEvaluator.Evaluate(gates with { MaxFlaggedRateRise = 5 }, Rates(large), null).Single(g => g.Name == "maxFlaggedRateRise");
        Assert.Equal("not_evaluated", notEvaluated.State);
    }
}
