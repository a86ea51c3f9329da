using GradCamAudit.Data;

namespace GradCamAudit.Pipeline;

/// <summary>The device stage's work on one batch: forward, maps, scores.</summary>
public interface IBatchScorer
{
    ScoredBatch Score(DecodedBatch batch);
}

/// <summary>The write stage: takes scored batches in row order and commits them in parts.</summary>
public interface IResultSink
{
    Task AddAsync(ScoredBatch batch, CancellationToken ct);

    Task CompleteAsync(CancellationToken ct);
}

/// <summary>
/// Optional decorators of the three stages, applied when a run is assembled: how tests inject a throwing decoder,
/// scorer or writer (or a stalled one) into a real run.
/// </summary>
public sealed record PipelineHooks(
    Func<ISampleDecoder, ISampleDecoder>? Decoder = null,
    Func<IBatchScorer, IBatchScorer>? Scorer = null,
    Func<IResultSink, IResultSink>? Sink = null);

/// <summary>A stage of the pipeline failed; every stage was cancelled. The message is the one-line reason.</summary>
public sealed class StageFailedException(string stage, Exception inner) : Exception($"{stage} stage failed: {inner.GetType().Name}: {inner.Message}", inner)
{
    public string Stage { get; } = stage;
}
