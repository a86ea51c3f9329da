namespace GradCamAudit.Results;

/// <summary>An error record for errors.csv.</summary>
public sealed record SampleError(long Row, string SampleId, string Image, string ReasonCode, string Detail);
