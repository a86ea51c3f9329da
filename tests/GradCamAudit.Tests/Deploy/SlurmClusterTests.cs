using System.Diagnostics;
using System.Text.RegularExpressions;
using GradCamAudit.Cli;
using GradCamAudit.Results;
using GradCamAudit.Tests.Pipeline;
using Xunit;
using Xunit.Abstractions;

namespace GradCamAudit.Tests.Deploy;

/// <summary>
/// The shipped Slurm scripts (configs/deploy/slurm-*.sh, unedited: the site settings come from the environment) on a
/// real one-node Slurm started by tests/slurm/cluster.sh (Debian's slurm-wlm and munge; tests/run-tests.sh installs
/// them): the demo as 3 shards, one task requeued while it runs (it resumes), the dependent merge equal to a
/// single-machine run; then a night whose shard 2 fails makes the merge fail naming it, and re-running that one shard
/// (keeping N = 3) makes the merge succeed. Skipped, with the reason, only where Slurm cannot run at all.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class SlurmClusterTests(ITestOutputHelper output)
{
    private static readonly string[] Tools = ["munged", "mungekey", "slurmctld", "slurmd", "sbatch", "scontrol", "squeue", "sinfo"];

    private static string Deploy => Path.Combine(TestPaths.Configs, "deploy");

    [SkippableFact]
    public async Task ShippedScripts_ThreeShards_ARequeuedTaskResumes_MergeEqualsASingleRun_AFailedShardFailsTheMergeByName()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Slurm end-to-end test: Linux only");
        string? missing = Tools.FirstOrDefault(t => !OnPath(t));
        Skip.If(missing != null, $"Slurm end-to-end test skipped: '{missing}' is not installed (tests/run-tests.sh installs Debian's slurm-wlm and munge as root)");
        Skip.If(Environment.UserName != "root", "Slurm end-to-end test skipped: the one-node cluster runs its daemons as root");

        var clock = Stopwatch.StartNew();
        string dir = TestPaths.NewTempDir("slurm");
        string state = Path.Combine(dir, "cluster");
        (int started, string startLog) = Run("bash", [Path.Combine(TestPaths.RepoRoot, "tests", "slurm", "cluster.sh"), "start", state], null, TimeSpan.FromSeconds(60));
        Assert.True(started == 0, "the one-node cluster did not start: " + startLog);
        try
        {
            var env = SiteEnvironment(dir, state);
            string runs = env["GRADCAM_AUDIT_RUNS"];

            // Night 1: 3 shards; shard 1 is held after its second part (first attempt only) and requeued there.
            env["GCA_TEST_PAUSE_TASK"] = "1";
            string before = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            string submitted = Submit(env);
            string night = Match(submitted, @"run folder: (\S+)");
            Assert.Contains(Path.GetFileName(night), new[] { before, DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) });
            Assert.Equal(runs, Path.GetDirectoryName(night));
            string array = Match(submitted, @"array job: (\d+)"), merge = Match(submitted, @"merge job: (\d+)");
            string firstAttempt = Path.Combine(env["GRADCAM_AUDIT_LOGS"], $"gradcam-audit-{array}_1.attempt-0.log");
            WaitFor(() => File.Exists(firstAttempt) && File.ReadAllText(firstAttempt).Contains("paused at part-committed:1", StringComparison.Ordinal)
                || (JobField($"{array}_1", "JobState", env) is "FAILED" or "COMPLETED" ? throw new Xunit.Sdk.XunitException("shard 1 ended before its pause point: " + Log(env, $"gradcam-audit-{array}_1.out") + Log(env, $"gradcam-audit-{array}_1.attempt-0.log")) : false),
                TimeSpan.FromMinutes(4), "shard 1 never reached its second part", env);
            Assert.Equal(0, Run("scontrol", ["requeue", $"{array}_1"], env).Code);
            // A requeued job waits about two minutes before it is eligible again: make it eligible now.
            WaitFor(() => JobField($"{array}_1", "JobState", env) == "PENDING", TimeSpan.FromSeconds(60), "the requeued task never went back to pending", env);
            Assert.Equal(0, Run("scontrol", ["update", $"JobId={array}_1", "StartTime=now"], env).Code);
            WaitForEnd(merge, env, TimeSpan.FromMinutes(8));
            Assert.True(JobField(merge, "JobState", env) == "COMPLETED", "merge: " + Log(env, $"gradcam-audit-merge-{merge}.out"));
            Assert.Equal("1", JobField($"{array}_1", "Restarts", env));
            string secondAttempt = File.ReadAllText(Path.Combine(env["GRADCAM_AUDIT_LOGS"], $"gradcam-audit-{array}_1.attempt-1.log"));
            Assert.Contains("resuming run", secondAttempt, StringComparison.Ordinal);
            output.WriteLine($"night 1 (3 shards, one requeued) merged after {clock.Elapsed.TotalSeconds:F0} s");

            string single = Path.Combine(dir, "single");
            Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", env["GRADCAM_AUDIT_CONFIG"], "--output", single]));
            string merged = Path.Combine(night, "merged");
            ReferenceRun.AssertSameAsBaseline(merged, sameParts: false, baselineOutput: single);
            RunManifest run = RunManifest.Load(Path.Combine(merged, "run.json"));
            Assert.Equal(340, run.Counts.ManifestRows);
            Assert.All(run.MergedShards!, s => Assert.Equal(1, s.Execution!.Threads)); // --cpus-per-task 1, the single run used the machine's cores

            // Night 2: shard 2 fails at once; the merge runs anyway (afterany), fails, and names it with its rows.
            env["GCA_TEST_PAUSE_TASK"] = "";
            env["GCA_TEST_FAIL_TASK"] = "2";
            string failing = Path.Combine(runs, "failing-night");
            submitted = Submit(env, "--run", failing);
            merge = Match(submitted, @"merge job: (\d+)");
            WaitForEnd(merge, env, TimeSpan.FromMinutes(6));
            string mergeLog = Log(env, $"gradcam-audit-merge-{merge}.out");
            Assert.True(JobField(merge, "JobState", env) == "FAILED", mergeLog);
            Assert.Equal("2:0", JobField(merge, "ExitCode", env));
            Assert.Contains("shard 2 of 3 is missing", mergeLog, StringComparison.Ordinal);
            Assert.Contains("MERGE REFUSED", mergeLog, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(failing, "merged", "run.json")));

            // Re-run shard 2 alone: it keeps N = 3 (shard-2-of-3, not the whole dataset), and the new merge succeeds.
            env["GCA_TEST_FAIL_TASK"] = "";
            submitted = Submit(env, "--run", failing, "--rerun", "2");
            Assert.Contains("tasks 2 of 3 shards", submitted, StringComparison.Ordinal);
            merge = Match(submitted, @"merge job: (\d+)");
            WaitForEnd(merge, env, TimeSpan.FromMinutes(6));
            Assert.True(JobField(merge, "JobState", env) == "COMPLETED", Log(env, $"gradcam-audit-merge-{merge}.out"));
            Assert.Equal(["shard-0-of-3", "shard-1-of-3", "shard-2-of-3"], Directory.GetDirectories(failing, "shard-*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
            ReferenceRun.AssertSameAsBaseline(Path.Combine(failing, "merged"), sameParts: false, baselineOutput: single);
            output.WriteLine($"Slurm end-to-end test: {clock.Elapsed.TotalSeconds:F0} s");
            Console.WriteLine($"Slurm end-to-end test: {clock.Elapsed.TotalSeconds:F0} s");
        }
        finally
        {
            Run("bash", [Path.Combine(TestPaths.RepoRoot, "tests", "slurm", "cluster.sh"), "stop", state], null, TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>The site settings of slurm-submit.sh, given in the environment (the script itself is not edited), and a test wrapper of the executable.</summary>
    private static Dictionary<string, string> SiteEnvironment(string dir, string state)
    {
        string config = TestDatasets.Config(dir, Path.Combine(TestPaths.Configs, "demo", "manifest.csv"), audit: "\"batchSize\": 8, \"partRows\": 16");
        string bin = Path.Combine(dir, "bin", "gradcam-audit");
        Directory.CreateDirectory(Path.GetDirectoryName(bin)!);
        // Test faults, keyed on the array task: hold one task's first attempt after its second part, or fail one at once.
        File.WriteAllText(bin, $$"""
            #!/bin/sh
            if [ -n "${SLURM_ARRAY_TASK_ID:-}" ] && [ "${SLURM_ARRAY_TASK_ID}" = "${GCA_TEST_PAUSE_TASK:-}" ] && [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then
              export {{PausePoints.Variable}}=part-committed:1
            fi
            if [ -n "${SLURM_ARRAY_TASK_ID:-}" ] && [ "${SLURM_ARRAY_TASK_ID}" = "${GCA_TEST_FAIL_TASK:-}" ]; then
              echo "test: shard ${SLURM_ARRAY_TASK_ID} fails (node lost)" >&2
              exit 1
            fi
            exec dotnet "{{Path.Combine(AppContext.BaseDirectory, "gradcam-audit.dll")}}" "$@"
            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(bin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["SLURM_CONF"] = Path.Combine(state, "slurm.conf"),
            ["GRADCAM_AUDIT_BIN"] = bin,
            ["GRADCAM_AUDIT_CONFIG"] = config,
            ["GRADCAM_AUDIT_RUNS"] = Path.Combine(dir, "runs"),
            ["GRADCAM_AUDIT_LOGS"] = Path.Combine(dir, "logs"),
            ["GRADCAM_AUDIT_SHARDS"] = "3",
            ["GRADCAM_AUDIT_CPUS"] = "1",
            ["GRADCAM_AUDIT_TIME"] = "00:20:00",
        };
    }

    private string Submit(Dictionary<string, string> env, params string[] args)
    {
        (int code, string text) = Run("bash", [Path.Combine(Deploy, "slurm-submit.sh"), .. args], env);
        output.WriteLine(text);
        Assert.True(code == 0, text);
        return text;
    }

    private static string Match(string text, string pattern)
    {
        System.Text.RegularExpressions.Match m = Regex.Match(text, pattern);
        Assert.True(m.Success, $"'{pattern}' not in: {text}");
        return m.Groups[1].Value;
    }

    private static string Log(Dictionary<string, string> env, string name)
    {
        string path = Path.Combine(env["GRADCAM_AUDIT_LOGS"], name);
        return File.Exists(path) ? File.ReadAllText(path) : $"(no {path})";
    }

    /// <summary>One field of <c>scontrol show job</c> (kept by slurmctld for MinJobAge after the end).</summary>
    private static string? JobField(string job, string field, Dictionary<string, string> env)
    {
        (int code, string text) = Run("scontrol", ["show", "job", job], env);
        if (code != 0)
        {
            return null;
        }
        System.Text.RegularExpressions.Match m = Regex.Match(text, $@"\b{field}=(\S+)");
        return m.Success ? m.Groups[1].Value : null;
    }

    private static void WaitForEnd(string job, Dictionary<string, string> env, TimeSpan timeout) =>
        WaitFor(() => JobField(job, "JobState", env) is "COMPLETED" or "FAILED" or "CANCELLED" or "TIMEOUT" or "NODE_FAIL" or "OUT_OF_MEMORY", timeout, $"job {job} did not end", env);

    private static void WaitFor(Func<bool> condition, TimeSpan timeout, string what, Dictionary<string, string> env)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"{what} within {timeout.TotalSeconds:F0} s; queue: {Run("squeue", ["-a"], env).Output}");
            }
            Thread.Sleep(500);
        }
    }

    private static bool OnPath(string tool) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]).Any(d => File.Exists(Path.Combine(d, tool)));

    private static (int Code, string Output) Run(string file, string[] args, Dictionary<string, string>? env, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach ((string k, string v) in env ?? [])
        {
            psi.Environment[k] = v;
        }
        psi.Environment["PATH"] = (System.Environment.GetEnvironmentVariable("PATH") ?? "") + ":/usr/sbin:/sbin";
        using var p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(), stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"{file} timed out");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
