using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using GradCamAudit.Results;

namespace GradCamAudit.Reporting;

/// <summary>
/// <c>summary.json</c> (headline and per-class figures with provenance, for dashboards; <c>gates</c> reserved for the
/// quality gates) and <c>per_class.csv</c> (the per-class table for spreadsheets), written beside report.html from
/// the same streamed <see cref="RunSummary"/>.
/// </summary>
public static class SummaryWriter
{
    public const int SchemaVersion = 1;

    public static readonly string[] PerClassColumns =
    [
        "class", "samples", "accuracy", "mean_pred_lift", "median_pred_lift", "mean_true_lift", "mean_true_energy_in_mask", "off_object_rate", "flagged", "right_for_wrong_reason",
    ];

    public static void Write(RunFolder folder, RunManifest run, RunSummary summary)
    {
        IReadOnlyList<string> classes = run.Config.Dataset.Classes;
        var stats = summary.Classes();
        var document = new
        {
            schemaVersion = SchemaVersion,
            runId = run.RunId,
            name = run.Config.Name,
            status = run.Status,
            finishedUtc = run.FinishedUtc,
            configSha256 = run.ConfigSha256,
            weightsSha256 = run.WeightsSha256,
            manifestSha256 = run.ManifestSha256,
            device = run.Device,
            targetLayer = run.TargetLayer,
            camMethod = run.CamMethod,
            primaryMethod = run.Config.ExplainSettings.Primary,
            headline = new
            {
                manifestRows = run.Counts.ManifestRows,
                audited = summary.Audited,
                errors = run.Counts.Errors,
                accuracy = summary.Audited == 0 ? (double?)null : (double)summary.Correct / summary.Audited,
                flagged = summary.Flagged,
                rightForWrongReason = summary.RightForWrongReason,
                offObject = summary.OffObject,
                emptyMasks = summary.EmptyMasks,
                // Rates over mask metrics (flagged, off-object, right for the wrong reason) are over these samples only.
                samplesWithMask = summary.SamplesWithMask,
                maskSources = summary.MaskSources.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
                meanLiftCorrect = summary.MeanLiftCorrect,
                meanLiftMisclassified = summary.MeanLiftWrong,
                offObjectLiftThreshold = run.Config.Audit.OffObjectLiftThreshold,
            },
            classes = stats.Select(s => new
            {
                name = classes[s.Label],
                samples = s.Count,
                accuracy = s.Accuracy,
                meanPredLift = s.MeanPredLift,
                medianPredLift = s.MedianPredLift,
                meanTrueLift = s.MeanTrueLift,
                meanTrueEnergyInMask = s.MeanTrueEnergy,
                offObjectRate = s.OffObjectRate,
                flagged = s.Flagged,
                rightForWrongReason = s.RightForWrongReason,
            }).ToArray(),
        };
        var node = JsonSerializer.SerializeToNode(document)!.AsObject();
        // The gates evaluated for this run (gates.json, written by compare or audit --baseline), else an empty list.
        JsonObject? gates = File.Exists(folder.GatesJsonPath) ? JsonNode.Parse(File.ReadAllText(folder.GatesJsonPath))!.AsObject() : null;
        node["gates"] = gates?["gates"]?.DeepClone() ?? new JsonArray();
        node["gateCounts"] = gates?["gateCounts"]?.DeepClone() ?? new JsonObject { ["pass"] = 0, ["warn"] = 0, ["fail"] = 0, ["inconclusive"] = 0, ["not_evaluated"] = 0 };
        RunFolder.WriteAtomic(folder.SummaryJsonPath, s => JsonSerializer.Serialize(s, node, new JsonSerializerOptions { WriteIndented = true }));
        RunFolder.WriteAtomic(folder.PerClassCsvPath, s =>
        {
            using var text = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true);
            using var csv = CsvWriter.Create(text, new CsvWriterOptions(), leaveOpen: true);
            csv.WriteRecord(PerClassColumns);
            static string N(double? v) => v?.ToString("R", CultureInfo.InvariantCulture) ?? "";
            foreach (ClassTable.Stats c in stats)
            {
                csv.WriteRecord([classes[c.Label], c.Count.ToString(CultureInfo.InvariantCulture), N(c.Accuracy), N(c.MeanPredLift), N(c.MedianPredLift),
                    N(c.MeanTrueLift), N(c.MeanTrueEnergy), N(c.OffObjectRate), c.Flagged.ToString(CultureInfo.InvariantCulture), c.RightForWrongReason.ToString(CultureInfo.InvariantCulture)]);
            }
        });
    }
}
