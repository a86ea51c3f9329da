using GradCamAudit.Data;
using SkiaSharp;
using Xunit;

namespace GradCamAudit.Tests.Data;

public sealed class ImageDecoderTests
{
    private static string Write(string name, SKBitmap bitmap)
    {
        string path = Path.Combine(TestPaths.NewTempDir("img"), name);
        using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    [Fact]
    public void Grayscale_BecomesRgbWithEqualChannels()
    {
        byte[] gray = Enumerable.Range(0, 16).Select(i => (byte)(i * 16)).ToArray();
        string path = Write("g.png", Pixels.ToBitmap(gray, 4, 4, 1));
        byte[] rgb = new ImageDecoder(4, 4).DecodeImage(path);
        for (int p = 0; p < 16; p++)
        {
            Assert.Equal(gray[p], rgb[p * 3]);
            Assert.Equal(gray[p], rgb[(p * 3) + 1]);
            Assert.Equal(gray[p], rgb[(p * 3) + 2]);
        }
    }

    [Fact]
    public void Rgba_DropsAlpha_KeepingColour()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(2, 1, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.SetPixel(0, 0, new SKColor(200, 100, 50, 0));
        bitmap.SetPixel(1, 0, new SKColor(10, 20, 30, 128));
        byte[] rgb = new ImageDecoder(1, 2).DecodeImage(Write("a.png", bitmap));
        Assert.Equal(new byte[] { 200, 100, 50, 10, 20, 30 }, rgb);
    }

    [Fact]
    public void Mask_AnyNonZeroChannelIsObject_AndResizesWithNearest()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(2, 2, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.SetPixel(0, 0, new SKColor(0, 0, 1));
        bitmap.SetPixel(1, 0, new SKColor(0, 0, 0));
        bitmap.SetPixel(0, 1, new SKColor(0, 0, 0));
        bitmap.SetPixel(1, 1, new SKColor(255, 255, 255));
        byte[] mask = new ImageDecoder(4, 4).DecodeMask(Write("m.png", bitmap));
        Assert.Equal(new byte[] { 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1 }, mask);
    }

    [Fact]
    public void Labels_MatchClassNamesFirst_ThenIndices()
    {
        var labels = new LabelResolver(["cat", "2", "dog"]);
        Assert.True(labels.TryResolve("2", out int named));
        Assert.Equal(1, named);
        Assert.True(labels.TryResolve("0", out int index));
        Assert.Equal(0, index);
        Assert.False(labels.TryResolve("3", out _));
        Assert.False(labels.TryResolve("-1", out _));
        Assert.False(labels.TryResolve("Cat", out _));
    }
}
