using System.Text.Json.Serialization;

namespace GradCamAudit.Findings.Strategies;

/// <summary>One row of <c>strategies.parquet</c>: a strategy of a predicted class and what its rows are like.</summary>
public sealed class StrategyRecord
{
    [JsonPropertyName("class")] public string Class { get; set; } = "";
    [JsonPropertyName("class_index")] public int ClassIndex { get; set; }
    [JsonPropertyName("strategy")] public int Strategy { get; set; }
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("share")] public double Share { get; set; }
    [JsonPropertyName("accuracy")] public double? Accuracy { get; set; }
    [JsonPropertyName("mean_lift")] public double? MeanLift { get; set; }
    [JsonPropertyName("lift_rows")] public long LiftRows { get; set; }
    [JsonPropertyName("sampled")] public int Sampled { get; set; }
    [JsonPropertyName("grid_height")] public int GridHeight { get; set; }
    [JsonPropertyName("grid_width")] public int GridWidth { get; set; }
    [JsonPropertyName("mean_map")] public float[] MeanMap { get; set; } = [];
    [JsonPropertyName("region")] public string Region { get; set; } = "";
    [JsonPropertyName("reference")] public bool Reference { get; set; }
    [JsonPropertyName("overlap_with_reference")] public double? OverlapWithReference { get; set; }
    [JsonPropertyName("suspicious")] public bool Suspicious { get; set; }
    [JsonPropertyName("score")] public double Score { get; set; }
}

/// <summary>One row of <c>strategy_assignments.parquet</c>: a results row's strategy (null where its map has no attention), joined by <c>sample_id</c>.</summary>
public sealed class StrategyAssignment
{
    [JsonPropertyName("sample_id")] public string SampleId { get; set; } = "";
    [JsonPropertyName("row")] public long Row { get; set; }
    [JsonPropertyName("pred_label")] public int PredLabel { get; set; }
    [JsonPropertyName("strategy")] public int? Strategy { get; set; }
    [JsonPropertyName("distance")] public float? Distance { get; set; }
}
