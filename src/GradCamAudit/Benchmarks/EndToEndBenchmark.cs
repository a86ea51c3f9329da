using System.Diagnostics;
using System.Globalization;
using System.Text;
using GradCamAudit.Data;
using GradCamAudit.Demo;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Scoring;
using SkiaSharp;
using static TorchSharp.torch;

namespace GradCamAudit.Benchmarks;

/// <summary>One end-to-end audit: wall-clock throughput, where the time went (busy seconds per stage; stages overlap), peak RSS.</summary>
public sealed record EndToEndResult(string Model, int Samples, int Size, int Batch, double Seconds, double DecodeBusy, double ComputeBusy, double WriteBusy,
    double? PeakRssMiB, double OthersCores)
{
    public double ImagesPerSecond => Samples / Seconds;
}

/// <summary>
/// Audits a synthetic dataset of N demo-style samples (PNG files written once into a work folder, at the given
/// size) end to end through the real pipeline: manifest, decode, model, scoring, Parquet, errors. Weights are
/// seeded random (speed does not depend on them); the report is not rendered.
/// </summary>
public static class EndToEndBenchmark
{
    public static async Task<EndToEndResult> RunAsync(string model, int samples, int size, int batch, string workDirectory, Action<string> log)
    {
        string data = Path.Combine(workDirectory, $"data-{size}-{samples}");
        if (!File.Exists(Path.Combine(data, "manifest.csv")))
        {
            log($"writing {samples} synthetic samples at {size}x{size} to {data}");
            WriteDataset(data, samples, size);
        }
        string weights = Path.Combine(workDirectory, model + ".bin");
        if (!File.Exists(weights))
        {
            manual_seed(7);
            using var net = Architectures.Get(model).Build(DemoDataset.Classes.Count);
            net.save(weights);
        }
        string config = Path.Combine(workDirectory, $"{model}-{size}.json");
        string mean = model == "demo-cnn" ? "[0.5, 0.5, 0.5]" : "[0.485, 0.456, 0.406]";
        string std = model == "demo-cnn" ? "[0.5, 0.5, 0.5]" : "[0.229, 0.224, 0.225]";
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $$"""
            { "dataset": { "manifest": "{{Json(Path.Combine(data, "manifest.csv"))}}", "classes": ["circle", "square", "triangle", "cross"] },
              "model": { "architecture": "{{model}}", "weights": "{{Json(weights)}}", "inputSize": [{{size}}, {{size}}], "mean": {{mean}}, "std": {{std}} },
              "audit": { "batchSize": {{batch}} },
              "output": { "directory": "{{Json(Path.Combine(workDirectory, "run-" + model))}}" } }
            """));
        AuditOptions options = AuditConfig.Load(config);
        CpuMeter.ResetPeakRss();
        var meter = CpuMeter.Start();
        long start = Stopwatch.GetTimestamp();
        var run = await AuditRunner.RunAsync(options, new RunRequest(null, Overwrite: true), _ => { }).ConfigureAwait(false);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new EndToEndResult(model, (int)run.Counts.Audited, size, batch, seconds, run.Timings.DecodeSeconds, run.Timings.ComputeSeconds,
            run.Timings.WriteSeconds, CpuMeter.PeakRssMiB(), meter.OthersCores() ?? 0);
    }

    public static string Table(IEnumerable<EndToEndResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| model | samples | input | batch | wall s | img/s | decode busy s | compute busy s | write busy s | peak RSS MiB | others' CPU (cores) |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (EndToEndResult r in results)
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Model} | {r.Samples} | {r.Size}x{r.Size} | {r.Batch} | {r.Seconds:F1} | {r.ImagesPerSecond:F1} | {r.DecodeBusy:F1} | {r.ComputeBusy:F1} | {r.WriteBusy:F1} | {r.PeakRssMiB:F0} | {r.OthersCores:F2} |"));
        }
        return sb.ToString();
    }

    private static string Json(string path) => path.Replace("\\", "/", StringComparison.Ordinal);

    private static void WriteDataset(string directory, int samples, int size)
    {
        Directory.CreateDirectory(Path.Combine(directory, "images"));
        Directory.CreateDirectory(Path.Combine(directory, "masks"));
        var manifest = new StringBuilder("id,image,label,mask\n");
        var rng = new SplitMix64(2026);
        for (int i = 0; i < samples; i++)
        {
            int label = i % DemoDataset.Classes.Count;
            DemoSample s = DemoDataset.Draw(rng, label, marker: label == DemoDataset.ShortcutIndex);
            string id = i.ToString("D6", CultureInfo.InvariantCulture);
            WriteScaled(Path.Combine(directory, "images", id + ".png"), s.Rgb, 3, size);
            WriteScaled(Path.Combine(directory, "masks", id + ".png"), s.Mask.Select(v => (byte)(v * 255)).ToArray(), 1, size);
            manifest.Append(CultureInfo.InvariantCulture, $"{id},images/{id}.png,{DemoDataset.Classes[label]},masks/{id}.png\n");
        }
        File.WriteAllText(Path.Combine(directory, "manifest.csv"), manifest.ToString());
    }

    private static void WriteScaled(string path, byte[] pixels, int channels, int size)
    {
        if (size == DemoDataset.Size)
        {
            DemoDataset.WritePng(path, pixels, channels);
            return;
        }
        using SKBitmap small = Pixels.ToBitmap(pixels, DemoDataset.Size, DemoDataset.Size, channels);
        using var big = small.Resize(new SKImageInfo(size, size, small.ColorType, small.AlphaType), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
        using SKData png = big.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, png.ToArray());
    }
}
