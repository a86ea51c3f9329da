using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Results;
using Xunit;

namespace GradCamAudit.Tests.Pipeline;

/// <summary>Several methods and targets in one pass: the main table keeps the primary method, explanations/ holds every (sample, method, target).</summary>
[Collection(TorchCollection.Name)]
public sealed class ExplanationsTests
{
    [Fact]
    public async Task MethodsTargetsAndMetrics_LandInTheMainTableAndInExplanations()
    {
        string dir = TestPaths.NewTempDir("explain");
        string config = TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 20), audit: "\"batchSize\": 8, \"partRows\": 8");
        AuditOptions options = AuditConfig.Load(config, null,
        [
            "explain.methods=[\"gradcam\",\"gradcam++\",\"layercam\",\"eigencam\",\"cam\"]",
            "explain.targets=[\"pred\",\"true\",\"top2\"]",
            "explain.metrics=[\"energy_in_mask\",\"energy_lift\",\"pointing_hit\",\"iou_top\",\"relevance_rank_accuracy\",\"topk_intersection\",\"auc\",\"wsl_iou\"]",
            "output.maps=primary",
        ]);
        RunManifest run = await AuditRunner.RunAsync(options, new RunRequest(null, false), _ => { });
        string output = options.Output.Directory;
        Assert.Equal(20, run.Counts.Audited);

        // Main table: every enabled metric for the predicted and the true class, typed, never NaN.
        var types = Duck.Query($"DESCRIBE SELECT * FROM {Duck.Results(output)}").ToDictionary(r => (string)r["column_name"]!, r => (string)r["column_type"]!);
        foreach (string m in new[] { "relevance_rank_accuracy", "topk_intersection", "auc", "wsl_iou" })
        {
            Assert.Equal("DOUBLE", types["pred_" + m]);
            Assert.Equal("DOUBLE", types["true_" + m]);
        }
        Assert.Equal("BOOLEAN", types["pred_pointing_hit"]);
        Assert.Equal(0L, Convert.ToInt64(Duck.Query($"SELECT count(*) AS n FROM {Duck.Results(output)} WHERE isnan(pred_auc) OR isnan(true_wsl_iou)")[0]["n"]));

        // Explanations: one row per (sample, method, target); 5 methods x 4 targets (pred, true, and top2 = top1, top2).
        string explanations = $"read_parquet('{Path.Combine(output, "explanations", "*.parquet")}')";
        Assert.Equal(20L * 5 * 4, Convert.ToInt64(Duck.Query($"SELECT count(*) AS n FROM {explanations}")[0]["n"]));
        // output.maps = primary: the primary method's top1/top2 maps; its pred and true maps live in the results only (stored once).
        Assert.Equal(20L * 2, Convert.ToInt64(Duck.Query($"SELECT count(*) AS n FROM {explanations} WHERE len(cam) > 0")[0]["n"]));
        Assert.Equal(0L, Convert.ToInt64(Duck.Query($"SELECT count(*) AS n FROM {explanations} WHERE len(cam) > 0 AND target IN ('pred', 'true')")[0]["n"]));

        // The primary method's rows are the main table's scores (and refer to its maps by sample_id).
        var joined = Duck.Query($"""
            SELECT len(e.cam) = 0 AND len(r.pred_cam) > 0 AS same_map, abs(r.pred_energy_lift - e.energy_lift) AS lift_diff, abs(r.true_auc - t.auc) AS auc_diff,
                   e.class = r.pred_label AS pred_class, t.class = r.true_label AS true_class
            FROM {Duck.Results(output)} r
            JOIN {explanations} e ON e.row = r.row AND e.method = 'gradcam' AND e.target = 'pred'
            JOIN {explanations} t ON t.row = r.row AND t.method = 'gradcam' AND t.target = 'true'
            """);
        Assert.Equal(20, joined.Count);
        Assert.All(joined, r =>
        {
            Assert.True((bool)r["same_map"]!);
            Assert.True(Convert.ToDouble(r["lift_diff"]) < 1e-12);
            Assert.True(r["auc_diff"] == null || Convert.ToDouble(r["auc_diff"]) < 1e-12);
            Assert.True((bool)r["pred_class"]! && (bool)r["true_class"]!);
        });

        // The report compares the methods: one row each, the primary marked, agreement for the others.
        string html = File.ReadAllText(Path.Combine(output, "report.html"));
        int start = html.IndexOf("<section id=\"methods\">", StringComparison.Ordinal);
        Assert.True(start >= 0, "the report has a method comparison");
        string methods = html[start..html.IndexOf("</section>", start, StringComparison.Ordinal)];
        foreach (string m in new[] { "gradcam", "gradcam++", "layercam", "eigencam", "cam" })
        {
            Assert.Contains($"<tr><td>{m}</td>", methods, StringComparison.Ordinal);
        }
        Assert.Contains("<td>(primary)</td>", methods, StringComparison.Ordinal);
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Matches(methods, @"<td>\d+\.\d%</td><td>\d+\.\d%</td><td>\d+\.\d%</td>").Count);

        // top1 is the predicted class, top2 the second most likely, never the predicted one; Eigen-CAM is class-agnostic.
        Assert.Equal(0L, Convert.ToInt64(Duck.Query($"SELECT count(*) AS n FROM {Duck.Results(output)} r JOIN {explanations} e ON e.row = r.row AND e.target = 'top1' WHERE e.class <> r.pred_label")[0]["n"]));
        Assert.Equal(0L, Convert.ToInt64(Duck.Query($"SELECT count(*) AS n FROM {Duck.Results(output)} r JOIN {explanations} e ON e.row = r.row AND e.target = 'top2' WHERE e.class = r.pred_label")[0]["n"]));
        Assert.Equal(1L, Convert.ToInt64(Duck.Query($"SELECT max(c) AS n FROM (SELECT row, count(DISTINCT energy_lift) AS c FROM {explanations} WHERE method = 'eigencam' GROUP BY row)")[0]["n"]));
    }

    [Fact]
    public async Task PerturbationMethods_RunOnExactlyTheHashedSample_TheSameInShards()
    {
        string dir = TestPaths.NewTempDir("perturb");
        string config = TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 30), audit: "\"batchSize\": 8, \"partRows\": 8");
        string[] sets = ["explain.methods=[\"gradcam\",\"scorecam\",\"ablationcam\"]", "explain.perturbationSample=5", "explain.seed=3", "explain.perturbationBatchSize=16"];
        AuditOptions options = AuditConfig.Load(config, null, sets);
        await AuditRunner.RunAsync(options, new RunRequest(null, false), _ => { });
        string explanations = $"read_parquet('{Path.Combine(options.Output.Directory, "explanations", "*.parquet")}')";
        var sampled = Duck.Query($"SELECT DISTINCT sample_id FROM {explanations} WHERE method = 'scorecam' ORDER BY sample_id").Select(r => (string)r["sample_id"]!).ToList();
        Assert.Equal(5, sampled.Count);
        // The five ids with the smallest hash of (seed, id) over the whole manifest.
        var ids = Duck.Query($"SELECT sample_id FROM {Duck.Results(options.Output.Directory)}").Select(r => (string)r["sample_id"]!).ToList();
        Assert.Equal(ids.OrderBy(id => GradCamAudit.Explain.SampleSelector.Hash(3, id)).Take(5).Order(StringComparer.Ordinal), sampled);
        Assert.Equal(5L * 2 * 2, Convert.ToInt64(Duck.Query($"SELECT count(*) AS n FROM {explanations} WHERE method IN ('scorecam', 'ablationcam') AND len(cam) = cam_height * cam_width AND energy_lift IS NOT NULL")[0]["n"]));
        Assert.Equal(30L * 2, Convert.ToInt64(Duck.Query($"SELECT count(*) AS n FROM {explanations} WHERE method = 'gradcam'")[0]["n"]));

        // Shard 1 of 2 chooses the same samples among its rows.
        string shardOut = Path.Combine(dir, "shard");
        AuditOptions shard = AuditConfig.Load(config, shardOut, sets);
        RunManifest shardRun = await AuditRunner.RunAsync(shard, new RunRequest(null, false, Shard: new ShardSpec(1, 2)), _ => { });
        shardOut = Path.Combine(shardOut, shardRun.Shard!.FolderName);
        var shardIds = Duck.Query($"SELECT sample_id FROM {Duck.Results(shardOut)}").Select(r => (string)r["sample_id"]!).ToHashSet();
        var shardSampled = Duck.Query($"SELECT DISTINCT sample_id FROM read_parquet('{Path.Combine(shardOut, "explanations", "*.parquet")}') WHERE method = 'ablationcam' ORDER BY sample_id").Select(r => (string)r["sample_id"]!).ToList();
        Assert.Equal(sampled.Where(shardIds.Contains), shardSampled);
    }

    [Fact]
    public void PerturbationMethods_ConfigErrors_AreListedTogether()
    {
        string dir = TestPaths.NewTempDir("perturb-config");
        string config = TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 4));
        var ex = Assert.Throws<ConfigException>(() => AuditConfig.Load(config, null, ["explain.methods=[\"scorecam\",\"gradcam\",\"ablationcam\"]"]));
        Assert.Contains(ex.Errors, e => e.Contains("'scorecam' cannot be primary", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("explain.perturbationSample: scorecam, ablationcam cost one forward pass", StringComparison.Ordinal));
        ex = Assert.Throws<ConfigException>(() => AuditConfig.Load(config, null, ["explain.perturbationSample=\"150%\""]));
        Assert.Contains(ex.Errors, e => e.Contains("neither a positive count nor a percentage", StringComparison.Ordinal));
    }
}
