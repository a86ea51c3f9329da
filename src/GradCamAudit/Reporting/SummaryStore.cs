using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GradCamAudit.Results;

namespace GradCamAudit.Reporting;

/// <summary>What run-summary.json holds: the fingerprint it is valid for, the summary, the mean maps and the acknowledged findings.</summary>
/// <summary>
/// What run-summary.json holds: the fingerprint it is valid for, the summary, the mean maps, the acknowledged findings
/// and the gates' counts (every row: acknowledgements are applied by the gates when they read it).
/// </summary>
public sealed record PersistedSummary(int Version, string Fingerprint, SummaryState Summary, MeanMapsState MeanMaps, ReportRow[] AcknowledgedFindings,
    Gates.RatesState? Rates = null);

/// <summary>
/// The persisted run summary. The report's one streaming pass over the results (at the end of every audit, and by
/// <c>report</c> when it has to) writes <c>run-summary.json</c>; a later <c>report</c> reuses it while its fingerprint
/// still matches: the result files (relative path, size, modification time), the acknowledge list (path, size,
/// modification time), the run's config hash and the tool version. Anything else (parts rewritten by DuckDB or
/// Spark, a merge, a resumed run, an edited acknowledge list, an unreadable file) means one streaming pass again.
/// </summary>
public static class SummaryStore
{
    public const int Version = 2; // 2: mask sources counted

    // NaN and infinities (results written by other tools may hold them) round-trip as named literals instead of failing.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static string Fingerprint(string runDirectory, RunManifest run)
    {
        var text = new StringBuilder();
        text.Append(ToolInfo.BuildId).Append('|').Append(run.ConfigSha256).Append('|').Append(run.Counts.Audited).Append('\n');
        foreach (string part in ResultsReader.Parts(runDirectory))
        {
            var info = new FileInfo(part);
            text.Append(Path.GetRelativePath(runDirectory, part)).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        }
        if (run.Config.GatesSettings.Acknowledged is string ack && File.Exists(ack))
        {
            var info = new FileInfo(ack);
            text.Append(ack).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The rates of a run's current run-summary.json (<see cref="Gates.CachedRates"/>), or null.</summary>
    public static Gates.RatesState? Rates(string runDirectory, RunManifest run) => TryLoad(runDirectory, Fingerprint(runDirectory, run))?.Rates;

    /// <summary>The persisted summary when it exists, reads and matches <paramref name="fingerprint"/>; else null.</summary>
    public static PersistedSummary? TryLoad(string runDirectory, string fingerprint)
    {
        string path = Path.Combine(runDirectory, RunFolder.RunSummaryName);
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }
            using FileStream stream = File.OpenRead(path);
            PersistedSummary? s = JsonSerializer.Deserialize<PersistedSummary>(stream, Json);
            return s != null && s.Version == Version && s.Fingerprint == fingerprint && GalleryInside(runDirectory, s) ? s : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            return null; // unreadable (corrupt, another service account's file): recomputed
        }
    }

    /// <summary>
    /// Every gallery row of a persisted summary points at a results part inside the run folder: a run-summary.json
    /// edited (or copied from elsewhere) to name any other file is not trusted, and the summary is recomputed.
    /// </summary>
    private static bool GalleryInside(string runDirectory, PersistedSummary s)
    {
        string results = Path.GetFullPath(Path.Combine(runDirectory, "results")) + Path.DirectorySeparatorChar;
        return s.Summary.FlaggedGallery.Concat(s.Summary.RightForWrongReasonGallery).Concat(s.Summary.LabelErrorGallery)
            .All(g => Path.GetFullPath(Path.Combine(runDirectory, g.File)).StartsWith(results, StringComparison.Ordinal));
    }

    /// <summary>Writes run-summary.json atomically; a cache, so a failure (full disk, read-only folder) only means the next report streams again.</summary>
    public static bool Save(string runDirectory, PersistedSummary summary)
    {
        try
        {
            RunFolder.WriteAtomic(Path.Combine(runDirectory, RunFolder.RunSummaryName), s => JsonSerializer.Serialize(s, summary, Json));
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
