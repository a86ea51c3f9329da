using GradCamAudit.Options;
using GradCamAudit.Results;

namespace GradCamAudit.Findings.Strategies;

/// <summary>One strategy as the report shows it: its record, the share of mass in its heaviest ninth, its verdict line ("" unless suspicious) and its exemplar rows.</summary>
public sealed record StrategyView(StrategyRecord Record, double RegionShare, string Verdict, IReadOnlyList<(ReportRow Row, RowOrigin Origin)> Exemplars);

/// <summary>One predicted class: its predictions, those with a map, the clustered sample, the kNN k and the smallest eigenvalues of its Laplacian, and its strategies.</summary>
public sealed record StrategyClass(string Name, int Index, long Predictions, long Mapped, int Sampled, int Neighbours, IReadOnlyList<double> Eigenvalues, IReadOnlyList<StrategyView> Strategies)
{
    /// <summary>The mean normalised map of the class's correct predictions (the rule's reference), null without any.</summary>
    public float[]? CorrectMeanMap { get; init; }

    /// <summary>Where the correct predictions look (<see cref="MapGrid.Describe"/>).</summary>
    public string? CorrectRegion { get; init; }

    /// <summary>The count the eigengap chose, before clusters looking at the same place were merged.</summary>
    public int ChosenByEigengap { get; init; }
}

/// <summary>What a run's strategies are: the settings and, per predicted class, its strategies.</summary>
public sealed record StrategiesReport(bool Enabled, StrategiesOptions Settings, IReadOnlyList<StrategyClass> Classes)
{
    public static StrategiesReport Disabled { get; } = new(false, StrategiesOptions.Default with { Enabled = false }, []);

    /// <summary>Every strategy, suspicious ones first (by score), then the others by class and id.</summary>
    public IReadOnlyList<StrategyView> Ranked => Classes.SelectMany(c => c.Strategies)
        .OrderByDescending(s => s.Record.Suspicious).ThenByDescending(s => s.Record.Suspicious ? s.Record.Score : 0)
        .ThenBy(s => s.Record.ClassIndex).ThenBy(s => s.Record.Strategy).ToList();

    /// <summary>The verdict lines of the suspicious strategies, ranked.</summary>
    public IReadOnlyList<string> Verdicts => Ranked.Where(s => s.Record.Suspicious).Select(s => s.Verdict).ToList();
}
