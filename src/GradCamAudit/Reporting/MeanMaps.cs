using GradCamAudit.Results;

namespace GradCamAudit.Reporting;

/// <summary>One class's mean attention maps as the report shows them (thumbnails, "" where no sample contributed).</summary>
public sealed record MeanMapRow(string Name, long TrueCount, string ByTrueUri, long FlaggedCount, string FlaggedUri, long PredCount, string ByPredUri);

/// <summary>
/// Per-class mean attention maps: the average of the min-max-normalised predicted-class maps (each map scaled to [0, 1]
/// on its own, so that a confident sample does not outweigh the others) of a class's samples, by true class, of its
/// flagged samples (by true class), and by predicted class. Accumulated at the CAM's resolution and upsampled
/// bilinearly to the input for display: bilinear upsampling is linear, so this equals the mean of the upsampled maps.
/// A constant map has no normalised form and is left out. Rows are taken from a spread <see cref="Fraction"/> of the
/// row groups (all of them up to <see cref="SampleRows"/> audited rows), so a report of a huge run stays bounded.
/// </summary>
public sealed class MeanMaps
{
    /// <summary>Up to this many audited rows, every row contributes; above it, a spread share of the row groups.</summary>
    public const long SampleRows = 50_000;

    private readonly int classes;
    private readonly int cells;
    private readonly Accumulator[] byTrue, flaggedByTrue, byPred;
    private MeanMapsState? restored;

    /// <param name="classes">Class count.</param>
    /// <param name="camHeight">Map height.</param>
    /// <param name="camWidth">Map width.</param>
    /// <param name="auditedRows">Rows of the run (what the sample share is computed from).</param>
    /// <param name="exact">Every row, whatever the run's size: the audit's own report, persisted for later ones.</param>
    public MeanMaps(int classes, int camHeight, int camWidth, long auditedRows, bool exact = false)
    {
        this.classes = classes;
        CamHeight = camHeight;
        CamWidth = camWidth;
        cells = camHeight * camWidth;
        Fraction = exact || auditedRows <= SampleRows ? 1.0 : (double)SampleRows / auditedRows;
        byTrue = NewAccumulators();
        flaggedByTrue = NewAccumulators();
        byPred = NewAccumulators();
    }

    public int CamHeight { get; }

    public int CamWidth { get; }

    /// <summary>The share of row groups read (1: every row).</summary>
    public double Fraction { get; private set; }

    public long RowsUsed { get; private set; }

    public MeanMapsState ToState() => restored ?? new MeanMapsState(CamHeight, CamWidth, Fraction, RowsUsed,
        byTrue.Select(a => a.Mean()).ToArray(), flaggedByTrue.Select(a => a.Mean()).ToArray(), byPred.Select(a => a.Mean()).ToArray(),
        byTrue.Select(a => a.Count).ToArray(), flaggedByTrue.Select(a => a.Count).ToArray(), byPred.Select(a => a.Count).ToArray());

    /// <summary>Mean maps restored from <see cref="ToState"/> (a persisted summary).</summary>
    public static MeanMaps FromState(MeanMapsState s) =>
        new(s.ByTrue.Length, s.CamHeight, s.CamWidth, 0) { restored = s, Fraction = s.Fraction, RowsUsed = s.RowsUsed };

    /// <summary>Whether row group number <paramref name="chunk"/> (0-based, in reading order) is in the spread sample.</summary>
    public bool Takes(long chunk) => Fraction >= 1 || Math.Floor((chunk + 1) * Fraction) > Math.Floor(chunk * Fraction);

    public void Add(ReportRow r, float[] map)
    {
        if (map.Length != cells || cells == 0 || r.TrueLabel < 0 || r.TrueLabel >= classes || r.PredLabel < 0 || r.PredLabel >= classes)
        {
            return;
        }
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in map)
        {
            (min, max) = (Math.Min(min, v), Math.Max(max, v));
        }
        if (!(max > min) || !float.IsFinite(max) || !float.IsFinite(min))
        {
            return;
        }
        RowsUsed++;
        byTrue[r.TrueLabel].Add(map, min, max);
        byPred[r.PredLabel].Add(map, min, max);
        if (r.Flagged == true)
        {
            flaggedByTrue[r.TrueLabel].Add(map, min, max);
        }
    }

    /// <summary>The mean map of class <paramref name="k"/> (null when no sample contributed).</summary>
    public float[]? Mean(string kind, int k) => restored != null
        ? (kind switch { "true" => restored.ByTrue, "flagged" => restored.Flagged, _ => restored.ByPred })[k]
        : (kind switch { "true" => byTrue, "flagged" => flaggedByTrue, _ => byPred })[k].Mean();

    public long Count(string kind, int k) => restored != null
        ? (kind switch { "true" => restored.ByTrueCount, "flagged" => restored.FlaggedCount, _ => restored.ByPredCount })[k]
        : (kind switch { "true" => byTrue, "flagged" => flaggedByTrue, _ => byPred })[k].Count;

    private Accumulator[] NewAccumulators() => Enumerable.Range(0, classes).Select(_ => new Accumulator(cells)).ToArray();

    private sealed class Accumulator(int cells)
    {
        private double[]? sum;

        public long Count { get; private set; }

        public void Add(float[] map, float min, float max)
        {
            sum ??= new double[cells];
            double scale = 1.0 / (max - min);
            for (int i = 0; i < cells; i++)
            {
                sum[i] += (map[i] - min) * scale;
            }
            Count++;
        }

        public float[]? Mean() => sum == null ? null : sum.Select(v => (float)(v / Count)).ToArray();
    }
}
