using GradCamAudit.Data.Masks;
using Xunit;

namespace GradCamAudit.Tests.Data;

/// <summary>COCO masks against hand-computed pixels: the rleFrPoly rule for polygons and boxes, both RLE forms.</summary>
public sealed class CocoMaskTests
{
    /// <summary>Row-major 0/1 of a column-major mask.</summary>
    private static byte[] RowMajor(byte[] columnMajor, int h, int w) =>
        Enumerable.Range(0, h * w).Select(p => columnMajor[(p % w * h) + (p / w)]).ToArray();

    private static byte[] Pixels(int h, int w, params (int Y, int X)[] on)
    {
        var m = new byte[h * w];
        foreach ((int y, int x) in on)
        {
            m[(y * w) + x] = 1;
        }
        return m;
    }

    [Fact]
    public void Polygon_Triangle_HandComputedByTheRule()
    {
        // (0,0), (4,0), (0,4) scaled by 5: the hypotenuse crosses column c (x' = 5c+2 -> 5c+3) at y' = 17 - 5c, i.e.
        // row ceil((17.5 - 5c)/5 - 0.5) = 3 - c; the top edge at row ceil(-0.4) = 0. Column c holds rows 0 .. 2 - c;
        // column 3's two crossings (both at row 0) cancel. Centres on the hypotenuse (c + r = 3) fall outside.
        byte[] mask = RowMajor(CocoPolygon.Rasterise([0, 0, 4, 0, 0, 4], 5, 5), 5, 5);
        Assert.Equal(Pixels(5, 5, (0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 0)), mask);
    }

    [Fact]
    public void Box_CoversExactlyItsPixels()
    {
        // bbox [1, 1, 2, 3]: columns whose centres x + 0.5 lie in [1, 3] (1, 2), rows 1 .. 3 (crossings at ceil(0.6) and ceil(3.6)).
        var shape = new CocoShape(null, null, null, [1, 1, 2, 3]);
        byte[] mask = RowMajor(shape.RasteriseColumnMajor(5, 5), 5, 5);
        Assert.Equal(Pixels(5, 5, (1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (3, 2)), mask);
    }

    [Fact]
    public void Polygons_OfOneAnnotation_AreUnited()
    {
        var shape = new CocoShape([[0, 0, 1, 0, 1, 1, 0, 1], [3, 3, 4, 3, 4, 4, 3, 4]], null, null, null);
        Assert.Equal(Pixels(4, 4, (0, 0), (3, 3)), RowMajor(shape.RasteriseColumnMajor(4, 4), 4, 4));
    }

    [Fact]
    public void Rle_ListCounts_AreColumnMajorRunsStartingWithZeros()
    {
        // 3x3, counts [1, 2, 3, 3]: column 0 = 0,1,1; column 1 = 0,0,0; column 2 = 1,1,1.
        byte[] mask = RowMajor(CocoRle.Decode([1, 2, 3, 3], 3, 3), 3, 3);
        Assert.Equal(Pixels(3, 3, (1, 0), (2, 0), (0, 2), (1, 2), (2, 2)), mask);
        Assert.Throws<InvalidDataException>(() => CocoRle.Decode([1, 2], 3, 3));
    }

    [Theory]
    [InlineData("325", new long[] { 3, 2, 5 })] // one 5-bit group each
    [InlineData("0X1", new long[] { 0, 40 })] // 40 = 8 + 1·32: '0'+8+0x20 = 'X', then '1'
    [InlineData("1233", new long[] { 1, 2, 3, 5 })] // the fourth is stored as 5 - 2 = 3
    [InlineData("153M", new long[] { 1, 5, 3, 2 })] // 2 - 5 = -3: 29 = 0b11101, sign bit 0x10 set: 'M'
    public void Rle_CompressedString_DecodesHandEncodedCounts(string encoded, long[] counts)
    {
        Assert.Equal(counts, CocoRle.DecodeString(encoded));
        Assert.Equal(encoded, CocoRle.EncodeString(counts));
    }

    [Fact]
    public void Rle_EncodeThenDecode_RoundTripsAMask()
    {
        var rng = new Random(7);
        byte[] cm = Enumerable.Range(0, 64 * 48).Select(_ => (byte)(rng.Next(4) == 0 ? 1 : 0)).ToArray();
        long[] counts = CocoRle.Encode(cm);
        Assert.Equal(cm, CocoRle.Decode(CocoRle.DecodeString(CocoRle.EncodeString(counts)), 48, 64));
    }

    [Fact]
    public void CocoMask_CrowdIgnored_IsVoidWhereNotObject()
    {
        var obj = new CocoShape(null, null, null, [0, 0, 2, 2]);
        var crowd = new CocoShape(null, null, null, [1, 1, 3, 3]);
        MaskPlanes planes = new CocoMask("coco:1,2", [obj], [crowd], 4, 4).Load(long.MaxValue);
        Assert.Equal(Pixels(4, 4, (0, 0), (0, 1), (1, 0), (1, 1)), planes.Object);
        Assert.Equal(Pixels(4, 4, (1, 2), (1, 3), (2, 1), (2, 2), (2, 3), (3, 1), (3, 2), (3, 3)), planes.Void);
    }
}
