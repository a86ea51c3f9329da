using System.Globalization;
using GradCamAudit.Options;

namespace GradCamAudit.Gates;

/// <summary>The outcome of one gate: value and limit in percent (points for a difference), the confidence interval, the state.</summary>
public sealed record GateResult(string Name, string Scope, double? Value, double Limit, string LimitSource, double? Lower, double? Upper, string State, string? Reason, string? Severity = null)
{
    public bool Failed => State == "fail";

    /// <summary>The gate's states, in the order reports list them.</summary>
    public static IReadOnlyList<string> States { get; } = ["fail", "warn", "inconclusive", "pass", "not_evaluated"];

    public override string ToString() => State == "not_evaluated"
        ? $"{Name} ({Scope}): not evaluated, {Reason}"
        : string.Create(CultureInfo.InvariantCulture, $"{Name} ({Scope}): {State}: {Value:F1} ({Lower:F1} to {Upper:F1} at the configured confidence) against {LimitSource}");
}

/// <summary>
/// Evaluates the configured gates. A rate gate fails only when its whole confidence interval lies beyond the limit
/// (Wilson for one rate, Newcombe's hybrid score interval for a rise against the baseline), so noise in a small class
/// does not fail a night; an estimate beyond the limit whose interval still reaches it is <c>inconclusive</c> (never
/// "pass"), with the sample size that would decide it in its reason; classes with fewer than <c>minClassSamples</c>
/// samples are not gated, and a rate over zero samples is <c>not_evaluated</c>.
/// </summary>
public static class GateEvaluator
{
    /// <summary>
    /// A gate beyond its limit becomes "warn" where its declared severity is warn; its effect size is "major" when the
    /// value is beyond twice the limit (for a minimum: below half of it), else "minor". The report sorts by it.
    /// </summary>
    private static GateResult Grade(GateResult r, GatesOptions gates)
    {
        if (r.State != "fail")
        {
            return r;
        }
        bool minimum = r.Name.StartsWith("min", StringComparison.Ordinal);
        bool major = r.Value is double v && (minimum ? v < r.Limit / 2 : v > 2 * r.Limit);
        return r with { State = gates.SeverityOf(r.Name) == "warn" ? "warn" : "fail", Severity = major ? "major" : "minor" };
    }

    public static IReadOnlyList<GateResult> Evaluate(GatesOptions gates, RunRates current, RunRates? baseline)
    {
        var results = new List<GateResult>();
        double z = Intervals.Z(gates.Confidence);
        if (gates.MinAuditedRows is long minRows)
        {
            // A count, not an estimate: an empty night (header-only manifest, every COCO image skipped) fails here
            // instead of passing every rate gate over zero samples.
            long audited = current.Run.Counts.Audited;
            results.Add(new GateResult("minAuditedRows", "overall", audited, minRows, $">= {minRows} audited rows", audited, audited, audited < minRows ? "fail" : "pass", null));
        }
        if (gates.MaxErrorRate is double maxError)
        {
            long rows = current.Run.Counts.ManifestRows, errors = current.Run.Counts.Errors;
            if (rows == 0)
            {
                results.Add(new GateResult("maxErrorRate", "overall", null, maxError, $"fixed <= {maxError:F1}%", null, null, "not_evaluated", "no manifest rows"));
            }
            else
            {
                (double lo, double hi) = Intervals.Wilson(errors, rows, z);
                double value = 100.0 * errors / rows;
                results.Add(new GateResult("maxErrorRate", "overall", value, maxError, $"fixed <= {maxError:F1}%",
                    100 * lo, 100 * hi, 100 * lo > maxError ? "fail" : value > maxError ? "inconclusive" : "pass",
                    value > maxError && 100 * lo <= maxError ? Decides(value / 100, maxError / 100, z, "rows") : null));
            }
        }
        if (gates.MinOnObjectRate is double minOn)
        {
            // One test per class: many simultaneous tests, so the per-class decisions are Holm-corrected (family-wise
            // error at 1 − confidence, one-sided) and a 200-class model does not fail every night by chance.
            IReadOnlyList<string> names = current.Run.Config.Dataset.Classes;
            var gated = new List<(int Class, double P)>();
            for (int k = 0; k < current.PerClass.Count; k++)
            {
                RateCounts c = current.PerClass[k];
                if (c.Judged >= gates.MinClassSamples)
                {
                    gated.Add((k, Intervals.BelowLimitPValue(c.Judged - c.OffObject, c.Judged, minOn / 100)));
                }
            }
            bool[] failed = Intervals.Holm(gated.Select(g => g.P).ToArray(), (1 - gates.Confidence) / 2);
            string source = $"fixed >= {minOn:F1}% (Holm-corrected over {gated.Count} classes)";
            for (int k = 0; k < current.PerClass.Count; k++)
            {
                RateCounts c = current.PerClass[k];
                int index = gated.FindIndex(g => g.Class == k);
                if (index < 0)
                {
                    results.Add(new GateResult("minOnObjectRate", "class " + names[k], null, minOn, source, null, null, "not_evaluated",
                        $"{c.Judged} samples with a mask, below gates.minClassSamples = {gates.MinClassSamples}"));
                    continue;
                }
                (double lo, double hi) = Intervals.Wilson(c.Judged - c.OffObject, c.Judged, z);
                bool below = 100 * c.OnObjectRate < minOn;
                results.Add(new GateResult("minOnObjectRate", "class " + names[k], 100 * c.OnObjectRate, minOn, source, 100 * lo, 100 * hi,
                    failed[index] ? "fail" : below ? "inconclusive" : "pass",
                    !failed[index] && below ? Decides(c.OnObjectRate ?? 0, minOn / 100, z, "samples with a mask in the class") : null));
            }
        }
        FindingRate("maxLabelErrorRate", gates.MaxLabelErrorRate, f => f.LabelErrors);
        FindingRate("maxShortcutRate", gates.MaxShortcutRate, f => f.Shortcuts);
        Rise("maxFlaggedRateRise", gates.MaxFlaggedRateRise, c => c.Flagged);
        Rise("maxRightForWrongReasonRateRise", gates.MaxRightForWrongReasonRateRise, c => c.RightForWrongReason);
        if (gates.MaxNewlyFlagged is double maxNew)
        {
            if (baseline == null)
            {
                results.Add(new GateResult("maxNewlyFlagged", "overall", null, maxNew, $"<= {maxNew:F0} samples", null, null, "not_evaluated", "no baseline run"));
            }
            else
            {
                long newly = current.FlaggedIds.Keys.Count(id => !baseline.FlaggedIds.ContainsKey(id));
                results.Add(new GateResult("maxNewlyFlagged", "overall", newly, maxNew, $"<= {maxNew:F0} samples newly flagged", newly, newly, newly > maxNew ? "fail" : "pass", null));
            }
        }
        if (gates.MaxNewlyFlaggedPerClass is double maxNewPerClass)
        {
            // An absolute count per true class: no interval, no multiplicity correction (nothing is estimated).
            IReadOnlyList<string> names = current.Run.Config.Dataset.Classes;
            string source = $"<= {maxNewPerClass:F0} samples newly flagged in the class";
            for (int k = 0; k < names.Count; k++)
            {
                if (baseline == null)
                {
                    results.Add(new GateResult("maxNewlyFlaggedPerClass", "class " + names[k], null, maxNewPerClass, source, null, null, "not_evaluated", "no baseline run"));
                    continue;
                }
                long newly = current.FlaggedIds.Count(kv => kv.Value == k && !baseline.FlaggedIds.ContainsKey(kv.Key));
                results.Add(new GateResult("maxNewlyFlaggedPerClass", "class " + names[k], newly, maxNewPerClass, source, newly, newly, newly > maxNewPerClass ? "fail" : "pass", null));
            }
        }
        return results.Select(r => Grade(r, gates)).ToList();

        // The sample size at which the observed rate's interval (normal approximation) would no longer reach the limit.
        static string Decides(double rate, double limit, double z, string what)
        {
            double gap = rate - limit;
            double n = gap == 0 ? double.PositiveInfinity : Math.Ceiling(z * z * rate * (1 - rate) / (gap * gap));
            return string.Create(CultureInfo.InvariantCulture,
                $"the estimate is beyond the limit but its interval still reaches it: about {(double.IsFinite(n) ? n.ToString("F0", CultureInfo.InvariantCulture) : "infinitely many")} {what} would decide it");
        }

        // One rate over the samples with a finding (those whose evidence allowed a verdict), Wilson as maxErrorRate.
        void FindingRate(string name, double? limit, Func<FindingCounts, long> count)
        {
            if (limit is not double max)
            {
                return;
            }
            string source = $"fixed <= {max:F1}% of the samples with a finding";
            if (current.Findings is not FindingCounts f || f.WithFinding == 0)
            {
                results.Add(new GateResult(name, "overall", null, max, source, null, null, "not_evaluated",
                    current.Findings == null ? "the run folder holds no findings.parquet" : "no sample has a finding (no masks, or maps too coarse)"));
                return;
            }
            long k = count(f);
            (double lo, double hi) = Intervals.Wilson(k, f.WithFinding, z);
            double value = 100.0 * k / f.WithFinding;
            results.Add(new GateResult(name, "overall", value, max, source, 100 * lo, 100 * hi,
                100 * lo > max ? "fail" : value > max ? "inconclusive" : "pass",
                value > max && 100 * lo <= max ? Decides(value / 100, max / 100, z, "samples with a finding") : null));
        }

        void Rise(string name, double? limit, Func<RateCounts, long> count)
        {
            if (limit is not double max)
            {
                return;
            }
            if (baseline == null)
            {
                results.Add(new GateResult(name, "overall", null, max, $"baseline + {max:F1} pp", null, null, "not_evaluated", "no baseline run (audit --baseline DIR or compare)"));
                return;
            }
            // Flagged and right for the wrong reason need a mask: both rates are over the samples with one (Judged), so
            // a night that adds samples without masks neither dilutes nor raises them.
            RateCounts cur = current.Overall, bas = baseline.Overall;
            double baseRate = 100 * (bas.MaskRate(count(bas)) ?? 0);
            string source = string.Create(CultureInfo.InvariantCulture, $"baseline {baseRate:F1}% + {max:F1} pp of the samples with a mask");
            if (cur.Judged == 0 || bas.Judged == 0)
            {
                results.Add(new GateResult(name, "overall", null, max, source, null, null, "not_evaluated",
                    cur.Judged == 0 ? "no audited samples with a mask in this run" : "no audited samples with a mask in the baseline run"));
                return;
            }
            (double lo, double hi) = Intervals.NewcombeDifference(count(cur), cur.Judged, count(bas), bas.Judged, z);
            double p1 = cur.MaskRate(count(cur)) ?? 0, p2 = bas.MaskRate(count(bas)) ?? 0;
            double rise = 100 * (p1 - p2);
            string? reason = null;
            string state = 100 * lo > max ? "fail" : rise > max ? "inconclusive" : "pass";
            if (state == "inconclusive")
            {
                double gap = (p1 - p2) - (max / 100);
                double n = Math.Ceiling(z * z * ((p1 * (1 - p1)) + (p2 * (1 - p2))) / (gap * gap));
                reason = string.Create(CultureInfo.InvariantCulture,
                    $"the rise is beyond the limit but its interval still reaches it: about {n:F0} samples with a mask per run (now {cur.Judged} and {bas.Judged}) would decide it");
            }
            results.Add(new GateResult(name, "overall", rise, max, source, 100 * lo, 100 * hi, state, reason));
        }
    }
}
