using GradCamAudit.Data;
using GradCamAudit.Data.Masks;
using Xunit;

namespace GradCamAudit.Tests.Data;

/// <summary>The CSV box field and the box rasteriser: the x,y,w,h convention, the centre rule, clipping, refusals.</summary>
public sealed class BoxListTests
{
    [Fact]
    public void Parse_SeveralBoxes_ReadsEachInOrder()
    {
        IReadOnlyList<PixelBox>? boxes = BoxList.Parse(" 1,2,3,4 ; 5.5, 6 ,7,8", out string? problem);
        Assert.Null(problem);
        Assert.Equal([new PixelBox(1, 2, 3, 4), new PixelBox(5.5, 6, 7, 8)], boxes);
    }

    [Theory]
    [InlineData("1,2,3", "not x,y,w,h")]
    [InlineData("1,2,3,4,5", "not x,y,w,h")]
    [InlineData("a,b,c,d", "not x,y,w,h")]
    [InlineData("1,2,3,4;", "not x,y,w,h")]
    [InlineData("1;2;3;4", "not x,y,w,h")]
    [InlineData("-1,0,2,2", "negative")]
    [InlineData("0,-0.5,2,2", "negative")]
    [InlineData("0,0,0,2", "not positive")]
    [InlineData("0,0,2,-3", "not positive")]
    [InlineData("0,0,NaN,2", "non-finite")]
    [InlineData("Infinity,0,2,2", "non-finite")]
    [InlineData("0,0,1e300,2", "overflow")]
    [InlineData("2147483000,0,1000,2", "overflow")]
    public void Parse_MalformedNegativeOrOverflowing_IsRefusedWithTheReason(string field, string reason)
    {
        Assert.Null(BoxList.Parse(field, out string? problem));
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TooManyBoxes_IsRefusedFromTheCountBeforeAnyParsing()
    {
        // 1,001 entries of garbage: refused for their number, not their content (nothing was parsed).
        string field = string.Join(';', Enumerable.Repeat("x", BoxList.MaxBoxes + 1));
        Assert.Null(BoxList.Parse(field, out string? problem));
        Assert.Contains($"{BoxList.MaxBoxes + 1} boxes, more than the {BoxList.MaxBoxes}", problem, StringComparison.Ordinal);
        Assert.NotNull(BoxList.Parse(string.Join(';', Enumerable.Repeat("0,0,1,1", BoxList.MaxBoxes)), out _));
    }

    [Fact]
    public void Pixels_CentreRule_APixelBelongsWhenItsCentreLiesInsideHalfOpen()
    {
        Assert.Equal((0, 1, 0, 1), new PixelBox(0.5, 0.5, 1, 1).Pixels(4, 4)); // centre 0.5 is inside [0.5, 1.5), 1.5 is not
        Assert.Equal((1, 2, 1, 2), new PixelBox(0.6, 0.6, 1, 1).Pixels(4, 4)); // only centre 1.5 lies in [0.6, 1.6)
        Assert.Equal((1, 3, 0, 4), new PixelBox(1, 0, 2, 4).Pixels(4, 4)); // integer corners: exactly the enclosed pixels
        Assert.False(new PixelBox(0.6, 0, 0.8, 4).CoversAny(4, 4)); // [0.6, 1.4) holds no centre
    }

    [Fact]
    public void Rasterise_ClipsToTheImage_AndEqualsABruteForceCentreTestOnRandomBoxes()
    {
        Assert.Equal((2, 4, 3, 5), new PixelBox(2, 3, 100, 100).Pixels(4, 5));
        var random = new Random(22);
        for (int trial = 0; trial < 200; trial++)
        {
            int w = random.Next(1, 30), h = random.Next(1, 30);
            PixelBox[] boxes = Enumerable.Range(0, random.Next(1, 6))
                .Select(_ => new PixelBox(random.NextDouble() * w * 1.2, random.NextDouble() * h * 1.2, 0.1 + (random.NextDouble() * w), 0.1 + (random.NextDouble() * h))).ToArray();
            byte[] plane = PixelBox.Rasterise(boxes, w, h);
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    bool inside = boxes.Any(b => b.X <= x + 0.5 && x + 0.5 < b.X + b.W && b.Y <= y + 0.5 && y + 0.5 < b.Y + b.H);
                    Assert.True(inside == (plane[(y * w) + x] == 1), $"trial {trial}, pixel ({x}, {y}) of {w}x{h}");
                }
            }
        }
    }

    [Fact]
    public void LoadAt_ABoxOutsideTheImage_IsBoxInvalid_AndVoidNeverCoversObject()
    {
        var outside = new BoxMask("box:10,10,2,2", [new PixelBox(0, 0, 2, 2), new PixelBox(10, 10, 2, 2)]);
        Assert.Equal(ReasonCodes.BoxInvalid, Assert.Throws<SampleException>(() => outside.LoadAt(4, 4, 1000)).ReasonCode);
        Assert.Equal(ReasonCodes.BoxInvalid, outside.ProblemAt(4, 4)!.ReasonCode);
        MaskPlanes planes = new BoxMask("d", [new PixelBox(0, 0, 2, 2)], [new PixelBox(1, 1, 2, 2)]).LoadAt(3, 3, 1000);
        Assert.Equal(new byte[] { 1, 1, 0, 1, 1, 0, 0, 0, 0 }, planes.Object);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 1, 0, 1, 1 }, planes.Void);
    }

    [Fact]
    public void ManifestRows_BadBoxesAndBothRegions_AreOneErrorRowEach_AndTheOthersRead()
    {
        string dir = TestPaths.NewTempDir("box-rows");
        string path = Path.Combine(dir, "m.csv");
        File.WriteAllLines(path,
        [
            "id,image,label,mask,box",
            "a,a.png,circle,,\"1,1,4,4;2,2,4,4\"",
            "b,b.png,circle,,\"1,1,4\"",
            "c,c.png,circle,c_mask.png,\"1,1,4,4\"",
            "d,d.png,circle,,\"" + string.Join(';', Enumerable.Repeat("0,0,1,1", BoxList.MaxBoxes + 1)) + "\"",
            "e,e.png,circle,,",
            "f,f.png,circle,f_mask.png,",
        ]);
        List<ManifestEntry> rows = new ManifestReader(path, ["circle"]).Read().ToList();
        Assert.Equal(6, rows.Count);
        Assert.Equal([null, ReasonCodes.BoxInvalid, ReasonCodes.MalformedRow, ReasonCodes.BoxInvalid, null, null], rows.Select(r => r.ErrorCode));
        Assert.Equal(["box", "none", "file"], new[] { rows[0], rows[4], rows[5] }.Select(r => r.MaskSource));
        Assert.Equal("box:1,1,4,4;2,2,4,4", rows[0].MaskDescription);
        Assert.Contains("both a mask and a box", rows[2].ErrorDetail, StringComparison.Ordinal);
        Assert.Equal(2, ((BoxMask)rows[0].Locator!).Objects.Count);
    }
}
