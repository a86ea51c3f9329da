using System.Globalization;

namespace GradCamAudit.Reporting;

/// <summary>One method's figures in the report's comparison of methods.</summary>
public sealed record MethodRow(string Method, string MeanPredLift, string OffObject, string PointingHits, string AgreementWithPrimary, IReadOnlyList<string> MeanTrueLiftByClass);

/// <summary>
/// Compares the CAM methods of a run from <c>explanations/</c> (one streaming pass over its scalar columns): per method,
/// the mean predicted-class lift, the off-object share at the run's threshold, the pointing-game hit share, the
/// share of samples whose off-object verdict agrees with the primary method's, and per true class the mean lift of
/// the true-class map. Empty for a single-method run.
/// </summary>
public static class MethodComparison
{
    /// <summary>The comparison's accumulators, fed one row group at a time (so one pass over explanations/ can feed several views).</summary>
    public sealed class Pass(IReadOnlyList<string> methods, string primary, IReadOnlyList<string> classes, double threshold)
    {
        private readonly Dictionary<string, (double Sum, long N, long Off, long Hits, long HitN)> predLift = methods.ToDictionary(m => m, _ => (0.0, 0L, 0L, 0L, 0L));
        private readonly Dictionary<string, (double Sum, long N)[]> trueLift = methods.ToDictionary(m => m, _ => new (double Sum, long N)[classes.Count]);
        private readonly Dictionary<string, Dictionary<long, bool>> verdicts = methods.ToDictionary(m => m, _ => new Dictionary<long, bool>());

        public void Visit(ExplanationGroup g)
        {
            if (methods.Count < 2 || !g.Fields.ContainsKey("energy_lift"))
            {
                return;
            }
            string?[] method = g.Strings("method"), target = g.Strings("target");
            double?[] row = g.Numbers("row"), cls = g.Numbers("class"), lift = g.Numbers("energy_lift"), hit = g.Numbers("pointing_hit");
            for (int i = 0; i < g.Rows; i++)
            {
                if (method[i] is not string m || !predLift.ContainsKey(m) || lift[i] is not double l)
                {
                    continue;
                }
                if (target[i] == "pred")
                {
                    var p = predLift[m];
                    predLift[m] = (p.Sum + l, p.N + 1, p.Off + (l < threshold ? 1 : 0), p.Hits + (hit[i] is > 0.5 ? 1 : 0), p.HitN + (hit[i].HasValue ? 1 : 0));
                    verdicts[m][(long)(row[i] ?? 0)] = l < threshold;
                }
                else if (target[i] == "true" && cls[i] is double c && c >= 0 && c < classes.Count)
                {
                    var t = trueLift[m][(int)c];
                    trueLift[m][(int)c] = (t.Sum + l, t.N + 1);
                }
            }
        }

        /// <summary>One row per method; empty for a single-method run or without explanations.</summary>
        public IReadOnlyList<MethodRow> Rows()
        {
            if (methods.Count < 2)
            {
                return [];
            }
            static string Pct(long x, long n) => n == 0 ? "-" : (100.0 * x / n).ToString("F1", CultureInfo.InvariantCulture) + "%";
            static string F(double sum, long n) => n == 0 ? "-" : (sum / n).ToString("F2", CultureInfo.InvariantCulture);
            Dictionary<long, bool> reference = verdicts[primary];
            return methods.Select(m =>
            {
                var p = predLift[m];
                long agree = verdicts[m].Count(kv => reference.TryGetValue(kv.Key, out bool r) && r == kv.Value);
                long both = verdicts[m].Count(kv => reference.ContainsKey(kv.Key));
                return new MethodRow(m, F(p.Sum, p.N), Pct(p.Off, p.N), Pct(p.Hits, p.HitN), m == primary ? "(primary)" : Pct(agree, both),
                    trueLift[m].Select(t => F(t.Sum, t.N)).ToList());
            }).ToList();
        }
    }
}
