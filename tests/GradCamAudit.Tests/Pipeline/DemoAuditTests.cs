using GradCamAudit.Data;
using GradCamAudit.Demo;
using GradCamAudit.Reporting;
using GradCamAudit.Results;
using Xunit;

namespace GradCamAudit.Tests.Pipeline;

[Collection(TorchCollection.Name)]
public sealed class DemoAuditTests(DemoRunFixture demo) : IClassFixture<DemoRunFixture>
{
    private static readonly Dictionary<string, string> ExpectedTypes = new(StringComparer.Ordinal)
    {
        ["sample_id"] = "VARCHAR",
        ["row"] = "BIGINT",
        ["image"] = "VARCHAR",
        ["true_label"] = "INTEGER",
        ["true_name"] = "VARCHAR",
        ["pred_label"] = "INTEGER",
        ["pred_name"] = "VARCHAR",
        ["confidence"] = "FLOAT",
        ["true_prob"] = "FLOAT",
        ["correct"] = "BOOLEAN",
        ["mask_fraction"] = "DOUBLE",
        ["pred_energy_in_mask"] = "DOUBLE",
        ["pred_energy_lift"] = "DOUBLE",
        ["pred_pointing_hit"] = "BOOLEAN",
        ["pred_iou_top"] = "DOUBLE",
        ["true_energy_in_mask"] = "DOUBLE",
        ["true_energy_lift"] = "DOUBLE",
        ["true_pointing_hit"] = "BOOLEAN",
        ["true_iou_top"] = "DOUBLE",
        ["off_object"] = "BOOLEAN",
        ["flagged"] = "BOOLEAN",
        ["right_for_wrong_reason"] = "BOOLEAN",
        ["cam_height"] = "INTEGER",
        ["cam_width"] = "INTEGER",
        ["pred_cam"] = "FLOAT[]",
        ["true_cam"] = "FLOAT[]",
        ["possible_label_error"] = "BOOLEAN",
        ["image_sha256"] = "VARCHAR",
        ["mask"] = "VARCHAR",
        ["mask_source"] = "VARCHAR",
        ["intervention"] = "VARCHAR",
        ["object_only_pred"] = "INTEGER",
        ["object_only_prob"] = "FLOAT",
        ["background_only_pred"] = "INTEGER",
        ["background_only_prob"] = "FLOAT",
        ["group"] = "VARCHAR",
        ["marker"] = "VARCHAR",
    };

    [Fact]
    public void Results_PlusErrors_EqualManifestRows_AndRowsAreUnique()
    {
        long manifestRows = File.ReadLines(demo.Options.Dataset.Manifest).Skip(1).LongCount(l => l.Length > 0);
        var counts = Duck.Query($"SELECT count(*) AS n, count(DISTINCT row) AS rows, count(DISTINCT sample_id) AS ids FROM {Duck.Results(demo.OutputDirectory)}")[0];
        long errors = File.ReadLines(Path.Combine(demo.OutputDirectory, "errors.csv")).Skip(1).LongCount();
        Assert.Equal(manifestRows, Convert.ToInt64(counts["n"]) + errors);
        Assert.Equal(counts["n"], counts["rows"]);
        Assert.Equal(counts["n"], counts["ids"]);
        Assert.Equal(manifestRows, demo.Run.Counts.ManifestRows);
        Assert.Equal(340, manifestRows);
    }

    [Fact]
    public void Results_HaveContractColumnsAndTypes_InOrder_WithProvenanceMetadata()
    {
        var columns = Duck.Query($"DESCRIBE SELECT * FROM {Duck.Results(demo.OutputDirectory)}");
        Assert.Equal(ExpectedTypes.Keys, columns.Select(c => (string)c["column_name"]!));
        foreach (var c in columns)
        {
            Assert.Equal(ExpectedTypes[(string)c["column_name"]!], (string)c["column_type"]!);
        }
        string part = Path.Combine(demo.OutputDirectory, "results", "part-00000.parquet");
        var kv = Duck.Query($"SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('{part}')")
            .ToDictionary(r => (string)r["k"]!, r => (string)r["v"]!);
        Assert.Equal(demo.Run.RunId, kv["gradcam_audit.run_id"]);
        Assert.Equal(demo.Run.ConfigSha256, kv["gradcam_audit.config_sha256"]);
        Assert.Equal(64, demo.Run.ConfigSha256.Length);
    }

    [Fact]
    public void Results_MapsHaveCamSize_AndNoNaN()
    {
        var rows = Duck.Query($"SELECT cam_height, cam_width, pred_cam, true_cam, pred_energy_lift, confidence FROM {Duck.Results(demo.OutputDirectory)}");
        Assert.All(rows, r =>
        {
            int n = Convert.ToInt32(r["cam_height"]) * Convert.ToInt32(r["cam_width"]);
            Assert.True(n >= 64, "the demo's target map is at least 8x8");
            Assert.Equal(n, Duck.Floats(r["pred_cam"]).Length);
            Assert.Equal(n, Duck.Floats(r["true_cam"]).Length);
            Assert.All(Duck.Floats(r["pred_cam"]), v => Assert.True(float.IsFinite(v) && v >= 0));
            Assert.True(r["pred_energy_lift"] is null || double.IsFinite(Convert.ToDouble(r["pred_energy_lift"])));
        });
        Assert.Equal(0, Convert.ToInt32(Duck.Query($"SELECT count(*) AS n FROM {Duck.Results(demo.OutputDirectory)} WHERE isnan(pred_energy_lift) OR isnan(true_energy_in_mask)")[0]["n"]));
    }

    [Fact]
    public void KnownAnswer_TrapSamplesExposeTheShortcut_CleanSamplesLookAtTheObject()
    {
        var rows = Duck.Query($"SELECT image, marker, \"group\", pred_name, correct, off_object, flagged, pred_cam, cam_height, cam_width FROM {Duck.Results(demo.OutputDirectory)}");
        var traps = rows.Where(r => (string)r["group"]! == "trap").ToList();
        Assert.Equal(90, traps.Count);
        var shortcut = traps.Where(r => (string)r["pred_name"]! == DemoDataset.ShortcutClass).ToList();
        Assert.True(shortcut.Count >= 0.7 * traps.Count, $"{shortcut.Count} of {traps.Count} traps predicted as the shortcut class");

        var decoder = new ImageDecoder(DemoDataset.Size, DemoDataset.Size);
        string root = Path.GetDirectoryName(demo.Options.Dataset.Manifest)!;
        int exposed = shortcut.Count(r =>
        {
            float[] cam = Overlay.Upsample(Duck.Floats(r["pred_cam"]), Convert.ToInt32(r["cam_height"]), Convert.ToInt32(r["cam_width"]), DemoDataset.Size, DemoDataset.Size);
            byte[] mask = decoder.DecodeMask(Path.Combine(root, ((string)r["image"]!).Replace("images/", "masks/", StringComparison.Ordinal)));
            double inBox = 0, inMask = 0;
            for (int y = 0; y < DemoDataset.Size; y++)
            {
                for (int x = 0; x < DemoDataset.Size; x++)
                {
                    float v = cam[(y * DemoDataset.Size) + x];
                    bool box = x >= DemoDataset.MarkerX && x < DemoDataset.MarkerX + DemoDataset.MarkerSize && y >= DemoDataset.MarkerY && y < DemoDataset.MarkerY + DemoDataset.MarkerSize;
                    inBox += box ? v : 0;
                    inMask += mask[(y * DemoDataset.Size) + x] != 0 ? v : 0;
                }
            }
            return (bool?)r["flagged"] == true && inBox > inMask;
        });
        Assert.True(exposed >= 0.8 * shortcut.Count, $"{exposed} of {shortcut.Count} shortcut predictions are flagged with more CAM mass on the marker than on the shape");

        // The diffuse shortcut: other classes on the dotted background are predicted as the texture class with the
        // attention spread over the background (off-object at the default threshold).
        var textureTraps = rows.Where(r => (string)r["group"]! == "texture-trap").ToList();
        Assert.Equal(90, textureTraps.Count);
        Assert.All(textureTraps, r => Assert.Equal("texture", (string)r["marker"]!));
        var onTexture = textureTraps.Where(r => (string)r["pred_name"]! == DemoDataset.TextureClass).ToList();
        Assert.True(onTexture.Count >= 0.7 * textureTraps.Count, $"{onTexture.Count} of {textureTraps.Count} texture traps predicted as the texture class");
        int textureFlagged = onTexture.Count(r => (bool?)r["flagged"] == true);
        Assert.True(textureFlagged >= 0.8 * onTexture.Count, $"{textureFlagged} of {onTexture.Count} texture-class predictions on texture traps are flagged");

        var cleanCorrect = rows.Where(r => (string)r["group"]! == "clean" && (bool)r["correct"]!).ToList();
        Assert.True(cleanCorrect.Count >= 100, $"only {cleanCorrect.Count} clean samples correct");
        int off = cleanCorrect.Count(r => (bool?)r["off_object"] == true);
        Assert.True(off <= 0.1 * cleanCorrect.Count, $"{off} of {cleanCorrect.Count} correct clean samples are off-object");
    }

    [Fact]
    public void Report_IsWholeAndSelfContained_WithEveryAnnouncedCard()
    {
        byte[] bytes = File.ReadAllBytes(demo.ReportPath);
        string html = System.Text.Encoding.UTF8.GetString(bytes);
        Assert.EndsWith("</html>", html.TrimEnd(), StringComparison.Ordinal);
        Assert.True(bytes.Length < 800_000, $"the demo report (galleries, hard cases, strategies with exemplars) should be a few hundred KB, is {bytes.Length:N0} bytes");
        foreach (string section in new[] { "headline", "lift", "classes", "mean-maps", "confusion", "gallery-filters", "flagged", "rfwr", "label-errors", "errors", "strategies" })
        {
            Assert.Contains($"<section id=\"{section}\">", html, StringComparison.Ordinal);
        }
        Assert.Contains("applyFilters();\n})();\n</script>", html, StringComparison.Ordinal); // the page's script, whole
        Assert.DoesNotContain("did not finish", html, StringComparison.Ordinal);
        Assert.DoesNotContain("This run failed", html, StringComparison.Ordinal);

        // Every card the headings announce is on the page, each with its three thumbnails.
        var rows = Duck.Query($"SELECT count(*) FILTER (WHERE flagged) AS f, count(*) FILTER (WHERE right_for_wrong_reason) AS r FROM {Duck.Results(demo.OutputDirectory)}")[0];
        int flagged = Convert.ToInt32(rows["f"]), rfwr = Convert.ToInt32(rows["r"]);
        int cap = demo.Options.Report.GalleryMax;
        int flaggedCards = Math.Min(flagged, cap), rfwrCards = Math.Min(rfwr, cap / 2);
        string flaggedPart = Between(html, "<section id=\"flagged\">", "</section>");
        string rfwrPart = Between(html, "<section id=\"rfwr\">", "</section>");
        Assert.Equal(flaggedCards, Count(flaggedPart, "<div class=\"card\""));
        Assert.Equal(rfwrCards, Count(rfwrPart, "<div class=\"card\""));
        Assert.Contains($"({flagged}, worst first, first {flaggedCards} shown)", flaggedPart, StringComparison.Ordinal);
        int labelCards = Count(Between(html, "<section id=\"label-errors\">", "</section>"), "<div class=\"card\"");
        int hardCards = html.Contains("<section id=\"hard-cases\">", StringComparison.Ordinal) ? Count(Between(html, "<section id=\"hard-cases\">", "</section>"), "<div class=\"card\"") : 0;
        Assert.True(hardCards <= Math.Max(1, cap / 2), $"{hardCards} hard-case cards");
        // Three thumbnails a card, and the mean maps: three per class (4 classes, each with samples, predictions and flagged ones on the demo).
        Assert.Equal(12, Count(Between(html, "<section id=\"mean-maps\">", "</section>"), "src=\"data:image/jpeg;base64,"));
        // The strategies: each card's mean map and one thumbnail per exemplar (every strategy of the demo shown).
        using var strategiesJson = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(demo.OutputDirectory, GradCamAudit.Findings.Strategies.StrategiesRun.JsonName)));
        int strategyImages = strategiesJson.RootElement.GetProperty("classes").EnumerateArray().SelectMany(c => c.GetProperty("strategies").EnumerateArray())
            .Sum(st => 1 + st.GetProperty("exemplars").GetArrayLength());
        Assert.Equal(strategyImages, Count(Between(html, "<section id=\"strategies\">", "</section>"), "src=\"data:image/jpeg;base64,"));
        Assert.Equal((3 * (flaggedCards + rfwrCards + labelCards + hardCards)) + 12 + strategyImages, Count(html, "src=\"data:image/jpeg;base64,"));
        // The verdict names both planted shortcut classes.
        string verdict = Between(html, "<p class=\"verdict\">", "</p>");
        Assert.Contains("&#39;triangle&#39;", verdict, StringComparison.Ordinal);
        Assert.Contains("&#39;square&#39;", verdict, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);
    }

    private static string Between(string text, string start, string end)
    {
        int i = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(i >= 0, $"'{start}' not found");
        int j = text.IndexOf(end, i, StringComparison.Ordinal);
        Assert.True(j > i, $"'{end}' not found after '{start}'");
        return text[i..j];
    }

    private static int Count(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            n++;
        }
        return n;
    }

    [Fact]
    public void PossibleLabelErrors_AreConfidentMisclassificationsOnTheObject_AndImagesCarryTheirHash()
    {
        var rows = Duck.Query($"SELECT row, image, correct, confidence, pred_energy_lift, possible_label_error, image_sha256, true_name, pred_name FROM {Duck.Results(demo.OutputDirectory)}");
        var candidates = rows.Where(r => (bool?)r["possible_label_error"] == true).ToList();
        // The texture shortcut leaves clean squares called 'circle' with the map on the shape: the column finds them.
        Assert.Contains(candidates, r => (string)r["true_name"]! == "square" && (string)r["pred_name"]! == "circle");
        Assert.All(candidates, r =>
        {
            Assert.False((bool)r["correct"]!);
            Assert.True(Convert.ToDouble(r["confidence"]) >= 0.9);
            Assert.True(Convert.ToDouble(r["pred_energy_lift"]) >= 2.0);
        });
        Assert.Equal(0, rows.Count(r => r["possible_label_error"] is bool b && !b && !(bool)r["correct"]! && Convert.ToDouble(r["confidence"]) >= 0.9 && Convert.ToDouble(r["pred_energy_lift"]) >= 2.0));

        // The label-error gallery shows the label_error findings (not the fixed-threshold column), best score first, each with its evidence line.
        string html = File.ReadAllText(demo.ReportPath);
        string section = Between(html, "<section id=\"label-errors\">", "</section>");
        var labelErrors = GradCamAudit.Findings.FindingsRun.Read(demo.OutputDirectory).Where(f => f.Kind == "label_error")
            .OrderByDescending(f => f.Score).ThenBy(f => f.SampleId, StringComparer.Ordinal).ToList();
        Assert.Equal(Math.Min(labelErrors.Count, demo.Options.Report.GalleryMax), Count(section, "<div class=\"card\""));
        Assert.Equal(Math.Min(labelErrors.Count, demo.Options.Report.GalleryMax), Count(section, "<span class=\"evidence-line\">given "));
        int at = -1;
        foreach (var f in labelErrors.Take(demo.Options.Report.GalleryMax))
        {
            int next = section.IndexOf($"<b>{f.SampleId}</b>", StringComparison.Ordinal);
            Assert.True(next > at, $"{f.SampleId} out of rank order");
            at = next;
        }

        var first = rows.First();
        string root = Path.GetDirectoryName(demo.Options.Dataset.Manifest)!;
        string expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(root, (string)first["image"]!))));
        Assert.Equal(expected, first["image_sha256"]);
    }

    [Fact]
    public void RunJson_HoldsProvenance()
    {
        Assert.Equal(64, demo.Run.WeightsSha256.Length);
        Assert.Equal(64, demo.Run.ManifestSha256.Length);
        Assert.Equal("features.9", demo.Run.TargetLayer);
        Assert.Equal(demo.Run.Counts.Audited + demo.Run.Counts.Errors, demo.Run.Counts.ManifestRows);
        Assert.True(demo.Run.Timings.TotalSeconds > 0);
        Assert.Equal("cpu", demo.Run.Device);
        Assert.Equal(RunStatus.Complete, demo.Run.Status);
        Assert.Equal(demo.Options.Audit.Threads, demo.Run.Threads);
        Assert.Equal(demo.Options.Audit.BatchSize, demo.Run.BatchSizeUsed);
        Assert.True(demo.Run.Timings.LoadSeconds > 0);
        Assert.Equal(RunStatus.Complete, RunManifest.Load(Path.Combine(demo.OutputDirectory, "run.json")).Status);
    }
}
