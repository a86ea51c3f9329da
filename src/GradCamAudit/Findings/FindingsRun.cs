using GradCamAudit.Options;
using GradCamAudit.Results;
using Parquet;
using Parquet.Serialization;

namespace GradCamAudit.Findings;

/// <summary>
/// The I/O edge of the findings: reads a run folder's committed results (never the model, the manifest or the images),
/// decides every row's finding in two streamed passes (the run's class statistics, then the verdicts) and writes
/// <c>findings.parquet</c> (joined to the results by <c>sample_id</c>), <c>findings.json</c> (settings, class statistics,
/// counts) and the review export (<see cref="ReviewExport"/>). Run by every report render, so <c>audit</c>,
/// <c>--resume</c>, <c>merge</c> and <c>report</c> all decide them from the same committed rows.
/// </summary>
public static class FindingsRun
{
    public const string ParquetName = "findings.parquet";
    public const string JsonName = "findings.json";

    /// <summary>The settings of a run's config.</summary>
    public static FindingsSettings SettingsOf(AuditOptions config)
    {
        FindingsOptions f = config.FindingsSettings;
        return new FindingsSettings(config.Audit.OffObjectLiftThreshold, f.MinMapSize, f.AcceptCoarseMaps, f.OutlierMads);
    }

    /// <summary>
    /// Decides and writes the findings of a run folder; returns what the report shows of them, with the evidence line
    /// of each sample in <paramref name="describe"/> (the report's gallery cards).
    /// </summary>
    public static FindingsReport Write(string runDirectory, RunManifest run, IReadOnlySet<string>? describe = null)
    {
        AuditOptions config = run.Config;
        FindingsSettings settings = SettingsOf(config);
        IReadOnlyList<string> classes = config.Dataset.Classes;
        int perKind = Math.Max(1, config.Report.GalleryMax);
        var collector = new ClassThresholds.Collector(classes.Count);
        foreach ((ReportRow[] rows, _) in ResultsReader.ReadChunks(runDirectory))
        {
            foreach (ReportRow r in rows)
            {
                collector.Add(Input(r));
            }
        }
        ClassThresholds stats = ClassThresholds.From(collector, settings.OutlierMads);
        var records = new List<FindingRecord>();
        var tally = new FindingsTally(classes, perKind) { Describe = describe };
        var labelErrors = new List<(ReportRow Row, Finding Finding)>();
        foreach ((ReportRow[] rows, RowOrigin origin) in ResultsReader.ReadChunks(runDirectory))
        {
            foreach (ReportRow r in rows)
            {
                Finding f = FindingRules.Decide(Input(r), stats, settings);
                records.Add(FindingRecord.Of(f));
                tally.Add(r, origin, f, settings.OffObjectLiftThreshold);
                if (f.Kind == FindingKinds.LabelError)
                {
                    labelErrors.Add((r, f));
                }
            }
        }
        records.Sort((a, b) => a.Row.CompareTo(b.Row) is int c && c != 0 ? c : string.CompareOrdinal(a.SampleId, b.SampleId));
        string parquet = Path.Combine(runDirectory, ParquetName);
        RunFolder.WriteAtomicAsync(parquet, s => ParquetSerializer.SerializeAsync(records, s, new ParquetOptions { RowGroupSize = 100_000 }), overwrite: true)
            .GetAwaiter().GetResult();
        FindingsReport report = tally.Report(stats, settings, run);
        FindingsJson.Write(Path.Combine(runDirectory, JsonName), report);
        ReviewExport.Write(runDirectory, classes, labelErrors);
        return report;
    }

    /// <summary>Reads <c>findings.parquet</c> back (tests, tools).</summary>
    public static IReadOnlyList<Finding> Read(string runDirectory)
    {
        using FileStream stream = File.OpenRead(Path.Combine(runDirectory, ParquetName));
        IList<FindingRecord> rows = ParquetSerializer.DeserializeAsync<FindingRecord>(stream).GetAwaiter().GetResult().Data;
        return rows.Select(r => r.ToFinding()).ToList();
    }

    /// <summary>The scalars of a results row a finding is decided from.</summary>
    public static FindingInput Input(ReportRow r) =>
        new(r.SampleId, r.Row, r.TrueLabel, r.PredLabel, r.Confidence, r.TrueProb, r.PredEnergyLift, r.OffObject, r.CamHeight, r.CamWidth, r.ObjectOnlyPred, r.BackgroundOnlyPred, r.ObjectOnlyProb);
}
