using System.CommandLine;
using GradCamAudit.Pipeline;

namespace GradCamAudit.Cli;

public static partial class Commands
{
    /// <summary>The bench verb: step, per-method, sampled-check and end-to-end benchmarks.</summary>
    private static Command BenchCommand()
    {
        var models = new Option<string>("--models") { Description = "Comma-separated architectures for the step benchmark, or model blocks written by src/export/export_trunk_head.py (<name>_config.json) (\"none\": skip it).", DefaultValueFactory = _ => "demo-cnn,resnet18,resnet50" };
        var batches = new Option<string>("--batches") { Description = "Comma-separated batch sizes.", DefaultValueFactory = _ => "1,8,16" };
        var size = new Option<int>("--size") { Description = "Input size (the demo CNN runs at 64).", DefaultValueFactory = _ => 224 };
        var rounds = new Option<int>("--rounds") { Description = "Timed rounds per method (median reported), interleaved.", DefaultValueFactory = _ => 5 };
        var e2eSamples = new Option<int>("--e2e-samples") { Description = "Default sample count of the end-to-end synthetic audits (0: skip them).", DefaultValueFactory = _ => 0 };
        var e2eModels = new Option<string>("--e2e-models") { Description = "End-to-end audits as model:size[:samples], comma-separated.", DefaultValueFactory = _ => "demo-cnn:64,resnet18:224" };
        var e2eBatch = new Option<int>("--e2e-batch") { Description = "Batch size of the end-to-end audits.", DefaultValueFactory = _ => 16 };
        var work = new Option<string?>("--work") { Description = "Work folder for synthetic data (default: a temp folder)." };
        var checks = new Option<string>("--sampled-checks") { Description = "Sampled checks (perturbation methods, faithfulness, sanity) as model:size, comma-separated (\"none\": skip).", DefaultValueFactory = _ => "none" };
        var perMethod = new Option<string>("--per-method") { Description = "Each gradient method alone against inference, as model:batch, comma-separated (\"none\": skip).", DefaultValueFactory = _ => "none" };
        var strategies = new Option<string>("--strategies") { Description = "The strategy pass over synthetic results as rows:classes:mapSide, comma-separated (\"none\": skip).", DefaultValueFactory = _ => "none" };
        var checkImages = new Option<int>("--sampled-images") { Description = "Images timed per sampled check (median reported).", DefaultValueFactory = _ => 3 };
        var findingsRun = new Option<string?>("--findings-run") { Description = "A finished run folder whose results are replicated for the findings benchmark (e.g. reports/demo)." };
        var findingsRows = new Option<string>("--findings-rows") { Description = "Comma-separated row counts of the findings benchmark.", DefaultValueFactory = _ => "100000,1000000" };
        var findingsPartRows = new Option<int>("--findings-part-rows") { Description = "Rows per results part of the replicated runs.", DefaultValueFactory = _ => 20_000 };
        var bench = new Command("bench", "Measure plain inference, the audit step and the hook + full backward baseline; optionally whole audits.")
        {
            models, batches, size, rounds, e2eSamples, e2eModels, e2eBatch, work, checks, checkImages, perMethod, findingsRun, findingsRows, findingsPartRows, strategies,
        };
        bench.SetAction((pr, ct) => Guard(pr, async log =>
        {
            Action<string> Log = Lines(log);
            static int[] Ints(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Torch.Initialise();
            var device = GradCamAudit.Modeling.LoadedModel.ResolveDevice("auto");
            Log($"bench on {device}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
            string[] names = pr.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(m => m != "none").ToArray();
            if (names.Length > 0)
            {
                var steps = GradCamAudit.Benchmarks.StepBenchmark.Run(names, Ints(pr.GetValue(batches)!), pr.GetValue(size), pr.GetValue(rounds), device, Log).ToList();
                Console.WriteLine(GradCamAudit.Benchmarks.StepBenchmark.Table(steps));
            }
            var methodConfigurations = pr.GetValue(perMethod)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(m => m != "none")
                .Select(m => (m.Split(':')[0], int.Parse(m.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture))).ToList();
            if (methodConfigurations.Count > 0)
            {
                Console.WriteLine(GradCamAudit.Benchmarks.MethodBenchmark.Table(GradCamAudit.Benchmarks.MethodBenchmark.Run(methodConfigurations, pr.GetValue(size), pr.GetValue(rounds), device, Log).ToList()));
            }
            var checkModels = pr.GetValue(checks)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(m => m != "none")
                .Select(m => (m.Split(':')[0], int.Parse(m.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture))).ToList();
            if (checkModels.Count > 0)
            {
                Console.WriteLine(GradCamAudit.Benchmarks.SampledChecksBenchmark.Table(GradCamAudit.Benchmarks.SampledChecksBenchmark.Run(checkModels, pr.GetValue(checkImages), device, Log).ToList()));
            }
            if (pr.GetValue(findingsRun) is string source)
            {
                string dir = pr.GetValue(work) ?? Path.Combine(Path.GetTempPath(), "gradcam-audit-bench");
                var found = Ints(pr.GetValue(findingsRows)!).Select(rows =>
                    GradCamAudit.Benchmarks.FindingsBenchmark.Run(source, rows, dir, pr.GetValue(findingsPartRows), Log)).ToList();
                Console.WriteLine(GradCamAudit.Benchmarks.FindingsBenchmark.Table(found));
            }
            var strategyRuns = pr.GetValue(strategies)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(m => m != "none")
                .Select(m => m.Split(':').Select(v => int.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToList();
            if (strategyRuns.Count > 0)
            {
                string dir = pr.GetValue(work) ?? Path.Combine(Path.GetTempPath(), "gradcam-audit-bench");
                Directory.CreateDirectory(dir);
                Console.WriteLine(GradCamAudit.Benchmarks.StrategiesBenchmark.Table(strategyRuns.Select(r => GradCamAudit.Benchmarks.StrategiesBenchmark.Run(r[0], r[1], r[2], dir, Log)).ToList()));
            }
            int n = pr.GetValue(e2eSamples);
            if (n > 0)
            {
                string dir = pr.GetValue(work) ?? Path.Combine(Path.GetTempPath(), "gradcam-audit-bench");
                Directory.CreateDirectory(dir);
                var e2e = new List<GradCamAudit.Benchmarks.EndToEndResult>();
                foreach (string pair in pr.GetValue(e2eModels)!.Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    string[] parts = pair.Split(':');
                    int samples = parts.Length > 2 ? int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture) : n;
                    var r = await GradCamAudit.Benchmarks.EndToEndBenchmark.RunAsync(parts[0], samples, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), pr.GetValue(e2eBatch), dir, Log).ConfigureAwait(false);
                    Log($"end to end {r.Model}: {r.ImagesPerSecond:F1} img/s");
                    e2e.Add(r);
                }
                Console.WriteLine(GradCamAudit.Benchmarks.EndToEndBenchmark.Table(e2e));
            }
        }));
        return bench;
    }
}
