namespace GradCamAudit.Gates;

/// <summary>
/// Confidence intervals for rates, so a gate fails on evidence rather than noise: Wilson's score interval for one
/// proportion (Wilson 1927) and Newcombe's hybrid score interval for a difference of two independent proportions
/// (Newcombe 1998, method 10). Both stay inside [0, 1] / [-1, 1] and behave at 0 and n.
/// </summary>
public static class Intervals
{
    /// <summary>The two-sided normal quantile for a confidence level (0.95 → 1.95996).</summary>
    public static double Z(double confidence) => NormalQuantile(1 - ((1 - confidence) / 2));

    /// <summary>Wilson score interval of x successes in n trials; (0, 1) when n is 0.</summary>
    public static (double Lower, double Upper) Wilson(long x, long n, double z)
    {
        if (n <= 0)
        {
            return (0, 1);
        }
        double p = (double)x / n, z2 = z * z;
        double centre = (p + (z2 / (2 * n))) / (1 + (z2 / n));
        double half = z * Math.Sqrt((p * (1 - p) / n) + (z2 / (4.0 * n * n))) / (1 + (z2 / n));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>Newcombe's hybrid score interval of p1 − p2 from the two Wilson intervals.</summary>
    public static (double Lower, double Upper) NewcombeDifference(long x1, long n1, long x2, long n2, double z)
    {
        double p1 = n1 == 0 ? 0 : (double)x1 / n1, p2 = n2 == 0 ? 0 : (double)x2 / n2;
        (double l1, double u1) = Wilson(x1, n1, z);
        (double l2, double u2) = Wilson(x2, n2, z);
        double d = p1 - p2;
        return (d - Math.Sqrt(((p1 - l1) * (p1 - l1)) + ((u2 - p2) * (u2 - p2))), d + Math.Sqrt(((u1 - p1) * (u1 - p1)) + ((p2 - l2) * (p2 - l2))));
    }

    /// <summary>
    /// One-sided p-value that a rate of x in n comes from a true rate at <paramref name="limit"/> or above: the exact
    /// binomial tail P(X ≤ x | n, limit). Exact rather than the normal approximation, whose left tail is too thin for a
    /// skewed binomial (a 90% rate over 50 samples), which matters at the small levels a Holm correction over many
    /// classes asks for.
    /// </summary>
    public static double BelowLimitPValue(long x, long n, double limit)
    {
        if (n <= 0 || limit <= 0)
        {
            return 1;
        }
        if (limit >= 1)
        {
            return x < n ? 0 : 1;
        }
        double logP = Math.Log(limit), logQ = Math.Log(1 - limit), lnN = LogGamma(n + 1);
        double sum = 0;
        for (long k = 0; k <= x; k++)
        {
            sum += Math.Exp(lnN - LogGamma(k + 1) - LogGamma(n - k + 1) + (k * logP) + ((n - k) * logQ));
        }
        return Math.Min(1, sum);
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, nine coefficients; relative error about 1e-15).</summary>
    public static double LogGamma(double x)
    {
        double[] c =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        if (x < 0.5)
        {
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        }
        x -= 1;
        double a = c[0], t = x + 7.5;
        for (int i = 1; i < 9; i++)
        {
            a += c[i] / (x + i);
        }
        return (0.5 * Math.Log(2 * Math.PI)) + ((x + 0.5) * Math.Log(t)) - t + Math.Log(a);
    }

    /// <summary>
    /// Holm's step-down correction (Holm 1979) of m one-sided tests at level <paramref name="alpha"/>: sorted by p, the
    /// i-th (from 0) is rejected while p ≤ alpha / (m − i). Returns, per input, whether it is rejected.
    /// </summary>
    public static bool[] Holm(IReadOnlyList<double> pValues, double alpha)
    {
        var order = Enumerable.Range(0, pValues.Count).OrderBy(i => pValues[i]).ToArray();
        var rejected = new bool[pValues.Count];
        for (int rank = 0; rank < order.Length; rank++)
        {
            if (pValues[order[rank]] > alpha / (order.Length - rank))
            {
                break;
            }
            rejected[order[rank]] = true;
        }
        return rejected;
    }

    /// <summary>Inverse of the standard normal CDF (Acklam's rational approximation, relative error below 1.2e-9).</summary>
    public static double NormalQuantile(double p)
    {
        if (p <= 0 || p >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "must be in (0, 1)");
        }
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        if (p < low)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            return (((((((((c[0] * q) + c[1]) * q) + c[2]) * q) + c[3]) * q) + c[4]) * q + c[5]) / ((((((((d[0] * q) + d[1]) * q) + d[2]) * q) + d[3]) * q) + 1);
        }
        if (p > 1 - low)
        {
            return -NormalQuantile(1 - p);
        }
        double r = p - 0.5, s = r * r;
        return (((((((((a[0] * s) + a[1]) * s) + a[2]) * s) + a[3]) * s) + a[4]) * s + a[5]) * r / ((((((((((b[0] * s) + b[1]) * s) + b[2]) * s) + b[3]) * s) + b[4]) * s) + 1);
    }
}
