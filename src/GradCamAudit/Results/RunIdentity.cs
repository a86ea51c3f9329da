using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GradCamAudit.Options;

namespace GradCamAudit.Results;

/// <summary>
/// What makes two runs the same audit, and what only says how a run was executed. Execution settings (thread count,
/// decode workers, batch size and prefetch, the batch time-out) change where and how fast a run goes, not its results
/// (beyond float rounding within 1e-5, the tolerance resume and merge are held to): they stay out of the config hash,
/// so shards run on nodes of any size merge and a run resumes on another node. They are still recorded in run.json
/// (the resolved config, <c>threads</c>, <c>batchSizeUsed</c> and <see cref="RunExecution"/>).
/// </summary>
public static class RunIdentity
{
    /// <summary>The <c>audit.*</c> keys left out of the identity (JSON names as in run.json's config).</summary>
    public static readonly string[] ExecutionKeys = ["batchSize", "decodeWorkers", "prefetchBatches", "threads", "batchTimeoutSeconds"];

    /// <summary>The resolved config as the identity sees it: without output, the config file's own path and the execution settings.</summary>
    public static JsonObject Node(AuditOptions options)
    {
        JsonObject node = JsonSerializer.SerializeToNode(options, RunManifest.Json)!.AsObject();
        RemoveNonIdentity(node);
        return node;
    }

    /// <summary>Removes what is not part of the identity from a serialised config (in place).</summary>
    public static void RemoveNonIdentity(JsonObject node)
    {
        node.Remove("output");
        node.Remove("configPath");
        if (node["audit"] is JsonObject audit)
        {
            foreach (string key in ExecutionKeys)
            {
                audit.Remove(key);
            }
        }
    }

    /// <summary>
    /// Every identity key whose value differs between two resolved configs, as <c>key: a vs b</c> (dotted JSON paths,
    /// values as JSON, long values shortened), at most <paramref name="max"/> of them.
    /// </summary>
    public static IReadOnlyList<string> Differences(AuditOptions a, AuditOptions b, int max = 8)
    {
        var left = Flatten(Node(a));
        var right = Flatten(Node(b));
        var keys = left.Keys.Union(right.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var list = new List<string>();
        foreach (string key in keys)
        {
            string? x = left.GetValueOrDefault(key), y = right.GetValueOrDefault(key);
            if (!string.Equals(x, y, StringComparison.Ordinal))
            {
                list.Add($"{key}: {Short(x)} vs {Short(y)}");
            }
        }
        return list.Count > max ? [.. list.Take(max), string.Create(CultureInfo.InvariantCulture, $"... and {list.Count - max} more")] : list;
    }

    private static string Short(string? json) => json == null ? "(absent)" : json.Length > 80 ? json[..77] + "..." : json;

    private static Dictionary<string, string> Flatten(JsonNode? node)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(JsonNode? n, string path)
        {
            if (n is JsonObject o && o.Count > 0)
            {
                foreach ((string k, JsonNode? v) in o)
                {
                    Walk(v, path.Length == 0 ? k : path + "." + k);
                }
            }
            else
            {
                map[path] = n?.ToJsonString() ?? "null";
            }
        }
        Walk(node, "");
        return map;
    }
}

/// <summary>
/// How and where a run was executed (recorded in run.json, outside the identity): host, cores seen by the process, and
/// the execution settings it used.
/// </summary>
public sealed record RunExecution(string Host, int ProcessId, int Cores, int Threads, int DecodeWorkers, int BatchSize, int PrefetchBatches)
{
    public static RunExecution Current(AuditSettings audit) =>
        new(Environment.MachineName, Environment.ProcessId, Environment.ProcessorCount, audit.Threads, audit.DecodeWorkers, audit.BatchSize, audit.PrefetchBatches);
}
