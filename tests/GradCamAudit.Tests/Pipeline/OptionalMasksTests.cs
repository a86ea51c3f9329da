using System.Globalization;
using System.Text.Json;
using GradCamAudit.Cli;
using GradCamAudit.Findings;
using GradCamAudit.Gates;
using GradCamAudit.Tests.Data;
using Xunit;

namespace GradCamAudit.Tests.Pipeline;

/// <summary>
/// Masks optional per sample, and boxes as object regions (issue 22): a manifest without masks audits end to end; a
/// mixed manifest records each row's mask_source and counts its rates over the samples with a mask; CSV boxes and VOC
/// boxes give exactly the metrics of mask PNGs of the same boxes.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class OptionalMasksTests
{
    private static readonly string[] Metrics =
    [
        "mask_fraction", "pred_energy_in_mask", "pred_energy_lift", "pred_pointing_hit", "pred_iou_top", "true_energy_in_mask", "true_energy_lift",
        "true_pointing_hit", "true_iou_top", "off_object", "flagged", "right_for_wrong_reason", "confidence", "true_prob", "pred_label",
    ];

    private static async Task<string> AuditAsync(string config, params string[] extra)
    {
        int code = await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--overwrite", .. extra]);
        Assert.Equal(Commands.Ok, code);
        return Path.Combine(Path.GetDirectoryName(config)!, "out");
    }

    private static Dictionary<string, Dictionary<string, object?>> Results(string run) =>
        Duck.Query($"SELECT * FROM {Duck.Results(run)}").ToDictionary(r => (string)r["sample_id"]!, r => r, StringComparer.Ordinal);

    private static string ErrorsOf(string run) => File.Exists(Path.Combine(run, "errors.csv")) ? string.Join("\n", File.ReadLines(Path.Combine(run, "errors.csv")).Skip(1)) : "";

    private static double? Number(object? v) => v switch
    {
        null => null,
        bool b => b ? 1 : 0,
        _ => Convert.ToDouble(v, CultureInfo.InvariantCulture),
    };

    /// <summary>Rewrites the manifest's <c>mask</c> column: <paramref name="mask"/> gives each line's new value (line 0 is the header), null removes the column.</summary>
    private static void RewriteMasks(string manifest, Func<int, string, string?> mask)
    {
        string[] lines = File.ReadAllLines(manifest);
        var output = new List<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            string[] f = lines[i].Split(',');
            string? m = mask(i, f[3]);
            output.Add(string.Join(',', m == null ? f.Where((_, k) => k != 3) : f.Select((v, k) => k == 3 ? m : v)));
        }
        File.WriteAllLines(manifest, output);
    }

    [Fact]
    public async Task Audit_ManifestWithoutMaskColumn_AuditsEveryRowWithNullMaskMetricsAndNoMaskFindings()
    {
        string dir = TestPaths.NewTempDir("nomask");
        string manifest = TestDatasets.DemoSubset(dir, 24);
        RewriteMasks(manifest, (_, _) => null);
        Assert.DoesNotContain("mask", File.ReadLines(manifest).First(), StringComparison.Ordinal);
        string run = await AuditAsync(TestDatasets.Config(dir, manifest));

        Assert.Equal("", ErrorsOf(run));
        var rows = Results(run);
        Assert.Equal(24, rows.Count);
        Assert.All(rows.Values, r =>
        {
            Assert.Equal("none", r["mask_source"]);
            Assert.Equal(0.0, Number(r["mask_fraction"]));
            Assert.Null(r["pred_energy_lift"]);
            Assert.Null(r["true_energy_in_mask"]);
            Assert.Null(r["off_object"]);
            Assert.Null(r["flagged"]);
            Assert.NotNull(r["confidence"]);
            Assert.NotEmpty(Duck.Floats(r["pred_cam"]));
        });
        IReadOnlyList<Finding> findings = FindingsRun.Read(run);
        Assert.Equal(24, findings.Count);
        Assert.All(findings, f =>
        {
            Assert.Null(f.Kind);
            Assert.Equal(FindingKinds.NoMask, f.Reason);
        });
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        JsonElement headline = summary.RootElement.GetProperty("headline");
        Assert.Equal(0, headline.GetProperty("samplesWithMask").GetInt64());
        Assert.Equal(24, headline.GetProperty("maskSources").GetProperty("none").GetInt64());
        Assert.Contains("regions: 24 none", File.ReadAllText(Path.Combine(run, "report.html")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_MixedManifest_RecordsEachRowsMaskSource_AndCountsRatesOverSamplesWithAMask()
    {
        string dir = TestPaths.NewTempDir("mixed");
        BoxFixtureSet set = BoxFixtures.Write(dir, 30);
        // Rows 1-10 keep their mask file, 11-20 give their bounding box, 21-30 give neither.
        string[] masks = File.ReadAllLines(set.MaskManifest), boxes = File.ReadAllLines(set.BoxManifest);
        var mixed = new List<string> { "id,image,label,mask,box,group,marker" };
        for (int i = 1; i < masks.Length; i++)
        {
            string[] m = masks[i].Split(',');
            string box = boxes[i].Split('"')[1];
            mixed.Add(i <= 10 ? $"{m[0]},{m[1]},{m[2]},{m[3]},,{m[4]},{m[5]}" : i <= 20 ? $"{m[0]},{m[1]},{m[2]},,\"{box}\",{m[4]},{m[5]}" : $"{m[0]},{m[1]},{m[2]},,,{m[4]},{m[5]}");
        }
        string manifest = Path.Combine(Path.GetDirectoryName(set.MaskManifest)!, "mixed.csv");
        File.WriteAllLines(manifest, mixed);
        string run = await AuditAsync(TestDatasets.Config(dir, manifest));

        Assert.Equal("", ErrorsOf(run));
        var rows = Results(run);
        Assert.Equal(30, rows.Count);
        string[] ids = masks.Skip(1).Select(l => l.Split(',')[0]).ToArray();
        for (int i = 0; i < 30; i++)
        {
            Dictionary<string, object?> r = rows[ids[i]];
            Assert.Equal(i < 10 ? "file" : i < 20 ? "box" : "none", r["mask_source"]);
            Assert.Equal(i < 20, r["off_object"] != null);
            Assert.Equal(i < 10 ? masks[i + 1].Split(',')[3] : i < 20 ? "box:" + boxes[i + 1].Split('"')[1] : "", r["mask"]);
        }
        RunRates rates = RunRates.Read(run);
        Assert.Equal(30, rates.Overall.Samples);
        Assert.Equal(20, rates.Overall.Judged);
        Assert.Equal(new Dictionary<string, long> { ["box"] = 10, ["file"] = 10, ["none"] = 10 }, rates.Overall.MaskSources.OrderBy(kv => kv.Key).ToDictionary());
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal(20, summary.RootElement.GetProperty("headline").GetProperty("samplesWithMask").GetInt64());
        Assert.Contains("regions: 10 file masks, 10 boxes, 10 none", File.ReadAllText(Path.Combine(run, "report.html")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FlaggedRateRise_SamplesWithoutMaskAddedTonight_NeitherDiluteNorRaiseTheRate()
    {
        // Baseline: 40 demo samples with masks. Tonight: the same 40 plus 40 copies without a mask. Over all samples the
        // flagged rate would halve; over the samples with a mask it is the same, so the rise is exactly 0.
        string dir = TestPaths.NewTempDir("rise-mask");
        string manifest = TestDatasets.DemoSubset(dir, 340);
        string[] lines = File.ReadAllLines(manifest);
        string[] last = lines[^40..]; // the demo's traps: some are flagged
        string baseManifest = Path.Combine(Path.GetDirectoryName(manifest)!, "base.csv");
        File.WriteAllLines(baseManifest, [lines[0], .. last]);
        File.WriteAllLines(manifest, [lines[0], .. last, .. last.Select(l => l.Split(',')).Select(f => string.Join(',', f.Select((v, k) => k == 0 ? v + "-nomask" : k == 3 ? "" : v)))]);
        string night1 = Path.Combine(dir, "night1"), night2 = Path.Combine(dir, "night2");
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", TestDatasets.Config(dir, baseManifest, output: "night1")]));
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(
            ["audit", "--config", TestDatasets.Config(dir, manifest, output: "night2"), "--baseline", night1, "--set", "gates.maxFlaggedRateRise=1"]));
        RunRates base1 = RunRates.Read(night1), now = RunRates.Read(night2);
        Assert.True(now.Overall.Flagged > 0, "the demo's last 40 samples hold no flagged trap: the test proves nothing");
        Assert.Equal(base1.Overall.Flagged, now.Overall.Flagged);
        Assert.Equal(80, now.Overall.Samples);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(night2, "summary.json")));
        JsonElement rise = summary.RootElement.GetProperty("gates").EnumerateArray().Single(g => g.GetProperty("name").GetString() == "maxFlaggedRateRise");
        Assert.Equal(0.0, rise.GetProperty("value").GetDouble(), 12);
        using var comparison = JsonDocument.Parse(File.ReadAllText(Path.Combine(night2, "comparison.json")));
        JsonElement current = comparison.RootElement.GetProperty("overall").GetProperty("current");
        Assert.Equal(40, current.GetProperty("samplesWithMask").GetInt64());
        Assert.Equal(40, current.GetProperty("maskSources").GetProperty("none").GetInt64());
        Assert.Equal(base1.Overall.MaskRate(base1.Overall.Flagged)!.Value, current.GetProperty("flaggedRate").GetDouble(), 12);
    }

    [Fact]
    public async Task CsvBoxesAndVocBoxes_GiveExactlyTheMetricsOfMaskPngsOfTheBoxes()
    {
        string dir = TestPaths.NewTempDir("boxes");
        BoxFixtureSet set = BoxFixtures.Write(dir, 40);
        var png = Results(await AuditAsync(TestDatasets.Config(Dir(dir, "png"), set.BoxPngManifest)));
        string csvRun = await AuditAsync(TestDatasets.Config(Dir(dir, "csv"), set.BoxManifest));
        Assert.Equal("", ErrorsOf(csvRun));
        var csv = Results(csvRun);
        // Difficult objects ignored: the region is exactly the class's box.
        string vocRun = await AuditAsync(BoxFixtures.VocConfig(Dir(dir, "voc"), set.VocRoot, "out", "\"vocDifficult\": \"ignore\""));
        Assert.Equal("", ErrorsOf(vocRun));
        var voc = Results(vocRun);
        // Difficult objects void (the default): the corner box of every fourth sample leaves the metrics of those samples.
        string voidRun = await AuditAsync(BoxFixtures.VocConfig(Dir(dir, "voc-void"), set.VocRoot, "out"));
        var voided = Results(voidRun);

        Assert.Equal(40, png.Count);
        int voidChanged = 0;
        foreach ((string id, Dictionary<string, object?> expected) in png)
        {
            foreach ((string name, Dictionary<string, object?> actual) in new[] { ("csv", csv[id]), ("voc", voc[id]) })
            {
                foreach (string column in Metrics)
                {
                    Assert.True(Equals(Number(expected[column]), Number(actual[column])), $"{name} {id} {column}: {actual[column]} vs mask PNG {expected[column]}");
                }
                Assert.Equal("box", actual["mask_source"]);
            }
            Assert.Equal("file", expected["mask_source"]);
            Assert.StartsWith("voc-boxes:Annotations/", (string)voc[id]["mask"]!, StringComparison.Ordinal);
            voidChanged += Equals(Number(voided[id]["mask_fraction"]), Number(expected["mask_fraction"])) ? 0 : 1;
        }
        Assert.Equal(10, voidChanged);
    }

    [Fact]
    public void Locate_BoxRegions_RebuildTheDecodedMask()
    {
        // What the report does for a gallery card: the results' mask value back to a region, drawn at the image's size.
        string dir = TestPaths.NewTempDir("locate-boxes");
        BoxFixtureSet set = BoxFixtures.Write(dir, 8);
        foreach (string config in new[] { TestDatasets.Config(Dir(dir, "csv"), set.BoxManifest), BoxFixtures.VocConfig(Dir(dir, "voc"), set.VocRoot, "out") })
        {
            var options = GradCamAudit.Pipeline.AuditConfig.Load(config);
            var source = GradCamAudit.Data.Sources.SampleSources.Open(options.Dataset);
            var decoder = new GradCamAudit.Data.ImageDecoder(64, 64);
            int n = 0;
            foreach (GradCamAudit.Data.ManifestEntry e in source.Read())
            {
                GradCamAudit.Data.Masks.MaskLocator located = source.Locate(e.MaskDescription, e.Label) ?? throw new InvalidOperationException($"'{e.MaskDescription}' not located");
                Assert.Equal(decoder.Decode(e).Mask, decoder.DecodeMask(located, e.ImagePath));
                n++;
            }
            Assert.Equal(8, n);
        }
    }

    private static string Dir(string parent, string name) => Directory.CreateDirectory(Path.Combine(parent, name)).FullName;
}
