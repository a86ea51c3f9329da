using System.Globalization;

namespace GradCamAudit.Reporting;

/// <summary>
/// The per-class mean attention maps as thumbnails: all classes up to <c>maxClasses</c>, else the classes with the most
/// flagged samples (the report says which). Drawn over neutral grey with the same colour scale as the gallery.
/// </summary>
public static class MeanMapView
{
    public static (IReadOnlyList<MeanMapRow> Rows, string Note) Build(MeanMaps maps, RunSummary summary, IReadOnlyList<string> classes, int height, int width, int maxClasses)
    {
        if (maps.RowsUsed == 0)
        {
            return ([], "");
        }
        IReadOnlyList<ClassTable.Stats> stats = summary.Classes();
        IEnumerable<int> shown = Enumerable.Range(0, classes.Count);
        var notes = new List<string>();
        if (classes.Count > maxClasses)
        {
            shown = shown.OrderByDescending(k => stats[k].Flagged).ThenBy(k => k).Take(maxClasses).Order();
            notes.Add($"The {maxClasses} classes with the most flagged samples of {classes.Count} (report.confusionMaxClasses).");
        }
        if (maps.Fraction < 1)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"Means over {maps.RowsUsed} samples from a spread {100 * maps.Fraction:F1}% of the row groups (the run is larger than {MeanMaps.SampleRows} rows)."));
        }
        byte[] grey = Enumerable.Repeat((byte)128, height * width * 3).ToArray();
        string Thumb(float[]? mean) => mean == null ? ""
            : Overlay.ThumbnailDataUri(Overlay.Blend(grey, Overlay.Upsample(mean, maps.CamHeight, maps.CamWidth, height, width), null, height, width, normalise: false), height, width);
        var rows = shown.Select(k => new MeanMapRow(classes[k],
            maps.Count("true", k), Thumb(maps.Mean("true", k)),
            maps.Count("flagged", k), Thumb(maps.Mean("flagged", k)),
            maps.Count("pred", k), Thumb(maps.Mean("pred", k)))).ToList();
        return (rows, string.Join(" ", notes));
    }
}
