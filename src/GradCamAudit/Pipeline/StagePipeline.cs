using System.Diagnostics;
using System.Threading.Channels;
using GradCamAudit.Data;
using GradCamAudit.Options;

namespace GradCamAudit.Pipeline;

/// <summary>
/// The three stages of a run joined by bounded channels: decode (parallel, bounded prefetch) → device (explain + score)
/// → commit. The stage contract: the first failure of any stage cancels every stage and completes both channels, so
/// no stage waits on a queue that nobody drains; the run then waits at most <see cref="Grace"/> for the stages to
/// stop (a native call cannot be interrupted) and throws <see cref="StageFailedException"/> either way.
/// </summary>
public sealed class StagePipeline(ISampleDecoder decoder, IBatchScorer scorer, IResultSink sink, AuditSettings settings, StageTimings timings, Action<string> log)
{
    /// <summary>How long stages get to stop after a failure before the run gives up on them.</summary>
    public static TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>False when a stage was still busy (stuck in a native call or a stalled write) after the grace period.</summary>
    public bool Settled { get; private set; } = true;

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

        Task all = Task.WhenAll(
            Stage("decode", t => ProduceAsync(entries, decoded.Writer, t)),
            Stage("compute", t => ComputeAsync(decoded.Reader, scored.Writer, t)),
            Stage("write", t => WriteAsync(scored.Reader, t)));
        await Task.WhenAny(all, failure.Task).ConfigureAwait(false);
        // Stages swallow their own exception once recorded, so `all` can complete "successfully" at the same moment:
        // the failure is what counts, whichever finished first.
        if (failure.Task.IsCompleted)
        {
            await Task.WhenAny(all, Task.Delay(Grace, CancellationToken.None)).ConfigureAwait(false);
            Settled = all.IsCompleted;
            throw failure.Task.Result;
        }
        ct.ThrowIfCancellationRequested();
    }

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

    private async Task ComputeAsync(ChannelReader<DecodedBatch> input, ChannelWriter<ScoredBatch> output, CancellationToken ct)
    {
        long done = 0;
        long lastLog = Stopwatch.GetTimestamp();
        await foreach (DecodedBatch batch in input.ReadAllAsync(ct).ConfigureAwait(false))
        {
            long start = Stopwatch.GetTimestamp();
            ScoredBatch result = scorer.Score(batch);
            timings.AddCompute(Stopwatch.GetElapsedTime(start));
            done += batch.Samples.Count + batch.Errors.Count;
            if (Stopwatch.GetElapsedTime(lastLog) > TimeSpan.FromSeconds(5))
            {
                log($"{done} rows processed");
                lastLog = Stopwatch.GetTimestamp();
            }
            await output.WriteAsync(result, ct).ConfigureAwait(false);
        }
        output.TryComplete();
    }

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
