using System.Diagnostics;
using Xunit;

namespace GradCamAudit.Tests.Deploy;

/// <summary>
/// configs/deploy/k8s/ offline (no cluster runs here): every manifest, and the Jobs the nightly driver renders,
/// against the Kubernetes API schemas of the npm package kubernetes-models (tests/k8s/validate.mjs, which also
/// rejects keys the models do not declare); the driver itself run with a stand-in kubectl.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static string K8s => Path.Combine(TestPaths.Configs, "deploy", "k8s");

    private static string Validator => Path.Combine(TestPaths.RepoRoot, "tests", "k8s", "validate.mjs");

    private static string[] Manifests => ["rbac.yaml", "cronjob.yaml", "shards-job.yaml", "shards-job-gpu.yaml", "merge-job.yaml"];

    private static void SkipWithoutValidator()
    {
        Skip.If(!OnPath("node"), "Kubernetes manifest check skipped: node is not installed");
        Skip.If(!Directory.Exists(Path.Combine(TestPaths.RepoRoot, "tests", "k8s", "node_modules", "kubernetes-models")),
            "Kubernetes manifest check skipped: run 'npm install' in tests/k8s (tests/run-tests.sh does)");
    }

    [SkippableFact]
    public void ShippedManifests_PassTheSchemaCheck_AndCarryTheNightlySafeguards()
    {
        SkipWithoutValidator();
        (int code, string output) = Run("node", [Validator, .. Manifests.Select(m => Path.Combine(K8s, m))]);
        Assert.True(code == 0, output);
        Assert.Contains("7 passed, 0 failed", output, StringComparison.Ordinal);

        string shards = File.ReadAllText(Path.Combine(K8s, "shards-job.yaml")), gpu = File.ReadAllText(Path.Combine(K8s, "shards-job-gpu.yaml"));
        foreach (string needle in new[] { "completionMode: Indexed", "backoffLimitPerIndex:", "podFailurePolicy:", "action: FailIndex", "type: DisruptionTarget", "podReplacementPolicy: Failed", "runAsNonRoot: true", "requests:", "memory:", "--resume", "--output=${RUN}" })
        {
            Assert.Contains(needle, shards, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("cuda", shards, StringComparison.Ordinal); // the CPU image never asks for a GPU
        Assert.DoesNotContain("nvidia.com/gpu", shards, StringComparison.Ordinal);
        Assert.Contains("nvidia.com/gpu: 1", gpu, StringComparison.Ordinal);
        Assert.Contains("--shards-in=${RUN}", File.ReadAllText(Path.Combine(K8s, "merge-job.yaml")), StringComparison.Ordinal);
        Assert.DoesNotContain("2026-", shards + File.ReadAllText(Path.Combine(K8s, "cronjob.yaml")), StringComparison.Ordinal); // no night hard-coded
        foreach (string file in File.ReadAllText(Path.Combine(K8s, "kustomization.yaml")).Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("- ", StringComparison.Ordinal) && !l.Contains(':', StringComparison.Ordinal)).Select(l => l[2..]))
        {
            Assert.True(File.Exists(Path.Combine(K8s, file)), $"kustomization.yaml names {file}, which does not exist");
        }
    }

    [SkippableFact]
    public void SchemaCheck_RejectsAWrongTypeAndAnUnknownKey()
    {
        SkipWithoutValidator();
        string dir = TestPaths.NewTempDir("k8s-bad");
        string shards = File.ReadAllText(Path.Combine(K8s, "shards-job.yaml"));
        File.WriteAllText(Path.Combine(dir, "typo.yaml"), shards.Replace("backoffLimitPerIndex:", "backoffLimitPerIndx:", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(dir, "type.yaml"), shards.Replace("podReplacementPolicy: Failed", "podReplacementPolicy: Sometimes", StringComparison.Ordinal));
        (int code, string output) = Run("node", [Validator, Path.Combine(dir, "typo.yaml"), Path.Combine(dir, "type.yaml")]);
        Assert.Equal(1, code);
        Assert.Contains("data.spec.backoffLimitPerIndx: unknown key", output, StringComparison.Ordinal);
        Assert.Contains("podReplacementPolicy must be equal to one of the allowed values", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void NightlyDriver_FixesTheNightOnce_CreatesShardsThenMerge_AndItsJobsPassTheSchemaCheck()
    {
        SkipWithoutValidator();
        Skip.If(!OnPath("sh") || !OnPath("sed"), "nightly driver check skipped: no POSIX shell");
        string dir = TestPaths.NewTempDir("k8s-driver");
        string bin = Path.Combine(dir, "bin");
        Directory.CreateDirectory(bin);
        // A stand-in kubectl: no Job exists until created; every Job has ended Complete; created manifests are kept.
        File.WriteAllText(Path.Combine(bin, "kubectl"), $$"""
            #!/bin/sh
            echo "$*" >> "{{dir}}/calls"
            case "$1 $2" in
              "get job") if [ "$#" -eq 3 ]; then [ -f "{{dir}}/$3.yaml" ]; exit $?; fi; echo Complete ;;
              "create -f") n=$(ls "{{dir}}"/*.yaml 2>/dev/null | wc -l); cat > "{{dir}}/created-$n.yaml"; name=$(sed -n 's/^  name: //p' "{{dir}}/created-$n.yaml" | head -1); cp "{{dir}}/created-$n.yaml" "{{dir}}/$name.yaml" ;;
              *) ;;
            esac
            exit 0
            """);
        Run("chmod", ["+x", Path.Combine(bin, "kubectl")]);
        (int code, string output) = Run("sh", [Path.Combine(K8s, "nightly.sh")], new()
        {
            ["PATH"] = bin + ":" + (Environment.GetEnvironmentVariable("PATH") ?? ""),
            ["TEMPLATES"] = K8s,
            ["NIGHT"] = "20261126",
            ["POLL_SECONDS"] = "0",
        });
        Assert.True(code == 0, output);
        Assert.Contains("merge: Complete", output, StringComparison.Ordinal);
        string shards = File.ReadAllText(Path.Combine(dir, "gradcam-audit-shards-20261126.yaml"));
        string merge = File.ReadAllText(Path.Combine(dir, "gradcam-audit-merge-20261126.yaml"));
        Assert.Contains("--output=/audit/runs/20261126", shards, StringComparison.Ordinal);
        Assert.Contains("--shards-in=/audit/runs/20261126", merge, StringComparison.Ordinal);
        Assert.DoesNotContain("${", shards + merge, StringComparison.Ordinal);
        string[] calls = File.ReadAllLines(Path.Combine(dir, "calls"));
        Assert.True(Array.FindIndex(calls, c => c.StartsWith("get job gradcam-audit-shards-20261126 -o", StringComparison.Ordinal))
            < Array.FindIndex(calls, c => c.StartsWith("delete job gradcam-audit-merge-20261126", StringComparison.Ordinal)), string.Join('\n', calls));

        (code, output) = Run("node", [Validator, Path.Combine(dir, "gradcam-audit-shards-20261126.yaml"), Path.Combine(dir, "gradcam-audit-merge-20261126.yaml")]);
        Assert.True(code == 0, output);
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));

    private static (int Code, string Output) Run(string file, string[] args, Dictionary<string, string>? env = null)
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
        using var p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(), stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"{file} timed out");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
