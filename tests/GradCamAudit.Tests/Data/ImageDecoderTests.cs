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

/// <summary>Decoder limits: absurd headers are refused from the header, before any pixel allocation.</summary>
public sealed class ImageDecoderLimitTests
{
    private static ManifestEntry Entry(string image, string mask) =>
        new(new ManifestRow(1, "s", Path.GetFileName(image), "0", Path.GetFileName(mask), []), 0, image, mask, null, null);

    /// <summary>A PNG that declares <paramref name="width"/> x <paramref name="height"/> pixels in its header and carries no pixel data (an empty IDAT).</summary>
    private static byte[] HeaderOnlyPng(int width, int height)
    {
        var png = new List<byte> { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };
        void Chunk(string type, byte[] data)
        {
            png.AddRange(BigEndian(data.Length));
            byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
            png.AddRange(typed);
            png.AddRange(BigEndian((int)Crc32(typed)));
        }
        Chunk("IHDR", [.. BigEndian(width), .. BigEndian(height), 8, 2, 0, 0, 0]);
        Chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]); // a zlib stream of nothing: pixels truncated
        Chunk("IEND", []);
        return [.. png];
    }

    private static byte[] BigEndian(int v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }
        return ~crc;
    }

    [Fact]
    public void AbsurdHeader_IsImageTooLarge_NotAnAllocation()
    {
        string dir = TestPaths.NewTempDir("huge");
        string image = Path.Combine(dir, "huge.png"), mask = Path.Combine(dir, "mask.png");
        File.WriteAllBytes(image, HeaderOnlyPng(30_000, 30_000));
        File.WriteAllBytes(mask, HeaderOnlyPng(30_000, 30_000));
        var ex = Assert.Throws<SampleException>(() => new ImageDecoder(64, 64).Decode(Entry(image, mask)));
        Assert.Equal(ReasonCodes.ImageTooLarge, ex.ReasonCode);
        Assert.Contains("900,000,000 pixels", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImageOverTheConfiguredLimit_IsImageTooLarge()
    {
        string dir = TestPaths.NewTempDir("limit");
        using var bitmap = new SKBitmap(40, 30);
        using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        string image = Path.Combine(dir, "a.png");
        File.WriteAllBytes(image, data.ToArray());
        Assert.Equal(64, new ImageDecoder(8, 8, null, maxImagePixels: 1_200).Decode(Entry(image, image)).Mask.Length);
        Assert.Equal(ReasonCodes.ImageTooLarge, Assert.Throws<SampleException>(() => new ImageDecoder(8, 8, null, maxImagePixels: 1_199).Decode(Entry(image, image))).ReasonCode);
    }

    [Fact]
    public void TruncatedPixelData_IsImageCorrupt_AndAFifoIsInvalidPathWithoutBlocking()
    {
        string dir = TestPaths.NewTempDir("trunc");
        string image = Path.Combine(dir, "h.png");
        File.WriteAllBytes(image, HeaderOnlyPng(16, 16)); // a valid header, no IDAT
        Assert.Equal(ReasonCodes.ImageCorrupt, Assert.Throws<SampleException>(() => new ImageDecoder(8, 8).Decode(Entry(image, image))).ReasonCode);

        string fifo = Path.Combine(dir, "fifo.png");
        System.Diagnostics.Process.Start("mkfifo", [fifo])!.WaitForExit();
        Assert.True(File.Exists(fifo));
        Assert.Equal(ReasonCodes.InvalidPath, Assert.Throws<SampleException>(() => new ImageDecoder(8, 8).Decode(Entry(fifo, fifo))).ReasonCode);
    }
}
