using System.Text.Json.Serialization;

namespace GradCamAudit.Results;

/// <summary>The scalar columns of a results row the report needs (maps are read separately, only for the gallery).</summary>
public sealed class ReportRow
{
    [JsonPropertyName("sample_id")] public string SampleId { get; set; } = "";
    [JsonPropertyName("row")] public long Row { get; set; }
    [JsonPropertyName("image")] public string Image { get; set; } = "";
    [JsonPropertyName("true_label")] public int TrueLabel { get; set; }
    [JsonPropertyName("true_name")] public string TrueName { get; set; } = "";
    [JsonPropertyName("pred_label")] public int PredLabel { get; set; }
    [JsonPropertyName("pred_name")] public string PredName { get; set; } = "";
    [JsonPropertyName("confidence")] public float? Confidence { get; set; }
    [JsonPropertyName("true_prob")] public float? TrueProb { get; set; }
    [JsonPropertyName("correct")] public bool Correct { get; set; }
    [JsonPropertyName("mask_fraction")] public double? MaskFraction { get; set; }
    [JsonPropertyName("pred_energy_in_mask")] public double? PredEnergyInMask { get; set; }
    [JsonPropertyName("pred_energy_lift")] public double? PredEnergyLift { get; set; }
    [JsonPropertyName("pred_pointing_hit")] public bool? PredPointingHit { get; set; }
    [JsonPropertyName("pred_iou_top")] public double? PredIouTop { get; set; }
    [JsonPropertyName("true_energy_in_mask")] public double? TrueEnergyInMask { get; set; }
    [JsonPropertyName("true_energy_lift")] public double? TrueEnergyLift { get; set; }
    [JsonPropertyName("true_pointing_hit")] public bool? TruePointingHit { get; set; }
    [JsonPropertyName("true_iou_top")] public double? TrueIouTop { get; set; }
    [JsonPropertyName("off_object")] public bool? OffObject { get; set; }
    [JsonPropertyName("flagged")] public bool? Flagged { get; set; }
    [JsonPropertyName("right_for_wrong_reason")] public bool? RightForWrongReason { get; set; }
    [JsonPropertyName("cam_height")] public int CamHeight { get; set; }
    [JsonPropertyName("cam_width")] public int CamWidth { get; set; }
    [JsonPropertyName("possible_label_error")] public bool? PossibleLabelError { get; set; }
    [JsonPropertyName("mask_source")] public string? MaskSource { get; set; }
    [JsonPropertyName("intervention")] public string? Intervention { get; set; }
    [JsonPropertyName("object_only_pred")] public int? ObjectOnlyPred { get; set; }
    [JsonPropertyName("object_only_prob")] public float? ObjectOnlyProb { get; set; }
    [JsonPropertyName("background_only_pred")] public int? BackgroundOnlyPred { get; set; }
    [JsonPropertyName("background_only_prob")] public float? BackgroundOnlyProb { get; set; }

    /// <summary>True when the row carries the object-only and background-only predictions.</summary>
    public bool Intervened => ObjectOnlyPred.HasValue && BackgroundOnlyPred.HasValue;
}

/// <summary>The maps of a results row, read only for gallery samples.</summary>
public sealed class ReportMaps
{
    [JsonPropertyName("sample_id")] public string SampleId { get; set; } = "";
    [JsonPropertyName("pred_cam")] public float[] PredCam { get; set; } = [];
    [JsonPropertyName("true_cam")] public float[] TrueCam { get; set; } = [];
}
