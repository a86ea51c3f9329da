using GradCamAudit.Options;
using GradCamAudit.Results;
using Parquet;
using Parquet.Serialization;

namespace GradCamAudit.Findings.Strategies;

/// <summary>
/// The I/O edge of the strategies (SpRAy): reads a run folder's committed results, in two streamed passes, and writes
/// <c>strategies.parquet</c>, <c>strategy_assignments.parquet</c> (one row per results row, joined by
/// <c>sample_id</c>) and <c>strategies.json</c>. Pass 1 keeps, per predicted class, the normalised maps of the
/// <c>strategies.samplePerClass</c> rows with the smallest sample-id hash (a bounded max-heap: memory is classes x
/// sample x grid cells, whatever the run's size); the sample is clustered in hash order, so any part order, a resumed
/// run or merged shards give the same strategies. Pass 2 assigns every row to the nearest strategy centroid of its
/// predicted class (in the normalised map space) and accumulates the strategies' figures; assignments are appended
/// a row group at a time. Masks are never read: the lift column is the results' <c>pred_energy_lift</c> where a mask existed.
/// </summary>
public static class StrategiesRun
{
    public const string ParquetName = "strategies.parquet";
    public const string AssignmentsName = "strategy_assignments.parquet";
    public const string JsonName = "strategies.json";

    /// <summary>The exemplars kept per strategy: the rows closest to its centroid.</summary>
    public const int Exemplars = 4;

    private const int AssignmentRowGroup = 100_000;

    /// <summary>Decides and writes the strategies of a run folder with its config's settings.</summary>
    public static StrategiesReport Write(string runDirectory, RunManifest run) =>
        Write(runDirectory, run.Config.Dataset.Classes, run.Config.StrategiesSettings, run.Config.ExplainSettings.Seed, run.Config.Audit.OffObjectLiftThreshold);

    /// <summary>Decides and writes the strategies of the results under <paramref name="runDirectory"/> (the benchmark calls this with synthetic results).</summary>
    public static StrategiesReport Write(string runDirectory, IReadOnlyList<string> classes, StrategiesOptions options, int seed, double offObjectLiftThreshold)
    {
        int side = options.GridSize;
        if (!options.Enabled)
        {
            return StrategiesReport.Disabled;
        }
        // Pass 1: the bounded hash sample per predicted class.
        var heaps = Enumerable.Range(0, classes.Count).Select(_ => new PriorityQueue<Sampled, (ulong, string)>(Largest)).ToArray();
        var predictions = new long[classes.Count];
        var mapped = new long[classes.Count];
        foreach ((ReportRow[] rows, RowOrigin origin) in ResultsReader.ReadChunks(runDirectory))
        {
            float[][] maps = ResultsReader.ReadPredictedMaps(origin);
            for (int i = 0; i < rows.Length; i++)
            {
                ReportRow r = rows[i];
                if (r.PredLabel < 0 || r.PredLabel >= classes.Count)
                {
                    continue;
                }
                predictions[r.PredLabel]++;
                float[]? grid = i < maps.Length ? MapGrid.Normalise(maps[i], r.CamHeight, r.CamWidth, side) : null;
                if (grid == null)
                {
                    continue;
                }
                mapped[r.PredLabel]++;
                var key = (Explain.SampleSelector.Hash(seed, r.SampleId), r.SampleId);
                PriorityQueue<Sampled, (ulong, string)> heap = heaps[r.PredLabel];
                if (heap.Count < options.SamplePerClass)
                {
                    heap.Enqueue(new Sampled(key.Item1, r.SampleId, grid), key);
                }
                else if (heap.TryPeek(out _, out var largest) && Largest.Compare(key, largest) > 0)
                {
                    heap.EnqueueDequeue(new Sampled(key.Item1, r.SampleId, grid), key);
                }
            }
        }
        // Cluster each class's sample in hash order.
        var classModels = new StrategyModel[classes.Count];
        for (int k = 0; k < classes.Count; k++)
        {
            List<Sampled> sample = heaps[k].UnorderedItems.Select(x => x.Element).OrderBy(s => s.Hash).ThenBy(s => s.SampleId, StringComparer.Ordinal).ToList();
            heaps[k].Clear();
            classModels[k] = StrategyModel.From(sample.Select(x => x.Grid).ToList(), options.MaxStrategies);
        }
        // Pass 2: every row to its nearest centroid.
        var stats = classModels.Select(m => m.Centroids.Select(_ => new Accumulator(side * side)).ToArray()).ToArray();
        var correctMaps = classModels.Select(_ => new Accumulator(side * side)).ToArray();
        string assignmentsPath = Path.Combine(runDirectory, AssignmentsName);
        string temp = RunFolder.TempPath(assignmentsPath);
        var buffer = new List<StrategyAssignment>(AssignmentRowGroup);
        bool first = true;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            void Flush()
            {
                if (buffer.Count == 0 && !first)
                {
                    return;
                }
                stream.Position = first ? 0 : stream.Position;
                ParquetSerializer.SerializeAsync(buffer, stream, new ParquetOptions { Append = !first, RowGroupSize = AssignmentRowGroup }).GetAwaiter().GetResult();
                first = false;
                buffer.Clear();
            }
            foreach ((ReportRow[] rows, RowOrigin origin) in ResultsReader.ReadChunks(runDirectory))
            {
                float[][] maps = ResultsReader.ReadPredictedMaps(origin);
                for (int i = 0; i < rows.Length; i++)
                {
                    ReportRow r = rows[i];
                    var a = new StrategyAssignment { SampleId = r.SampleId, Row = r.Row, PredLabel = r.PredLabel };
                    if (r.PredLabel >= 0 && r.PredLabel < classes.Count && classModels[r.PredLabel].Centroids.Count > 0
                        && (i < maps.Length ? MapGrid.Normalise(maps[i], r.CamHeight, r.CamWidth, side) : null) is float[] grid)
                    {
                        (int s, double d2) = classModels[r.PredLabel].Nearest(grid);
                        a.Strategy = s + 1;
                        a.Distance = (float)Math.Sqrt(d2);
                        ulong hash = Explain.SampleSelector.Hash(seed, r.SampleId);
                        stats[r.PredLabel][s].Add(r, origin, grid, d2, hash);
                        if (r.Correct)
                        {
                            correctMaps[r.PredLabel].Add(r, origin, grid, 0, hash, exemplars: false);
                        }
                    }
                    buffer.Add(a);
                    if (buffer.Count >= AssignmentRowGroup)
                    {
                        Flush();
                    }
                }
            }
            Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, assignmentsPath, overwrite: true);

        var records = new List<StrategyRecord>();
        var classReports = new List<StrategyClass>();
        for (int k = 0; k < classes.Count; k++)
        {
            StrategyModel model = classModels[k];
            Accumulator[] acc = stats[k];
            var strategyStats = acc.Select((a, s) => new StrategyStats(s + 1, a.Size, a.Correct, a.LiftRows == 0 ? null : a.LiftSum / a.LiftRows, a.Mean() ?? model.Centroids[s])).ToList();
            float[]? correctMean = correctMaps[k].Mean();
            var verdicts = StrategyRules.Decide(strategyStats, correctMean, offObjectLiftThreshold);
            string? referenceRegion = correctMean == null ? null : MapGrid.Describe(correctMean, side).Region;
            var views = new List<StrategyView>();
            for (int s = 0; s < strategyStats.Count; s++)
            {
                StrategyStats st = strategyStats[s];
                StrategyRules.Verdict v = verdicts[s];
                (string region, double regionShare) = MapGrid.Describe(st.MeanMap, side);
                double share = mapped[k] == 0 ? 0 : (double)st.Size / mapped[k];
                var record = new StrategyRecord
                {
                    Class = classes[k],
                    ClassIndex = k,
                    Strategy = st.Strategy,
                    Size = st.Size,
                    Share = share,
                    Accuracy = st.Accuracy,
                    MeanLift = st.MeanLift,
                    LiftRows = acc[s].LiftRows,
                    Sampled = model.Sizes[s],
                    GridHeight = side,
                    GridWidth = side,
                    MeanMap = st.MeanMap,
                    Region = region,
                    Reference = v.Reference,
                    OverlapWithReference = v.Overlap,
                    Suspicious = v.Suspicious,
                    Score = v.Score,
                };
                records.Add(record);
                string verdict = v.Suspicious ? StrategyRules.Describe(classes[k], st.Strategy, share, st.Accuracy, region, referenceRegion, v.Overlap, st.MeanLift) : "";
                views.Add(new StrategyView(record, regionShare, verdict, acc[s].ExemplarRows()));
            }
            classReports.Add(new StrategyClass(classes[k], k, predictions[k], mapped[k], model.SampleSize, model.Clustering.Neighbours, model.Clustering.Eigenvalues, views)
            {
                CorrectMeanMap = correctMean,
                CorrectRegion = referenceRegion,
                ChosenByEigengap = model.Chosen,
            });
        }
        RunFolder.WriteAtomicAsync(Path.Combine(runDirectory, ParquetName), s => ParquetSerializer.SerializeAsync(records, s), overwrite: true).GetAwaiter().GetResult();
        var report = new StrategiesReport(true, options, classReports);
        StrategiesJson.Write(Path.Combine(runDirectory, JsonName), report);
        return report;
    }

    /// <summary>Reads <c>strategies.parquet</c> back (tests, tools).</summary>
    public static IReadOnlyList<StrategyRecord> Read(string runDirectory)
    {
        using FileStream stream = File.OpenRead(Path.Combine(runDirectory, ParquetName));
        return ParquetSerializer.DeserializeAsync<StrategyRecord>(stream).GetAwaiter().GetResult().Data.ToList();
    }

    /// <summary>Reads <c>strategy_assignments.parquet</c> back (tests, tools).</summary>
    public static IReadOnlyList<StrategyAssignment> ReadAssignments(string runDirectory)
    {
        using FileStream stream = File.OpenRead(Path.Combine(runDirectory, AssignmentsName));
        return ParquetSerializer.DeserializeAsync<StrategyAssignment>(stream).GetAwaiter().GetResult().Data.ToList();
    }

    /// <summary>The heap's order: the largest (hash, id) on top, so the smallest ones stay.</summary>
    private static readonly Comparer<(ulong Hash, string Id)> Largest = Comparer<(ulong Hash, string Id)>.Create((a, b) =>
        b.Hash.CompareTo(a.Hash) is int c && c != 0 ? c : string.CompareOrdinal(b.Id, a.Id));

    private sealed record Sampled(ulong Hash, string SampleId, float[] Grid);

    /// <summary>
    /// A strategy's running figures over every assigned row, and its exemplars (closest to the centroid; ties by hash,
    /// then id). Sums are kept in fixed point (integers are summed exactly in any order), so the figures are
    /// bit-identical whatever order the parts are read in.
    /// </summary>
    private sealed class Accumulator(int cells)
    {
        private const double MapScale = 1L << 40; // a cell is in [0, 1]: 2^20 rows fit in a long
        private const double LiftScale = 1L << 32;
        private readonly long[] sum = new long[cells];
        private readonly List<(double D2, ulong Hash, ReportRow Row, RowOrigin Origin)> exemplars = [];
        private long liftSum;

        public long Size { get; private set; }

        public long Correct { get; private set; }

        public double LiftSum => liftSum / LiftScale;

        public long LiftRows { get; private set; }

        public void Add(ReportRow r, RowOrigin origin, float[] grid, double d2, ulong hash, bool exemplars = true)
        {
            Size++;
            Correct += r.Correct ? 1 : 0;
            if (r.PredEnergyLift is double lift && double.IsFinite(lift))
            {
                liftSum += (long)Math.Round(Math.Clamp(lift, -1e6, 1e6) * LiftScale);
                LiftRows++;
            }
            for (int i = 0; i < cells; i++)
            {
                sum[i] += (long)Math.Round(grid[i] * MapScale);
            }
            if (!exemplars)
            {
                return;
            }
            this.exemplars.Add((d2, hash, r, origin));
            if (this.exemplars.Count > Exemplars)
            {
                this.exemplars.Sort(Order);
                this.exemplars.RemoveAt(this.exemplars.Count - 1);
            }
        }

        public float[]? Mean() => Size == 0 ? null : sum.Select(v => (float)(v / MapScale / Size)).ToArray();

        public IReadOnlyList<(ReportRow Row, RowOrigin Origin)> ExemplarRows()
        {
            var sorted = exemplars.ToList();
            sorted.Sort(Order);
            return sorted.Select(e => (e.Row, e.Origin)).ToList();
        }

        private static int Order((double D2, ulong Hash, ReportRow Row, RowOrigin Origin) a, (double D2, ulong Hash, ReportRow Row, RowOrigin Origin) b) =>
            a.D2.CompareTo(b.D2) is int c && c != 0 ? c : a.Hash.CompareTo(b.Hash) is int h && h != 0 ? h : string.CompareOrdinal(a.Row.SampleId, b.Row.SampleId);
    }
}
