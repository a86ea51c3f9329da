using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using GradCamAudit.Options;

namespace GradCamAudit.Results;

/// <summary>Row counts of a run: every manifest row is either audited or an error.</summary>
public sealed record RunCounts(long ManifestRows, long Audited, long Errors, int Parts);

/// <summary>Wall-clock seconds of the run, and the busy seconds of each stage (stages overlap).</summary>
public sealed record RunTimings(double TotalSeconds, double DecodeSeconds, double ComputeSeconds, double WriteSeconds);

/// <summary>run.json: provenance of a run (tool, config, hashes, device, timings, counts).</summary>
public sealed record RunManifest(
    string RunId,
    string ToolVersion,
    DateTimeOffset FinishedUtc,
    string ConfigPath,
    string ConfigSha256,
    string WeightsSha256,
    string ManifestPath,
    string ManifestSha256,
    string Device,
    string TargetLayer,
    string CamMethod,
    int CamHeight,
    int CamWidth,
    IReadOnlyList<string> Warnings,
    RunCounts Counts,
    RunTimings Timings,
    AuditOptions Config,
    IReadOnlyList<string> ExtraColumns)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public static RunManifest Load(string path) =>
        JsonSerializer.Deserialize<RunManifest>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"empty run manifest: {path}");
}

/// <summary>SHA-256 of files, lower-case hex.</summary>
public static class Hashing
{
    public static string Sha256File(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>The tool's name and version.</summary>
public static class ToolInfo
{
    public static string Version { get; } = typeof(ToolInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
