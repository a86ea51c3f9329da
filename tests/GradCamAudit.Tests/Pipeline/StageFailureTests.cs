using System.Diagnostics;
using GradCamAudit.Cli;
using GradCamAudit.Data;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Results;
using Xunit;

namespace GradCamAudit.Tests.Pipeline;

/// <summary>
/// The stage contract: a failure anywhere cancels every stage and the run ends within seconds, never hangs, marks
/// run.json failed and keeps every committed part readable. Faults are injected into real runs of many small
/// batches with a one-batch queue, so every other stage is blocked on a full or empty queue when the fault hits.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class StageFailureTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    private static (AuditOptions Options, string Output) ManyBatches()
    {
        string dir = TestPaths.NewTempDir("fault");
        string config = TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 250), audit: "\"batchSize\": 4, \"prefetchBatches\": 1, \"partRows\": 8, \"decodeWorkers\": 1");
        AuditOptions options = AuditConfig.Load(config);
        return (options, options.Output.Directory);
    }

    private static async Task<StageFailedException> RunExpectingFailure(AuditOptions options, PipelineHooks hooks, Func<long> failedAt)
    {
        var ex = await Assert.ThrowsAsync<StageFailedException>(() => AuditRunner.RunAsync(options, new RunRequest(null, false), _ => { }, default, hooks));
        TimeSpan afterFailure = Stopwatch.GetElapsedTime(failedAt());
        Assert.True(afterFailure < Limit, $"the run ended {afterFailure.TotalSeconds:F1} s after the failure");
        return ex;
    }

    /// <summary>What a failed run leaves: run.json failed with the reason, whole parts only, rows 1..n each once.</summary>
    private static void AssertCommittedPrefix(string output, string reasonPart)
    {
        RunManifest run = RunManifest.Load(Path.Combine(output, "run.json"));
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains(reasonPart, run.FailureReason, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(output, "results")), f => Path.GetFileName(f).StartsWith('.'));
        var counts = Duck.Query($"SELECT count(*) AS n, count(DISTINCT row) AS d, coalesce(max(row), 0) AS m FROM {Duck.Results(output)}")[0];
        long errors = File.ReadLines(Path.Combine(output, "errors.csv")).Skip(1).LongCount();
        long results = Convert.ToInt64(counts["n"]);
        Assert.Equal(results, Convert.ToInt64(counts["d"]));
        Assert.Equal(run.Counts.ManifestRows, results + errors);
        Assert.Equal(run.Counts.ManifestRows, Math.Max(Convert.ToInt64(counts["m"]), errors == 0 ? 0 : run.Counts.ManifestRows));
        Assert.True(run.Counts.ManifestRows < 250, "the failure stopped the run early");
    }

    [Fact]
    public async Task ThrowingDecoder_FailsTheRunWithinSeconds_KeepingCommittedParts()
    {
        (AuditOptions options, string output) = ManyBatches();
        var decoder = new Faulty(60);
        var ex = await RunExpectingFailure(options, new PipelineHooks(Decoder: inner => decoder.Wrap(inner)), () => decoder.FailedAt);
        Assert.Equal("decode", ex.Stage);
        Assert.Contains("injected fault", ex.Message, StringComparison.Ordinal);
        AssertCommittedPrefix(output, "injected fault");
    }

    [Fact]
    public async Task ThrowingScorer_FailsTheRunWithinSeconds_KeepingCommittedParts()
    {
        (AuditOptions options, string output) = ManyBatches();
        var scorer = new Faulty(12);
        var ex = await RunExpectingFailure(options, new PipelineHooks(Scorer: inner => scorer.Wrap(inner)), () => scorer.FailedAt);
        Assert.Equal("compute", ex.Stage);
        AssertCommittedPrefix(output, "injected fault");
        Assert.True(RunManifest.Load(Path.Combine(output, "run.json")).Counts.Parts >= 1);
    }

    [Fact]
    public async Task ThrowingWriter_FailsTheRunWithinSeconds_KeepingCommittedParts()
    {
        (AuditOptions options, string output) = ManyBatches();
        var sink = new Faulty(9);
        var ex = await RunExpectingFailure(options, new PipelineHooks(Sink: inner => sink.Wrap(inner)), () => sink.FailedAt);
        Assert.Equal("write", ex.Stage);
        AssertCommittedPrefix(output, "injected fault");
        // Batches 1..8 of 4 rows went through, so parts 0..3 (8 rows each) are committed.
        Assert.Equal(4, RunManifest.Load(Path.Combine(output, "run.json")).Counts.Parts);
    }

    [Fact]
    public async Task WriterStuckForEver_WhileTheDecoderFails_StillEndsTheRun()
    {
        (AuditOptions options, string output) = ManyBatches();
        using var gate = new ManualResetEventSlim(false);
        using var stuck = new ManualResetEventSlim(false);
        var decoder = new Faulty(10, stuck); // fails only once the writer is stuck in its first batch
        var hooks = new PipelineHooks(Decoder: inner => decoder.Wrap(inner), Sink: inner => new StuckSink(inner, gate, stuck));
        try
        {
            var ex = await RunExpectingFailure(options, hooks, () => decoder.FailedAt);
            Assert.Equal("decode", ex.Stage);
            Assert.Equal(RunStatus.Failed, RunManifest.Load(Path.Combine(output, "run.json")).Status);
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact]
    public async Task FullDisk_Exits1WithinSeconds_OneLineReason_StackTraceOnlyWithVerbose()
    {
        string dir = TestPaths.NewTempDir("fulldisk");
        string mount = Path.Combine(dir, "small");
        Directory.CreateDirectory(mount);
        var m = Process.Start("mount", ["-t", "tmpfs", "-o", "size=300k", "tmpfs", mount])!;
        m.WaitForExit();
        Assert.True(m.ExitCode == 0, "the full-disk test mounts a 300 KB tmpfs (needs root, as the test script does)");
        try
        {
            string config = Path.Combine(TestPaths.Configs, "demo.json");
            foreach (bool verbose in new[] { false, true })
            {
                string output = Path.Combine(mount, verbose ? "v" : "q");
                long start = Stopwatch.GetTimestamp();
                (int code, string log) = await CliCapture.RunCapturingAsync(true, verbose
                    ? ["audit", "--config", config, "--output", output, "--verbose"]
                    : ["audit", "--config", config, "--output", output]);
                Assert.True(code == Commands.RuntimeFailure, log);
                Assert.True(Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(60), "the run must end, not hang");
                string failed = Assert.Single(log.Split('\n'), l => l.StartsWith("failed: ", StringComparison.Ordinal));
                Assert.Contains("write stage failed", failed, StringComparison.Ordinal);
                Assert.Equal(verbose, log.Contains("   at ", StringComparison.Ordinal));
                if (Directory.Exists(Path.Combine(output, "results")))
                {
                    foreach (string part in Directory.EnumerateFiles(Path.Combine(output, "results"), "part-*.parquet"))
                    {
                        Assert.NotEmpty(Duck.Query($"SELECT count(*) AS n FROM read_parquet('{part}')"));
                    }
                }
                Directory.Delete(output, recursive: true);
            }
        }
        finally
        {
            Process.Start("umount", [mount])!.WaitForExit();
        }
    }

    /// <summary>Throws an InvalidOperationException at the n-th call of whichever stage it wraps.</summary>
    private sealed class Faulty(int failAtCall, ManualResetEventSlim? after = null) : ISampleDecoder, IBatchScorer, IResultSink
    {
        private ISampleDecoder? decoder;
        private IBatchScorer? scorer;
        private IResultSink? sink;
        private int calls;
        private long failedAt = long.MaxValue;

        public long FailedAt => Interlocked.Read(ref failedAt);

        public Faulty Wrap(ISampleDecoder inner) { decoder = inner; return this; }

        public Faulty Wrap(IBatchScorer inner) { scorer = inner; return this; }

        public Faulty Wrap(IResultSink inner) { sink = inner; return this; }

        public DecodedSample Decode(ManifestEntry entry) { Tick(); return decoder!.Decode(entry); }

        public ScoredBatch Score(DecodedBatch batch) { Tick(); return scorer!.Score(batch); }

        public Task AddAsync(ScoredBatch batch, CancellationToken ct) { Tick(); return sink!.AddAsync(batch, ct); }

        public Task CompleteAsync(CancellationToken ct) => sink!.CompleteAsync(ct);

        private void Tick()
        {
            if (Interlocked.Increment(ref calls) == failAtCall)
            {
                Assert.True(after?.Wait(TimeSpan.FromSeconds(30)) ?? true, "the precondition of the fault never came");
                Interlocked.Exchange(ref failedAt, Stopwatch.GetTimestamp());
                throw new InvalidOperationException("injected fault");
            }
        }
    }

    /// <summary>A writer that blocks, uncancellably, on its first batch until the test releases it.</summary>
    private sealed class StuckSink(IResultSink inner, ManualResetEventSlim gate, ManualResetEventSlim stuck) : IResultSink
    {
        public Task AddAsync(ScoredBatch batch, CancellationToken ct)
        {
            stuck.Set();
            gate.Wait();
            return inner.AddAsync(batch, ct);
        }

        public Task CompleteAsync(CancellationToken ct) => inner.CompleteAsync(ct);
    }
}

/// <summary>Device out-of-memory halves the batch and carries on; a stalled batch trips the watchdog.</summary>
[Collection(TorchCollection.Name)]
public sealed class BatchRecoveryTests
{
    [Fact]
    public async Task OutOfMemory_HalvesTheBatchDownToWhatFits_AndTheResultsAreTheSame()
    {
        string dir = TestPaths.NewTempDir("oom");
        string manifest = TestDatasets.DemoSubset(dir, 40);
        AuditOptions reference = AuditConfig.Load(TestDatasets.Config(dir, manifest, audit: "\"batchSize\": 8", output: "ref"));
        await AuditRunner.RunAsync(reference, new RunRequest(null, false), _ => { });

        AuditOptions options = AuditConfig.Load(TestDatasets.Config(dir, manifest, audit: "\"batchSize\": 8", output: "oom"));
        var logs = new List<string>();
        var hooks = new PipelineHooks(Scorer: inner => new AllocatorLimit(inner, maxSamples: 2));
        RunManifest run = await AuditRunner.RunAsync(options, new RunRequest(null, false), logs.Add, default, hooks);

        Assert.Equal(2, run.BatchSizeUsed);
        Assert.Equal(2, RunManifest.Load(Path.Combine(options.Output.Directory, "run.json")).BatchSizeUsed);
        Assert.Contains(logs, l => l.Contains("out of memory on a batch of 8", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Contains("out of memory on a batch of 4", StringComparison.Ordinal));
        var a = Duck.Query($"SELECT sample_id, pred_label, pred_energy_lift, true_iou_top FROM {Duck.Results(reference.Output.Directory)} ORDER BY row");
        var b = Duck.Query($"SELECT sample_id, pred_label, pred_energy_lift, true_iou_top FROM {Duck.Results(options.Output.Directory)} ORDER BY row");
        Assert.Equal(40, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i]["sample_id"], b[i]["sample_id"]);
            Assert.Equal(a[i]["pred_label"], b[i]["pred_label"]);
            Assert.Equal(Convert.ToDouble(a[i]["pred_energy_lift"]), Convert.ToDouble(b[i]["pred_energy_lift"]), 1e-5);
        }
    }

    [Fact]
    public async Task StalledBatch_TripsTheWatchdog_AndTheRunFailsCleanly()
    {
        string dir = TestPaths.NewTempDir("stall");
        AuditOptions options = AuditConfig.Load(TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 24), audit: "\"batchSize\": 4, \"partRows\": 4, \"batchTimeoutSeconds\": 1"));
        using var gate = new ManualResetEventSlim(false);
        var hooks = new PipelineHooks(Scorer: inner => new StallingScorer(inner, gate, stallAt: 3));
        long start = Stopwatch.GetTimestamp();
        try
        {
            var ex = await Assert.ThrowsAsync<StageFailedException>(() => AuditRunner.RunAsync(options, new RunRequest(null, false), _ => { }, default, hooks));
            Assert.Contains("batchTimeoutSeconds", ex.Message, StringComparison.Ordinal);
            Assert.True(Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(30));
            RunManifest run = RunManifest.Load(Path.Combine(options.Output.Directory, "run.json"));
            Assert.Equal(RunStatus.Failed, run.Status);
            Assert.Equal(2, run.Counts.Parts); // the two batches before the stalled one are committed, for --resume
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact]
    public async Task EveryBatch_RunsOnOneLongLivedScoringThread()
    {
        // A fresh OS thread per batch kept a glibc arena and LibTorch's thread state per batch: 2.3 to 3.8 GB and half
        // the throughput on the resnet18 end-to-end run.
        string dir = TestPaths.NewTempDir("thread");
        AuditOptions options = AuditConfig.Load(TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 24), audit: "\"batchSize\": 4, \"partRows\": 4"));
        var threads = new System.Collections.Concurrent.ConcurrentBag<(int Id, bool Pool)>();
        var hooks = new PipelineHooks(Scorer: inner => new ThreadRecorder(inner, threads));
        RunManifest run = await AuditRunner.RunAsync(options, new RunRequest(null, false), _ => { }, default, hooks);
        Assert.Equal(RunStatus.Complete, run.Status);
        Assert.Equal(6, threads.Count);
        Assert.Single(threads.Select(t => t.Id).Distinct());
        Assert.DoesNotContain(threads, t => t.Pool);
    }

    private sealed class ThreadRecorder(IBatchScorer inner, System.Collections.Concurrent.ConcurrentBag<(int Id, bool Pool)> threads) : IBatchScorer
    {
        public ScoredBatch Score(DecodedBatch batch)
        {
            threads.Add((Environment.CurrentManagedThreadId, Thread.CurrentThread.IsThreadPoolThread));
            return inner.Score(batch);
        }
    }

    /// <summary>Throws what LibTorch throws when an allocation fails, for batches larger than the device "holds".</summary>
    private sealed class AllocatorLimit(IBatchScorer inner, int maxSamples) : IBatchScorer
    {
        public ScoredBatch Score(DecodedBatch batch) => batch.Samples.Count > maxSamples
            ? throw new System.Runtime.InteropServices.ExternalException($"CUDA out of memory. Tried to allocate {batch.Samples.Count * 512} MiB")
            : inner.Score(batch);
    }

    private sealed class StallingScorer(IBatchScorer inner, ManualResetEventSlim gate, int stallAt) : IBatchScorer
    {
        private int calls;

        public ScoredBatch Score(DecodedBatch batch)
        {
            if (Interlocked.Increment(ref calls) == stallAt)
            {
                gate.Wait();
            }
            return inner.Score(batch);
        }
    }
}
