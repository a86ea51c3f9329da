using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using GradCamAudit.Options;

namespace GradCamAudit.Results;

/// <summary>Row counts of a run: every manifest row is either audited or an error.</summary>
public sealed record RunCounts(long ManifestRows, long Audited, long Errors, int Parts, long Skipped = 0);

/// <summary>
/// Wall-clock seconds of the data pass (<paramref name="TotalSeconds"/>: manifest rows to committed parts, what tools
/// that time only the data pass compare with), the model loading and probe before it, and the busy seconds of each
/// stage (stages overlap).
/// </summary>
public sealed record RunTimings(double TotalSeconds, double DecodeSeconds, double ComputeSeconds, double WriteSeconds, double LoadSeconds = 0);

/// <summary>One shard of a run: the rows with <c>(row - 1) mod Count == Index</c>.</summary>
public sealed record ShardSpec(int Index, int Count)
{
    public bool Contains(long row) => (row - 1) % Count == Index;

    public string FolderName => $"shard-{Index}-of-{Count}";

    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>What a merged run records of each shard it was made from.</summary>
public sealed record ShardRun(int Index, string RunId, string Device, long Rows, RunTimings Timings, RunExecution? Execution = null);

/// <summary>The lifecycle of a run folder, recorded in run.json.</summary>
public static class RunStatus
{
    /// <summary>Written at the start; a folder still saying so after the process ended was killed.</summary>
    public const string Running = "running";

    /// <summary>Every row committed and report.html written.</summary>
    public const string Complete = "complete";

    /// <summary>Stopped by a failure (see failureReason); committed parts stay valid.</summary>
    public const string Failed = "failed";
}

/// <summary>run.json: provenance of a run (tool, config, hashes, device, timings, counts) and its status.</summary>
public sealed record RunManifest(
    string RunId,
    string ToolVersion,
    string Status,
    string? FailureReason,
    DateTimeOffset StartedUtc,
    DateTimeOffset? FinishedUtc,
    string ConfigPath,
    string ConfigSha256,
    string WeightsSha256,
    string ManifestPath,
    string ManifestSha256,
    string Device,
    int Threads,
    int BatchSizeUsed,
    string TargetLayer,
    string CamMethod,
    int CamHeight,
    int CamWidth,
    IReadOnlyList<string> Warnings,
    RunCounts Counts,
    RunTimings Timings,
    AuditOptions Config,
    IReadOnlyList<string> ExtraColumns,
    long? Limit = null,
    ShardSpec? Shard = null,
    IReadOnlyList<ShardRun>? MergedShards = null,
    RowCoverage? Coverage = null,
    RunExecution? Execution = null)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public void Write(Stream stream) => JsonSerializer.Serialize(stream, this, Json);

    public static RunManifest Load(string path)
    {
        try
        {
            RunManifest run = JsonSerializer.Deserialize<RunManifest>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"empty run manifest: {path}");
            // Missing members deserialise as defaults: a JSON file of anything else would pass for a run.json.
            if (string.IsNullOrEmpty(run.RunId) || string.IsNullOrEmpty(run.Status) || run.Config is null || run.Counts is null)
            {
                throw new InvalidDataException($"'{path}' is not a run.json of this tool (no runId, status, config or counts)");
            }
            return run;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not a run.json of this tool version: {ex.Message}", ex);
        }
    }
}

/// <summary>SHA-256 of files, lower-case hex.</summary>
public static class Hashing
{
    public static string Sha256File(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// The hash of every model file's content: the weights alone (unchanged from earlier runs), or with a TorchScript
    /// head the hash of both hashes, so a changed head is seen by --resume and merge like changed weights.
    /// </summary>
    public static string ModelFiles(string weights, string? head) => head == null
        ? Sha256File(weights)
        : Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Sha256File(weights) + "\n" + Sha256File(head))));
}

/// <summary>The tool's name and version.</summary>
public static class ToolInfo
{
    public static string Version { get; } = typeof(ToolInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>
    /// The build's identity: the version plus the assembly's module version id (a new id at every compilation), so a
    /// cache made by another build of the code (an upgrade with an unchanged version number) is never reused.
    /// </summary>
    public static string BuildId { get; } = Version + "+" + typeof(ToolInfo).Assembly.ManifestModule.ModuleVersionId.ToString("N");
}
