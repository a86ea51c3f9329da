using System.Text.Json.Nodes;
using GradCamAudit.Data;
using GradCamAudit.Data.Masks;
using GradCamAudit.Data.Sources;
using GradCamAudit.Options;
using Xunit;

namespace GradCamAudit.Tests.Data;

/// <summary>Row order, ids, labels and policies of the imagefolder, COCO and VOC sources.</summary>
public sealed class SampleSourceTests
{
    private static readonly string[] Classes = ["circle", "square", "triangle", "cross"];

    private static string CocoFile(string dir, JsonArray annotations, JsonArray? categories = null, int images = 3)
    {
        categories ??= [new JsonObject { ["id"] = 9, ["name"] = "square" }, new JsonObject { ["id"] = 2, ["name"] = "circle" }];
        var imageList = new JsonArray(Enumerable.Range(1, images).Select(i => (JsonNode)new JsonObject { ["id"] = i * 10, ["file_name"] = $"img{i}.png", ["width"] = 8, ["height"] = 6 }).ToArray());
        string path = Path.Combine(dir, "instances.json");
        File.WriteAllText(path, new JsonObject { ["images"] = imageList, ["annotations"] = annotations, ["categories"] = categories }.ToJsonString());
        return path;
    }

    private static JsonObject Box(int id, int image, int category, double[] box, int crowd = 0) => new()
    {
        ["id"] = id,
        ["image_id"] = image,
        ["category_id"] = category,
        ["iscrowd"] = crowd,
        ["area"] = box[2] * box[3],
        ["bbox"] = new JsonArray(box.Select(v => (JsonNode)v).ToArray()),
    };

    private static DatasetSource Coco(string annotations, string dir) => DatasetSource.Csv with { Format = "coco", Annotations = annotations, Images = dir };

    [Fact]
    public void ImageFolder_OrdinalOrderOfRelativePaths_IdIsThePath_UnknownFolderIsUnknownLabel()
    {
        string dir = TestPaths.NewTempDir("folder");
        foreach (string rel in new[] { "square/b.png", "circle/z.PNG", "circle/a.jpg", "hexagon/x.png", "loose.png", "circle/.hidden.png", "circle/notes.txt" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, "images", rel))!);
            File.WriteAllBytes(Path.Combine(dir, "images", rel), [1]);
        }
        Directory.CreateDirectory(Path.Combine(dir, "masks"));
        var source = new ImageFolderSource(Classes, DatasetSource.Csv with { Format = "imagefolder", Images = Path.Combine(dir, "images"), Masks = Path.Combine(dir, "masks") });
        var rows = source.Read().ToList();
        Assert.Equal(["circle/a.jpg", "circle/z.PNG", "hexagon/x.png", "loose.png", "square/b.png"], rows.Select(r => r.Source.SampleId));
        Assert.Equal([1L, 2, 3, 4, 5], rows.Select(r => r.Source.Row));
        Assert.Equal([0, 0, -1, -1, 1], rows.Select(r => r.Label));
        Assert.Equal([null, null, ReasonCodes.UnknownLabel, ReasonCodes.UnknownLabel, null], rows.Select(r => r.ErrorCode));
        Assert.Equal("circle/a.png", rows[0].MaskDescription);
    }

    [Fact]
    public void ImageFolder_LinkedFoldersAreNotDescended_LinkedFilesAreKept()
    {
        string dir = TestPaths.NewTempDir("folder-links");
        string images = Path.Combine(dir, "images");
        Directory.CreateDirectory(Path.Combine(images, "circle"));
        Directory.CreateDirectory(Path.Combine(images, "square"));
        File.WriteAllBytes(Path.Combine(images, "circle", "a.png"), [1]);
        File.WriteAllBytes(Path.Combine(dir, "outside.png"), [1]);
        File.CreateSymbolicLink(Path.Combine(images, "square", "linked.png"), Path.Combine(dir, "outside.png"));
        // Two links back up the tree: followed, the walk would repeat the class until ELOOP, exponentially.
        Directory.CreateSymbolicLink(Path.Combine(images, "circle", "again"), ".");
        Directory.CreateSymbolicLink(Path.Combine(images, "circle", "twice"), "..");
        Directory.CreateDirectory(Path.Combine(dir, "masks"));
        var source = new ImageFolderSource(Classes, DatasetSource.Csv with { Format = "imagefolder", Images = images, Masks = Path.Combine(dir, "masks") });
        Assert.Equal(["circle/a.png", "square/linked.png"], source.Read().Select(r => r.Source.SampleId));
        Assert.Equal(["circle/again", "circle/twice"], source.SkippedLinks.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Coco_CategoriesTheModelLacks_AreOneConfigErrorListingEach_UnlessIgnored()
    {
        string dir = TestPaths.NewTempDir("coco");
        JsonArray categories = [new JsonObject { ["id"] = 1, ["name"] = "circle" }, new JsonObject { ["id"] = 5, ["name"] = "hexagon" }, new JsonObject { ["id"] = 6, ["name"] = "star" }];
        string file = CocoFile(dir, [Box(1, 10, 5, [0, 0, 2, 2]), Box(2, 10, 1, [2, 2, 1, 1])], categories, images: 1);
        var ex = Assert.Throws<ConfigException>(() => new CocoSource(Classes, Coco(file, dir)));
        Assert.Contains("'hexagon' (id 5)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'star' (id 6)", ex.Message, StringComparison.Ordinal);
        var rows = new CocoSource(Classes, Coco(file, dir) with { IgnoreUnknownCategories = true }).Read().ToList();
        Assert.Equal("circle", Assert.Single(rows).Source.Label); // the larger hexagon is dropped
        Assert.Equal("coco:2", rows[0].MaskDescription);
    }

    [Fact]
    public void Coco_Sampling_LargestOrPerCategory_InImageThenCategoryIdOrder()
    {
        string dir = TestPaths.NewTempDir("coco");
        // Image 10: one square of 4 px, two circles of 3 px each (6 in all); image 20: a square; image 30: nothing.
        string file = CocoFile(dir, [Box(1, 10, 9, [0, 0, 2, 2]), Box(2, 10, 2, [4, 0, 3, 1]), Box(3, 20, 9, [1, 1, 1, 1]), Box(4, 10, 2, [4, 2, 3, 1])]);
        var largest = new CocoSource(Classes, Coco(file, dir) with { Unannotated = "skip" });
        var rows = largest.Read().ToList();
        Assert.Equal(["10", "20"], rows.Select(r => r.Source.SampleId));
        Assert.Equal(["circle", "square"], rows.Select(r => r.Source.Label));
        Assert.Equal("coco:2,4", rows[0].MaskDescription);
        Assert.Equal(1, largest.Skipped);

        var perCategory = new CocoSource(Classes, Coco(file, dir) with { Sampling = "per-category" }).Read().ToList();
        Assert.Equal(["10:circle", "10:square", "20:square", "30"], perCategory.Select(r => r.Source.SampleId));
        Assert.Equal([1L, 2, 3, 4], perCategory.Select(r => r.Source.Row));
        Assert.Equal(ReasonCodes.NoAnnotation, perCategory[3].ErrorCode);
    }

    [Fact]
    public void Coco_CrowdIgnored_BecomesVoid_CrowdAsObjectIsObject()
    {
        string dir = TestPaths.NewTempDir("coco");
        string file = CocoFile(dir, [Box(1, 10, 9, [0, 0, 2, 2]), Box(2, 10, 9, [4, 0, 2, 2], crowd: 1)], images: 1);
        MaskPlanes ignored = new CocoSource(Classes, Coco(file, dir) with { Crowd = "ignore" }).Read().Single().Locator!.Load(long.MaxValue);
        MaskPlanes asObject = new CocoSource(Classes, Coco(file, dir)).Read().Single().Locator!.Load(long.MaxValue);
        Assert.Equal(4, ignored.Object.Sum(v => v));
        Assert.Equal(4, ignored.Void!.Sum(v => v));
        Assert.Equal(8, asObject.Object.Sum(v => v));
        Assert.Null(asObject.Void);
    }

    [Fact]
    public void Voc_LabelsFromTheMaskPixels_255IsVoid_PerCategoryIds()
    {
        string root = TestPaths.NewTempDir("voc");
        Directory.CreateDirectory(Path.Combine(root, "ImageSets", "Segmentation"));
        Directory.CreateDirectory(Path.Combine(root, "SegmentationClass"));
        // 4x2: two pixels of index 1 (circle), three of index 2 (square), one void.
        File.WriteAllBytes(Path.Combine(root, "SegmentationClass", "a.png"), PngTestEncoder.Palette8(4, 2, [1, 1, 255, 0, 2, 2, 2, 0]));
        File.WriteAllBytes(Path.Combine(root, "SegmentationClass", "b.png"), PngTestEncoder.Palette8(4, 2, new byte[8]));
        File.WriteAllLines(Path.Combine(root, "ImageSets", "Segmentation", "val.txt"), ["a", "b", ""]);
        var settings = DatasetSource.Csv with { Format = "voc", Root = root, VocClasses = ["background", "circle", "square"] };
        var largest = new VocSource(Classes, settings).Read().ToList();
        Assert.Equal(["a", "b"], largest.Select(r => r.Source.SampleId));
        Assert.Equal(("square", "voc:SegmentationClass/a.png#2"), (largest[0].Source.Label, largest[0].MaskDescription));
        Assert.Equal(ReasonCodes.NoAnnotation, largest[1].ErrorCode);
        MaskPlanes planes = largest[0].Locator!.Load(long.MaxValue);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 1, 1, 1, 0 }, planes.Object);
        Assert.Equal(new byte[] { 0, 0, 1, 0, 0, 0, 0, 0 }, planes.Void);
        var perCategory = new VocSource(Classes, settings with { Sampling = "per-category", Unannotated = "skip" }).Read().ToList();
        Assert.Equal(["a:circle", "a:square"], perCategory.Select(r => r.Source.SampleId));
        Assert.Throws<ConfigException>(() => new VocSource(Classes, settings with { VocClasses = null }));
    }
}
