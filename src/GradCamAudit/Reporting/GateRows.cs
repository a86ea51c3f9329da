using System.Globalization;
using System.Text.Json;
using GradCamAudit.Results;

namespace GradCamAudit.Reporting;

/// <summary>
/// The report's gate table from gates.json (written by compare or audit --baseline): evaluated gates sorted by state
/// and effect size (failed major first), each with its evidence (how many samples stand behind it, the class row, the
/// gallery filter showing them); the gates that could not be evaluated come apart, with their reasons.
/// </summary>
public static class GateRows
{
    public static (IReadOnlyList<GateRow> Evaluated, IReadOnlyList<GateRow> NotEvaluated, IReadOnlyList<GateRow> Inconclusive) Read(string runDirectory, RunSummary summary, IReadOnlyList<string> classes,
        RunManifest run, BaselineView? baseline)
    {
        string path = Path.Combine(runDirectory, RunFolder.GatesJsonName);
        if (!File.Exists(path))
        {
            return ([], [], []);
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        IReadOnlyList<ClassTable.Stats> stats = summary.Classes();
        static string N(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetDouble().ToString("F1", CultureInfo.InvariantCulture) : "-";
        var rows = doc.RootElement.GetProperty("gates").EnumerateArray().Select(g =>
        {
            string state = g.GetProperty("state").GetString() ?? "";
            string name = g.GetProperty("name").GetString() ?? "", scope = g.GetProperty("scope").GetString() ?? "";
            var interval = g.GetProperty("interval");
            string reason = g.TryGetProperty("reason", out var rv) && rv.ValueKind == JsonValueKind.String ? rv.GetString() ?? "" : "";
            string range = interval.ValueKind == JsonValueKind.Array
                ? $"{N(interval[0])} to {N(interval[1])}" + (state == "inconclusive" && reason.Length > 0 ? $" ({reason})" : "")
                : reason.Length > 0 ? reason : "-";
            string severity = g.TryGetProperty("severity", out var sv) && sv.ValueKind == JsonValueKind.String ? sv.GetString() ?? "" : "";
            var row = new GateRow(state, name, scope, N(g.GetProperty("value")), range, g.GetProperty("limitSource").GetString() ?? "", state is "fail" or "warn", severity);
            return Evidence(row, summary, stats, classes, run, baseline);
        }).ToList();
        static int Rank(GateRow g) => g.State switch { "fail" => g.Severity == "major" ? 0 : 1, "warn" => g.Severity == "major" ? 2 : 3, _ => 4 };
        return (rows.Where(r => r.State is not "not_evaluated" and not "inconclusive").OrderBy(Rank).ToList(), rows.Where(r => r.State == "not_evaluated").ToList(),
            rows.Where(r => r.State == "inconclusive").ToList());
    }

    private static GateRow Evidence(GateRow g, RunSummary summary, IReadOnlyList<ClassTable.Stats> stats, IReadOnlyList<string> classes, RunManifest run, BaselineView? baseline)
    {
        static string Share(long n, long of) => of == 0 ? "-" : (100.0 * n / of).ToString("F1", CultureInfo.InvariantCulture) + "%";
        const string classPrefix = "class ";
        if (g.Scope.StartsWith(classPrefix, StringComparison.Ordinal))
        {
            string name = g.Scope[classPrefix.Length..];
            int k = classes.ToList().IndexOf(name);
            if (k < 0)
            {
                return g;
            }
            if (g.Name == "maxNewlyFlaggedPerClass")
            {
                return g with { Evidence = $"{g.Value} newly flagged of {stats[k].Flagged} flagged (comparison.parquet)", ClassAnchor = ClassAnchor(k), FilterTrue = name, FilterKind = "flagged" };
            }
            // An off-object sample is flagged when misclassified and right for the wrong reason when correct.
            long off = stats[k].Flagged + stats[k].RightForWrongReason;
            return g with { Evidence = $"{off} off-object samples, {Share(off, stats[k].Count)} of the class", ClassAnchor = ClassAnchor(k), FilterTrue = name, FilterKind = "off-object" };
        }
        return g.Name switch
        {
            "maxFlaggedRateRise" => g with { Evidence = $"{summary.Flagged} flagged samples, {Share(summary.Flagged, summary.SamplesWithMask)} of the {summary.SamplesWithMask} samples with a mask", FilterKind = "flagged" },
            "maxRightForWrongReasonRateRise" => g with
            {
                Evidence = $"{summary.RightForWrongReason} right for the wrong reason, {Share(summary.RightForWrongReason, summary.SamplesWithMask)} of the {summary.SamplesWithMask} samples with a mask",
                FilterKind = "rfwr",
            },
            "maxLabelErrorRate" => g with { Evidence = "label_error findings (findings.parquet)", Link = "#finding-label_error" },
            "maxShortcutRate" => g with { Evidence = "shortcut findings (findings.parquet)", Link = "#finding-shortcut" },
            "maxErrorRate" => g with { Evidence = $"{run.Counts.Errors} rows in errors.csv, {Share(run.Counts.Errors, run.Counts.ManifestRows)} of the manifest", Link = "#errors" },
            "maxNewlyFlagged" when baseline != null => g with { Evidence = $"{baseline.NewlyFlagged} newly flagged (by sample_id, in comparison.parquet)", Link = "#baseline" },
            _ => g,
        };
    }

    /// <summary>The HTML id of a class's row in the per-class table.</summary>
    public static string ClassAnchor(int k) => "class-" + k.ToString(CultureInfo.InvariantCulture);
}
