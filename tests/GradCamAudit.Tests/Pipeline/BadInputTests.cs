using GradCamAudit.Cli;
using GradCamAudit.Data;
using GradCamAudit.Demo;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Reporting;
using GradCamAudit.Scoring;
using Xunit;

namespace GradCamAudit.Tests.Pipeline;

[Collection(TorchCollection.Name)]
public sealed class BadInputTests
{
    private const string Hostile = "<script>alert(1)</script>";

    /// <summary>Builds a small dataset from demo samples plus one broken row of each kind.</summary>
    private static (string Config, string Output) BuildBadDataset()
    {
        string dir = TestPaths.NewTempDir("bad");
        string data = Path.Combine(dir, "data");
        Directory.CreateDirectory(data);
        var rng = new SplitMix64(99);
        var lines = new List<string> { "image,label,mask,id,note" };
        for (int i = 0; i < 5; i++)
        {
            DemoSample s = DemoDataset.Draw(rng, i % 4, marker: false);
            DemoDataset.WritePng(Path.Combine(data, $"good{i}.png"), s.Rgb, 3);
            DemoDataset.WritePng(Path.Combine(data, $"good{i}_mask.png"), s.Mask.Select(v => (byte)(v * 255)).ToArray(), 1);
            lines.Add($"good{i}.png,{i % 4},good{i}_mask.png,good-{i},\"a, quoted note {i}\"");
        }
        DemoDataset.WritePng(Path.Combine(data, "empty_mask.png"), new byte[DemoDataset.Size * DemoDataset.Size], 1);
        lines.Add("good0.png,circle,empty_mask.png,empty-mask,");
        File.WriteAllBytes(Path.Combine(data, "corrupt.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5, 6, 7]);
        using (var small = new SkiaSharp.SKBitmap(32, 32))
        {
            using var png = small.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(data, "small_mask.png"), png.ToArray());
        }
        lines.Add("missing.png,circle,good0_mask.png,missing-image,");
        lines.Add("corrupt.png,circle,good0_mask.png,corrupt-image,");
        lines.Add("good1.png,1,small_mask.png,wrong-size-mask,");
        lines.Add("good2.png,hexagon,good2_mask.png,unknown-label,");
        lines.Add("good3.png,cross,good3_mask.png,good-3,");
        lines.Add("../outside.png,cross,good3_mask.png,escapes,");
        lines.Add("good4.png,9,good4_mask.png,index-out-of-range,");
        File.WriteAllLines(Path.Combine(data, "manifest.csv"), lines);
        string weights = Path.Combine(TestPaths.Configs, "demo", "demo-cnn.bin").Replace("\\", "/", StringComparison.Ordinal);
        string config = Path.Combine(dir, "bad.json");
        File.WriteAllText(config, $$"""
        {
          "dataset": { "manifest": "data/manifest.csv", "classes": ["circle", "{{Hostile.Replace("/", "\\/", StringComparison.Ordinal)}}", "triangle", "cross"] },
          "model": { "architecture": "demo-cnn", "weights": "{{weights}}", "numClasses": 4, "inputSize": [64, 64], "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5] },
          "audit": { "batchSize": 2, "device": "cpu" },
          "output": { "directory": "out" }
        }
        """);
        return (config, Path.Combine(dir, "out"));
    }

    [Fact]
    public async Task BadRows_LandInErrorsWithReasons_GoodRowsAllInResults_NothingLost()
    {
        (string config, string output) = BuildBadDataset();
        AuditOptions options = AuditConfig.Load(config);
        var run = await AuditRunner.RunAsync(options, new RunRequest(null, false), _ => { });

        var errors = File.ReadLines(Path.Combine(output, "errors.csv")).Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[1], f => f[3]);
        Assert.Equal(ReasonCodes.ImageMissing, errors["missing-image"]);
        Assert.Equal(ReasonCodes.ImageCorrupt, errors["corrupt-image"]);
        Assert.Equal(ReasonCodes.MaskSizeMismatch, errors["wrong-size-mask"]);
        Assert.Equal(ReasonCodes.UnknownLabel, errors["unknown-label"]);
        Assert.Equal(ReasonCodes.DuplicateId, errors["good-3"]);
        Assert.Equal(ReasonCodes.InvalidPath, errors["escapes"]);
        Assert.Equal(ReasonCodes.UnknownLabel, errors["index-out-of-range"]);
        Assert.Equal(7, errors.Count);

        var results = Duck.Query($"SELECT sample_id, row, mask_fraction, pred_energy_lift, off_object, flagged, note FROM {Duck.Results(output)} ORDER BY row");
        Assert.Equal(["good-0", "good-1", "good-2", "good-3", "good-4", "empty-mask"], results.Select(r => (string)r["sample_id"]!));
        Assert.Equal(13, results.Count + errors.Count);
        Assert.Equal(13, run.Counts.ManifestRows);
        Assert.Equal("a, quoted note 0", results[0]["note"]);

        // An all-empty mask is audited, not an error: metrics and flags are null, mask_fraction is 0.
        var empty = results.Single(r => (string)r["sample_id"]! == "empty-mask");
        Assert.Equal(0.0, Convert.ToDouble(empty["mask_fraction"]));
        Assert.Null(empty["pred_energy_lift"]);
        Assert.Null(empty["off_object"]);
        Assert.Null(empty["flagged"]);

        // Dataset-provided text is escaped in the report.
        string html = File.ReadAllText(ReportBuilder.Render(output, null));
        Assert.DoesNotContain(Hostile, html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains(ReasonCodes.MaskSizeMismatch, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ListsEveryPlantedProblem_FromHeadersOnly_Exit2_AndACleanDatasetExits0()
    {
        (string config, string output) = BuildBadDataset();
        (int code, string listed) = await CliCapture.RunCapturingAsync(false, "validate", "--config", config);
        Assert.Equal(Commands.UsageError, code);
        var found = listed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[1], f => f[3]);
        Assert.Equal(ReasonCodes.ImageMissing, found["missing-image"]);
        Assert.Equal(ReasonCodes.ImageCorrupt, found["corrupt-image"]);
        Assert.Equal(ReasonCodes.MaskSizeMismatch, found["wrong-size-mask"]);
        Assert.Equal(ReasonCodes.UnknownLabel, found["unknown-label"]);
        Assert.Equal(ReasonCodes.DuplicateId, found["good-3"]);
        Assert.Equal(ReasonCodes.InvalidPath, found["escapes"]);
        Assert.Equal(ReasonCodes.UnknownLabel, found["index-out-of-range"]);
        Assert.Equal(7, found.Count);
        Assert.StartsWith("row,sample_id,image,reason_code,detail", listed, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output), "validate writes nothing");

        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["validate", "--config", Path.Combine(TestPaths.Configs, "demo.json")]));
    }

    [Fact]
    public async Task Limit_AuditsTheFirstNRowsOnly()
    {
        (string config, string output) = BuildBadDataset();
        var run = await AuditRunner.RunAsync(AuditConfig.Load(config), new RunRequest(4, false), _ => { });
        Assert.Equal(4, run.Counts.ManifestRows);
        Assert.Equal(4, run.Counts.Audited);
        Assert.Equal(4L, Convert.ToInt64(Duck.Query($"SELECT max(row) AS m FROM {Duck.Results(output)}")[0]["m"]));
    }

    [Fact]
    public async Task NonEmptyOutput_IsRefused_UnlessOverwrite()
    {
        (string config, string output) = BuildBadDataset();
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "keep.txt"), "user file");
        await Assert.ThrowsAsync<UsageException>(() => AuditRunner.RunAsync(AuditConfig.Load(config), new RunRequest(2, false), _ => { }));
        var run = await AuditRunner.RunAsync(AuditConfig.Load(config), new RunRequest(2, true), _ => { });
        Assert.Equal(2, run.Counts.Audited);
        Assert.True(File.Exists(Path.Combine(output, "keep.txt")), "overwrite removes only the run's own artefacts");
    }
}
