using System.Globalization;
using System.Text.RegularExpressions;

namespace GradCamAudit.Results;

/// <summary>What an output folder holds, as far as a run is concerned.</summary>
public enum RunFolderKind
{
    /// <summary>Missing or empty: a new run may start.</summary>
    Empty,

    /// <summary>Holds a run.json of this tool (any status).</summary>
    Run,

    /// <summary>Non-empty, with none of the run's own artefacts (other files are left alone).</summary>
    Unrelated,

    /// <summary>Holds a <c>results/</c> or <c>errors/</c> folder with files this tool never writes: refused.</summary>
    Foreign,
}

/// <summary>
/// One run folder: its layout (<c>results/part-NNNNN.parquet</c>, <c>errors/part-NNNNN.csv</c>, <c>errors.csv</c>,
/// <c>run.json</c>, <c>report.html</c>), the rule for what is the run's own (and so what <c>--overwrite</c> may
/// delete), atomic writes (temporary file, fsync, rename) and the committed parts. The pipeline, <c>report</c>,
/// and later <c>merge</c> and <c>compare</c> all go through this type.
/// </summary>
public sealed partial class RunFolder(string directory)
{
    public const string ResultsName = "results";
    public const string ErrorPartsName = "errors";
    public const string ExplanationsName = "explanations";
    public const string ErrorsCsvName = "errors.csv";
    public const string RunJsonName = "run.json";
    public const string ReportName = "report.html";
    public const string SummaryJsonName = "summary.json";
    public const string PerClassCsvName = "per_class.csv";
    public const string GatesJsonName = "gates.json";

    /// <summary>The persisted run summary (see <c>Reporting.SummaryStore</c>): reused while the parts it was made from are unchanged.</summary>
    public const string RunSummaryName = "run-summary.json";

    /// <summary>What <c>compare</c> and the gates add to a run folder.</summary>
    public static readonly string[] ComparisonNames = ["comparison.json", "comparison.parquet", "summary.md", GatesJsonName, "suggested-gates.json"];

    public string Directory { get; } = Path.GetFullPath(directory);

    public string ResultsDirectory => Path.Combine(Directory, ResultsName);

    public string ErrorPartsDirectory => Path.Combine(Directory, ErrorPartsName);

    public string ExplanationsDirectory => Path.Combine(Directory, ExplanationsName);

    public string ExplanationPartPath(int index) => Path.Combine(ExplanationsDirectory, PartName(index, "parquet"));

    public string RunJsonPath => Path.Combine(Directory, RunJsonName);

    public string ReportPath => Path.Combine(Directory, ReportName);

    public string ErrorsCsvPath => Path.Combine(Directory, ErrorsCsvName);

    public string SummaryJsonPath => Path.Combine(Directory, SummaryJsonName);

    public string PerClassCsvPath => Path.Combine(Directory, PerClassCsvName);

    public string GatesJsonPath => Path.Combine(Directory, GatesJsonName);

    public string ComparisonJsonPath => Path.Combine(Directory, "comparison.json");

    public static string PartName(int index, string extension) => string.Create(CultureInfo.InvariantCulture, $"part-{index:D5}.{extension}");

    public string ResultPartPath(int index) => Path.Combine(ResultsDirectory, PartName(index, "parquet"));

    public string ErrorPartPath(int index) => Path.Combine(ErrorPartsDirectory, PartName(index, "csv"));

    /// <summary>Classifies the folder; <paramref name="reason"/> says why it is foreign.</summary>
    public RunFolderKind Inspect(out string? reason)
    {
        reason = null;
        if (!System.IO.Directory.Exists(Directory) || !System.IO.Directory.EnumerateFileSystemEntries(Directory).Any(e => !RunFolderLock.IsLockFile(Path.GetFileName(e))))
        {
            return RunFolderKind.Empty;
        }
        foreach ((string sub, Regex own) in new[] { (ResultsDirectory, ResultPartFile()), (ErrorPartsDirectory, ErrorPartFile()), (ExplanationsDirectory, ResultPartFile()) })
        {
            if (File.Exists(sub))
            {
                reason = $"'{sub}' is a file, not a folder of this tool's parts";
                return RunFolderKind.Foreign;
            }
            if (System.IO.Directory.Exists(sub))
            {
                string? stranger = System.IO.Directory.EnumerateFileSystemEntries(sub).Select(Path.GetFileName).FirstOrDefault(n => !own.IsMatch(n!));
                if (stranger != null)
                {
                    reason = $"'{sub}' holds '{stranger}', which this tool never writes (only part-NNNNN files)";
                    return RunFolderKind.Foreign;
                }
            }
        }
        if (File.Exists(RunJsonPath))
        {
            try
            {
                _ = LoadManifest();
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // --overwrite deletes run.json, report.html and the rest: only when this tool wrote them.
                reason = $"'{RunJsonPath}' is not a run.json this tool wrote ({ex.Message})";
                return RunFolderKind.Foreign;
            }
            return RunFolderKind.Run;
        }
        bool anyParts = System.IO.Directory.Exists(ResultsDirectory) || System.IO.Directory.Exists(ErrorPartsDirectory) || System.IO.Directory.Exists(ExplanationsDirectory);
        if (anyParts)
        {
            return RunFolderKind.Run; // a run's parts whose run.json is gone (a run writes run.json before any part)
        }
        string? lone = new[] { ErrorsCsvPath, ReportPath, SummaryJsonPath }.FirstOrDefault(File.Exists);
        if (lone != null)
        {
            reason = $"'{lone}' is there without a run.json, so this tool did not write it";
            return RunFolderKind.Foreign;
        }
        return RunFolderKind.Unrelated;
    }

    /// <summary>Removes only what a run of this tool writes: its part folders, errors.csv, run.json, report.html, summary.json, per_class.csv and their temporary files.</summary>
    public void DeleteRunArtefacts()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return;
        }
        foreach (string sub in new[] { ResultsDirectory, ErrorPartsDirectory, ExplanationsDirectory })
        {
            if (System.IO.Directory.Exists(sub))
            {
                System.IO.Directory.Delete(sub, recursive: true);
            }
        }
        DeleteFindingsArtefacts();
        foreach (string name in new[] { ErrorsCsvName, RunJsonName, ReportName, SummaryJsonName, PerClassCsvName, RunSummaryName }.Concat(ComparisonNames).Concat(FindingsNames))
        {
            File.Delete(Path.Combine(Directory, name));
            File.Delete(TempPath(Path.Combine(Directory, name)));
        }
    }

    /// <summary>The hidden temporary name a file is written under before the rename that commits it.</summary>
    public static string TempPath(string path) => Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".tmp");

    /// <summary>Writes a file whole or not at all: temporary name, flush to disk, rename over the target.</summary>
    public static void WriteAtomic(string path, Action<Stream> write, string? pausePoint = null)
    {
        string temp = TempPath(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            if (pausePoint != null)
            {
                PausePoints.Reach(pausePoint);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Async form of <see cref="WriteAtomic"/>.</summary>
    public static async Task WriteAtomicAsync(string path, Func<Stream, Task> write, bool overwrite, string? pausePoint = null)
    {
        string temp = TempPath(path);
        try
        {
            await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                await write(stream).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            if (pausePoint != null)
            {
                PausePoints.Reach(pausePoint);
            }
            File.Move(temp, path, overwrite);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public void SaveManifest(RunManifest run)
    {
        System.IO.Directory.CreateDirectory(Directory);
        WriteAtomic(RunJsonPath, s => run.Write(s));
    }

    public RunManifest? LoadManifest() => File.Exists(RunJsonPath) ? RunManifest.Load(RunJsonPath) : null;

    /// <summary>The committed result parts, in name order.</summary>
    public IReadOnlyList<string> ResultParts() =>
        System.IO.Directory.Exists(ResultsDirectory)
            ? System.IO.Directory.EnumerateFiles(ResultsDirectory, "part-*.parquet").Where(p => ResultPartFile().IsMatch(Path.GetFileName(p))).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>The explanation parts on disk, in name order.</summary>
    public IReadOnlyList<string> ExplanationParts() =>
        System.IO.Directory.Exists(ExplanationsDirectory)
            ? System.IO.Directory.EnumerateFiles(ExplanationsDirectory, "part-*.parquet").Where(p => ResultPartFile().IsMatch(Path.GetFileName(p))).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>The committed error parts, in name order.</summary>
    public IReadOnlyList<string> ErrorParts() =>
        System.IO.Directory.Exists(ErrorPartsDirectory)
            ? System.IO.Directory.EnumerateFiles(ErrorPartsDirectory, "part-*.csv").Where(p => ErrorPartFile().IsMatch(Path.GetFileName(p))).Order(StringComparer.Ordinal).ToList()
            : [];

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary file is never read as a part.
        }
    }

    [GeneratedRegex(@"^(part-\d{5}\.parquet|\.part-\d{5}\.parquet\.tmp)$")]
    private static partial Regex ResultPartFile();

    [GeneratedRegex(@"^(part-\d{5}\.csv|\.part-\d{5}\.csv\.tmp)$")]
    private static partial Regex ErrorPartFile();
}
