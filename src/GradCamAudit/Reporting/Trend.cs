using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GradCamAudit.Reporting;

/// <summary>Where the report finds earlier runs for its trend chart: a folder of run folders, and how many to show.</summary>
public sealed record HistoryOptions(string Directory, int Count = 30);

/// <summary>One run's headline figures on the trend chart (rates as fractions).</summary>
public sealed record TrendPoint(string RunId, DateTimeOffset Finished, double? Accuracy, double? FlaggedRate, double? RightForWrongReasonRate);

/// <summary>
/// The trend of the headline figures over the last N complete runs of a history folder (each run folder's
/// summary.json, ordered by finish time) plus the current run, as an inline SVG line chart.
/// </summary>
public static class Trend
{
    public static IReadOnlyList<TrendPoint> Read(HistoryOptions history, string currentDirectory)
    {
        var points = new List<TrendPoint>();
        if (!System.IO.Directory.Exists(history.Directory))
        {
            return points;
        }
        string current = Path.GetFullPath(currentDirectory);
        foreach (string dir in System.IO.Directory.EnumerateDirectories(history.Directory))
        {
            string summary = Path.Combine(dir, "summary.json");
            if (Path.GetFullPath(dir) == current || !IsPlainSmallFile(summary))
            {
                continue; // missing, a FIFO or device (reading it would hang the report), a link, or too large: left off
            }
            try
            {
                TrendPoint point = Point(summary);
                if (point.Finished.Year is >= 2000 and <= 9999 && point.Finished <= DateTimeOffset.UtcNow.AddDays(1))
                {
                    points.Add(point); // an implausible date would put the point anywhere on the axis
                }
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IOException or UnauthorizedAccessException)
            {
                // Not a summary of this tool (or an older schema), or unreadable (another account's): left off the chart.
            }
        }
        return points.OrderBy(p => p.Finished).TakeLast(Math.Max(0, history.Count)).ToList();
    }

    /// <summary>Summaries are small regular files; anything else in a history folder is never opened.</summary>
    public const long MaxSummaryBytes = 16L * 1024 * 1024;

    /// <summary>
    /// A regular file of plausible size, not a link: a FIFO or device reports a length of 0 (and reading it would
    /// block the report), so it is never opened.
    /// </summary>
    private static bool IsPlainSmallFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists && info.LinkTarget == null && info.Length is > 0 and <= MaxSummaryBytes;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static TrendPoint Point(string summaryJson)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(summaryJson));
        JsonElement root = doc.RootElement, h = root.GetProperty("headline");
        double audited = h.GetProperty("audited").GetDouble();
        double? Rate(string name) => audited > 0 ? h.GetProperty(name).GetDouble() / audited : null;
        JsonElement acc = h.GetProperty("accuracy");
        DateTimeOffset finished = root.GetProperty("finishedUtc").ValueKind == JsonValueKind.String ? root.GetProperty("finishedUtc").GetDateTimeOffset() : DateTimeOffset.MinValue;
        return new TrendPoint(root.GetProperty("runId").GetString() ?? "", finished, acc.ValueKind == JsonValueKind.Number ? acc.GetDouble() : null,
            Rate("flagged"), Rate("rightForWrongReason"));
    }

    /// <summary>Three lines (accuracy, flagged rate, right-for-the-wrong-reason rate, in percent) over the runs, the last one this run.</summary>
    public static string Svg(IReadOnlyList<TrendPoint> points)
    {
        if (points.Count < 2)
        {
            return "";
        }
        const int width = 640, height = 190, left = 34, right = 130, top = 12, bottom = 22;
        double plotW = width - left - right, plotH = height - top - bottom;
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        double X(int i) => left + (plotW * i / (points.Count - 1));
        double Y(double fraction) => top + (plotH * (1 - fraction));
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\"><title>headline figures over the last {points.Count} runs</title>");
        foreach (int pct in new[] { 0, 50, 100 })
        {
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{F(Y(pct / 100.0))}\" x2=\"{F(left + plotW)}\" y2=\"{F(Y(pct / 100.0))}\" stroke=\"#e3e6ea\"/><text x=\"4\" y=\"{F(Y(pct / 100.0) + 4)}\" font-size=\"10\" fill=\"#6b7280\">{pct}%</text>");
        }
        var series = new (string Label, string Colour, Func<TrendPoint, double?> Value)[]
        {
            ("accuracy", "#2e7d32", p => p.Accuracy), ("flagged", "#c62828", p => p.FlaggedRate), ("right for wrong reason", "#6a1b9a", p => p.RightForWrongReasonRate),
        };
        for (int s = 0; s < series.Length; s++)
        {
            (string label, string colour, Func<TrendPoint, double?> value) = series[s];
            var coords = points.Select((p, i) => (i, v: value(p))).Where(x => x.v.HasValue).Select(x => $"{F(X(x.i))},{F(Y(x.v!.Value))}");
            sb.Append(CultureInfo.InvariantCulture, $"<polyline class=\"trend\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(' ', coords)}\"/>");
            foreach ((TrendPoint p, int i) in points.Select((p, i) => (p, i)).Where(x => value(x.p).HasValue))
            {
                sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{F(X(i))}\" cy=\"{F(Y(value(p)!.Value))}\" r=\"3\" fill=\"{colour}\"><title>{System.Net.WebUtility.HtmlEncode(p.RunId)}: {label} {F(100 * value(p)!.Value)}%</title></circle>");
            }
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(left + plotW + 8)}\" y=\"{top + 12 + (s * 16)}\" font-size=\"11\" fill=\"{colour}\">{label}</text>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(X(points.Count - 1))}\" y=\"{height - 6}\" font-size=\"10\" text-anchor=\"end\" fill=\"#6b7280\">this run</text>");
        sb.Append("</svg>");
        return sb.ToString();
    }
}
