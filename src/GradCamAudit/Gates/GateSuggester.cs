using System.Text.Json;
using System.Text.Json.Nodes;

namespace GradCamAudit.Gates;

/// <summary>
/// <c>suggest-gates</c>: a <c>gates</c> section from a run's own rates, for the team to review and commit: the rises
/// against a baseline limited to the margin points, the on-object floor the margin points
/// below the weakest class that has enough samples, the error ceiling the margin points above today's.
/// </summary>
public static class GateSuggester
{
    public static JsonObject Suggest(RunRates run, double margin)
    {
        Options.GatesOptions current = run.Run.Config.GatesSettings;
        var gated = run.PerClass.Where(c => c.Judged >= current.MinClassSamples && c.OnObjectRate.HasValue).ToList();
        double errorRate = run.Run.Counts.ManifestRows == 0 ? 0 : 100.0 * run.Run.Counts.Errors / run.Run.Counts.ManifestRows;
        var gates = new JsonObject
        {
            ["maxFlaggedRateRise"] = margin,
            ["maxRightForWrongReasonRateRise"] = margin,
            ["maxErrorRate"] = Math.Min(100, Math.Ceiling(errorRate + margin)),
            ["minClassSamples"] = current.MinClassSamples,
            ["confidence"] = current.Confidence,
        };
        if (gated.Count > 0)
        {
            gates["minOnObjectRate"] = Math.Max(0, Math.Floor((100 * gated.Min(c => c.OnObjectRate!.Value)) - margin));
        }
        return new JsonObject { ["gates"] = gates };
    }

    public static string ToJson(JsonObject suggestion) => suggestion.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
