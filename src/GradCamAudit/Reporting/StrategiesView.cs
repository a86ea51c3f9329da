using System.Globalization;
using GradCamAudit.Findings.Strategies;
using GradCamAudit.Results;

namespace GradCamAudit.Reporting;

/// <summary>One strategy as a card of the "Strategies per class" section: figures, its mean map as a thumbnail, its verdict and exemplars.</summary>
public sealed record StrategyCard(string ClassName, int Strategy, long Size, string Share, string Accuracy, string MeanLift, string Region, string Overlap,
    bool Suspicious, bool Reference, string Verdict, string MapUri, IReadOnlyList<GalleryItem> Exemplars);

/// <summary>The section: the ranked cards (suspicious first), the verdict lines, a note on what is left out.</summary>
public sealed record StrategiesSection(IReadOnlyList<StrategyCard> Cards, IReadOnlyList<string> Verdicts, string Note, int GridSize, int SamplePerClass, int MaxStrategies)
{
    public static StrategiesSection Empty { get; } = new([], [], "", 0, 0, 0);
}

/// <summary>Builds the section from the decided strategies: at most <c>maxCards</c> cards (the ranking's first), each mean map drawn over neutral grey scaled to its own peak.</summary>
public static class StrategiesView
{
    public static StrategiesSection Build(StrategiesReport report, int height, int width, int maxCards, Func<ReportRow, GalleryItem> exemplar)
    {
        if (!report.Enabled)
        {
            return StrategiesSection.Empty;
        }
        IReadOnlyList<StrategyView> ranked = report.Ranked;
        byte[] grey = Enumerable.Repeat((byte)128, height * width * 3).ToArray();
        string Thumb(StrategyRecord r)
        {
            float peak = r.MeanMap.DefaultIfEmpty(0).Max();
            if (!(peak > 0))
            {
                return "";
            }
            float[] scaled = r.MeanMap.Select(v => v / peak).ToArray();
            return Overlay.ThumbnailDataUri(Overlay.Blend(grey, Overlay.Upsample(scaled, r.GridHeight, r.GridWidth, height, width), null, height, width, normalise: false), height, width);
        }
        static string F(double? v, string format) => v is double d ? d.ToString(format, CultureInfo.InvariantCulture) : "-";
        var cards = ranked.Take(maxCards).Select(s => new StrategyCard(s.Record.Class, s.Record.Strategy, s.Record.Size,
            (s.Record.Share * 100).ToString("F0", CultureInfo.InvariantCulture) + "%", F(s.Record.Accuracy, "F2"), F(s.Record.MeanLift, "F2"),
            s.Record.Region, F(s.Record.OverlapWithReference, "F2"), s.Record.Suspicious, s.Record.Reference, s.Verdict, Thumb(s.Record),
            s.Exemplars.Select(e => exemplar(e.Row)).ToList())).ToList();
        string note = ranked.Count > cards.Count ? $"The first {cards.Count} of {ranked.Count} strategies (report.galleryMax); all of them are in strategies.parquet." : "";
        return new StrategiesSection(cards, report.Verdicts, note, report.Settings.GridSize, report.Settings.SamplePerClass, report.Settings.MaxStrategies);
    }
}
