using System.Diagnostics;
using System.Globalization;
using System.Text;
using GradCamAudit.Explain;
using GradCamAudit.Explain.Checks;
using GradCamAudit.Explain.Interventions;
using GradCamAudit.Explain.Methods;
using GradCamAudit.Modeling;
using GradCamAudit.Pipeline;
using static TorchSharp.torch;

namespace GradCamAudit.Benchmarks;

/// <summary>Seconds per image of each sampled check, beside the seconds per image of plain inference at batch 1.</summary>
public sealed record SampledCheckResult(string Model, int Size, int Channels, int Units, double Inference, double ScoreCam, double AblationCam, double Faithfulness, double Sanity, double Interventions);

/// <summary>
/// What a sampled image costs: Score-CAM and Ablation-CAM (one forward per target channel, chunks of 64), deletion and
/// insertion of one map (2 x 33 forwards), the sanity check of one method (one forward and gradient per cascade
/// step), each the median of a few images, against plain inference of one image. Seeded random weights.
/// </summary>
public static class SampledChecksBenchmark
{
    public static IEnumerable<SampledCheckResult> Run(IEnumerable<(string Model, int Size)> models, int images, Device device, Action<string> log)
    {
        Torch.Initialise();
        foreach ((string name, int size) in models)
        {
            manual_seed(42);
            ArchitectureSpec spec = Architectures.Get(name);
            var network = spec.Build(4);
            using LoadedModel model = LoadedModel.FromModule(network, LoadedModel.ResolveTarget(network, spec.DefaultTarget), spec.DefaultTarget, device, null);
            using var engine = new GradCamExplainer(model);
            using var cascade = new CascadingRandomisation(model, 0, zeros(1, 3, size, size, device: device));
            var times = new Dictionary<string, List<double>>(StringComparer.Ordinal);
            int channels = 0;
            for (int i = 0; i <= images; i++) // image 0 warms up
            {
                using var scope = NewDisposeScope();
                Tensor x = randn(1, 3, size, size).to(device);
                void Time(string key, Action work)
                {
                    var clock = Stopwatch.StartNew();
                    work();
                    if (i > 0)
                    {
                        (times.TryGetValue(key, out var list) ? list : times[key] = []).Add(clock.Elapsed.TotalSeconds);
                    }
                }
                Time("inference", () => engine.Logits(x).cpu().Dispose());
                EngineOutput o = engine.Run(x, zeros(1, ScalarType.Int64, device), ["pred"], null);
                channels = (int)o.Activations.shape[1];
                var input = new PerturbationInput(x, o.Activations, o.Logits[0], engine.Logits, a => engine.ForwardFromTarget(x, a), 64);
                Time("scorecam", () => new ScoreCam().Maps(input, o.Predicted).cpu());
                Time("ablationcam", () => new AblationCam().Maps(input, o.Predicted).cpu());
                Tensor map = GradCam.Upsample(o.Maps(new GradCamMethod(), "pred"), size, size)[0];
                Time("faithfulness", () => Faithfulness.Auc(x, map, o.Predicted[0].item<long>(), 32, engine.Logits, 64));
                // Object only and background only of one image (a mask covering the left half): two forwards, no backward.
                Tensor mask = zeros(1, size, size, device: device);
                mask[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(0, size / 2)] = 1;
                Time("interventions", () => Intervention.Run(engine.Logits, x, mask, null, [0L], 64));
                Time("sanity", () =>
                {
                    try
                    {
                        for (int step = 1; step <= cascade.Units.Count; step++)
                        {
                            using var stepScope = NewDisposeScope();
                            cascade.RandomiseNext(step);
                            engine.Run(x, o.Predicted, ["true"], null).Maps(new GradCamMethod(), "true").cpu();
                        }
                    }
                    finally
                    {
                        cascade.Restore();
                    }
                });
                log($"{name} {size}: image {i} done");
            }
            double Median(string key) => times[key].Order().ElementAt(times[key].Count / 2);
            yield return new SampledCheckResult(name, size, channels, cascade.Units.Count, Median("inference"), Median("scorecam"), Median("ablationcam"), Median("faithfulness"), Median("sanity"), Median("interventions"));
        }
    }

    public static string Table(IEnumerable<SampledCheckResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| model | input | target channels | cascade steps | inference s/img | Score-CAM s/img | Ablation-CAM s/img | deletion + insertion s/img (1 method) | sanity s/img (1 method) | interventions s/img (object + background only) |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (SampledCheckResult r in results)
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Model} | {r.Size} | {r.Channels} | {r.Units} | {r.Inference:F3} | {r.ScoreCam:F2} ({r.ScoreCam / r.Inference:F0}x) | {r.AblationCam:F2} ({r.AblationCam / r.Inference:F0}x) | {r.Faithfulness:F2} ({r.Faithfulness / r.Inference:F0}x) | {r.Sanity:F2} ({r.Sanity / r.Inference:F0}x) | {r.Interventions:F3} ({r.Interventions / r.Inference:F1}x) |"));
        }
        return sb.ToString();
    }
}
