using System.Globalization;
using System.Text;

namespace GradCamAudit.Reporting;

/// <summary>
/// Off-object rate against confidence: samples with a defined verdict counted in ten confidence bins ([0, 0.1), ...,
/// [0.9, 1]) and the share of them off-object, as an inline SVG of bars (height = rate, the count in each bar's
/// tooltip and under it). A model that is confident where it looks away from the object is the case to worry about.
/// </summary>
public sealed class ConfidenceChart
{
    public const int Bins = 10;

    private readonly long[] judged = new long[Bins];
    private readonly long[] off = new long[Bins];

    public IReadOnlyList<long> Judged => judged;

    public IReadOnlyList<long> OffObject => off;

    /// <summary>A chart with the given bin counts (a persisted summary).</summary>
    public static ConfidenceChart FromCounts(IReadOnlyList<long> judged, IReadOnlyList<long> offObject)
    {
        var chart = new ConfidenceChart();
        for (int b = 0; b < Bins; b++)
        {
            chart.judged[b] = judged[b];
            chart.off[b] = offObject[b];
        }
        return chart;
    }

    public void Add(float? confidence, bool? offObject)
    {
        if (confidence is not float c || offObject is not bool o || !float.IsFinite(c))
        {
            return;
        }
        int bin = Math.Clamp((int)(c * Bins), 0, Bins - 1);
        judged[bin]++;
        off[bin] += o ? 1 : 0;
    }

    public string Svg(int width, int height)
    {
        const int left = 34, bottom = 30, top = 10;
        double plotW = width - left - 8, plotH = height - bottom - top, barW = plotW / Bins;
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\"><title>off-object rate by confidence</title>");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{F(top + plotH)}\" x2=\"{F(left + plotW)}\" y2=\"{F(top + plotH)}\" stroke=\"#9aa3ad\"/>");
        for (int b = 0; b < Bins; b++)
        {
            double x = left + (b * barW);
            if (judged[b] > 0)
            {
                double rate = (double)off[b] / judged[b];
                double barH = plotH * rate;
                sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(x + 1)}\" y=\"{F(top + plotH - barH)}\" width=\"{F(barW - 2)}\" height=\"{F(barH)}\" fill=\"#c62828\" fill-opacity=\"0.7\"><title>confidence {b / 10.0:0.0}-{(b + 1) / 10.0:0.0}: {off[b]} of {judged[b]} off-object ({100 * rate:F1}%)</title></rect>");
            }
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x + (barW / 2))}\" y=\"{F(top + plotH + 11)}\" font-size=\"9\" text-anchor=\"middle\" fill=\"#6b7280\">{judged[b]}</text>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x)}\" y=\"{height - 4}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#6b7280\">{b / 10.0:0.0}</text>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(left + plotW)}\" y=\"{height - 4}\" font-size=\"10\" text-anchor=\"end\" fill=\"#6b7280\">1.0</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"2\" y=\"{top + 6}\" font-size=\"10\" fill=\"#6b7280\">100%</text>");
        sb.Append("</svg>");
        return sb.ToString();
    }
}
