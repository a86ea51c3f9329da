using System.Text;
using GradCamAudit.Data;
using GradCamAudit.Data.Masks;
using GradCamAudit.Data.Sources;
using GradCamAudit.Options;
using Xunit;

namespace GradCamAudit.Tests.Data;

/// <summary>VOC annotation XML under dataset.vocRegions = boxes: the bndbox convention, the difficult policy, and hostile files refused as one row.</summary>
public sealed class VocAnnotationTests
{
    private static readonly string[] Classes = ["circle", "square"];

    private static (string Root, List<ManifestEntry> Rows) Read(IReadOnlyList<(string Id, string Xml)> files, string difficult = "void")
    {
        string root = TestPaths.NewTempDir("voc-xml");
        Directory.CreateDirectory(Path.Combine(root, "Annotations"));
        Directory.CreateDirectory(Path.Combine(root, "ImageSets", "Main"));
        foreach ((string id, string xml) in files)
        {
            File.WriteAllText(Path.Combine(root, "Annotations", id + ".xml"), xml);
        }
        File.WriteAllLines(Path.Combine(root, "ImageSets", "Main", "val.txt"), files.Select(f => f.Id));
        DatasetSource settings = DatasetSource.Csv with { Format = "voc", Root = root, VocRegions = "boxes", VocDifficult = difficult, VocClasses = ["background", "circle", "square"] };
        return (root, new VocSource(Classes, settings).Read().ToList());
    }

    private static string Object(string name, int xmin, int ymin, int xmax, int ymax, bool difficult = false) =>
        $"<object><name>{name}</name><difficult>{(difficult ? 1 : 0)}</difficult><bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>";

    private const string Good = "<annotation><object><name>circle</name><bndbox><xmin>2</xmin><ymin>3</ymin><xmax>4</xmax><ymax>6</ymax></bndbox></object></annotation>";

    [Fact]
    public void Read_Bndbox_IsOneBasedInclusive_AndSiblingObjectsWithoutWhitespaceAreAllRead()
    {
        // xmin..xmax = 2..4 (1-based inclusive) covers the 0-based columns 1, 2, 3; the square's object follows the circle's with no whitespace.
        string xml = "<annotation><size><width>8</width><height>8</height></size>" + Object("circle", 2, 3, 4, 6) + Object("square", 1, 1, 8, 8) + Object("circle", 8, 8, 8, 8) + "</annotation>";
        (_, List<ManifestEntry> rows) = Read([("a", xml)]);
        ManifestEntry row = Assert.Single(rows);
        Assert.Null(row.ErrorCode);
        Assert.Equal("square", row.Source.Label); // the largest box area
        Assert.Equal("voc-boxes:Annotations/a.xml#2", row.MaskDescription);
        Assert.Equal("box", row.MaskSource);
        var mask = (BoxMask)row.Locator!;
        Assert.Equal((8, 8), mask.DeclaredSize);
        Assert.Equal([new PixelBox(0, 0, 8, 8)], mask.Objects);
        (_, rows) = Read([("b", "<annotation>" + Object("circle", 2, 3, 4, 6) + Object("circle", 8, 8, 8, 8) + "</annotation>")]);
        var circle = (BoxMask)rows[0].Locator!;
        Assert.Equal([new PixelBox(1, 2, 3, 4), new PixelBox(7, 7, 1, 1)], circle.Objects);
        Assert.Equal((1, 4, 2, 6), circle.Objects[0].Pixels(8, 8));
    }

    [Theory]
    [InlineData("void", 1, 1)]
    [InlineData("object", 2, 0)]
    [InlineData("ignore", 1, 0)]
    public void Read_DifficultObjects_FollowThePolicy(string policy, int objects, int voids)
    {
        (_, List<ManifestEntry> rows) = Read([("a", "<annotation>" + Object("circle", 1, 1, 2, 2) + Object("circle", 5, 5, 8, 8, difficult: true) + "</annotation>")], policy);
        var mask = (BoxMask)Assert.Single(rows).Locator!;
        Assert.Equal(objects, mask.Objects.Count);
        Assert.Equal(voids, mask.Voids.Count);
    }

    [Fact]
    public void Read_OnlyDifficultObjectsUnderVoid_IsNoAnnotation()
    {
        (_, List<ManifestEntry> rows) = Read([("a", "<annotation>" + Object("circle", 1, 1, 4, 4, difficult: true) + "</annotation>")]);
        Assert.Equal(ReasonCodes.NoAnnotation, Assert.Single(rows).ErrorCode);
    }

    public static TheoryData<string, string> Hostile => new()
    {
        // Billion laughs: refused at the DTD, never expanded.
        { "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY l \"lol\"><!ENTITY l2 \"&l;&l;&l;&l;&l;&l;&l;&l;&l;&l;\"><!ENTITY l3 \"&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;\">]><annotation><object><name>&l3;</name></object></annotation>", "DTD" },
        // An external entity: never resolved.
        { "<?xml version=\"1.0\"?><!DOCTYPE annotation SYSTEM \"file:///etc/passwd\"><annotation>" + Object("circle", 1, 1, 2, 2) + "</annotation>", "DTD" },
        { "<annotation>" + new string(' ', (int)VocAnnotation.MaxBytes) + "</annotation>", "bytes, over the" },
        // 10,001 objects of 100 bytes: under the size cap, over the object cap.
        { "<annotation>" + string.Concat(Enumerable.Repeat("<object><name>a</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>1</xmax><ymax>1</ymax></bndbox></object>", VocAnnotation.MaxObjects + 1)) + "</annotation>", "more than 10,000 objects" },
        { "<annotation><object><name>circle</name>", "not a readable VOC XML" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Read_HostileXml_IsRefusedAsOneRow_AndTheNextFileIsRead(string xml, string reason)
    {
        (_, List<ManifestEntry> rows) = Read([("bad", xml), ("good", Good)]);
        Assert.Equal(2, rows.Count);
        Assert.Equal(ReasonCodes.AnnotationInvalid, rows[0].ErrorCode);
        Assert.Contains(reason, rows[0].ErrorDetail, StringComparison.Ordinal);
        Assert.Null(rows[1].ErrorCode);
        Assert.Equal([1L, 2], rows.Select(r => r.Source.Row));
    }

    [Theory]
    [InlineData("<xmin>5</xmin><ymin>1</ymin><xmax>3</xmax><ymax>2</ymax>")]
    [InlineData("<xmin>-2</xmin><ymin>1</ymin><xmax>3</xmax><ymax>2</ymax>")]
    [InlineData("<xmin>1</xmin><ymin>1</ymin><xmax>3</xmax>")]
    [InlineData("<xmin>1</xmin><ymin>1</ymin><xmax>1e12</xmax><ymax>2</ymax>")]
    public void Read_BadBndbox_IsBoxInvalid(string bndbox)
    {
        (_, List<ManifestEntry> rows) = Read([("a", $"<annotation><object><name>circle</name><bndbox>{bndbox}</bndbox></object></annotation>")]);
        Assert.Equal(ReasonCodes.BoxInvalid, Assert.Single(rows).ErrorCode);
    }

    [Fact]
    public void Read_UnknownObjectName_IsAnnotationInvalid_UnlessIgnored()
    {
        (_, List<ManifestEntry> rows) = Read([("a", "<annotation>" + Object("dog", 1, 1, 4, 4) + Object("circle", 1, 1, 2, 2) + "</annotation>")]);
        Assert.Equal(ReasonCodes.AnnotationInvalid, Assert.Single(rows).ErrorCode);
        Assert.Contains("'dog'", rows[0].ErrorDetail, StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(Good) < VocAnnotation.MaxBytes);
    }
}
