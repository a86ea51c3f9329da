namespace GradCamAudit.Findings;

/// <summary>
/// The per-class statistics a label-error verdict needs, from the whole run's rows (so findings are decided after the
/// audit, and a single, a resumed and a merged run agree). Over the rows labelled j whose predicted-class map is on the
/// object (where the probability was earned from the object, not from a shortcut):
/// <list type="bullet">
/// <item><see cref="Threshold"/> t_j: the mean given-label probability, confident learning's per-class threshold
/// (Northcutt et al., JAIR 2021, eq. 2: the expected self-confidence of class j). A prediction of class k is confident
/// when its probability reaches t_k.</item>
/// <item><see cref="OutlierCut"/>: exp(median - m * 1.4826 * MAD) of the log given-label probabilities (the Hampel
/// identifier: Leys et al., J. Exp. Soc. Psych. 2013, with m = 3), so a label is suspect only when its probability is
/// an outlier below what its class typically gets, robust to up to half the class being mislabelled or unlearned.</item>
/// </list>
/// Values are sorted before they are summed, so the order rows arrive in (parts, shards) never changes a bit.
/// </summary>
public sealed class ClassThresholds
{
    /// <summary>Probabilities are floored here before the logarithm (a float softmax can give exactly 0).</summary>
    public const double ProbabilityFloor = 1e-30;

    private readonly double?[] threshold;
    private readonly double?[] cut;
    private readonly int[] support;

    private ClassThresholds(double?[] threshold, double?[] cut, int[] support)
    {
        this.threshold = threshold;
        this.cut = cut;
        this.support = support;
    }

    public int ClassCount => threshold.Length;

    /// <summary>t_j, null when no on-object row is labelled j.</summary>
    public double? Threshold(int label) => label >= 0 && label < threshold.Length ? threshold[label] : null;

    /// <summary>The outlier cut of class j, null when no on-object row is labelled j.</summary>
    public double? OutlierCut(int label) => label >= 0 && label < cut.Length ? cut[label] : null;

    /// <summary>How many on-object rows with probabilities class j's statistics come from.</summary>
    public int Support(int label) => label >= 0 && label < support.Length ? support[label] : 0;

    /// <summary>The statistics of a run; <paramref name="collector"/> was fed every row.</summary>
    public static ClassThresholds From(Collector collector, double outlierMads)
    {
        int k = collector.Values.Count;
        var t = new double?[k];
        var c = new double?[k];
        var n = new int[k];
        for (int j = 0; j < k; j++)
        {
            List<float> values = collector.Values[j];
            n[j] = values.Count;
            if (values.Count == 0)
            {
                continue;
            }
            values.Sort();
            double sum = 0;
            foreach (float v in values)
            {
                sum += v;
            }
            t[j] = sum / values.Count;
            double[] logs = values.Select(v => Math.Log(Math.Max(v, ProbabilityFloor))).ToArray(); // ascending, as the values
            double median = Median(logs);
            double mad = 1.4826 * Median(logs.Select(l => Math.Abs(l - median)).Order().ToArray());
            c[j] = Math.Exp(median - (outlierMads * mad));
        }
        return new ClassThresholds(t, c, n);
    }

    /// <summary>The statistics of a list of rows at once (tests, small runs).</summary>
    public static ClassThresholds From(IEnumerable<FindingInput> rows, int classCount, double outlierMads)
    {
        var collector = new Collector(classCount);
        foreach (FindingInput row in rows)
        {
            collector.Add(row);
        }
        return From(collector, outlierMads);
    }

    private static double Median(double[] sorted)
    {
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>Streams rows in any order and keeps only each on-object row's given-label probability (4 bytes a row).</summary>
    public sealed class Collector(int classCount)
    {
        internal List<List<float>> Values { get; } = Enumerable.Range(0, classCount).Select(_ => new List<float>()).ToList();

        public void Add(in FindingInput row)
        {
            if (row.OnObject && row.HasProbabilities && row.GivenLabel >= 0)
            {
                while (row.GivenLabel >= Values.Count)
                {
                    Values.Add([]); // a label beyond the configured classes (another tool's results): its own class
                }
                Values[row.GivenLabel].Add(row.GivenProb!.Value);
            }
        }
    }
}
