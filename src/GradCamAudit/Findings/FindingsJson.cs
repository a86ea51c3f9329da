using System.Text.Json;
using GradCamAudit.Results;

namespace GradCamAudit.Findings;

/// <summary><c>findings.json</c>: the settings the findings were decided with, the class statistics and the counts.</summary>
public static class FindingsJson
{
    public const int SchemaVersion = 1;

    public static void Write(string path, FindingsReport report)
    {
        var document = new
        {
            schemaVersion = SchemaVersion,
            settings = new { minMapSize = report.MinMapSize, acceptCoarseMaps = report.AcceptCoarseMaps, outlierMads = report.OutlierMads },
            rows = report.Rows,
            counts = report.Counts,
            noVerdict = report.NoVerdict,
            classes = report.Classes.Select(c => new
            {
                name = c.Name,
                samples = c.Samples,
                threshold = c.Threshold,
                outlierCut = c.OutlierCut,
                support = c.Support,
                labelErrorsGiven = c.LabelErrorsGiven,
                labelErrorsSuggested = c.LabelErrorsSuggested,
                shortcutsPredicted = c.ShortcutsPredicted,
                rightForWrongReason = c.RightForWrongReason,
                hard = c.Hard,
                ok = c.Ok,
                interventionControls = c.Controls,
                coreAccuracy = c.CoreAccuracy,
                backgroundOnlyHitRate = c.BackgroundOnlyHitRate,
                shortcutsConfirmed = c.ShortcutsConfirmed,
            }),
            evidence = report.Sections.Where(s => s.Intervened > 0).ToDictionary(s => s.Kind, s => new { intervened = s.Intervened, confirmedOrSupported = s.Confirmed }),
            cautions = report.Cautions,
            verdict = report.Verdict,
        };
        RunFolder.WriteAtomic(path, s => JsonSerializer.Serialize(s, document, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The counts of a run's findings.json (the gates read them), or null when the file is absent.</summary>
    public static IReadOnlyDictionary<string, int>? ReadCounts(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("counts").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
    }
}
