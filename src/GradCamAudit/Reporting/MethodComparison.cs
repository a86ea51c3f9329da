using System.Globalization;
using Parquet;
using Parquet.Schema;

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
    public static IReadOnlyList<MethodRow> Build(string runDirectory, IReadOnlyList<string> methods, string primary, IReadOnlyList<string> classes, double threshold)
    {
        string dir = Path.Combine(runDirectory, "explanations");
        if (methods.Count < 2 || !Directory.Exists(dir))
        {
            return [];
        }
        var predLift = methods.ToDictionary(m => m, _ => (Sum: 0.0, N: 0L, Off: 0L, Hits: 0L, HitN: 0L));
        var trueLift = methods.ToDictionary(m => m, _ => new (double Sum, long N)[classes.Count]);
        var verdicts = methods.ToDictionary(m => m, _ => new Dictionary<long, bool>());
        foreach (string part in Directory.EnumerateFiles(dir, "part-*.parquet").Order(StringComparer.Ordinal))
        {
            ResultsReader.WithReader(part, Accumulate);
        }
        void Accumulate(ParquetReader reader)
        {
            var fields = reader.Schema.Fields.OfType<DataField>().ToDictionary(f => f.Name, StringComparer.Ordinal);
            if (!fields.ContainsKey("energy_lift"))
            {
                return;
            }
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using ParquetRowGroupReader rg = reader.OpenRowGroupReader(g);
                int n = (int)rg.RowCount;
                string?[] method = ResultsReader.ReadStrings(rg, fields["method"], n).GetAwaiter().GetResult();
                string?[] target = ResultsReader.ReadStrings(rg, fields["target"], n).GetAwaiter().GetResult();
                double?[] row = ResultsReader.ReadNumbers(rg, fields["row"], n).GetAwaiter().GetResult();
                double?[] cls = ResultsReader.ReadNumbers(rg, fields["class"], n).GetAwaiter().GetResult();
                double?[] lift = ResultsReader.ReadNumbers(rg, fields["energy_lift"], n).GetAwaiter().GetResult();
                double?[] hit = fields.TryGetValue("pointing_hit", out DataField? hf) ? ResultsReader.ReadNumbers(rg, hf, n).GetAwaiter().GetResult() : new double?[n];
                for (int i = 0; i < n; i++)
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
