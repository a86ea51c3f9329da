using System.Diagnostics;
using System.Globalization;
using System.Text;
using GradCamAudit.Explain;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Scoring.Metrics;
using static TorchSharp.torch;

namespace GradCamAudit.Benchmarks;

/// <summary>One method's audit step (its maps for the predicted and the true class, the default metrics) against plain inference.</summary>
public sealed record MethodResult(string Model, int Batch, int Size, string Method, double Inference, double Audit, double Ratio);

/// <summary>
/// Each gradient method alone as the audit's only method (predicted and true class, default metrics), interleaved
/// with plain inference round by round, the order rotating every round (as in <see cref="StepBenchmark"/>).
/// </summary>
public static class MethodBenchmark
{
    public static IEnumerable<MethodResult> Run(IEnumerable<(string Model, int Batch)> configurations, int size, int rounds, Device device, Action<string> log)
    {
        Torch.Initialise();
        foreach ((string name, int batch) in configurations)
        {
            (var model, var modelOptions, var settings, int inputSize) = StepBenchmark.Setup(name, size, device);
            using var owned = model;
            var names = CamMethods.GradientNames.Where(m => m != "cam" || model.HeadWeight is not null).ToArray();
            var scorers = names.Select(m => new BatchScorer(model, modelOptions, settings, ["a", "b", "c", "d"], new ExplainOptions([m], ["pred", "true"], MetricCatalogue.Defaults))).ToArray();
            try
            {
                foreach (BatchScorer scorer in scorers)
                {
                    scorer.Probe();
                }
                using var scope = NewDisposeScope();
                Tensor x = randn(batch, 3, inputSize, inputSize, device: device);
                Tensor masks = zeros(batch, inputSize, inputSize, device: device);
                masks[.., (inputSize / 4)..(3 * inputSize / 4), (inputSize / 4)..(3 * inputSize / 4)] = ones(1, device: device);
                Tensor y = randint(4, [batch], device: device);
                var bodies = new List<(string Name, Action Body)> { ("inference", () => { using var s = NewDisposeScope(); using (inference_mode()) { model.Network.call(x).cpu(); } }) };
                bodies.AddRange(names.Zip(scorers, (n, sc) => (n, (Action)(() => sc.Step(x, masks, y)))));
                foreach (var b in bodies)
                {
                    b.Body(); // warm-up
                }
                var times = bodies.ToDictionary(b => b.Name, _ => new List<double>());
                for (int r = 0; r < rounds; r++)
                {
                    foreach (var b in bodies.Skip(r % bodies.Count).Concat(bodies.Take(r % bodies.Count)))
                    {
                        long start = Stopwatch.GetTimestamp();
                        b.Body();
                        times[b.Name].Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                    }
                }
                double inference = batch / StepBenchmark.Median(times["inference"]);
                foreach (string method in names)
                {
                    double ratio = StepBenchmark.Median(times["inference"].Zip(times[method], (i, a) => i / a).ToList());
                    log(string.Create(CultureInfo.InvariantCulture, $"{name} batch {batch} {method}: {batch / StepBenchmark.Median(times[method]):F1} img/s ({ratio:F2} of inference)"));
                    yield return new MethodResult(name, batch, inputSize, method, inference, batch / StepBenchmark.Median(times[method]), ratio);
                }
            }
            finally
            {
                foreach (BatchScorer scorer in scorers)
                {
                    scorer.Dispose();
                }
            }
        }
    }

    public static string Table(IEnumerable<MethodResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| model | input | batch | method | inference img/s | audit img/s (x inference) |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (MethodResult r in results)
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Model} | {r.Size}x{r.Size} | {r.Batch} | {r.Method} | {r.Inference:F1} | {r.Audit:F1} ({r.Ratio:F2}) |"));
        }
        return sb.ToString();
    }
}
