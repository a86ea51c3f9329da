using GradCamAudit.Results;

namespace GradCamAudit.Reporting;

/// <summary>
/// The report's aggregates, accumulated exactly in one streaming pass over the results (one row group at a time):
/// headline counts, per-class figures (medians from the per-class lift values: 8 bytes a row), the confusion matrix,
/// and the galleries as bounded heaps of the worst K rows. Memory does not grow with anything but the class count,
/// the gallery caps and one double per row.
/// </summary>
public sealed class RunSummary
{
    private readonly int classCount;
    private readonly ClassAccumulator[] perClass;
    private readonly Dictionary<int, BoundedWorst> flagged = [];
    private readonly Dictionary<int, BoundedWorst> rightForWrongReason = [];
    private readonly Dictionary<int, BoundedWorst> labelErrors = [];
    private readonly int flaggedCap;
    private readonly int rfwrCap;
    private readonly Dictionary<int, long> flaggedByPrediction = [];
    private readonly Dictionary<string, long> maskSources = new(StringComparer.Ordinal);
    private double liftCorrectSum;
    private long liftCorrectCount;
    private double liftWrongSum;
    private long liftWrongCount;
    private IReadOnlyList<ClassTable.Stats>? frozenClasses;
    private IReadOnlyList<ClassTable.Stats>? classes; // computed once after the last row (medians sort the per-class lifts)
    private IReadOnlyList<(ReportRow Row, RowOrigin Origin)>? frozenFlagged, frozenRfwr, frozenLabelErrors;

    /// <summary>Predicted-class lift of correct samples, of misclassified ones, and per true class.</summary>
    public LiftHistogram LiftCorrect { get; private set; } = new();

    public LiftHistogram LiftWrong { get; private set; } = new();

    public IReadOnlyList<LiftHistogram> LiftByClass { get; private set; } = [];

    /// <summary>Off-object rate in bins of confidence.</summary>
    public ConfidenceChart OffObjectByConfidence { get; private set; } = new();

    /// <summary>Whether this summary was restored from a persisted one (it takes no more rows then).</summary>
    public bool Restored => frozenClasses != null;

    public RunSummary(int classCount, int galleryMax)
    {
        this.classCount = classCount;
        perClass = Enumerable.Range(0, classCount).Select(_ => new ClassAccumulator()).ToArray();
        LiftByClass = Enumerable.Range(0, classCount).Select(_ => new LiftHistogram()).ToArray();
        Confusion = new long[classCount, classCount];
        flaggedCap = galleryMax;
        rfwrCap = Math.Max(0, galleryMax / 2);
    }

    public long Audited { get; private set; }

    public long Correct { get; private set; }

    public long Flagged { get; private set; }

    public long RightForWrongReason { get; private set; }

    public long OffObject { get; private set; }

    public long PossibleLabelErrors { get; private set; }

    public long EmptyMasks { get; private set; }

    /// <summary>Audited samples with a non-empty mask: the denominator of every rate over mask metrics.</summary>
    public long SamplesWithMask => Audited - EmptyMasks;

    /// <summary>Audited samples per <c>mask_source</c> (file, box, coco, voc, none); results without the column count in none.</summary>
    public IReadOnlyDictionary<string, long> MaskSources => maskSources;

    /// <summary>
    /// The headline's line of regions, e.g. "regions: 120 file masks, 40 boxes, 20 none" (kinds in
    /// <see cref="Data.Masks.MaskSources.All"/> order, absent kinds left out); "" when no row records its source.
    /// </summary>
    public string RegionsLine()
    {
        static string Kind(string source, long n) => source switch
        {
            Data.Masks.MaskSources.File => n == 1 ? "file mask" : "file masks",
            Data.Masks.MaskSources.Box => n == 1 ? "box region" : "boxes",
            Data.Masks.MaskSources.Coco => n == 1 ? "COCO annotation" : "COCO annotations",
            Data.Masks.MaskSources.Voc => n == 1 ? "VOC segmentation" : "VOC segmentations",
            Data.Masks.MaskSources.None => "none",
            _ => source,
        };
        var parts = maskSources.OrderBy(kv => Data.Masks.MaskSources.All.ToList().IndexOf(kv.Key) is int i and >= 0 ? i : int.MaxValue).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kv.Value} {Kind(kv.Key, kv.Value)}")).ToList();
        return parts.Count == 0 ? "" : "regions: " + string.Join(", ", parts);
    }

    public long[,] Confusion { get; }

    public double? MeanLiftCorrect => liftCorrectCount == 0 ? null : liftCorrectSum / liftCorrectCount;

    public double? MeanLiftWrong => liftWrongCount == 0 ? null : liftWrongSum / liftWrongCount;

    public IReadOnlyDictionary<int, long> FlaggedByPrediction => flaggedByPrediction;

    public void Add(ReportRow r, RowOrigin origin)
    {
        if (Restored)
        {
            throw new InvalidOperationException("a restored run summary takes no more rows");
        }
        if (r.TrueLabel < 0 || r.TrueLabel >= classCount || r.PredLabel < 0 || r.PredLabel >= classCount)
        {
            throw new InvalidDataException($"results: row {r.Row} has a class index outside the run's {classCount} classes");
        }
        classes = null;
        Audited++;
        Correct += r.Correct ? 1 : 0;
        OffObject += r.OffObject == true ? 1 : 0;
        EmptyMasks += (r.MaskFraction ?? 0) <= 0 ? 1 : 0;
        if (r.MaskSource is string source)
        {
            maskSources[source] = maskSources.GetValueOrDefault(source) + 1;
        }
        Confusion[r.TrueLabel, r.PredLabel]++;
        perClass[r.TrueLabel].Add(r);
        OffObjectByConfidence.Add(r.Confidence, r.OffObject);
        if (r.PredEnergyLift is double lift)
        {
            (r.Correct ? LiftCorrect : LiftWrong).Add(lift);
            LiftByClass[r.TrueLabel].Add(lift);
            if (r.Correct)
            {
                (liftCorrectSum, liftCorrectCount) = (liftCorrectSum + lift, liftCorrectCount + 1);
            }
            else
            {
                (liftWrongSum, liftWrongCount) = (liftWrongSum + lift, liftWrongCount + 1);
            }
        }
        if (r.Flagged == true)
        {
            Flagged++;
            flaggedByPrediction[r.PredLabel] = flaggedByPrediction.GetValueOrDefault(r.PredLabel) + 1;
            Heap(flagged, r.PredLabel, flaggedCap).Offer(r, origin);
        }
        if (r.PossibleLabelError == true)
        {
            PossibleLabelErrors++;
            // Most confident first: the lift key is replaced by the negative confidence.
            Heap(labelErrors, r.TrueLabel, rfwrCap).Offer(r, origin, -(r.Confidence ?? 0));
        }
        if (r.RightForWrongReason == true)
        {
            RightForWrongReason++;
            Heap(rightForWrongReason, r.PredLabel, rfwrCap).Offer(r, origin);
        }
    }

    public IReadOnlyList<ClassTable.Stats> Classes() => frozenClasses ?? (classes ??= perClass.Select((c, k) => c.Stats(k)).ToArray());

    /// <summary>
    /// The flagged gallery: worst first (lowest predicted-class lift, then row) within each predicted class, the classes
    /// taken in turn (round robin, most flagged class first), so that every shortcut suspect shows up in the first cards
    /// rather than the worst one filling the cap. Bounded: one heap of the cap per predicted class.
    /// </summary>
    public IReadOnlyList<(ReportRow Row, RowOrigin Origin)> FlaggedGallery() => frozenFlagged ?? Interleave(flagged, flaggedCap);

    public IReadOnlyList<(ReportRow Row, RowOrigin Origin)> RightForWrongReasonGallery() => frozenRfwr ?? Interleave(rightForWrongReason, rfwrCap);

    /// <summary>Possible label errors, most confident first within each true class, classes in turn.</summary>
    public IReadOnlyList<(ReportRow Row, RowOrigin Origin)> LabelErrorGallery() => frozenLabelErrors ?? Interleave(labelErrors, rfwrCap);

    /// <summary>Everything the report reads, as plain data (gallery origins relative to <paramref name="runDirectory"/>).</summary>
    public SummaryState ToState(string runDirectory)
    {
        SummaryGalleryRow G((ReportRow Row, RowOrigin Origin) x) => new(x.Row, Path.GetRelativePath(runDirectory, x.Origin.File), x.Origin.RowGroup);
        return new SummaryState(classCount, Audited, Correct, Flagged, RightForWrongReason, OffObject, PossibleLabelErrors, EmptyMasks,
            Enumerable.Range(0, classCount).Select(t => Enumerable.Range(0, classCount).Select(p => Confusion[t, p]).ToArray()).ToArray(),
            liftCorrectSum, liftCorrectCount, liftWrongSum, liftWrongCount, [.. LiftCorrect.Counts], [.. LiftWrong.Counts],
            LiftByClass.Select(h => h.Counts.ToArray()).ToArray(), [.. OffObjectByConfidence.Judged], [.. OffObjectByConfidence.OffObject],
            flaggedByPrediction.ToDictionary(kv => kv.Key, kv => kv.Value), [.. Classes()],
            FlaggedGallery().Select(G).ToArray(), RightForWrongReasonGallery().Select(G).ToArray(), LabelErrorGallery().Select(G).ToArray(),
            new Dictionary<string, long>(maskSources, StringComparer.Ordinal));
    }

    /// <summary>A summary restored from <see cref="ToState"/>: answers every query as the streamed one did.</summary>
    public static RunSummary FromState(SummaryState s, string runDirectory, int galleryMax)
    {
        IReadOnlyList<(ReportRow, RowOrigin)> G(SummaryGalleryRow[] rows) => rows.Select(r => (r.Row, new RowOrigin(Path.GetFullPath(Path.Combine(runDirectory, r.File)), r.RowGroup))).ToList();
        var summary = new RunSummary(s.ClassCount, galleryMax)
        {
            Audited = s.Audited,
            Correct = s.Correct,
            Flagged = s.Flagged,
            RightForWrongReason = s.RightForWrongReason,
            OffObject = s.OffObject,
            PossibleLabelErrors = s.PossibleLabelErrors,
            EmptyMasks = s.EmptyMasks,
            liftCorrectSum = s.LiftCorrectSum,
            liftCorrectCount = s.LiftCorrectCount,
            liftWrongSum = s.LiftWrongSum,
            liftWrongCount = s.LiftWrongCount,
            LiftCorrect = LiftHistogram.FromCounts(s.LiftCorrect),
            LiftWrong = LiftHistogram.FromCounts(s.LiftWrong),
            LiftByClass = s.LiftByClass.Select(LiftHistogram.FromCounts).ToArray(),
            OffObjectByConfidence = ConfidenceChart.FromCounts(s.ConfidenceJudged, s.ConfidenceOffObject),
            frozenClasses = s.Classes,
            frozenFlagged = G(s.FlaggedGallery),
            frozenRfwr = G(s.RightForWrongReasonGallery),
            frozenLabelErrors = G(s.LabelErrorGallery),
        };
        for (int t = 0; t < s.ClassCount; t++)
        {
            for (int p = 0; p < s.ClassCount; p++)
            {
                summary.Confusion[t, p] = s.Confusion[t][p];
            }
        }
        foreach ((int k, long v) in s.FlaggedByPrediction)
        {
            summary.flaggedByPrediction[k] = v;
        }
        foreach ((string k, long v) in s.MaskSources ?? [])
        {
            summary.maskSources[k] = v;
        }
        return summary;
    }

    private static BoundedWorst Heap(Dictionary<int, BoundedWorst> heaps, int key, int capacity)
    {
        if (!heaps.TryGetValue(key, out BoundedWorst? heap))
        {
            heaps[key] = heap = new BoundedWorst(capacity);
        }
        return heap;
    }

    private static List<(ReportRow Row, RowOrigin Origin)> Interleave(Dictionary<int, BoundedWorst> heaps, int cap)
    {
        var lists = heaps.OrderByDescending(kv => kv.Value.Offered).ThenBy(kv => kv.Key).Select(kv => kv.Value.Sorted()).ToList();
        var result = new List<(ReportRow Row, RowOrigin Origin)>(cap);
        for (int rank = 0; result.Count < cap && lists.Any(l => l.Count > rank); rank++)
        {
            foreach (var list in lists.Where(l => l.Count > rank))
            {
                if (result.Count < cap)
                {
                    result.Add(list[rank]);
                }
            }
        }
        return result;
    }

    private sealed class ClassAccumulator
    {
        private readonly List<double> predLifts = [];
        private long count;
        private long correct;
        private double trueLiftSum;
        private long trueLiftCount;
        private double trueEnergySum;
        private long trueEnergyCount;
        private long offObject;
        private long offDefined;
        private long flaggedCount;
        private long rfwr;

        public void Add(ReportRow r)
        {
            count++;
            correct += r.Correct ? 1 : 0;
            if (r.PredEnergyLift is double lift)
            {
                predLifts.Add(lift);
            }
            if (r.TrueEnergyLift is double tl)
            {
                (trueLiftSum, trueLiftCount) = (trueLiftSum + tl, trueLiftCount + 1);
            }
            if (r.TrueEnergyInMask is double te)
            {
                (trueEnergySum, trueEnergyCount) = (trueEnergySum + te, trueEnergyCount + 1);
            }
            if (r.OffObject is bool off)
            {
                offDefined++;
                offObject += off ? 1 : 0;
            }
            flaggedCount += r.Flagged == true ? 1 : 0;
            rfwr += r.RightForWrongReason == true ? 1 : 0;
        }

        public ClassTable.Stats Stats(int label)
        {
            predLifts.Sort();
            double? median = predLifts.Count == 0 ? null
                : predLifts.Count % 2 == 1 ? predLifts[predLifts.Count / 2] : (predLifts[(predLifts.Count / 2) - 1] + predLifts[predLifts.Count / 2]) / 2;
            return new ClassTable.Stats(label, count, count == 0 ? null : (double)correct / count,
                predLifts.Count == 0 ? null : predLifts.Average(), median,
                trueLiftCount == 0 ? null : trueLiftSum / trueLiftCount, trueEnergyCount == 0 ? null : trueEnergySum / trueEnergyCount,
                offDefined == 0 ? null : (double)offObject / offDefined, flaggedCount, rfwr);
        }
    }

    /// <summary>The K rows with the lowest (predicted-class lift, row): a max-heap of size K.</summary>
    private sealed class BoundedWorst(int capacity)
    {
        private readonly PriorityQueue<(ReportRow, RowOrigin), (double Lift, long Row)> heap =
            new(Comparer<(double Lift, long Row)>.Create((a, b) => b.CompareTo(a)));

        public long Offered { get; private set; }

        public void Offer(ReportRow r, RowOrigin origin, double? score = null)
        {
            Offered++;
            if (capacity == 0)
            {
                return;
            }
            var key = (score ?? r.PredEnergyLift ?? -1, r.Row);
            if (heap.Count < capacity)
            {
                heap.Enqueue((r, origin), key);
            }
            else if (heap.TryPeek(out _, out var worstKept) && key.CompareTo(worstKept) < 0)
            {
                heap.EnqueueDequeue((r, origin), key);
            }
        }

        public IReadOnlyList<(ReportRow Row, RowOrigin Origin)> Sorted() =>
            heap.UnorderedItems.OrderBy(x => x.Priority.Lift).ThenBy(x => x.Priority.Row).Select(x => x.Element).ToList();
    }
}
