using System.Diagnostics;
using GradCamAudit.Results;
using Xunit;

namespace GradCamAudit.Tests.Pipeline;

/// <summary>
/// SIGTERM (Kubernetes preemption, Slurm's scancel) during a batch of a real audit process (resnet18 at 224x224, where
/// a batch takes about a second, so the signal lands inside LibTorch): the process ends with exit 1 within seconds,
/// never 134 or 139, run.json says "failed: cancelled", and what it committed stays for --resume.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class SignalTests
{
    [Fact]
    public async Task SigtermDuringABatch_ExitsOne_NeverCrashes_AndKeepsWhatWasCommitted()
    {
        string dir = TestPaths.NewTempDir("sigterm");
        string weights = Path.Combine(dir, "resnet18.bin");
        GradCamAudit.Pipeline.Torch.Initialise();
        using (var model = TorchSharp.torchvision.models.resnet18(num_classes: 4))
        {
            model.save(weights);
        }
        string manifest = TestDatasets.DemoSubset(dir, 96);
        string config = Path.Combine(dir, "resnet.json");
        File.WriteAllText(config, File.ReadAllText(TestDatasets.Config(dir, manifest, weights: weights, audit: "\"batchSize\": 16, \"threads\": 2, \"partRows\": 16"))
            .Replace("\"demo-cnn\"", "\"resnet18\"", StringComparison.Ordinal).Replace("[64, 64]", "[224, 224]", StringComparison.Ordinal)
            .Replace("[0.5, 0.5, 0.5], \"std\": [0.5, 0.5, 0.5]", "[0.485, 0.456, 0.406], \"std\": [0.229, 0.224, 0.225]", StringComparison.Ordinal));
        var codes = new List<int>();
        foreach (int delayMs in new[] { 2500, 4000, 5500 })
        {
            string output = Path.Combine(dir, "out-" + delayMs);
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "gradcam-audit.dll"), "audit", "--config", config, "--output", output, "--quiet" })
            {
                psi.ArgumentList.Add(a);
            }
            using var p = Process.Start(psi)!;
            Task<string> stderr = p.StandardError.ReadToEndAsync();
            _ = p.StandardOutput.ReadToEndAsync();
            // The signal is sent once the run has committed its first part, so it lands in the middle of the run.
            var watch = Stopwatch.StartNew();
            while (!p.HasExited && !Directory.Exists(Path.Combine(output, "results")) && watch.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(50);
            }
            await Task.Delay(delayMs - 2500);
            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            var signalled = Stopwatch.StartNew();
            Assert.True(p.WaitForExit(30_000), "no exit within 30 s of SIGTERM");
            string log = await stderr;
            codes.Add(p.ExitCode);
            Assert.True(p.ExitCode is 0 or 1, $"exit {p.ExitCode} after SIGTERM at {delayMs} ms: {log}");
            Assert.True(signalled.Elapsed < TimeSpan.FromSeconds(15), $"took {signalled.Elapsed} to stop");
            RunManifest run = RunManifest.Load(Path.Combine(output, "run.json"));
            if (p.ExitCode == 1)
            {
                Assert.Equal(RunStatus.Failed, run.Status);
                Assert.Equal("cancelled", run.FailureReason);
                Assert.Contains("cancelled", log, StringComparison.Ordinal);
            }
        }
        Assert.Contains(1, codes); // at least one signal landed before the end
    }
}
