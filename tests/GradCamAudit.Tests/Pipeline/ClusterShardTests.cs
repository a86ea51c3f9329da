using System.Diagnostics;
using GradCamAudit.Cli;
using GradCamAudit.Results;
using Xunit;

namespace GradCamAudit.Tests.Pipeline;

/// <summary>
/// Shards as a cluster runs them: nodes of different sizes, damaged or foreign shards, gates on the merged run only,
/// and one writer per run folder.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ClusterShardTests
{
    private static readonly Lazy<string> Shards = new(() =>
    {
        // Three "nodes": 4 and 8 threads and decode workers, and a small batch: execution settings, not the audit's identity.
        (string config, _) = ReferenceRun.Baseline.Value;
        string shards = Path.Combine(TestPaths.NewTempDir("cluster"), "shards");
        string[][] node = [["audit.threads=4", "audit.decodeWorkers=4"], ["audit.threads=8", "audit.decodeWorkers=8", "audit.batchSize=3"], ["audit.threads=1", "audit.prefetchBatches=1"]];
        for (int i = 0; i < 3; i++)
        {
            string[] args = ["audit", "--config", config, "--output", shards, "--shard", $"{i}/3", .. node[i].SelectMany(s => new[] { "--set", s })];
            Assert.Equal(Commands.Ok, Commands.Build().ParseAndRunAsync(args).GetAwaiter().GetResult());
        }
        return shards;
    });

    private static string[] Folders(string shards) => [.. Enumerable.Range(0, 3).Select(i => Path.Combine(shards, $"shard-{i}-of-3"))];

    [Fact]
    public async Task ShardsOfNodesOfDifferentSizes_Merge_EqualToTheSingleRun()
    {
        string shards = Shards.Value;
        RunManifest[] runs = [.. Folders(shards).Select(f => RunManifest.Load(Path.Combine(f, "run.json")))];
        Assert.Single(runs.Select(r => r.ConfigSha256).Distinct());
        Assert.Equal([4, 8, 1], runs.Select(r => r.Execution!.Threads));
        Assert.Equal([4, 8, runs[2].Execution!.DecodeWorkers], runs.Select(r => r.Execution!.DecodeWorkers));
        Assert.Equal(63, runs[0].Coverage!.DatasetRows);
        Assert.Equal(63, runs.Sum(r => r.Coverage!.ShardRows));

        string merged = Path.Combine(TestPaths.NewTempDir("cluster-merged"), "merged");
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["merge", "--output", merged, "--shards-in", shards]));
        ReferenceRun.AssertSameAsBaseline(merged, sameParts: false);
        RunManifest run = RunManifest.Load(Path.Combine(merged, "run.json"));
        Assert.Equal([4, 8, 1], run.MergedShards!.Select(s => s.Execution!.Threads));
        Assert.Equal(63, run.Coverage!.ShardRows);
    }

    [Fact]
    public async Task ResumeOnANodeOfAnotherSize_IsAccepted()
    {
        (string config, _) = ReferenceRun.Baseline.Value;
        string output = Path.Combine(TestPaths.NewTempDir("resume-node"), "out");
        using (Process first = StartPaused(config, output, "part-committed:1", "audit.threads=2"))
        {
            first.Kill();
            first.WaitForExit();
        }
        (int code, string stderr) = await CliCapture.RunCapturingAsync(true, "audit", "--config", config, "--output", output, "--resume", "--set", "audit.threads=8", "--set", "audit.decodeWorkers=8");
        Assert.True(code == Commands.Ok, stderr);
        ReferenceRun.AssertSameAsBaseline(output);
    }

    [Fact]
    public async Task DamagedOrForeignOrMissingShard_IsRefusedByMerge_NamingShardAndRows()
    {
        string[] good = Folders(Shards.Value);

        // One shard's last results part deleted: the committed parts are still a prefix, only the coverage tells.
        string damaged = TestPaths.CopyOf(good[1], "damaged");
        string lastPart = Directory.GetFiles(Path.Combine(damaged, "results")).Order(StringComparer.Ordinal).Last();
        PartCoverage lost = (await PartCommitter.ReadCoverageAsync(lastPart, 0))!;
        File.Delete(lastPart);
        string output = Path.Combine(TestPaths.NewTempDir("damaged-merge"), "merged");
        (int code, string stderr) = await CliCapture.RunCapturingAsync(true, "merge", "--output", output, good[0], damaged, good[2]);
        Assert.Equal(Commands.UsageError, code);
        Assert.Contains($"shard 1 of 3 ('{damaged}')", stderr, StringComparison.Ordinal);
        Assert.Contains($"{lost.LastRow}", stderr, StringComparison.Ordinal);
        Assert.Contains("in no committed part", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, "run.json")));

        // A part of another run put in place of one of the shard's own.
        string foreign = TestPaths.CopyOf(good[2], "foreign");
        File.Copy(Path.Combine(good[0], "results", "part-00000.parquet"), Path.Combine(foreign, "results", "part-00000.parquet"), overwrite: true);
        (code, stderr) = await CliCapture.RunCapturingAsync(true, "merge", "--output", output, good[0], good[1], foreign);
        Assert.Equal(Commands.UsageError, code);
        Assert.Contains("shard 2 of 3", stderr, StringComparison.Ordinal);
        Assert.Contains("a foreign part", stderr, StringComparison.Ordinal);

        // A missing shard: named with the rows it would hold.
        (code, stderr) = await CliCapture.RunCapturingAsync(true, "merge", "--output", output, good[0], good[2]);
        Assert.Equal(Commands.UsageError, code);
        Assert.Contains("shard 1 of 3 is missing", stderr, StringComparison.Ordinal);
        Assert.Contains("21 rows: 2..62 (every 3)", stderr, StringComparison.Ordinal);

        // A shard that failed: named, never a complete merged run.
        string failed = TestPaths.CopyOf(good[1], "failed");
        RunManifest run = RunManifest.Load(Path.Combine(failed, "run.json"));
        new RunFolder(failed).SaveManifest(run with { Status = RunStatus.Failed, FailureReason = "node lost" });
        (code, stderr) = await CliCapture.RunCapturingAsync(true, "merge", "--output", output, good[0], failed, good[2]);
        Assert.Equal(Commands.UsageError, code);
        Assert.Contains("shard 1 of 3", stderr, StringComparison.Ordinal);
        Assert.Contains("node lost", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, "run.json")));
    }

    [Fact]
    public async Task AShardOfAnotherConfig_NamesTheHashAndTheKey()
    {
        (string config, _) = ReferenceRun.Baseline.Value;
        string other = Path.Combine(TestPaths.NewTempDir("other-config"), "shards");
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--output", other, "--shard", "1/3", "--set", "audit.offObjectLiftThreshold=1.5"]));
        string[] good = Folders(Shards.Value);
        (int code, string stderr) = await CliCapture.RunCapturingAsync(true, "merge", "--output", Path.Combine(other, "merged"), good[0], Path.Combine(other, "shard-1-of-3"), good[2]);
        Assert.Equal(Commands.UsageError, code);
        Assert.Contains("the config sha256 differs", stderr, StringComparison.Ordinal);
        Assert.Contains("audit.offObjectLiftThreshold: 1.5 vs 1.25", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AShardWhoseGateWouldFail_Exits0_TheMergeExits3()
    {
        // 3 error rows of 63: the error rate's interval lies above a 0.5% ceiling on every shard and on the merged run.
        (string config, _) = ReferenceRun.Baseline.Value;
        string shards = Path.Combine(TestPaths.NewTempDir("gated"), "shards");
        for (int i = 0; i < 3; i++)
        {
            (int shardCode, string shardLog) = await CliCapture.RunCapturingAsync(true, "audit", "--config", config, "--output", shards, "--shard", $"{i}/3", "--set", "gates.maxErrorRate=0.5");
            Assert.True(shardCode == Commands.Ok, shardLog);
            Assert.False(File.Exists(Path.Combine(shards, $"shard-{i}-of-3", RunFolder.GatesJsonName)));
        }
        string merged = Path.Combine(Path.GetDirectoryName(shards)!, "merged");
        (int code, string stderr) = await CliCapture.RunCapturingAsync(true, "merge", "--output", merged, "--shards-in", shards, "--shard-count", "3");
        Assert.Equal(Commands.GateFailed, code);
        Assert.Contains("maxErrorRate", stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(merged, RunFolder.GatesJsonName)));
        Assert.Contains("maxErrorRate", File.ReadAllText(Path.Combine(merged, "summary.json")), StringComparison.Ordinal);
        Assert.Equal(RunStatus.Complete, RunManifest.Load(Path.Combine(merged, "run.json")).Status);
    }

    [Fact]
    public async Task ASecondWriter_IsRefusedWithExit2_NamingTheHolder_AndACrashedHoldersLockDoesNotBlockResume()
    {
        (string config, _) = ReferenceRun.Baseline.Value;
        string output = Path.Combine(TestPaths.NewTempDir("locked"), "out");
        using Process first = StartPaused(config, output, "part-committed:1");
        var clock = Stopwatch.StartNew();
        foreach (string[] second in new[]
        {
            new[] { "audit", "--config", config, "--output", output, "--resume" },
            ["audit", "--config", config, "--output", output, "--overwrite"],
            ["merge", "--output", output, .. Folders(Shards.Value)],
        })
        {
            (int code, string stderr) = await CliCapture.RunCapturingAsync(true, second);
            Assert.True(code == Commands.UsageError, stderr);
            Assert.Contains($"is in use by audit on host {Environment.MachineName}, pid {first.Id}", stderr, StringComparison.Ordinal);
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"refusals took {clock.Elapsed}");
        Assert.Equal(RunStatus.Running, RunManifest.Load(Path.Combine(output, "run.json")).Status);

        first.Kill(); // SIGKILL: the lock is dropped by the kernel, the holder file stays (a stale lock)
        first.WaitForExit();
        Assert.True(File.Exists(Path.Combine(output, RunFolderLock.HolderName)));
        (int resumed, string log) = await CliCapture.RunCapturingAsync(true, "audit", "--config", config, "--output", output, "--resume");
        Assert.True(resumed == Commands.Ok, log);
        Assert.Contains("took over the stale lock", log, StringComparison.Ordinal);
        ReferenceRun.AssertSameAsBaseline(output); // which also finds no hidden file left: the lock is gone
    }

    [Fact]
    public void Lock_InTheSameProcess_IsExclusive_AndReleased()
    {
        string dir = TestPaths.NewTempDir("lock");
        using (RunFolderLock held = RunFolderLock.Acquire(dir, "test"))
        {
            Assert.Null(held.Stale);
            var refused = Assert.Throws<RunFolderBusyException>(() => RunFolderLock.Acquire(dir, "second"));
            Assert.Equal(Environment.ProcessId, refused.Holder!.Pid);
            Assert.Equal(RunFolderKind.Empty, new RunFolder(dir).Inspect(out _)); // the lock alone does not make a folder a run
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
        using RunFolderLock again = RunFolderLock.Acquire(dir, "test");
        Assert.Null(again.Stale);
    }

    /// <summary>Starts the real CLI held at a pause point and returns once it is there.</summary>
    private static Process StartPaused(string config, string output, string point, params string[] sets)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "gradcam-audit.dll"), "audit", "--config", config, "--output", output }.Concat(sets.SelectMany(s => new[] { "--set", s })))
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment[PausePoints.Variable] = point;
        Process p = Process.Start(psi)!;
        var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                log.Enqueue(e.Data);
                if (e.Data == $"paused at {point}")
                {
                    paused.TrySetResult();
                }
            }
        };
        p.BeginErrorReadLine();
        p.OutputDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        if (!paused.Task.Wait(TimeSpan.FromSeconds(120)))
        {
            p.Kill();
            Assert.Fail($"the run never reached '{point}': {string.Join('\n', log)}");
        }
        return p;
    }
}
