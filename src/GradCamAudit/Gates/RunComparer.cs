using System.Text.Json;
using System.Text.Json.Nodes;
using GradCamAudit.Options;
using GradCamAudit.Results;
using Microsoft.Extensions.Logging;
using Parquet.Serialization;

namespace GradCamAudit.Gates;

/// <summary>One sample whose flag changed between the baseline and the current run (joined by sample_id).</summary>
public sealed class FlagChange
{
    public string SampleId { get; set; } = "";

    public string Change { get; set; } = "";
}

/// <summary>At least one gate failed: exit code 3.</summary>
public sealed class GateFailedException(IReadOnlyList<GateResult> failed)
    : Exception($"{failed.Count} gate(s) failed: " + string.Join("; ", failed.Select(g => g.ToString())))
{
    public IReadOnlyList<GateResult> Failed { get; } = failed;
}

/// <summary>
/// Night over night: the current run against a baseline run (both run folders, read in one streaming pass each).
/// Writes <c>comparison.json</c> (what differs in provenance, overall and per-class rates of both runs and their
/// deltas, counts of newly and no longer flagged samples) and <c>comparison.parquet</c> (every sample whose flag
/// changed) into the current run folder, evaluates the gates, and records them in its <c>summary.json</c> and <c>summary.md</c>. The report that shows
/// them is rendered by the caller (<see cref="Reporting.ComparedReport"/>), so the gates never reach into the report.
/// </summary>
public static class RunComparer
{
    public static IReadOnlyList<GateResult> Run(string currentDirectory, string? baselineDirectory, ILogger log, CachedRates? cache = null)
    {
        var folder = new RunFolder(currentDirectory);
        RunManifest run = folder.LoadManifest() ?? throw new Options.ConfigException($"'{currentDirectory}' holds no run.json (not a run folder)");
        // Tonight's acknowledgements apply to both runs, so that the two are compared like with like.
        Acknowledgements acknowledged = Acknowledgements.For(run.Config.GatesSettings);
        DateOnly day = DateOnly.FromDateTime(run.StartedUtc.UtcDateTime);
        RunRates current = RunRates.Read(currentDirectory, acknowledged, day, cache);
        RunRates? baseline = baselineDirectory == null ? null : RunRates.Read(baselineDirectory, acknowledged, day, cache);
        if (current.AcknowledgedSamples > 0)
        {
            log.LogInformation("{Count} acknowledged samples left out of the gates (gates.acknowledged)", current.AcknowledgedSamples);
        }
        if (baseline != null)
        {
            WriteComparison(folder, current, baseline, log);
        }
        IReadOnlyList<GateResult> gates = GateEvaluator.Evaluate(current.Run.Config.GatesSettings, current, baseline);
        foreach (GateResult g in gates)
        {
            if (g.Failed)
            {
                log.LogWarning("gate failed: {Gate}", g.ToString());
            }
            else
            {
                log.LogInformation("gate: {Gate}", g.ToString());
            }
        }
        RecordGates(folder, gates);
        string markdown = MarkdownSummary.Build(current, baseline, gates);
        RunFolder.WriteAtomic(Path.Combine(folder.Directory, "summary.md"), s => s.Write(System.Text.Encoding.UTF8.GetBytes(markdown)));
        return gates;
    }

    private static void WriteComparison(RunFolder folder, RunRates current, RunRates baseline, ILogger log)
    {
        var differences = new List<string>();
        if (current.Run.ConfigSha256 != baseline.Run.ConfigSha256)
        {
            differences.Add("config");
        }
        if (current.Run.ManifestSha256 != baseline.Run.ManifestSha256)
        {
            differences.Add("dataset");
        }
        if (current.Run.WeightsSha256 != baseline.Run.WeightsSha256)
        {
            differences.Add("weights");
        }
        if (differences.Count > 0)
        {
            log.LogWarning("the runs differ in {What}: deltas mix the effect of those changes", string.Join(", ", differences));
        }
        var newly = current.FlaggedIds.Keys.Where(id => !baseline.FlaggedIds.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();
        var gone = baseline.FlaggedIds.Keys.Where(id => !current.FlaggedIds.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();
        static object Figures(RateCounts c) => new
        {
            samples = c.Samples,
            // The rates over mask metrics (off-object, flagged, right for the wrong reason) count only these.
            samplesWithMask = c.Judged,
            maskSources = c.MaskSources.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
            accuracy = c.Rate(c.Correct),
            meanLift = c.MeanLift,
            offObjectRate = c.MaskRate(c.OffObject),
            flaggedRate = c.MaskRate(c.Flagged),
            rightForWrongReasonRate = c.MaskRate(c.RightForWrongReason),
        };
        static double? Delta(double? a, double? b) => a.HasValue && b.HasValue ? a - b : null;
        static object Deltas(RateCounts cur, RateCounts bas) => new
        {
            accuracy = Delta(cur.Rate(cur.Correct), bas.Rate(bas.Correct)),
            meanLift = Delta(cur.MeanLift, bas.MeanLift),
            offObjectRate = Delta(cur.MaskRate(cur.OffObject), bas.MaskRate(bas.OffObject)),
            flaggedRate = Delta(cur.MaskRate(cur.Flagged), bas.MaskRate(bas.Flagged)),
            rightForWrongReasonRate = Delta(cur.MaskRate(cur.RightForWrongReason), bas.MaskRate(bas.RightForWrongReason)),
        };
        IReadOnlyList<string> names = current.Run.Config.Dataset.Classes, baseNames = baseline.Run.Config.Dataset.Classes;
        var document = new
        {
            baselineRunId = baseline.Run.RunId,
            currentRunId = current.Run.RunId,
            differences,
            overall = new { baseline = Figures(baseline.Overall), current = Figures(current.Overall), delta = Deltas(current.Overall, baseline.Overall) },
            classes = names.Select((name, k) =>
            {
                int b = baseNames.ToList().IndexOf(name);
                RateCounts cur = current.PerClass[k];
                return b < 0
                    ? (object)new { name, baseline = (object?)null, current = Figures(cur), delta = (object?)null }
                    : new { name, baseline = (object?)Figures(baseline.PerClass[b]), current = Figures(cur), delta = (object?)Deltas(cur, baseline.PerClass[b]) };
            }).ToArray(),
            newlyFlagged = newly.Count,
            noLongerFlagged = gone.Count,
        };
        RunFolder.WriteAtomic(Path.Combine(folder.Directory, "comparison.json"), s => JsonSerializer.Serialize(s, document, new JsonSerializerOptions { WriteIndented = true }));
        var changes = newly.Select(id => new FlagChange { SampleId = id, Change = "newly_flagged" })
            .Concat(gone.Select(id => new FlagChange { SampleId = id, Change = "no_longer_flagged" })).ToList();
        RunFolder.WriteAtomicAsync(Path.Combine(folder.Directory, "comparison.parquet"), s => ParquetSerializer.SerializeAsync(changes, s), overwrite: true).GetAwaiter().GetResult();
        log.LogInformation("compared with baseline {Baseline}: {Newly} newly flagged, {Gone} no longer flagged", baseline.Run.RunId, newly.Count, gone.Count);
    }

    /// <summary>Writes the gate list (gates.json, which summary.json and the report take up when they are rendered).</summary>
    private static void RecordGates(RunFolder folder, IReadOnlyList<GateResult> gates)
    {
        var node = new JsonObject
        {
            ["gates"] = JsonSerializer.SerializeToNode(gates.Select(g => new
            {
                name = g.Name,
                scope = g.Scope,
                value = g.Value,
                limit = g.Limit,
                limitSource = g.LimitSource,
                interval = g.Lower.HasValue ? new[] { g.Lower, g.Upper } : null,
                state = g.State,
                severity = g.Severity,
                passed = !g.Failed,
                reason = g.Reason,
            })),
            ["gateCounts"] = JsonSerializer.SerializeToNode(new[] { "pass", "warn", "fail", "inconclusive", "not_evaluated" }.ToDictionary(s => s, s => gates.Count(g => g.State == s))),
        };
        RunFolder.WriteAtomic(folder.GatesJsonPath, s => JsonSerializer.Serialize(s, node, new JsonSerializerOptions { WriteIndented = true }));
    }
}
