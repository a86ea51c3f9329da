using System.Text.Json;
using GradCamAudit.Results;

namespace GradCamAudit.Findings.Strategies;

/// <summary><c>strategies.json</c>: the settings, the method's fixed parameters and per class its strategies (without exemplars).</summary>
public static class StrategiesJson
{
    public const int SchemaVersion = 1;

    public static void Write(string path, StrategiesReport report)
    {
        var document = new
        {
            schemaVersion = SchemaVersion,
            settings = new
            {
                enabled = report.Settings.Enabled,
                samplePerClass = report.Settings.SamplePerClass,
                maxStrategies = report.Settings.MaxStrategies,
                gridSize = report.Settings.GridSize,
                neighbours = "ceil(sqrt(n)), at least 2",
                affinity = "symmetric kNN, self-tuning Gaussian weights",
                laplacian = "normalised (I - D^-1/2 W D^-1/2)",
                kMeansRestarts = SpectralClustering.Restarts,
                suspiciousMaxOverlap = StrategyRules.MaxOverlap,
                suspiciousMaxAccuracy = StrategyRules.MaxAccuracy,
                mergeAbove = StrategyMerge.MergeAbove,
            },
            verdicts = report.Verdicts,
            classes = report.Classes.Select(c => new
            {
                name = c.Name,
                predictions = c.Predictions,
                withMap = c.Mapped,
                sampled = c.Sampled,
                neighbours = c.Neighbours,
                eigenvalues = c.Eigenvalues,
                chosenByEigengap = c.ChosenByEigengap,
                correctPredictionsLookAt = c.CorrectRegion,
                strategies = c.Strategies.Select(s => new
                {
                    strategy = s.Record.Strategy,
                    size = s.Record.Size,
                    share = s.Record.Share,
                    accuracy = s.Record.Accuracy,
                    meanLift = s.Record.MeanLift,
                    region = s.Record.Region,
                    reference = s.Record.Reference,
                    overlapWithReference = s.Record.OverlapWithReference,
                    suspicious = s.Record.Suspicious,
                    score = s.Record.Score,
                    exemplars = s.Exemplars.Select(e => e.Row.SampleId),
                }),
            }),
        };
        RunFolder.WriteAtomic(path, s => JsonSerializer.Serialize(s, document, new JsonSerializerOptions { WriteIndented = true }));
    }
}
