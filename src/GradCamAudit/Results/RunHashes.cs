using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GradCamAudit.Options;

namespace GradCamAudit.Results;

/// <summary>What decides whether two runs ran the same thing: the resolved config, the dataset and the weights.</summary>
public static class RunHashes
{
    /// <summary>
    /// SHA-256 of the canonical resolved config: the validated options (overrides applied, defaults filled in, paths
    /// absolute) as JSON in declaration order, without <c>output.*</c>, the config file's own path and the execution
    /// settings (<see cref="RunIdentity.ExecutionKeys"/>: threads, decode workers, batch size...).
    /// </summary>
    public static string Config(AuditOptions options)
    {
        JsonObject node = JsonSerializer.SerializeToNode(options, RunManifest.Json)!.AsObject();
        RunIdentity.RemoveNonIdentity(node);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(node.ToJsonString())));
    }

    /// <summary>Throws one <see cref="ConfigException"/> listing everything that differs between a run folder and this config.</summary>
    public static void CheckResumable(RunManifest previous, string configHash, string manifestHash, string weightsHash, IReadOnlyList<string> extraColumns, AuditOptions? current = null)
    {
        var problems = new List<string>();
        if (previous.ConfigSha256 != configHash)
        {
            string keys = current == null ? "" : "; keys that differ (the folder's vs this): " + string.Join("; ", RunIdentity.Differences(previous.Config, current));
            problems.Add($"config: the folder's run used config sha256 {previous.ConfigSha256[..12]}, this one is {configHash[..12]}{keys}");
        }
        if (previous.ManifestSha256 != manifestHash)
        {
            problems.Add($"dataset: the folder's run read manifest sha256 {previous.ManifestSha256[..12]}, the manifest now is {manifestHash[..12]}");
        }
        if (previous.WeightsSha256 != weightsHash)
        {
            problems.Add($"weights: the folder's run used weights sha256 {previous.WeightsSha256[..12]}, these are {weightsHash[..12]}");
        }
        if (!previous.ExtraColumns.SequenceEqual(extraColumns, StringComparer.Ordinal))
        {
            problems.Add("dataset: the manifest's pass-through columns differ");
        }
        if (problems.Count > 0)
        {
            throw new ConfigException(problems.Select(p => "--resume: " + p + " (use --overwrite to start again)").ToArray());
        }
    }
}
