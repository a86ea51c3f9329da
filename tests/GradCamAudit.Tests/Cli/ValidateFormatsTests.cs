using System.Text.Json.Nodes;
using GradCamAudit.Tests.Data;
using Xunit;

namespace GradCamAudit.Tests.Cli;

/// <summary><c>validate</c> on a clean copy of each dataset format exits 0; on a broken copy it lists every planted problem (exit 2).</summary>
[Collection(TorchCollection.Name)]
public sealed class ValidateFormatsTests
{
    private static byte[] Png(int w, int h) => GradCamAudit.Data.Pixels.EncodePng(new byte[w * h * 3], w, h, 3);

    private static async Task<(int Code, HashSet<(string Id, string Reason)> Problems)> Validate(string config)
    {
        (int code, string output) = await CliCapture.RunCapturingAsync(false, "validate", "--config", config);
        var problems = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).Select(f => (f[1], f[3])).ToHashSet();
        return (code, problems);
    }

    [Fact]
    public async Task Validate_EachFormat_CleanPasses_BrokenCopyListsEveryPlantedProblem()
    {
        string dir = TestPaths.NewTempDir("validate");
        FormatFixtureSet f = FormatFixtures.Write(Path.Combine(dir, "data"), 8);
        string J(string s) => FormatFixtures.J(s);
        string folderCfg = FormatFixtures.Config(dir, "folder", $"\"format\": \"imagefolder\", \"images\": {J(f.Images)}, \"masks\": {J(f.Masks)}", Path.Combine(dir, "o1"));
        string cocoCfg = FormatFixtures.Config(dir, "coco", $"\"format\": \"coco\", \"annotations\": {J(f.CocoAnnotations)}, \"images\": {J(f.CocoImages)}", Path.Combine(dir, "o2"));
        string vocCfg = FormatFixtures.Config(dir, "voc", $"\"format\": \"voc\", \"root\": {J(f.VocRoot)}, \"vocClasses\": [{string.Join(", ", FormatFixtures.VocClasses.Select(J))}]", Path.Combine(dir, "o3"));
        foreach (string config in new[] { folderCfg, cocoCfg, vocCfg })
        {
            (int code, var problems) = await Validate(config);
            Assert.True(code == 0 && problems.Count == 0, $"{config}: {string.Join("; ", problems)}");
        }

        // ImageFolder: a folder that is no class, an image without a mask, a mask of another size, a corrupt image, an empty file.
        string first = Directory.EnumerateFiles(f.Images, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        string cls = Path.GetFileName(Path.GetDirectoryName(first)!);
        Directory.CreateDirectory(Path.Combine(f.Images, "hexagon"));
        File.WriteAllBytes(Path.Combine(f.Images, "hexagon", "h.png"), Png(64, 64));
        File.WriteAllBytes(Path.Combine(f.Images, cls, "nomask.png"), Png(64, 64));
        File.WriteAllBytes(Path.Combine(f.Images, cls, "small.png"), Png(64, 64));
        File.WriteAllBytes(Path.Combine(f.Masks, cls, "small.png"), Png(32, 32));
        File.WriteAllBytes(Path.Combine(f.Images, cls, "corrupt.png"), "not an image at all"u8.ToArray());
        File.WriteAllBytes(Path.Combine(f.Masks, cls, "corrupt.png"), Png(64, 64));
        File.WriteAllBytes(Path.Combine(f.Images, cls, "empty.png"), []);
        (int folderCode, var folderProblems) = await Validate(folderCfg);
        Assert.Equal(2, folderCode);
        Assert.Equal(new HashSet<(string, string)>
        {
            ("hexagon/h.png", "unknown_label"), ($"{cls}/nomask.png", "mask_missing"), ($"{cls}/small.png", "mask_size_mismatch"),
            ($"{cls}/corrupt.png", "image_corrupt"), ($"{cls}/empty.png", "invalid_path"),
        }, folderProblems);

        // COCO: a path escaping the root, an image without annotations, a repeated image id, a missing file, a declared size the file lacks.
        JsonObject coco = JsonNode.Parse(File.ReadAllText(f.CocoAnnotations))!.AsObject();
        JsonArray images = coco["images"]!.AsArray();
        JsonArray annotations = coco["annotations"]!.AsArray();
        images.Add(new JsonObject { ["id"] = 101, ["file_name"] = "../escape.png", ["width"] = 64, ["height"] = 64 });
        images.Add(new JsonObject { ["id"] = 102, ["file_name"] = images[0]!["file_name"]!.GetValue<string>(), ["width"] = 64, ["height"] = 64 });
        images.Add(new JsonObject { ["id"] = 1, ["file_name"] = images[1]!["file_name"]!.GetValue<string>(), ["width"] = 64, ["height"] = 64 });
        images.Add(new JsonObject { ["id"] = 103, ["file_name"] = "gone.png", ["width"] = 64, ["height"] = 64 });
        images.Add(new JsonObject { ["id"] = 104, ["file_name"] = images[2]!["file_name"]!.GetValue<string>(), ["width"] = 50, ["height"] = 64 });
        foreach (int image in new[] { 101, 1, 103, 104 })
        {
            annotations.Add(new JsonObject { ["id"] = 5000 + image, ["image_id"] = image, ["category_id"] = 7, ["iscrowd"] = 0, ["bbox"] = new JsonArray(1, 1, 4, 4) });
        }
        File.WriteAllText(f.CocoAnnotations, coco.ToJsonString());
        (int cocoCode, var cocoProblems) = await Validate(cocoCfg);
        Assert.Equal(2, cocoCode);
        Assert.Equal(new HashSet<(string, string)> { ("101", "invalid_path"), ("102", "no_annotation"), ("1", "duplicate_id"), ("103", "image_missing"), ("104", "mask_size_mismatch") }, cocoProblems);

        // VOC: a mask missing, an image missing, an all-background mask, a repeated id, a mask of another size, a corrupt mask.
        string[] ids = File.ReadAllLines(Path.Combine(f.VocRoot, "ImageSets", "Segmentation", "val.txt"));
        string Seg(string id) => Path.Combine(f.VocRoot, "SegmentationClass", id + ".png");
        string Jpg(string id) => Path.Combine(f.VocRoot, "JPEGImages", id + ".jpg");
        File.Delete(Seg(ids[0]));
        File.Delete(Jpg(ids[1]));
        File.WriteAllBytes(Seg(ids[2]), PngTestEncoder.Palette8(64, 64, new byte[64 * 64]));
        File.WriteAllBytes(Seg(ids[4]), PngTestEncoder.Palette8(32, 32, Enumerable.Repeat((byte)1, 32 * 32).ToArray()));
        File.WriteAllBytes(Seg(ids[5]), [137, 80, 78, 71, 13, 10, 26, 10, 0, 0]);
        File.WriteAllLines(Path.Combine(f.VocRoot, "ImageSets", "Segmentation", "val.txt"), [.. ids, ids[3]]);
        (int vocCode, var vocProblems) = await Validate(vocCfg);
        Assert.Equal(2, vocCode);
        Assert.Equal(new HashSet<(string, string)>
        {
            (ids[0], "mask_missing"), (ids[1], "image_missing"), (ids[2], "no_annotation"), (ids[3], "duplicate_id"), (ids[4], "mask_size_mismatch"), (ids[5], "mask_corrupt"),
        }, vocProblems);
    }
}
