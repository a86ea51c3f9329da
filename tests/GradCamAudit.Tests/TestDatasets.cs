using System.Globalization;
using System.Text;

namespace GradCamAudit.Tests;

/// <summary>Small real datasets for tests: slices of the committed demo (its PNGs and masks copied) with chosen columns and configs.</summary>
public static class TestDatasets
{
    public static string DemoWeights => Path.Combine(TestPaths.Configs, "demo", "demo-cnn.bin");

    public static readonly string[] DemoClasses = ["circle", "square", "triangle", "cross"];

    /// <summary>
    /// Copies the first <paramref name="rows"/> demo samples into <c>dir/data</c> (repeated from the start when more
    /// rows than the demo has are asked for, with distinct ids) and writes a manifest with
    /// <paramref name="extraColumns"/> pass-through columns <c>extra_00</c>.... Returns the manifest path.
    /// </summary>
    public static string DemoSubset(string dir, int rows, int extraColumns = 0)
    {
        string demo = Path.Combine(TestPaths.Configs, "demo");
        string data = Path.Combine(dir, "data");
        Directory.CreateDirectory(Path.Combine(data, "images"));
        Directory.CreateDirectory(Path.Combine(data, "masks"));
        string[] source = File.ReadAllLines(Path.Combine(demo, "manifest.csv")).Skip(1).Where(l => l.Length > 0).ToArray();
        var header = new StringBuilder("id,image,label,mask,group,marker");
        for (int c = 0; c < extraColumns; c++)
        {
            header.Append(CultureInfo.InvariantCulture, $",extra_{c:D2}");
        }
        var lines = new List<string> { header.ToString() };
        for (int r = 0; r < rows; r++)
        {
            string[] f = source[r % source.Length].Split(',');
            foreach (string rel in new[] { f[1], f[3] })
            {
                string target = Path.Combine(data, rel);
                if (!File.Exists(target))
                {
                    File.Copy(Path.Combine(demo, rel), target);
                }
            }
            var line = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"{f[0]}-{r:D6},{f[1]},{f[2]},{f[3]},{f[4]},{f[5]}"));
            for (int c = 0; c < extraColumns; c++)
            {
                line.Append(CultureInfo.InvariantCulture, $",value {c} of row {r}");
            }
            lines.Add(line.ToString());
        }
        string manifest = Path.Combine(data, "manifest.csv");
        File.WriteAllLines(manifest, lines);
        return manifest;
    }

    /// <summary>Writes a demo-CNN config for a manifest; <paramref name="audit"/> and <paramref name="report"/> are extra JSON members of those sections.</summary>
    public static string Config(string dir, string manifest, IReadOnlyList<string>? classes = null, string? weights = null, string audit = "", string report = "", string output = "out")
    {
        classes ??= DemoClasses;
        static string J(string s) => System.Text.Json.JsonSerializer.Serialize(s);
        string path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, $$"""
        {
          "name": "test",
          "dataset": { "manifest": {{J(manifest)}}, "classes": [{{string.Join(", ", classes.Select(J))}}] },
          "model": { "architecture": "demo-cnn", "weights": {{J(weights ?? DemoWeights)}}, "numClasses": {{classes.Count}}, "inputSize": [64, 64], "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5] },
          "audit": { "device": "cpu", "pointingTolerancePx": 4{{(audit.Length > 0 ? ", " + audit : "")}} },
          "output": { "directory": {{J(output)}} },
          "report": { "galleryMax": 40{{(report.Length > 0 ? ", " + report : "")}} }
        }
        """);
        return path;
    }
}
