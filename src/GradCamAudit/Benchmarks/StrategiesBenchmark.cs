using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using GradCamAudit.Findings.Strategies;
using GradCamAudit.Options;
using Parquet;
using Parquet.Serialization;

namespace GradCamAudit.Benchmarks;

/// <summary>One strategies measurement: rows, classes, map size, seconds, peak managed heap and peak RSS of the strategy pass, other processes' CPU.</summary>
public sealed record StrategiesBenchResult(long Rows, int Classes, int MapSide, double Seconds, double PeakManagedMiB, double? PeakRssMiB, double? OthersCores, int Strategies)
{
    public double MicrosecondsPerRow => Seconds * 1e6 / Rows;
}

/// <summary>
/// The strategy pass (<see cref="StrategiesRun"/>) over synthetic results: <c>rows</c> rows over <c>classes</c>
/// predicted classes, maps of <c>side</c> x <c>side</c> cells (a blob at one of three places per class, a corner
/// marker on a tenth), written as results parts of 50,000 rows. Times both passes and the writes; samples the managed
/// heap every 10 ms and reads the peak RSS (VmHWM, reset before the pass) to show memory does not grow with the rows.
/// </summary>
public static class StrategiesBenchmark
{
    private const int PartRows = 50_000;

    public static StrategiesBenchResult Run(long rows, int classes, int side, string work, Action<string> log)
    {
        string dir = Path.Combine(work, $"strategies-{rows}-{side}");
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
        Directory.CreateDirectory(Path.Combine(dir, "results"));
        var names = Enumerable.Range(0, classes).Select(k => "class" + k.ToString(CultureInfo.InvariantCulture)).ToArray();
        var rng = new Random(7);
        for (long start = 0, part = 0; start < rows; start += PartRows, part++)
        {
            int n = (int)Math.Min(PartRows, rows - start);
            var batch = new List<SyntheticRow>(n);
            for (int i = 0; i < n; i++)
            {
                long row = start + i;
                int pred = (int)(row % classes);
                bool marker = rng.Next(10) == 0;
                int place = rng.Next(3);
                var map = new float[side * side];
                (int cy, int cx) = marker ? (side - 1, side - 1) : (place * (side - 1) / 2, side / 2);
                for (int y = 0; y < side; y++)
                {
                    for (int x = 0; x < side; x++)
                    {
                        double d2 = ((y - cy) * (y - cy)) + ((x - cx) * (x - cx));
                        map[(y * side) + x] = (float)(Math.Exp(-d2 / 2.0) + (rng.NextDouble() * 0.05));
                    }
                }
                batch.Add(new SyntheticRow
                {
                    SampleId = "s" + row.ToString(CultureInfo.InvariantCulture),
                    Row = row + 1,
                    Image = "",
                    TrueLabel = marker ? (pred + 1) % classes : pred,
                    TrueName = "",
                    PredLabel = pred,
                    PredName = names[pred],
                    Confidence = 0.9f,
                    TrueProb = 0.5f,
                    Correct = !marker,
                    MaskFraction = 0.2,
                    PredEnergyInMask = 0.5,
                    PredEnergyLift = marker ? 0.3 : 2.5,
                    TrueEnergyInMask = 0.5,
                    TrueEnergyLift = 2.0,
                    OffObject = marker,
                    Flagged = marker,
                    RightForWrongReason = false,
                    CamHeight = side,
                    CamWidth = side,
                    PredCam = map,
                });
            }
            using FileStream s = File.Create(Path.Combine(dir, "results", $"part-{part:D5}.parquet"));
            ParquetSerializer.SerializeAsync(batch, s, new ParquetOptions { RowGroupSize = 10_000 }).GetAwaiter().GetResult();
        }
        log($"strategies bench: {rows} synthetic rows written under {dir}");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        CpuMeter.ResetPeakRss();
        long peak = GC.GetTotalMemory(false);
        using var stop = new CancellationTokenSource();
        var sampler = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                Thread.Sleep(10);
            }
        })
        { IsBackground = true };
        sampler.Start();
        CpuMeter cpu = CpuMeter.Start();
        var watch = Stopwatch.StartNew();
        StrategiesReport report = StrategiesRun.Write(dir, names, StrategiesOptions.Default, 0, 1.25);
        watch.Stop();
        stop.Cancel();
        sampler.Join();
        var result = new StrategiesBenchResult(rows, classes, side, watch.Elapsed.TotalSeconds, peak / (1024.0 * 1024.0), CpuMeter.PeakRssMiB(), cpu.OthersCores(),
            report.Classes.Sum(c => c.Strategies.Count));
        log(string.Create(CultureInfo.InvariantCulture, $"strategies bench: {rows} rows in {result.Seconds:F2} s ({result.MicrosecondsPerRow:F1} us/row), peak managed {result.PeakManagedMiB:F0} MiB, peak RSS {result.PeakRssMiB:F0} MiB"));
        Directory.Delete(dir, recursive: true);
        return result;
    }

    public static string Table(IEnumerable<StrategiesBenchResult> results)
    {
        var sb = new StringBuilder("| rows | classes | map | strategies | seconds | us/row | peak managed MiB | peak RSS MiB | other processes (cores) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        foreach (StrategiesBenchResult r in results)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {r.Rows:N0} | {r.Classes} | {r.MapSide}x{r.MapSide} | {r.Strategies} | {r.Seconds:F2} | {r.MicrosecondsPerRow:F1} | {r.PeakManagedMiB:F0} | {r.PeakRssMiB:F0} | {r.OthersCores:F2} |\n");
        }
        return sb.ToString();
    }

    /// <summary>The results columns the reader requires, and the predicted-class map.</summary>
    private sealed class SyntheticRow
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
        [JsonPropertyName("true_energy_in_mask")] public double? TrueEnergyInMask { get; set; }
        [JsonPropertyName("true_energy_lift")] public double? TrueEnergyLift { get; set; }
        [JsonPropertyName("off_object")] public bool? OffObject { get; set; }
        [JsonPropertyName("flagged")] public bool? Flagged { get; set; }
        [JsonPropertyName("right_for_wrong_reason")] public bool? RightForWrongReason { get; set; }
        [JsonPropertyName("cam_height")] public int CamHeight { get; set; }
        [JsonPropertyName("cam_width")] public int CamWidth { get; set; }
        [JsonPropertyName("pred_cam")] public float[] PredCam { get; set; } = [];
    }
}
