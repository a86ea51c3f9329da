using System.Diagnostics;
using System.Globalization;
using System.Text;
using GradCamAudit.Findings;
using GradCamAudit.Results;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace GradCamAudit.Benchmarks;

/// <summary>One timing of deciding a run's findings (<see cref="FindingsRun.Write"/>: two streamed passes over the results, then findings.parquet, findings.json and the review export).</summary>
public sealed record FindingsBenchResult(long Rows, int Parts, double Seconds, double? RssBeforeMiB, double? PeakRssMiB, double OthersCores, long LabelErrors, long Shortcuts)
{
    public double MicrosecondsPerRow => Seconds * 1e6 / Math.Max(1, Rows);
}

/// <summary>
/// Findings at scale: a real run's result rows (every column, maps included) replicated to the wanted row count with
/// distinct sample ids (<c>&lt;id&gt;-&lt;copy&gt;</c>) and rows (<c>row + copy * n</c>), written as parts of
/// <c>partRows</c> rows by the same Parquet schema, then the findings decided as every verb does, timed, with the peak
/// resident set of that step alone (Linux clear_refs).
/// </summary>
public static class FindingsBenchmark
{
    public static FindingsBenchResult Run(string sourceRun, long rows, string work, int partRows, Action<string> log)
    {
        string target = Path.Combine(work, $"findings-{rows}");
        int parts = ReplicateAsync(sourceRun, rows, target, partRows).GetAwaiter().GetResult();
        log($"findings bench: {rows} rows in {parts} parts under {target}");
        RunManifest run = RunManifest.Load(Path.Combine(target, "run.json"));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        CpuMeter.ResetPeakRss();
        double? before = CpuMeter.RssMiB();
        CpuMeter meter = CpuMeter.Start();
        var watch = Stopwatch.StartNew();
        FindingsReport report = FindingsRun.Write(target, run);
        watch.Stop();
        return new FindingsBenchResult(rows, parts, watch.Elapsed.TotalSeconds, before, CpuMeter.PeakRssMiB(), meter.OthersCores() ?? 0,
            report.Counts.GetValueOrDefault(FindingKinds.LabelError), report.Counts.GetValueOrDefault(FindingKinds.Shortcut));
    }

    /// <summary>Writes <paramref name="target"/> as a run folder of <paramref name="rows"/> rows copied from <paramref name="sourceRun"/>; returns the part count.</summary>
    public static async Task<int> ReplicateAsync(string sourceRun, long rows, string target, int partRows)
    {
        var source = new List<Dictionary<string, object>>();
        ParquetSchema? schema = null;
        foreach (string part in ResultsReader.Parts(sourceRun))
        {
            await using FileStream fs = File.OpenRead(part);
            var read = await ParquetSerializer.DeserializeUntypedAsync(fs).ConfigureAwait(false);
            schema ??= read.Schema;
            source.AddRange(read.Data);
        }
        if (schema == null || source.Count == 0)
        {
            throw new InvalidOperationException($"'{sourceRun}' has no result rows to replicate");
        }
        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
        }
        string results = Path.Combine(target, "results");
        Directory.CreateDirectory(results);
        File.Copy(Path.Combine(sourceRun, "run.json"), Path.Combine(target, "run.json"));
        long n = source.Count;
        long maxRow = source.Max(d => Convert.ToInt64(d["row"], CultureInfo.InvariantCulture));
        int written = 0;
        var buffer = new List<IDictionary<string, object?>>(partRows);
        async Task Flush()
        {
            await using FileStream fs = File.Create(Path.Combine(results, $"part-{written:D5}.parquet"));
            await ParquetSerializer.SerializeUntypedAsync(buffer, schema, fs, new ParquetOptions(), null, CancellationToken.None).ConfigureAwait(false);
            buffer.Clear();
            written++;
        }
        for (long i = 0; i < rows; i++)
        {
            long copy = i / n;
            Dictionary<string, object> src = source[(int)(i % n)];
            var d = new Dictionary<string, object?>(src!, StringComparer.Ordinal)
            {
                ["sample_id"] = string.Create(CultureInfo.InvariantCulture, $"{src["sample_id"]}-{copy}"),
                ["row"] = Convert.ToInt64(src["row"], CultureInfo.InvariantCulture) + (copy * maxRow),
            };
            buffer.Add(d);
            if (buffer.Count == partRows)
            {
                await Flush().ConfigureAwait(false);
            }
        }
        if (buffer.Count > 0)
        {
            await Flush().ConfigureAwait(false);
        }
        return written;
    }

    public static string Table(IEnumerable<FindingsBenchResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| rows | parts | wall s | µs per row | RSS before MiB | peak RSS MiB (this step) | label errors | shortcuts | others' CPU (cores) |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (FindingsBenchResult r in results)
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Rows} | {r.Parts} | {r.Seconds:F1} | {r.MicrosecondsPerRow:F1} | {r.RssBeforeMiB:F0} | {r.PeakRssMiB:F0} | {r.LabelErrors} | {r.Shortcuts} | {r.OthersCores:F2} |"));
        }
        return sb.ToString();
    }
}
