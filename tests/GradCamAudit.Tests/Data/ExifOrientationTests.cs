using GradCamAudit.Data;
using SkiaSharp;
using Xunit;

namespace GradCamAudit.Tests.Data;

/// <summary><c>dataset.exifOrientation</c>: off by default (pixels as stored, as PIL's convert("RGB")); on, the JPEG's orientation is applied and the mask is checked against the oriented size.</summary>
public sealed class ExifOrientationTests
{
    private static ManifestEntry Entry(string image, string mask) =>
        new(new ManifestRow(1, "r", Path.GetFileName(image), "circle", Path.GetFileName(mask), []), 0, image, mask, null, null);

    [Fact]
    public void Source_EveryOrigin_MapsTheCornersAsTheExifTableSays()
    {
        // Stored 3 wide x 2 high; the stored top-left pixel (0,0) must land where the orientation puts it.
        Assert.Equal((0, 0), ExifOrientation.Source(SKEncodedOrigin.TopLeft, 0, 0, 3, 2));
        Assert.Equal((0, 0), ExifOrientation.Source(SKEncodedOrigin.TopRight, 2, 0, 3, 2));
        Assert.Equal((0, 0), ExifOrientation.Source(SKEncodedOrigin.BottomRight, 2, 1, 3, 2));
        Assert.Equal((0, 0), ExifOrientation.Source(SKEncodedOrigin.BottomLeft, 0, 1, 3, 2));
        Assert.Equal((0, 0), ExifOrientation.Source(SKEncodedOrigin.LeftTop, 0, 0, 3, 2));
        Assert.Equal((0, 0), ExifOrientation.Source(SKEncodedOrigin.RightTop, 1, 0, 3, 2));
        Assert.Equal((0, 0), ExifOrientation.Source(SKEncodedOrigin.RightBottom, 1, 2, 3, 2));
        Assert.Equal((0, 0), ExifOrientation.Source(SKEncodedOrigin.LeftBottom, 0, 2, 3, 2));
        Assert.Equal((2, 3), ExifOrientation.Size(SKEncodedOrigin.RightTop, 3, 2));
    }

    [Fact]
    public void Decode_WithExifOrientation_RotatesTheImage_AndChecksTheMaskAgainstIt()
    {
        string dir = TestPaths.NewTempDir("exif");
        string image = Path.Combine(TestPaths.Fixtures, "exif", "rotated6.jpg");
        string tall = Path.Combine(dir, "tall.png"), wide = Path.Combine(dir, "wide.png");
        File.WriteAllBytes(tall, Pixels.EncodePng(new byte[8 * 16 * 3], 8, 16, 3));
        File.WriteAllBytes(wide, Pixels.EncodePng(new byte[16 * 8 * 3], 16, 8, 3));

        DecodedSample shown = new ImageDecoder(16, 8, exifOrientation: true).Decode(Entry(image, tall));
        (byte r, byte b) top = (shown.Rgb[0], shown.Rgb[2]), bottom = (shown.Rgb[(15 * 8 * 3) + 0], shown.Rgb[(15 * 8 * 3) + 2]);
        Assert.True(top.r > 150 && top.b < 100, $"top {top}: expected red");
        Assert.True(bottom.b > 150 && bottom.r < 100, $"bottom {bottom}: expected blue");
        Assert.Equal(ReasonCodes.MaskSizeMismatch, Assert.Throws<SampleException>(() => new ImageDecoder(16, 8, exifOrientation: true).Decode(Entry(image, wide))).ReasonCode);

        DecodedSample stored = new ImageDecoder(8, 16).Decode(Entry(image, wide));
        Assert.True(stored.Rgb[0] > 150 && stored.Rgb[(15 * 3) + 2] > 150, "as stored: red on the left, blue on the right");
        Assert.Equal(ReasonCodes.MaskSizeMismatch, Assert.Throws<SampleException>(() => new ImageDecoder(8, 16).Decode(Entry(image, tall))).ReasonCode);
    }
}
