namespace GradCamAudit.Explain.Checks;

/// <summary>
/// Spearman's rank correlation of two maps (cells in the same order): Pearson's correlation of the ranks, tied values
/// given their average rank. Null when either map is constant (no ranking to compare), never NaN.
/// </summary>
public static class Spearman
{
    public static double? Correlation(IReadOnlyList<float> a, IReadOnlyList<float> b)
    {
        if (a.Count != b.Count || a.Count < 2)
        {
            return null;
        }
        double[] ra = Ranks(a), rb = Ranks(b);
        double ma = ra.Average(), mb = rb.Average();
        double cov = 0, va = 0, vb = 0;
        for (int i = 0; i < ra.Length; i++)
        {
            cov += (ra[i] - ma) * (rb[i] - mb);
            va += (ra[i] - ma) * (ra[i] - ma);
            vb += (rb[i] - mb) * (rb[i] - mb);
        }
        return va <= 0 || vb <= 0 ? null : cov / Math.Sqrt(va * vb);
    }

    /// <summary>1-based ranks, ties averaged.</summary>
    public static double[] Ranks(IReadOnlyList<float> values)
    {
        int[] order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
            {
                end++;
            }
            double rank = ((start + end) / 2.0) + 1;
            for (int j = start; j <= end; j++)
            {
                ranks[order[j]] = rank;
            }
            start = end + 1;
        }
        return ranks;
    }
}
