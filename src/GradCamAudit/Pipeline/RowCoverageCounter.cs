using GradCamAudit.Data;
using GradCamAudit.Results;

namespace GradCamAudit.Pipeline;

/// <summary>
/// Counts the rows the dataset yields on their way into the pipeline (before the resume and shard filters), so the run
/// can record what it was meant to cover (<see cref="RowCoverage"/>). The enumeration runs on one thread; read
/// <see cref="Result"/> after it finished.
/// </summary>
public sealed class RowCoverageCounter(ShardSpec? shard)
{
    private RowDigest dataset;
    private RowDigest own;
    private long last;
    private bool contiguous = true;
    private bool finished;

    public IEnumerable<ManifestEntry> Observe(IEnumerable<ManifestEntry> entries)
    {
        foreach (ManifestEntry e in entries)
        {
            long row = e.Source.Row;
            contiguous &= row == last + 1;
            last = Math.Max(last, row);
            dataset.Add(row);
            if (shard?.Contains(row) ?? true)
            {
                own.Add(row);
            }
            yield return e;
        }
        finished = true;
    }

    /// <summary>The coverage, or null when the enumeration did not run to its end.</summary>
    public RowCoverage? Result => finished ? new RowCoverage(dataset.Count, last, contiguous, dataset.Hex, own.Count, own.Hex) : null;
}
