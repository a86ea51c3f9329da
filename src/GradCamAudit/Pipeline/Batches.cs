using GradCamAudit.Data;
using GradCamAudit.Results;

namespace GradCamAudit.Pipeline;

/// <summary>A decoded batch: the samples that decoded, and the rows of this stretch of the manifest that could not.</summary>
public sealed record DecodedBatch(IReadOnlyList<DecodedSample> Samples, IReadOnlyList<SampleError> Errors);

/// <summary>What the compute stage hands the writers: audited rows and the errors of one batch, in manifest order per kind.</summary>
public sealed record ScoredBatch(IReadOnlyList<ResultRow> Rows, IReadOnlyList<SampleError> Errors, IReadOnlyList<ExplanationRow>? Explanations = null);

/// <summary>Thrown for usage problems (output folder not empty, bad flags): exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
