using System.Diagnostics;
using System.Threading.Channels;
using GradCamAudit.Data;
using GradCamAudit.Options;
using GradCamAudit.Results;
using Microsoft.Extensions.Logging;

namespace GradCamAudit.Pipeline;

/// <summary>
/// The three stages of a run joined by bounded channels: decode (parallel, bounded prefetch) → device (explain + score)
/// → commit. The stage contract: the first failure of any stage cancels every stage and completes both channels, so
/// no stage waits on a queue that nobody drains; the run then waits at most <see cref="Grace"/> for the stages to
/// stop (a native call cannot be interrupted) and throws <see cref="StageFailedException"/> either way.
/// </summary>
public sealed class StagePipeline(ISampleDecoder decoder, IBatchScorer scorer, IResultSink sink, AuditSettings settings, StageTimings timings, ILogger log, IProgress<RunProgress>? progress = null, long rowsBefore = 0, long rowsTotal = 0)
{
    /// <summary>How long stages get to stop after a failure before the run gives up on them.</summary>
    public static TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>False when a stage was still busy (stuck in a native call or a stalled write) after the grace period.</summary>
    public bool Settled { get; private set; } = true;

    private ScoringThread? scoringThread;

    public async Task RunAsync(IEnumerable<ManifestEntry> entries, CancellationToken ct)
    {
        var decoded = Channel.CreateBounded<DecodedBatch>(new BoundedChannelOptions(settings.PrefetchBatches) { SingleReader = true, SingleWriter = true });
        var scored = Channel.CreateBounded<ScoredBatch>(new BoundedChannelOptions(settings.PrefetchBatches) { SingleReader = true, SingleWriter = true });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var failure = new TaskCompletionSource<StageFailedException>(TaskCreationOptions.RunContinuationsAsynchronously);

        Task Stage(string name, Func<CancellationToken, Task> body) => Task.Run(async () =>
        {
            try
            {
                await body(cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cts.IsCancellationRequested)
            {
                if (failure.TrySetResult(new StageFailedException(name, Unwrap(ex))))
                {
                    cts.Cancel();
                    decoded.Writer.TryComplete();
                    scored.Writer.TryComplete();
                }
            }
            catch (Exception) when (cts.IsCancellationRequested)
            {
                // A consequence of the failure (or cancellation) that stopped the run, not a cause.
            }
        });

        using var scoring = new ScoringThread();
        scoringThread = scoring;
        Task all = Task.WhenAll(
            Stage("decode", t => ProduceAsync(entries, decoded.Writer, t)),
            Stage("compute", t => ComputeAsync(decoded.Reader, scored.Writer, t)),
            Stage("write", t => WriteAsync(scored.Reader, t)));
        await Task.WhenAny(all, failure.Task).ConfigureAwait(false);
        // Stages swallow their own exception once recorded, so `all` can complete "successfully" at the same moment:
        // the failure is what counts, whichever finished first.
        if (failure.Task.IsCompleted || ct.IsCancellationRequested)
        {
            // A failure or a cancellation (SIGTERM) stops the stages, but a batch already inside LibTorch runs on: the
            // run is settled only once the scoring thread has left it, so the model and the scorer's tensors are
            // disposed after the last native call, never under it.
            long deadline = Stopwatch.GetTimestamp() + (long)(Grace.TotalSeconds * Stopwatch.Frequency);
            await Task.WhenAny(all, Task.Delay(Grace, CancellationToken.None)).ConfigureAwait(false);
            TimeSpan left = TimeSpan.FromSeconds(Math.Max(0, (deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency));
            Settled = all.IsCompleted && scoring.Stop(left);
            if (failure.Task.IsCompleted)
            {
                throw failure.Task.Result;
            }
            ct.ThrowIfCancellationRequested();
        }
        Settled = scoring.Stop(Grace);
    }

    /// <summary>Manifest-level errors held before they are sent on with the valid rows before them.</summary>
    public const int MaxPendingErrors = 4096;

    private static Exception Unwrap(Exception ex) => ex is AggregateException { InnerExceptions.Count: > 0 } agg ? Unwrap(agg.InnerExceptions[0]) : ex;

    private async Task ProduceAsync(IEnumerable<ManifestEntry> entries, ChannelWriter<DecodedBatch> output, CancellationToken ct)
    {
        var pending = new List<ManifestEntry>(settings.BatchSize);
        var errors = new List<SampleError>();
        foreach (ManifestEntry entry in entries)
        {
            ct.ThrowIfCancellationRequested();
            if (entry.ErrorCode != null)
            {
                errors.Add(new SampleError(entry.Source.Row, entry.Source.SampleId, entry.Source.Image, entry.ErrorCode, entry.ErrorDetail ?? ""));
                if (errors.Count >= MaxPendingErrors)
                {
                    // A manifest of mostly bad rows commits as it goes (with the valid rows before, in row order, so a
                    // resume never skips an uncommitted row), instead of holding every error until a batch fills.
                    await output.WriteAsync(Decode(pending, errors, ct), ct).ConfigureAwait(false);
                    pending = new List<ManifestEntry>(settings.BatchSize);
                    errors = [];
                }
                continue;
            }
            pending.Add(entry);
            if (pending.Count == settings.BatchSize)
            {
                await output.WriteAsync(Decode(pending, errors, ct), ct).ConfigureAwait(false);
                pending = new List<ManifestEntry>(settings.BatchSize);
                errors = [];
            }
        }
        if (pending.Count > 0 || errors.Count > 0)
        {
            await output.WriteAsync(Decode(pending, errors, ct), ct).ConfigureAwait(false);
        }
        output.TryComplete();
    }

    private DecodedBatch Decode(List<ManifestEntry> entries, List<SampleError> errors, CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        var results = new DecodedSample?[entries.Count];
        var failures = new SampleError?[entries.Count];
        Parallel.For(0, entries.Count, new ParallelOptions { MaxDegreeOfParallelism = settings.DecodeWorkers, CancellationToken = ct }, i =>
        {
            ManifestEntry e = entries[i];
            try
            {
                results[i] = decoder.Decode(e);
            }
            catch (SampleException ex)
            {
                failures[i] = new SampleError(e.Source.Row, e.Source.SampleId, e.Source.Image, ex.ReasonCode, ex.Message);
            }
        });
        errors.AddRange(failures.Where(f => f != null)!);
        timings.AddDecode(Stopwatch.GetElapsedTime(start));
        return new DecodedBatch(results.Where(r => r != null).ToArray()!, errors);
    }

    /// <summary>The batch size in use: the configured one, halved after each device out-of-memory (recorded in run.json).</summary>
    public int BatchSizeUsed { get; private set; } = settings.BatchSize;

    private async Task ComputeAsync(ChannelReader<DecodedBatch> input, ChannelWriter<ScoredBatch> output, CancellationToken ct)
    {
        long done = rowsBefore;
        long started = Stopwatch.GetTimestamp();
        await foreach (DecodedBatch batch in input.ReadAllAsync(ct).ConfigureAwait(false))
        {
            long start = Stopwatch.GetTimestamp();
            var rows = new List<Results.ResultRow>(batch.Samples.Count);
            var errors = new List<SampleError>(batch.Errors);
            var explanations = new List<Results.ExplanationRow>();
            int offset = 0;
            while (offset < batch.Samples.Count || (offset == 0 && batch.Samples.Count == 0))
            {
                int size = Math.Min(BatchSizeUsed, batch.Samples.Count - offset);
                var chunk = new DecodedBatch(batch.Samples.Skip(offset).Take(size).ToArray(), []);
                ScoredBatch scored;
                try
                {
                    scored = await ScoreWithWatchdogAsync(chunk, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsOutOfMemory(ex) && size > 1)
                {
                    BatchSizeUsed = Math.Max(1, size / 2);
                    log.LogWarning("device out of memory on a batch of {Size}: retrying it, and continuing, with batches of {BatchSize}", size, BatchSizeUsed);
                    continue;
                }
                rows.AddRange(scored.Rows);
                errors.AddRange(scored.Errors);
                explanations.AddRange(scored.Explanations ?? []);
                offset += size;
                if (batch.Samples.Count == 0)
                {
                    break;
                }
            }
            timings.AddCompute(Stopwatch.GetElapsedTime(start));
            done += batch.Samples.Count + batch.Errors.Count;
            progress?.Report(new RunProgress(done, Math.Max(done, rowsTotal), Stopwatch.GetElapsedTime(started)));
            errors.Sort((a, b) => a.Row.CompareTo(b.Row));
            await output.WriteAsync(new ScoredBatch(rows, errors, explanations), ct).ConfigureAwait(false);
        }
        output.TryComplete();
    }

    /// <summary>
    /// Scores one batch on the run's <see cref="ScoringThread"/> under the per-batch watchdog
    /// (<c>audit.batchTimeoutSeconds</c>): a native call cannot be cancelled, so a batch that stalls past the limit
    /// fails the run (everything committed stays, for --resume).
    /// </summary>
    private async Task<ScoredBatch> ScoreWithWatchdogAsync(DecodedBatch batch, CancellationToken ct)
    {
        Task<ScoredBatch> work = (scoringThread ?? throw new InvalidOperationException("no scoring thread outside RunAsync")).Run(() => scorer.Score(batch));
        Task finished = await Task.WhenAny(work, Task.Delay(TimeSpan.FromSeconds(settings.BatchTimeoutSeconds), ct)).ConfigureAwait(false);
        if (finished != work)
        {
            // The native call goes on (the model must outlive it): RunAsync settles only when the scoring thread has left it.
            ct.ThrowIfCancellationRequested();
            throw new TimeoutException($"a batch of {batch.Samples.Count} samples stalled for more than audit.batchTimeoutSeconds = {settings.BatchTimeoutSeconds} s");
        }
        return await work.ConfigureAwait(false);
    }

    /// <summary>LibTorch reports allocation failures as native errors whose text says so (CUDA and CPU allocators alike).</summary>
    public static bool IsOutOfMemory(Exception ex) =>
        ex is OutOfMemoryException
        || (ex is System.Runtime.InteropServices.ExternalException && (ex.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
            || ex.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase)));

    private async Task WriteAsync(ChannelReader<ScoredBatch> input, CancellationToken ct)
    {
        await foreach (ScoredBatch batch in input.ReadAllAsync(ct).ConfigureAwait(false))
        {
            long start = Stopwatch.GetTimestamp();
            await sink.AddAsync(batch, ct).ConfigureAwait(false);
            timings.AddWrite(Stopwatch.GetElapsedTime(start));
        }
        long flush = Stopwatch.GetTimestamp();
        await sink.CompleteAsync(ct).ConfigureAwait(false);
        timings.AddWrite(Stopwatch.GetElapsedTime(flush));
    }
}
