using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Results;
using GradCamAudit.Tests.Pipeline;

namespace GradCamAudit.Tests.Reporting;

/// <summary>
/// A small run folder with fixed contents and no model: run.json with fixed provenance (ids, hashes, times), results
/// written by DuckDB from closed-form expressions of the row number (every value known in advance, no float noise from
/// a network), and an errors.csv. What the golden tests render.
/// </summary>
public static class CraftedRun
{
    public static readonly DateTimeOffset Started = new(2026, 11, 20, 2, 0, 0, TimeSpan.Zero);

    /// <summary>Writes the run folder; <paramref name="flagShift"/> moves which rows are off-object and <paramref name="liftScale"/> scales the predicted-class lift, so that two crafted runs differ by a known amount.</summary>
    public static string Write(string dir, int rows, int errors, int flagShift = 0, GatesOptions? gates = null, IReadOnlyList<string>? classes = null, double liftScale = 1)
    {
        Directory.CreateDirectory(Path.Combine(dir, "results"));
        AuditOptions demo = AuditConfig.Load(Path.Combine(TestPaths.Configs, "demo.json"), dir);
        classes ??= demo.Dataset.Classes;
        AuditOptions options = demo with
        {
            Name = "golden",
            Dataset = demo.Dataset with { Classes = classes },
            Report = demo.Report with { Images = "maps-only", GalleryMax = 6 },
            Gates = gates,
        };
        string[] extra = ["group"];
        var run = new RunManifest("golden-run-" + flagShift, "0.0.0", RunStatus.Complete, null, Started, Started.AddSeconds(12), "configs/golden.json",
            new string('c', 64), new string('w', 64), options.Dataset.Manifest, new string('m', 64), "cpu", 2, 32, "features.9", "closed-form", 2, 2, [],
            new RunCounts(rows + errors, rows, errors, 1), new RunTimings(10, 4, 5, 1, 2), options, extra);
        using (FileStream s = File.Create(Path.Combine(dir, "run.json")))
        {
            run.Write(s);
        }
        File.WriteAllText(Path.Combine(dir, "errors.csv"), "row,sample_id,image,reason_code,detail\n"
            + string.Concat(Enumerable.Range(rows + 1, errors).Select(r => $"{r},missing-{r},images/missing-{r}.png,image_missing,no such file\n")));

        string names = "[" + string.Join(", ", classes.Select(c => "'" + c.Replace("'", "''", StringComparison.Ordinal) + "'")) + "]";
        int k = classes.Count;
        var metricColumns = new List<string>();
        foreach ((string prefix, int a) in new[] { ("pred", 7), ("true", 5) })
        {
            foreach (string m in options.ExplainSettings.MetricColumns)
            {
                string value = m switch
                {
                    "pointing_hit" => $"(i % 2 = 0)",
                    "energy_lift" when prefix == "pred" => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"round((((i + {flagShift}) * {a}) % 11) * 0.25 * {liftScale}, 4)"),
                    _ => $"round(((i * {a}) % 13) * 0.07, 4)",
                };
                metricColumns.Add($"{value} AS {prefix}_{m}");
            }
        }
        string inner = $"""
            SELECT i, (i % {k})::INTEGER AS t, (CASE WHEN i % 3 = 0 THEN (i + 1) % {k} ELSE i % {k} END)::INTEGER AS p,
                   (0.5 + (i % 5) * 0.1)::FLOAT AS confidence, {string.Join(", ", metricColumns)}
            FROM range(1, {rows + 1}) r(i)
            """;
        string sql = $"""
            COPY (
              SELECT 'golden-' || lpad(i::VARCHAR, 3, '0') AS sample_id, i::BIGINT AS "row", 'images/golden-' || i || '.png' AS image,
                     t AS true_label, {names}[t + 1] AS true_name, p AS pred_label, {names}[p + 1] AS pred_name,
                     confidence, (0.3 + (i % 4) * 0.1)::FLOAT AS true_prob, (p = t) AS correct, 0.1 + (i % 3) * 0.05 AS mask_fraction, -- DECIMAL, as DuckDB types a decimal literal
                     {string.Join(", ", options.ExplainSettings.MetricColumns.SelectMany(m => new[] { "pred_" + m, "true_" + m }))},
                     (pred_energy_lift < 1.25) AS off_object, (pred_energy_lift < 1.25 AND p <> t) AS flagged, (pred_energy_lift < 1.25 AND p = t) AS right_for_wrong_reason,
                     2 AS cam_height, 2 AS cam_width, [(i % 3)::FLOAT, 1.0, 2.0, 0.5]::FLOAT[] AS pred_cam, [0.5, 2.0, 1.0, (i % 3)::FLOAT]::FLOAT[] AS true_cam,
                     (p <> t AND confidence >= 0.9 AND pred_energy_lift >= 2) AS possible_label_error, repeat('a', 64) AS image_sha256,
                     'g' || (i % 2) AS "group"
              FROM ({inner}) ORDER BY i
            ) TO '{Path.Combine(dir, "results", "part-00000.parquet")}' (FORMAT parquet)
            """;
        Duck.Query(sql);
        return dir;
    }

    /// <summary>A rendered page or summary with what differs between machines replaced: image bytes, the temporary folder, the repository path.</summary>
    public static string Normalise(string text, string dir) =>
        System.Text.RegularExpressions.Regex.Replace(text, "data:image/(jpeg|png);base64,[A-Za-z0-9+/=]+", "data:image/$1;base64,IMAGE")
            .Replace(dir, "<run>", StringComparison.Ordinal).Replace(TestPaths.RepoRoot, "<repo>", StringComparison.Ordinal);
}
