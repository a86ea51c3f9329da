using System.Diagnostics;
using GradCamAudit.Cli;
using GradCamAudit.Results;
using Xunit;

namespace GradCamAudit.Tests.Pipeline;

/// <summary>
/// kill -9 at exact points of a real audit process (held there by <see cref="PausePoints"/>), then --resume: the
/// folder ends where an uninterrupted run ends (same rows by sample_id, scalars and maps within 1e-5, same errors).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ResumeTests
{
    /// <summary>Starts the real CLI with a pause point, waits until it is held there, and SIGKILLs it.</summary>
    private static void KillAt(string config, string output, string point)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "gradcam-audit.dll"), "audit", "--config", config, "--output", output })
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment[PausePoints.Variable] = point;
        using var p = Process.Start(psi)!;
        var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null)
            {
                return;
            }
            log.Enqueue(e.Data);
            if (e.Data == $"paused at {point}")
            {
                paused.TrySetResult();
            }
        };
        p.BeginErrorReadLine();
        p.OutputDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        bool reached = paused.Task.Wait(TimeSpan.FromSeconds(120));
        p.Kill(); // SIGKILL on Linux: no handler, no flush, no finally
        p.WaitForExit();
        Assert.True(reached, $"the run never reached '{point}': {string.Join('\n', log)}");
    }

    [Theory]
    [InlineData("started")]
    [InlineData("part-written:2")]
    [InlineData("part-committed:3")]
    [InlineData("report-written")]
    public async Task KilledAt_ThenResumed_EqualsAnUninterruptedRun(string point)
    {
        (string config, _) = ReferenceRun.Baseline.Value;
        string output = Path.Combine(TestPaths.NewTempDir("killed"), "out");
        KillAt(config, output, point);

        RunManifest killed = RunManifest.Load(Path.Combine(output, "run.json"));
        Assert.Equal(RunStatus.Running, killed.Status);
        string results = Path.Combine(output, "results");
        int committed = Directory.Exists(results) ? Directory.EnumerateFiles(results, "part-*.parquet").Count() : 0;
        Assert.Equal(point switch { "started" => 0, "part-written:2" => 2, "part-committed:3" => 4, _ => 8 }, committed);

        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--output", output, "--resume"]));
        ReferenceRun.AssertSameAsBaseline(output);
    }

    [Fact]
    public async Task Resume_OnACompleteRun_DoesNothing_OnAnEmptyFolder_StartsOne_AndWithOverwrite_IsAUsageError()
    {
        (string config, string baseline) = ReferenceRun.Baseline.Value;
        DateTime stamp = File.GetLastWriteTimeUtc(Path.Combine(baseline, "run.json"));
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--output", baseline, "--resume"]));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(baseline, "run.json")));

        string fresh = Path.Combine(TestPaths.NewTempDir("resume-empty"), "out");
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--output", fresh, "--resume"]));
        ReferenceRun.AssertSameAsBaseline(fresh);

        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--output", fresh, "--resume", "--overwrite"]));
    }

    [Fact]
    public async Task Resume_WithAnotherConfigOrWeights_ListsWhatDiffers_Exit2()
    {
        (string config, _) = ReferenceRun.Baseline.Value;
        string output = Path.Combine(TestPaths.NewTempDir("resume-diff"), "out");
        KillAt(config, output, "part-committed:1");
        // The killed writer's lock stays behind, stale (its holder is gone): the refused resume may clear it, nothing else.
        Assert.True(File.Exists(Path.Combine(output, RunFolderLock.HolderName)));
        List<string> Files() => Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories).Where(f => !RunFolderLock.IsLockFile(Path.GetFileName(f))).Order(StringComparer.Ordinal).ToList();
        var before = Files();

        string dir = Path.GetDirectoryName(config)!;
        string otherWeights = Path.Combine(dir, "other.bin");
        File.Copy(TestDatasets.DemoWeights, otherWeights, overwrite: true);
        File.AppendAllText(otherWeights, " ");
        string changed = TestDatasets.Config(TestPaths.NewTempDir("resume-diff-cfg"), Path.Combine(dir, "data", "manifest.csv"), weights: otherWeights, audit: ReferenceRun.Audit + ", \"offObjectLiftThreshold\": 1.5");
        (int code, string stderr) = await CliCapture.RunCapturingAsync(true, "audit", "--config", changed, "--output", output, "--resume");
        Assert.Equal(Commands.UsageError, code);
        Assert.Contains("--resume: config", stderr, StringComparison.Ordinal);
        Assert.Contains("--resume: weights", stderr, StringComparison.Ordinal);
        Assert.Contains("audit.offObjectLiftThreshold:", stderr, StringComparison.Ordinal); // the key that differs, not just the hash
        Assert.Equal(before, Files());
    }

    [Theory]
    [InlineData("config")]
    [InlineData("weights")]
    public async Task Resume_WithOnlyTheConfigOrOnlyTheWeightsChanged_NamesThatOne_Exit2(string changed)
    {
        string dir = TestPaths.NewTempDir("resume-one");
        ReferenceRun.Dataset(dir);
        string manifest = Path.Combine(dir, "data", "manifest.csv");
        string weights = Path.Combine(dir, "weights.bin");
        File.Copy(TestDatasets.DemoWeights, weights);
        string config = TestDatasets.Config(dir, manifest, weights: weights, audit: ReferenceRun.Audit);
        string output = Path.Combine(dir, "out");
        KillAt(config, output, "part-committed:1");
        if (changed == "weights")
        {
            File.AppendAllText(weights, " "); // the same path, other content: only the weights hash differs
        }
        else
        {
            File.WriteAllText(config, File.ReadAllText(config).Replace("\"audit\": {", "\"audit\": { \"offObjectLiftThreshold\": 1.5,", StringComparison.Ordinal));
        }
        (int code, string stderr) = await CliCapture.RunCapturingAsync(true, "audit", "--config", config, "--output", output, "--resume");
        Assert.Equal(Commands.UsageError, code);
        Assert.Equal(changed == "config", stderr.Contains("--resume: config", StringComparison.Ordinal));
        Assert.Equal(changed == "weights", stderr.Contains("--resume: weights", StringComparison.Ordinal));
    }
}
