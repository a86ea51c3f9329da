using GradCamAudit.Reporting;
using GradCamAudit.Results;

namespace GradCamAudit.Gates;

/// <summary>Counts behind a run's rates, overall and per true class.</summary>
public sealed class RateCounts
{
    public long Samples { get; set; }

    public long Correct { get; set; }

    /// <summary>Samples whose off-object verdict is defined (non-empty mask).</summary>
    public long Judged { get; set; }

    public long OffObject { get; set; }

    public long Flagged { get; set; }

    public long RightForWrongReason { get; set; }

    public double LiftSum { get; set; }

    public long LiftCount { get; set; }

    public double? Rate(long x) => Samples == 0 ? null : (double)x / Samples;

    public double? OnObjectRate => Judged == 0 ? null : (double)(Judged - OffObject) / Judged;

    public double? MeanLift => LiftCount == 0 ? null : LiftSum / LiftCount;

    public void Add(ReportRow r)
    {
        Samples++;
        Correct += r.Correct ? 1 : 0;
        if (r.OffObject is bool off)
        {
            Judged++;
            OffObject += off ? 1 : 0;
        }
        Flagged += r.Flagged == true ? 1 : 0;
        RightForWrongReason += r.RightForWrongReason == true ? 1 : 0;
        if (r.PredEnergyLift is double lift)
        {
            LiftSum += lift;
            LiftCount++;
        }
    }
}

/// <summary>
/// A run's rates and its flagged sample ids, read in one streaming pass over its results. Samples whose acknowledgement
/// holds on <c>day</c> are left out of every count (numerators and denominators alike) and counted in
/// <see cref="AcknowledgedSamples"/>: the gates see the run as if they were not there.
/// </summary>
public sealed record RunRates(RunManifest Run, RateCounts Overall, IReadOnlyList<RateCounts> PerClass, IReadOnlyDictionary<string, int> FlaggedIds, long AcknowledgedSamples = 0)
{
    public static RunRates Read(string runDirectory, Acknowledgements? acknowledged = null, DateOnly? day = null)
    {
        RunManifest run = new RunFolder(runDirectory).LoadManifest() ?? throw new Options.ConfigException($"'{runDirectory}' holds no run.json (not a run folder)");
        acknowledged ??= Acknowledgements.For(run.Config.GatesSettings);
        DateOnly today = day ?? DateOnly.FromDateTime(run.StartedUtc.UtcDateTime);
        long skipped = 0;
        int classes = run.Config.Dataset.Classes.Count;
        var overall = new RateCounts();
        var perClass = Enumerable.Range(0, classes).Select(_ => new RateCounts()).ToArray();
        var flagged = new Dictionary<string, int>(StringComparer.Ordinal); // flagged sample id → true class
        foreach (ReportRow r in ResultsReader.ReadChunks(runDirectory).SelectMany(c => c.Rows))
        {
            if (acknowledged.Count > 0 && acknowledged.Excludes(r.SampleId, today))
            {
                skipped++;
                continue;
            }
            overall.Add(r);
            if (r.TrueLabel >= 0 && r.TrueLabel < classes)
            {
                perClass[r.TrueLabel].Add(r);
            }
            if (r.Flagged == true)
            {
                flagged[r.SampleId] = r.TrueLabel;
            }
        }
        return new RunRates(run, overall, perClass, flagged, skipped);
    }
}
