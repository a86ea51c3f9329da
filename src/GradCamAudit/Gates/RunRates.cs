using GradCamAudit.Options;
using GradCamAudit.Results;

namespace GradCamAudit.Gates;

/// <summary>Counts behind a run's rates, overall and per true class.</summary>
public sealed class RateCounts
{
    public long Samples { get; set; }

    public long Correct { get; set; }

    /// <summary>
    /// Samples whose off-object verdict is defined: those with a (non-empty) mask. The denominator of every rate over
    /// mask metrics (on-object, flagged, right for the wrong reason): a sample without a mask can be none of them.
    /// </summary>
    public long Judged { get; set; }

    /// <summary>Samples per <c>mask_source</c> (file, box, coco, voc, none); results written before the column count in none of them.</summary>
    public Dictionary<string, long> MaskSources { get; set; } = new(StringComparer.Ordinal);

    public long OffObject { get; set; }

    public long Flagged { get; set; }

    public long RightForWrongReason { get; set; }

    public double LiftSum { get; set; }

    public long LiftCount { get; set; }

    public double? Rate(long x) => Samples == 0 ? null : (double)x / Samples;

    /// <summary>A rate over the samples with a mask (<see cref="Judged"/>): flagged, right for the wrong reason.</summary>
    public double? MaskRate(long x) => Judged == 0 ? null : (double)x / Judged;

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
        if (r.MaskSource is string source)
        {
            MaskSources[source] = MaskSources.GetValueOrDefault(source) + 1;
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

/// <summary>A run's counts as plain data: overall, per true class, and the flagged ids with their true class (persisted with the run summary).</summary>
/// <summary>A run's rates kept from an earlier pass (the report's run-summary.json), or null when it holds none that is current.</summary>
public delegate RatesState? CachedRates(string runDirectory, RunManifest run);

public sealed record RatesState(RateCounts Overall, RateCounts[] PerClass, Dictionary<string, int> FlaggedIds);

/// <summary>Accumulates a run's rates one results row at a time (the streaming pass of the gates and of the report).</summary>
public sealed class RatesAccumulator(int classes)
{
    private readonly RateCounts overall = new();
    private readonly RateCounts[] perClass = Enumerable.Range(0, classes).Select(_ => new RateCounts()).ToArray();
    private readonly Dictionary<string, int> flagged = new(StringComparer.Ordinal); // flagged sample id → true class

    public void Add(ReportRow r)
    {
        overall.Add(r);
        if (r.TrueLabel >= 0 && r.TrueLabel < perClass.Length)
        {
            perClass[r.TrueLabel].Add(r);
        }
        if (r.Flagged == true)
        {
            flagged[r.SampleId] = r.TrueLabel;
        }
    }

    public RatesState ToState() => new(overall, perClass, flagged);
}

/// <summary>
/// A run's rates and its flagged sample ids. Samples whose acknowledgement holds on <c>day</c> are left out of every
/// count (numerators and denominators alike) and counted in <see cref="AcknowledgedSamples"/>: the gates see the run
/// as if they were not there. Without acknowledgements the rates come from the persisted run summary when it still
/// matches the result files (no pass over the results); otherwise from one streaming pass.
/// </summary>
public sealed record RunRates(RunManifest Run, RateCounts Overall, IReadOnlyList<RateCounts> PerClass, IReadOnlyDictionary<string, int> FlaggedIds, long AcknowledgedSamples = 0)
{
    /// <summary>True when the last <see cref="Read"/> of this process took its counts from a persisted run summary (for tests and logs).</summary>
    public bool FromPersistedSummary { get; init; }

    /// <summary>
    /// The run's findings counted from <c>findings.parquet</c> (acknowledged samples left out), read only when the run's
    /// config sets a finding gate; null otherwise, or when the run folder has none.
    /// </summary>
    public FindingCounts? Findings { get; init; }

    /// <summary>
    /// Reads the run's rates: from <paramref name="cache"/> (the report's persisted run summary, passed in by the caller so
    /// the gates never reach into the report) when it holds them and no acknowledge list applies, else in one streaming
    /// pass over the results.
    /// </summary>
    public static RunRates Read(string runDirectory, Acknowledgements? acknowledged = null, DateOnly? day = null, CachedRates? cache = null)
    {
        RunManifest run = new RunFolder(runDirectory).LoadManifest() ?? throw new Options.ConfigException($"'{runDirectory}' holds no run.json (not a run folder)");
        acknowledged ??= Acknowledgements.For(run.Config.GatesSettings);
        DateOnly today = day ?? DateOnly.FromDateTime(run.StartedUtc.UtcDateTime);
        if (acknowledged.Count == 0 && cache?.Invoke(runDirectory, run) is RatesState state)
        {
            return new RunRates(run, state.Overall, state.PerClass, state.FlaggedIds) { FromPersistedSummary = true, Findings = FindingsIfGated(run, runDirectory, acknowledged, today) };
        }
        long skipped = 0;
        var rates = new RatesAccumulator(run.Config.Dataset.Classes.Count);
        foreach (ReportRow r in ResultsReader.ReadChunks(runDirectory).SelectMany(c => c.Rows))
        {
            if (acknowledged.Count > 0 && acknowledged.Excludes(r.SampleId, today))
            {
                skipped++;
                continue;
            }
            rates.Add(r);
        }
        RatesState counted = rates.ToState();
        return new RunRates(run, counted.Overall, counted.PerClass, counted.FlaggedIds, skipped) { Findings = FindingsIfGated(run, runDirectory, acknowledged, today) };
    }

    // findings.parquet is one pass over every row: only the finding gates need it.
    private static FindingCounts? FindingsIfGated(RunManifest run, string runDirectory, Acknowledgements acknowledged, DateOnly day) =>
        run.Config.GatesSettings is { MaxLabelErrorRate: null, MaxShortcutRate: null } ? null : FindingCounts.Read(runDirectory, acknowledged, day);
}

/// <summary>How many samples have a finding (kind not null) and how many of them are label errors and shortcuts: the denominators and numerators of the finding gates.</summary>
public sealed record FindingCounts(long WithFinding, long LabelErrors, long Shortcuts)
{
    public static FindingCounts? Read(string runDirectory, Acknowledgements acknowledged, DateOnly day)
    {
        if (!File.Exists(Path.Combine(runDirectory, GradCamAudit.Findings.FindingsRun.ParquetName)))
        {
            return null;
        }
        long with = 0, labelErrors = 0, shortcuts = 0;
        foreach (GradCamAudit.Findings.Finding f in GradCamAudit.Findings.FindingsRun.Read(runDirectory))
        {
            if (f.Kind == null || (acknowledged.Count > 0 && acknowledged.Excludes(f.SampleId, day)))
            {
                continue;
            }
            with++;
            labelErrors += f.Kind == GradCamAudit.Findings.FindingKinds.LabelError ? 1 : 0;
            shortcuts += f.Kind == GradCamAudit.Findings.FindingKinds.Shortcut ? 1 : 0;
        }
        return new FindingCounts(with, labelErrors, shortcuts);
    }
}
