using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using GradCamAudit.Results;

namespace GradCamAudit.Findings;

/// <summary>
/// The review export for relabelling tools, in <c>review/</c>: <c>label_errors.csv</c> (sample_id, image, given,
/// suggested, score: best first) and a Label Studio import (<c>label-studio-tasks.json</c>: one task per label error,
/// the suggested label as a pre-annotation with its score; <c>label-studio-config.xml</c>: the labelling interface
/// with the run's classes). Images are referenced through Label Studio's local-files route relative to the dataset
/// folder (see the findings page for the import steps).
/// </summary>
public static class ReviewExport
{
    public const string FolderName = "review";
    public const string CsvName = "label_errors.csv";
    public const string TasksName = "label-studio-tasks.json";
    public const string ConfigName = "label-studio-config.xml";
    public const string LocalFilesPrefix = "/data/local-files/?d=";

    public static readonly string[] CsvColumns = ["sample_id", "image", "given", "suggested", "score"];

    public static void Write(string runDirectory, IReadOnlyList<string> classes, IReadOnlyList<(ReportRow Row, Finding Finding)> labelErrors)
    {
        string dir = Path.Combine(runDirectory, FolderName);
        Directory.CreateDirectory(dir);
        var ranked = labelErrors
            .OrderByDescending(e => e.Finding.Score ?? double.NegativeInfinity).ThenBy(e => e.Row.SampleId, StringComparer.Ordinal).ToList();
        RunFolder.WriteAtomic(Path.Combine(dir, CsvName), s =>
        {
            using var text = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true);
            using var csv = CsvWriter.Create(text, new CsvWriterOptions(), leaveOpen: true);
            csv.WriteRecord(CsvColumns);
            foreach ((ReportRow r, Finding f) in ranked)
            {
                csv.WriteRecord([Safe(r.SampleId), Safe(r.Image), Safe(r.TrueName), Safe(r.PredName), f.Score?.ToString("R", CultureInfo.InvariantCulture) ?? ""]);
            }
        });
        var tasks = new JsonArray();
        foreach ((ReportRow r, Finding f) in ranked)
        {
            tasks.Add(new JsonObject
            {
                ["data"] = new JsonObject
                {
                    ["image"] = LocalFilesPrefix + Uri.EscapeDataString(r.Image).Replace("%2F", "/", StringComparison.Ordinal),
                    ["sample_id"] = r.SampleId,
                    ["given"] = r.TrueName,
                },
                ["predictions"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["model_version"] = "gradcam-audit",
                        ["score"] = f.Score,
                        ["result"] = new JsonArray
                        {
                            new JsonObject
                            {
                                ["from_name"] = "label",
                                ["to_name"] = "image",
                                ["type"] = "choices",
                                ["value"] = new JsonObject { ["choices"] = new JsonArray(r.PredName) },
                            },
                        },
                    },
                },
            });
        }
        RunFolder.WriteAtomic(Path.Combine(dir, TasksName), s => JsonSerializer.Serialize(s, tasks, new JsonSerializerOptions { WriteIndented = true }));
        RunFolder.WriteAtomic(Path.Combine(dir, ConfigName), s =>
        {
            using var text = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true);
            text.Write(LabelConfig(classes));
        });
    }

    /// <summary>The labelling interface: the image and one choice per class (names XML-escaped).</summary>
    public static string LabelConfig(IReadOnlyList<string> classes)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("<View>\n  <Image name=\"image\" value=\"$image\"/>\n  <Choices name=\"label\" toName=\"image\" choice=\"single\">\n");
        foreach (string c in classes)
        {
            sb.Append("    <Choice value=\"").Append(System.Security.SecurityElement.Escape(c)).Append("\"/>\n");
        }
        sb.Append("  </Choices>\n</View>\n");
        return sb.ToString();
    }

    /// <summary>Cells a spreadsheet would run as a formula get a leading apostrophe (OWASP CSV injection), as errors.csv.</summary>
    private static string Safe(string cell) => cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + cell : cell;
}
