using System.Globalization;
using System.Text;

namespace GradCamAudit.Reporting;

/// <summary>
/// Counts of the predicted-class energy lift in fixed bins (0 to <see cref="Max"/> in steps of <see cref="Step"/>,
/// plus an overflow bin), and their inline SVG with the off-object threshold drawn in: how the verdicts fall, so a
/// reader can judge the threshold.
/// </summary>
public sealed class LiftHistogram
{
    public const double Step = 0.125;
    public const double Max = 4.0;
    public static readonly int Bins = (int)(Max / Step) + 1;

    private readonly long[] counts = new long[Bins];

    public long Total { get; private set; }

    public IReadOnlyList<long> Counts => counts;

    /// <summary>A histogram with the given bin counts (a persisted summary).</summary>
    public static LiftHistogram FromCounts(IReadOnlyList<long> counts)
    {
        var h = new LiftHistogram();
        for (int b = 0; b < Math.Min(Bins, counts.Count); b++)
        {
            h.counts[b] = counts[b];
            h.Total += counts[b];
        }
        return h;
    }

    public void Add(double lift)
    {
        int bin = lift >= Max ? Bins - 1 : Math.Max(0, (int)(lift / Step));
        counts[bin]++;
        Total++;
    }

    /// <summary>An SVG of one or more series (drawn as overlaid translucent bars) with the threshold line.</summary>
    public static string Svg(IReadOnlyList<(string Label, string Colour, LiftHistogram Histogram)> series, double threshold, int width, int height, string title)
    {
        const int left = 34, bottom = 18, top = 16;
        double plotW = width - left - 8, plotH = height - bottom - top;
        long peak = Math.Max(1, series.SelectMany(s => s.Histogram.counts).DefaultIfEmpty(1).Max());
        double barW = plotW / Bins;
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\"><title>{System.Net.WebUtility.HtmlEncode(title)}</title>");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{F(top + plotH)}\" x2=\"{F(left + plotW)}\" y2=\"{F(top + plotH)}\" stroke=\"#9aa3ad\"/>");
        foreach ((string label, string colour, LiftHistogram h) in series)
        {
            for (int b = 0; b < Bins; b++)
            {
                if (h.counts[b] == 0)
                {
                    continue;
                }
                double barH = plotH * h.counts[b] / peak;
                sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(left + (b * barW))}\" y=\"{F(top + plotH - barH)}\" width=\"{F(Math.Max(1, barW - 1))}\" height=\"{F(barH)}\" fill=\"{colour}\" fill-opacity=\"0.6\"><title>{System.Net.WebUtility.HtmlEncode(label)}: {h.counts[b]} samples, lift {F(b * Step)}{(b == Bins - 1 ? "+" : "-" + F((b + 1) * Step))}</title></rect>");
            }
        }
        for (int tick = 0; tick <= (int)Max; tick++)
        {
            double x = left + (tick / Step * barW);
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x)}\" y=\"{height - 4}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#6b7280\">{tick}{(tick == (int)Max ? "+" : "")}</text>");
        }
        double tx = left + (Math.Min(threshold, Max) / Step * barW);
        sb.Append(CultureInfo.InvariantCulture, $"<line class=\"threshold\" x1=\"{F(tx)}\" y1=\"{top - 4}\" x2=\"{F(tx)}\" y2=\"{F(top + plotH)}\" stroke=\"#b3261e\" stroke-dasharray=\"4 3\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(tx + 3)}\" y=\"{top - 5}\" font-size=\"10\" fill=\"#b3261e\">off-object below {threshold.ToString("0.###", CultureInfo.InvariantCulture)}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"2\" y=\"{top + 6}\" font-size=\"10\" fill=\"#6b7280\">{peak}</text>");
        sb.Append("</svg>");
        return sb.ToString();
    }
}
