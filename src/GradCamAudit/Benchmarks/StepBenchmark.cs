using System.Diagnostics;
using System.Globalization;
using System.Text;
using GradCamAudit.Data;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using static TorchSharp.torch;

namespace GradCamAudit.Benchmarks;

/// <summary>
/// One measured configuration: images/s of each method (median over rounds), the ratios as medians of the
/// per-round ratios (the methods of one round run back to back, so a slow stretch of the machine hits both sides
/// of a ratio), and the CPU other processes used meanwhile.
/// </summary>
public sealed record StepResult(string Model, int Batch, int Size, string CamSize, double Inference, double AuditClosedForm, double AuditAutograd,
    double Baseline, double ClosedRatio, double AutogradRatio, double SpeedupVsBaseline, double MaxOthersCores, double Bundle = double.NaN, double BundleRatio = double.NaN);

/// <summary>
/// Measures, in one process and interleaved round by round so drift hits every method alike: plain inference
/// (forward under inference mode), the audit step (forward, Grad-CAM for predicted and true class, upsampling,
/// scoring, host transfer) by the closed form where the head qualifies and by autograd, and the hook + full
/// backward baseline. Models have seeded random weights: speed does not depend on the values.
/// </summary>
public static class StepBenchmark
{
    public static IEnumerable<StepResult> Run(IEnumerable<string> models, IEnumerable<int> batches, int size, int rounds, Device device, Action<string> log)
    {
        Torch.Initialise();
        foreach (string name in models)
        {
            (LoadedModel model, ModelOptions modelOptions, AuditSettings settings, int inputSize) = Setup(name, size, device);
            string label = name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? Path.GetFileNameWithoutExtension(name).Replace("_config", "", StringComparison.Ordinal) : name;
            using var owned = model;
            string[] classNames = Enumerable.Range(0, modelOptions.NumClasses).Select(i => "c" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
            using var scorer = new BatchScorer(model, modelOptions, settings, classNames);
            (int ch, int cw) = scorer.Probe();
            bool hasClosed = scorer.ClosedFormAvailable;
            // The five gradient methods for the predicted and the true class, from the same forward and gradients.
            var bundleOptions = new ExplainOptions(["gradcam", "gradcam++", "xgradcam", "hirescam", "layercam"], ["pred", "true"], Scoring.Metrics.MetricCatalogue.Defaults);
            using var bundle = new BatchScorer(model, modelOptions, settings, classNames, bundleOptions);
            bundle.Probe();
            using var baseline = new HookBackwardBaseline(model);
            foreach (int batch in batches)
            {
                using var scope = NewDisposeScope();
                Tensor x = randn(batch, 3, inputSize, inputSize, device: device);
                Tensor masks = zeros(batch, inputSize, inputSize, device: device);
                masks[.., (inputSize / 4)..(3 * inputSize / 4), (inputSize / 4)..(3 * inputSize / 4)] = ones(1, device: device);
                Tensor y = randint(Math.Min(4, modelOptions.NumClasses), [batch], device: device);
                var methods = new List<(string Name, Action Body)>
                {
                    ("inference", () => { using var s = NewDisposeScope(); using (inference_mode()) { model.Network.call(x).cpu(); } }),
                    ("audit-autograd", () => { scorer.PreferClosedForm(false); scorer.Step(x, masks, y); }),
                    ("baseline", () => { using var s = NewDisposeScope(); var (p, t) = baseline.Step(x, y, inputSize, inputSize); p.cpu(); t.cpu(); }),
                    ("bundle", () => { bundle.PreferClosedForm(hasClosed); bundle.Step(x, masks, y); }),
                };
                if (hasClosed)
                {
                    methods.Insert(1, ("audit-closed", () => { scorer.PreferClosedForm(true); scorer.Step(x, masks, y); }));
                }
                foreach (var m in methods)
                {
                    m.Body(); // warm-up
                }
                var times = methods.ToDictionary(m => m.Name, _ => new List<double>());
                var meter = CpuMeter.Start(); // averaged over all rounds: /proc counts in 10 ms ticks, too coarse for one call
                for (int r = 0; r < rounds; r++)
                {
                    // The order rotates every round, so each method follows each other one equally often: what a
                    // method leaves behind (caches, the allocator's free lists) does not always land on the same one.
                    foreach (var m in methods.Skip(r % methods.Count).Concat(methods.Take(r % methods.Count)))
                    {
                        long start = Stopwatch.GetTimestamp();
                        m.Body();
                        times[m.Name].Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                    }
                }
                double others = meter.OthersCores() ?? 0;
                double Ips(string n) => times.TryGetValue(n, out var t) ? batch / Median(t) : double.NaN;
                double Ratio(string num, string den) => times.ContainsKey(num) && times.ContainsKey(den)
                    ? Median(times[num].Zip(times[den], (a, b) => a / b).ToList()) : double.NaN;
                string best = hasClosed ? "audit-closed" : "audit-autograd";
                var result = new StepResult(label, batch, inputSize, $"{ch}x{cw}", Ips("inference"), Ips("audit-closed"), Ips("audit-autograd"), Ips("baseline"),
                    Ratio("inference", "audit-closed"), Ratio("inference", "audit-autograd"), Ratio("baseline", best), others, Ips("bundle"), Ratio("inference", "bundle"));
                log(string.Create(CultureInfo.InvariantCulture, $"{label} batch {batch}: inference {result.Inference:F1} img/s, audit {(hasClosed ? result.AuditClosedForm : result.AuditAutograd):F1} img/s, baseline {result.Baseline:F1} img/s"));
                yield return result;
            }
        }
    }

    /// <summary>
    /// A seeded random-weight model of 4 classes at its default target, with the benchmark's options (15 px tolerance,
    /// q = 0.15); or, for a name ending in <c>.json</c>, the TorchScript pair of the model block the export helper
    /// writes (<c>src/export/export_trunk_head.py</c>: <c>&lt;name&gt;_config.json</c>) at its own input size.
    /// </summary>
    internal static (LoadedModel Model, ModelOptions Options, AuditSettings Settings, int InputSize) Setup(string name, int size, Device device)
    {
        var settings = new AuditSettings(1, "cpu", 1, 1, 1.0, 15, 0.15, 1000, Environment.ProcessorCount, ImageDecoder.DefaultMaxImagePixels, 1800);
        if (name.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            ModelOptions exported = ExportedModel.Read(name);
            return (LoadedModel.Load(exported, device), exported, settings, exported.InputHeight);
        }
        manual_seed(42);
        ArchitectureSpec spec = Architectures.Get(name);
        int inputSize = name == "demo-cnn" ? Math.Min(size, 64) : size;
        var network = spec.Build(4);
        var target = LoadedModel.ResolveTarget(network, spec.DefaultTarget);
        LoadedModel model = LoadedModel.FromModule(network, target, spec.DefaultTarget, device, LoadedModel.HeadWeightFor(spec, network, spec.DefaultTarget));
        var modelOptions = new ModelOptions(name, "", "auto", null, 4, inputSize, inputSize, spec.DefaultTarget, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f], PreprocessOptions.Default);
        return (model, modelOptions, settings, inputSize);
    }

    /// <summary>Median of the values.</summary>
    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    public static string Table(IEnumerable<StepResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| model | input | map | batch | inference img/s | audit, closed form img/s (x inference) | audit, autograd img/s (x inference) | hook+full backward img/s | audit speed-up vs baseline | 5 gradient methods img/s (x inference) | others' CPU (cores) |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (StepResult r in results)
        {
            string closed = double.IsNaN(r.AuditClosedForm) ? "n/a (no GAP+linear head)" : $"{r.AuditClosedForm:F1} ({r.ClosedRatio:F2})";
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Model} | {r.Size}x{r.Size} | {r.CamSize} | {r.Batch} | {r.Inference:F1} | {closed} | {r.AuditAutograd:F1} ({r.AutogradRatio:F2}) | {r.Baseline:F1} | {r.SpeedupVsBaseline:F1}x | {r.Bundle:F1} ({r.BundleRatio:F2}) | {r.MaxOthersCores:F2}{(r.MaxOthersCores > 0.2 ? " (contended)" : "")} |"));
        }
        return sb.ToString();
    }

}
