using System.Globalization;

namespace GradCamAudit.Reporting;

/// <summary>One method's faithfulness on the sample: mean deletion and insertion AUC.</summary>
public sealed record FaithfulnessRow(string Method, long Samples, string Deletion, string Insertion);

/// <summary>The primary method's faithfulness per explained (predicted) class.</summary>
public sealed record FaithfulnessClassRow(string Name, long Samples, string Deletion, string Insertion);

/// <summary>One method's sanity check: the mean Spearman correlation with the trained maps at each cascade step.</summary>
public sealed record SanityRow(string Method, IReadOnlyList<string> MeanRho, string Verdict);

/// <summary>The faithfulness and sanity-check sections of the report, from explanations/ in one pass over its scalar columns.</summary>
public sealed record SampledChecksModel(IReadOnlyList<FaithfulnessRow> Faithfulness, IReadOnlyList<FaithfulnessClassRow> FaithfulnessByClass,
    IReadOnlyList<string> SanitySteps, IReadOnlyList<SanityRow> Sanity, IReadOnlyList<string> SanityCallouts, long SanitySamples)
{
    public static SampledChecksModel Empty { get; } = new([], [], [], [], [], 0);
}

/// <summary>
/// Aggregates the sampled checks: per method, the mean deletion and insertion AUC (Petsiuk et al. 2018); for the
/// primary method the same per predicted class (the class its map explains); per method and cascade step the mean Spearman correlation between the
/// randomised and the trained maps (Adebayo et al. 2018). A method whose maps keep a mean correlation of at least
/// <see cref="BarelyChanges"/> once the output layer is randomised (the first step) is called out: its maps do not
/// depend on what the model learned there.
/// </summary>
public static class SampledChecksView
{
    public const double BarelyChanges = 0.5;

    /// <summary>The checks' accumulators, fed one row group at a time (so one pass over explanations/ can feed several views).</summary>
    public sealed class Pass(IReadOnlyList<string> methods, string primary, IReadOnlyList<string> classes)
    {
        private readonly Dictionary<string, (double Del, double Ins, long N)> faithful = new(StringComparer.Ordinal);
        private readonly (double Del, double Ins, long N)[] byClass = new (double Del, double Ins, long N)[classes.Count];
        private readonly Dictionary<(string Method, int Step), (double Sum, long N)> rho = [];
        private readonly SortedDictionary<int, string> stepNames = [];
        private readonly HashSet<long> sanityRows = [];

        public void Visit(ExplanationGroup g)
        {
            if (!g.Fields.ContainsKey("deletion_auc") || !g.Fields.ContainsKey("insertion_auc") || !g.Fields.ContainsKey("sanity_spearman"))
            {
                return;
            }
            string?[] method = g.Strings("method"), target = g.Strings("target");
            double?[] row = g.Numbers("row"), cls = g.Numbers("class"), del = g.Numbers("deletion_auc"), ins = g.Numbers("insertion_auc"), spearman = g.Numbers("sanity_spearman");
            for (int i = 0; i < g.Rows; i++)
            {
                if (method[i] is not string m)
                {
                    continue;
                }
                if (del[i] is double d && ins[i] is double s)
                {
                    var f = faithful.GetValueOrDefault(m);
                    faithful[m] = (f.Del + d, f.Ins + s, f.N + 1);
                    if (m == primary && cls[i] is double c && c >= 0 && c < classes.Count)
                    {
                        int k = (int)c;
                        byClass[k] = (byClass[k].Del + d, byClass[k].Ins + s, byClass[k].N + 1);
                    }
                }
                if (target[i] is string t && t.StartsWith("randomised:", StringComparison.Ordinal))
                {
                    string[] bits = t.Split(':', 3);
                    if (bits.Length == 3 && int.TryParse(bits[1], NumberStyles.None, CultureInfo.InvariantCulture, out int step))
                    {
                        stepNames[step] = bits[2];
                        sanityRows.Add((long)(row[i] ?? 0));
                        if (spearman[i] is double p)
                        {
                            var acc = rho.GetValueOrDefault((m, step));
                            rho[(m, step)] = (acc.Sum + p, acc.N + 1);
                        }
                    }
                }
            }
        }

        public SampledChecksModel Result()
        {
            static string F(double sum, long n) => n == 0 ? "-" : (sum / n).ToString("F3", CultureInfo.InvariantCulture);
            var faithfulRows = methods.Where(faithful.ContainsKey).Select(m => new FaithfulnessRow(m, faithful[m].N, F(faithful[m].Del, faithful[m].N), F(faithful[m].Ins, faithful[m].N))).ToList();
            var classRows = faithfulRows.Count == 0 ? [] : classes.Select((name, k) => new FaithfulnessClassRow(name, byClass[k].N, F(byClass[k].Del, byClass[k].N), F(byClass[k].Ins, byClass[k].N))).ToList();
            var callouts = new List<string>();
            var sanity = methods.Where(m => rho.Keys.Any(k => k.Method == m)).Select(m =>
            {
                var means = stepNames.Keys.Select(step => rho.TryGetValue((m, step), out var a) ? a : (Sum: 0.0, N: 0L)).ToList();
                string verdict = "";
                if (means.Count > 0 && means[0].N > 0 && means[0].Sum / means[0].N >= BarelyChanges)
                {
                    verdict = string.Create(CultureInfo.InvariantCulture, $"{m}: its maps barely change (mean Spearman {means[0].Sum / means[0].N:F2}) when the output layer ({stepNames.Values.First()}) is randomised: they do not show what the model learned there, so do not trust its verdicts in this audit");
                    callouts.Add(verdict);
                }
                return new SanityRow(m, means.Select(a => F(a.Sum, a.N)).ToList(), verdict.Length > 0 ? "barely changes" : "changes");
            }).ToList();
            return new SampledChecksModel(faithfulRows, classRows, stepNames.Select(kv => $"{kv.Key}: {kv.Value}").ToList(), sanity, callouts, sanityRows.Count);
        }
    }
}
