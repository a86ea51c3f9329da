using GradCamAudit.Cli;
using GradCamAudit.Pipeline;
using GradCamAudit.Results;
using Xunit;

namespace GradCamAudit.Tests.Pipeline;

/// <summary>Shards on several machines, then merge: equal to the single-machine run.</summary>
[Collection(TorchCollection.Name)]
public sealed class ShardTests
{
    [Fact]
    public async Task ThreeShards_ThenMerge_EqualsTheSingleRun()
    {
        (string config, _) = ReferenceRun.Baseline.Value;
        string dir = TestPaths.NewTempDir("shards");
        string shards = Path.Combine(dir, "shards");
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--output", shards, "--shard", $"{i}/3"]));
        }
        RunManifest second = RunManifest.Load(Path.Combine(shards, "shard-1-of-3", "run.json"));
        Assert.Equal(new ShardSpec(1, 3), second.Shard);
        Assert.All(Duck.Query($"SELECT row FROM {Duck.Results(Path.Combine(shards, "shard-1-of-3"))}"), r => Assert.Equal(1, (Convert.ToInt64(r["row"]) - 1) % 3));

        string merged = Path.Combine(dir, "merged");
        string[] folders = [.. Enumerable.Range(0, 3).Reverse().Select(i => Path.Combine(shards, $"shard-{i}-of-3"))];
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["merge", "--output", merged, .. folders]));
        ReferenceRun.AssertSameAsBaseline(merged, sameParts: false);
        RunManifest run = RunManifest.Load(Path.Combine(merged, "run.json"));
        Assert.Equal([0, 1, 2], run.MergedShards!.Select(s => s.Index));
        Assert.Equal(run.Counts.ManifestRows, run.MergedShards!.Sum(s => s.Rows));
        var ids = Duck.Query($"SELECT DISTINCT decode(value) AS id FROM parquet_kv_metadata('{Path.Combine(merged, "results", "*.parquet")}') WHERE decode(key) = 'gradcam_audit.run_id'");
        Assert.Equal(run.RunId, Assert.Single(ids)["id"]);

        // A missing shard, a repeated one, or a shard of another audit: one error listing each, exit 2.
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["merge", "--output", Path.Combine(dir, "m2"), folders[0], folders[1]]));
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["merge", "--output", Path.Combine(dir, "m3"), folders[0], folders[1], folders[1]]));
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["merge", "--output", Path.Combine(dir, "m4"), folders[0], folders[1], ReferenceRun.Baseline.Value.Output]));
        Assert.False(Directory.Exists(Path.Combine(dir, "m2")));
    }

    [Fact]
    public async Task SameConfigAndThreads_GiveBitIdenticalResults()
    {
        (string config, string baseline) = ReferenceRun.Baseline.Value;
        string again = Path.Combine(TestPaths.NewTempDir("again"), "out");
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--output", again]));
        var a = Duck.Query($"SELECT * FROM {Duck.Results(baseline)} ORDER BY row");
        var b = Duck.Query($"SELECT * FROM {Duck.Results(again)} ORDER BY row");
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            foreach ((string column, object? value) in a[i])
            {
                object? other = b[i][column];
                if (value is System.Collections.IList)
                {
                    Assert.Equal(Duck.Floats(value), Duck.Floats(other)); // exact, not within a tolerance
                }
                else
                {
                    Assert.Equal(value, other);
                }
            }
        }
    }

    [Fact]
    public void Resolve_FromFlagsAndJobEnvironments()
    {
        static Func<string, string?> Env(params (string Key, string Value)[] vars) => k => vars.FirstOrDefault(v => v.Key == k).Value;
        Assert.Null(ShardResolver.Resolve(null, null, null, Env()));
        Assert.Equal(new ShardSpec(2, 4), ShardResolver.Resolve("2/4", null, null, Env()));
        Assert.Equal(new ShardSpec(1, 5), ShardResolver.Resolve(null, 1, 5, Env()));
        // Kubernetes Indexed Job: the index from the pod, the count from our variable (alone, it turns sharding on).
        Assert.Equal(new ShardSpec(3, 8), ShardResolver.Resolve(null, null, null, Env(("JOB_COMPLETION_INDEX", "3"), (ShardResolver.CountVariable, "8"))));
        // Slurm array --array=10-13: task ids 10..13, index = id - min.
        Assert.Equal(new ShardSpec(2, 4), ShardResolver.Resolve("auto", null, null, Env(("SLURM_ARRAY_TASK_ID", "12"), ("SLURM_ARRAY_TASK_MIN", "10"), ("SLURM_ARRAY_TASK_COUNT", "4"))));
        Assert.Throws<UsageException>(() => ShardResolver.Resolve("auto", null, null, Env()));
        // A re-run of one index (sbatch --array=1) or of some (--array=0,2) is refused, not audited as shard 0 of 1.
        Assert.Throws<UsageException>(() => ShardResolver.Resolve("auto", null, null, Env(("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_MAX", "1"), ("SLURM_ARRAY_TASK_COUNT", "1"))));
        Assert.Throws<UsageException>(() => ShardResolver.Resolve("auto", null, null, Env(("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_MIN", "0"), ("SLURM_ARRAY_TASK_MAX", "2"), ("SLURM_ARRAY_TASK_COUNT", "2"))));
        Assert.Equal(new ShardSpec(1, 3), ShardResolver.Resolve("1/3", null, null, Env(("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "1"))));
        Assert.Throws<UsageException>(() => ShardResolver.Resolve("4/4", null, null, Env()));
        Assert.Throws<UsageException>(() => ShardResolver.Resolve("1-4", null, null, Env()));
        Assert.Throws<UsageException>(() => ShardResolver.Resolve(null, null, null, Env(("JOB_COMPLETION_INDEX", "x"), (ShardResolver.CountVariable, "2"))));
    }
}
