using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Tests.Data;
using Xunit;

namespace GradCamAudit.Tests.Pipeline;

/// <summary>
/// The same 24 demo samples audited as a CSV manifest, an ImageFolder tree, a COCO file (polygons, boxes, both RLE
/// forms) and a VOC tree (palette masks, void borders on half): the same results everywhere (scalars within 1e-6),
/// except that VOC's void pixels leave the mask metrics of their samples (and only those).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class DatasetFormatsTests
{
    private static readonly string[] Compared =
    [
        "true_label", "pred_label", "confidence", "true_prob", "mask_fraction",
        "pred_energy_in_mask", "pred_energy_lift", "pred_pointing_hit", "pred_iou_top", "pred_relevance_rank_accuracy", "pred_topk_intersection", "pred_auc", "pred_wsl_iou",
        "true_energy_in_mask", "true_energy_lift", "true_pointing_hit", "true_iou_top", "true_auc", "off_object", "flagged",
    ];

    private static readonly string[] ModelOnly = ["true_label", "pred_label", "confidence", "true_prob"];

    private static Dictionary<string, Dictionary<string, object?>> Audit(string config)
    {
        AuditOptions options = AuditConfig.Load(config);
        AuditRunner.RunAsync(options, new RunRequest(null, Overwrite: true), _ => { }).GetAwaiter().GetResult();
        Assert.False(File.Exists(Path.Combine(options.Output.Directory, "errors.csv")) && File.ReadLines(Path.Combine(options.Output.Directory, "errors.csv")).Skip(1).Any(),
            $"{config}: errors: {(File.Exists(Path.Combine(options.Output.Directory, "errors.csv")) ? File.ReadAllText(Path.Combine(options.Output.Directory, "errors.csv")) : "")}");
        return Duck.Query($"SELECT * FROM {Duck.Results(options.Output.Directory)}")
            .ToDictionary(r => Path.GetFileNameWithoutExtension((string)r["image"]!), r => r, StringComparer.Ordinal);
    }

    private static double? Number(object? v) => v switch
    {
        null => null,
        bool b => b ? 1 : 0,
        _ => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture),
    };

    [Fact]
    public void EveryFormat_GivesTheCsvResults_VoidAside()
    {
        string dir = TestPaths.NewTempDir("formats");
        FormatFixtureSet f = FormatFixtures.Write(Path.Combine(dir, "data"));
        Assert.All(new[] { "polygon", "box", "rle-string", "rle-list" }, kind => Assert.True(f.CocoEncodings.GetValueOrDefault(kind) > 0, $"no COCO annotation encoded as {kind}"));
        string J(string s) => FormatFixtures.J(s);
        var csv = Audit(FormatFixtures.Config(dir, "csv", $"\"manifest\": {J(f.Csv)}", Path.Combine(dir, "out-csv")));
        var folder = Audit(FormatFixtures.Config(dir, "folder", $"\"format\": \"imagefolder\", \"images\": {J(f.Images)}, \"masks\": {J(f.Masks)}", Path.Combine(dir, "out-folder")));
        var coco = Audit(FormatFixtures.Config(dir, "coco", $"\"format\": \"coco\", \"annotations\": {J(f.CocoAnnotations)}, \"images\": {J(f.CocoImages)}", Path.Combine(dir, "out-coco")));
        var voc = Audit(FormatFixtures.Config(dir, "voc", $"\"format\": \"voc\", \"root\": {J(f.VocRoot)}, \"vocClasses\": [{string.Join(", ", FormatFixtures.VocClasses.Select(J))}]", Path.Combine(dir, "out-voc")));

        Assert.Equal(24, csv.Count);
        int voidedWithHigherEnergy = 0;
        foreach ((string id, Dictionary<string, object?> expected) in csv)
        {
            foreach ((string format, Dictionary<string, Dictionary<string, object?>> results) in new[] { ("imagefolder", folder), ("coco", coco), ("voc", voc) })
            {
                Dictionary<string, object?> actual = results[id];
                bool voided = format == "voc" && f.VoidBordered.Contains(id);
                foreach (string column in voided ? ModelOnly : Compared)
                {
                    double? e = Number(expected[column]), a = Number(actual[column]);
                    Assert.True(e.HasValue == a.HasValue && (!e.HasValue || Math.Abs(e.Value - a!.Value) <= 1e-6), $"{format} {id} {column}: {a} vs csv {e}");
                }
                Assert.Equal(Duck.Floats(expected["pred_cam"]), Duck.Floats(actual["pred_cam"]));
                if (voided)
                {
                    // The void ring around the object holds some of the map's mass off the object: removing it can only raise the share inside.
                    Assert.True(Number(actual["pred_energy_in_mask"]) >= Number(expected["pred_energy_in_mask"]) - 1e-9, $"{id}: void lowered energy_in_mask");
                    Assert.True(Number(actual["mask_fraction"]) > Number(expected["mask_fraction"]), $"{id}: void did not shrink the image area");
                    voidedWithHigherEnergy += Number(actual["pred_energy_in_mask"]) > Number(expected["pred_energy_in_mask"]) + 1e-9 ? 1 : 0;
                }
            }
            Assert.Equal($"masks/{id}.png", expected["mask"]);
            Assert.Equal($"{expected["true_name"]}/{id}.png", folder[id]["mask"]);
            Assert.StartsWith("coco:", (string)coco[id]["mask"]!, StringComparison.Ordinal);
            Assert.Equal($"voc:SegmentationClass/{id}.png#{Array.IndexOf(FormatFixtures.VocClasses, (string)expected["true_name"]!)}", voc[id]["mask"]);
        }
        Assert.True(voidedWithHigherEnergy > 0, "no voided sample changed: the void region is not applied");
    }

    [Fact]
    public void MaskColumn_RebuildsTheSameMask_InEveryFormat()
    {
        // What the report does: the results' mask value back to a locator, with no manifest re-read.
        string dir = TestPaths.NewTempDir("locate");
        FormatFixtureSet f = FormatFixtures.Write(Path.Combine(dir, "data"), 8);
        string J(string s) => FormatFixtures.J(s);
        foreach (string dataset in new[]
        {
            $"\"manifest\": {J(f.Csv)}",
            $"\"format\": \"imagefolder\", \"images\": {J(f.Images)}, \"masks\": {J(f.Masks)}",
            $"\"format\": \"coco\", \"annotations\": {J(f.CocoAnnotations)}, \"images\": {J(f.CocoImages)}",
            $"\"format\": \"voc\", \"root\": {J(f.VocRoot)}, \"vocClasses\": [{string.Join(", ", FormatFixtures.VocClasses.Select(J))}]",
        })
        {
            AuditOptions options = AuditConfig.Load(FormatFixtures.Config(dir, "locate", dataset, Path.Combine(dir, "out")));
            GradCamAudit.Data.Sources.ISampleSource source = GradCamAudit.Data.Sources.SampleSources.Open(options.Dataset);
            var decoder = new GradCamAudit.Data.ImageDecoder(64, 64);
            int checkedRows = 0;
            foreach (GradCamAudit.Data.ManifestEntry e in source.Read())
            {
                GradCamAudit.Data.Masks.MaskLocator located = source.Locate(e.MaskDescription, e.Label) ?? throw new InvalidOperationException($"{source.Format}: '{e.MaskDescription}' not located");
                Assert.Equal(decoder.Decode(e).Mask, decoder.DecodeMask(located));
                checkedRows++;
            }
            Assert.Equal(8, checkedRows);
        }
    }
}
