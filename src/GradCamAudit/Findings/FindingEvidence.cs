using System.Globalization;
using GradCamAudit.Results;

namespace GradCamAudit.Findings;

/// <summary>The one-line evidence of a finding, as a reviewer reads it on a card or in the review export.</summary>
public static class FindingEvidence
{
    public static string Describe(ReportRow r, Finding f, double offObjectLiftThreshold, IReadOnlyList<string>? classes = null)
    {
        string Name(int k) => classes != null && k >= 0 && k < classes.Count ? classes[k] : k.ToString(CultureInfo.InvariantCulture);
        string intervention = r.Intervened
            ? string.Create(CultureInfo.InvariantCulture,
                $"; object alone: '{Name(r.ObjectOnlyPred!.Value)}' p={P(r.ObjectOnlyProb)}, background alone: '{Name(r.BackgroundOnlyPred!.Value)}' p={P(r.BackgroundOnlyProb)}{(f.Evidence is string e ? $" ({e.Replace('_', ' ')})" : "")}")
            : "";
        string map = r.OffObject switch
        {
            null => "no mask",
            true => string.Create(CultureInfo.InvariantCulture, $"map off the object (lift {Lift(r.PredEnergyLift)} < {offObjectLiftThreshold:0.##})"),
            false => string.Create(CultureInfo.InvariantCulture, $"map on the object (lift {Lift(r.PredEnergyLift)})"),
        };
        string given = string.Create(CultureInfo.InvariantCulture, $"given '{r.TrueName}' p={P(r.TrueProb)}");
        string limits = f.Kind is FindingKinds.LabelError or FindingKinds.Hard && f.GivenThreshold is double tj && f.PredThreshold is double tk
            ? string.Create(CultureInfo.InvariantCulture, $" (class thresholds: given {P(tj)}, outlier below {P(f.GivenOutlierCut)}; predicted {P(tk)})")
            : "";
        return r.Correct
            ? $"{given}, predicted correctly p={P(r.Confidence)}, {map}{intervention}"
            : $"{given}, predicted '{r.PredName}' p={P(r.Confidence)}, {map}{limits}{intervention}";
    }

    private static string Lift(double? lift) => lift is double l ? l.ToString("0.##", CultureInfo.InvariantCulture) : "n/a (all-zero map)";

    private static string P(double? p) => p switch
    {
        null => "n/a",
        double v when v != 0 && Math.Abs(v) < 0.001 => v.ToString("0.0e0", CultureInfo.InvariantCulture),
        double v => v.ToString("0.###", CultureInfo.InvariantCulture),
    };

    private static string P(float? p) => P((double?)p);
}
