using System.Globalization;

namespace GradCamAudit.Findings.Strategies;

/// <summary>What a strategy's rows are like, as the rule reads it.</summary>
public sealed record StrategyStats(int Strategy, long Size, long Correct, double? MeanLift, float[] MeanMap)
{
    public double? Accuracy => Size == 0 ? null : (double)Correct / Size;
}

/// <summary>
/// The rule that calls a strategy suspicious (a likely shortcut), from the maps alone, so it holds where no sample has a
/// mask. Per predicted class, the <b>reference</b> is the mean normalised map of the class's correct predictions: where
/// its correct samples look. (Not one strategy's: objects move, so a class's correct samples fall into several
/// location strategies, and their union is where the class is looked at.) A strategy is <b>suspicious</b> when all hold:
/// <list type="number">
/// <item>its mean map shares less than <see cref="MaxOverlap"/> of its attention mass with the reference (histogram
/// intersection of the unit-sum maps), or the class has no correct prediction at all (no reference);</item>
/// <item>its accuracy is below <see cref="MaxAccuracy"/>;</item>
/// <item>where masks exist, its mean predicted-class energy lift is below the audit's off-object threshold (a strategy
/// whose maps sit on the object is a different view of the object, not a shortcut); without masks this is not tested.</item>
/// </list>
/// Score (rank, higher first): (1 - overlap) x (1 - accuracy), overlap 0 without a reference. The reference strategy
/// (reported, not used by the rule) is the one holding the most correct predictions, ties to the lower id.
/// </summary>
public static class StrategyRules
{
    public const double MaxOverlap = 0.5;
    public const double MaxAccuracy = 0.5;

    public sealed record Verdict(int Strategy, bool Reference, double? Overlap, bool Suspicious, double Score);

    public static IReadOnlyList<Verdict> Decide(IReadOnlyList<StrategyStats> strategies, float[]? correctMean, double offObjectLiftThreshold)
    {
        StrategyStats? reference = strategies.Where(s => s.Correct > 0).OrderByDescending(s => s.Correct).ThenBy(s => s.Strategy).FirstOrDefault();
        return strategies.Select(s =>
        {
            bool isReference = reference != null && s.Strategy == reference.Strategy;
            double? overlap = correctMean == null ? null : MapGrid.Intersection(s.MeanMap, correctMean);
            double accuracy = s.Accuracy ?? 0;
            bool suspicious = s.Size > 0 && (overlap ?? 0) < MaxOverlap && accuracy < MaxAccuracy
                && (s.MeanLift is not double lift || lift < offObjectLiftThreshold);
            return new Verdict(s.Strategy, isReference, overlap, suspicious, (1 - (overlap ?? 0)) * (1 - accuracy));
        }).ToList();
    }

    /// <summary>The sentence naming a suspicious strategy, e.g. "triangle: strategy 2 (28% of triangle predictions, accuracy 0.05) looks at the bottom-right corner, away from where correct triangle predictions look: likely shortcut".</summary>
    public static string Describe(string className, int strategy, double share, double? accuracy, string region, string? referenceRegion, double? overlap, double? meanLift)
    {
        string acc = accuracy is double a ? a.ToString("F2", CultureInfo.InvariantCulture) : "-";
        string where = overlap is double o
            ? string.Create(CultureInfo.InvariantCulture, $"away from where correct {className} predictions look ({referenceRegion}; shared attention {o:F2})")
            : $"and no {className} prediction is correct";
        string lift = meanLift is double l ? string.Create(CultureInfo.InvariantCulture, $", mean lift {l:F2}") : "";
        return string.Create(CultureInfo.InvariantCulture, $"{className}: strategy {strategy} ({share * 100:F0}% of {className} predictions, accuracy {acc}{lift}) looks at {region}, {where}: likely shortcut");
    }
}
