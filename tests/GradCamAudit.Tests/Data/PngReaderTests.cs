using GradCamAudit.Data.Png;
using Xunit;

namespace GradCamAudit.Tests.Data;

/// <summary>The project's PNG reader returns samples as stored: every colour type and bit depth, the five filters, Adam7.</summary>
public sealed class PngReaderTests
{
    public static TheoryData<int, int, bool> Formats()
    {
        var data = new TheoryData<int, int, bool>();
        foreach ((int type, int[] depths) in new[] { (0, new[] { 1, 2, 4, 8, 16 }), (2, [8, 16]), (3, [1, 2, 4, 8]), (4, [8, 16]), (6, [8, 16]) })
        {
            foreach (int depth in depths)
            {
                data.Add(type, depth, false);
                data.Add(type, depth, true);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Decode_EveryColourTypeBitDepthAndInterlace_ReturnsTheStoredSamples(int colorType, int bitDepth, bool interlaced)
    {
        const int w = 13, h = 11; // not multiples of 8: partial Adam7 passes and partial bytes at low depths
        int channels = PngImage.ChannelsOf(colorType);
        int max = (1 << bitDepth) - 1;
        var rng = new Random((colorType * 100) + bitDepth);
        ushort[] samples = Enumerable.Range(0, w * h * channels).Select(_ => (ushort)rng.Next(0, max + 1)).ToArray();
        byte[]? palette = colorType == 3 ? Enumerable.Range(0, 3 << bitDepth).Select(i => (byte)i).ToArray() : null;
        byte[] png = PngTestEncoder.Encode(w, h, colorType, bitDepth, samples, palette, interlaced);

        PngImage image = PngReader.Decode(png);

        Assert.Equal((w, h, bitDepth, colorType), (image.Width, image.Height, image.BitDepth, image.ColorType));
        Assert.Equal(samples, image.Samples);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Decode_EachFilterTypeAlone_RoundTrips(int filter)
    {
        ushort[] samples = Enumerable.Range(0, 7 * 5 * 3).Select(i => (ushort)((i * 53) % 256)).ToArray();
        byte[] png = PngTestEncoder.Encode(7, 5, 2, 8, samples, filterOfRow: _ => filter);
        Assert.Equal(samples, PngReader.Decode(png).Samples);
    }

    [Fact]
    public void Paeth_PrefersLeftThenAboveThenUpperLeft()
    {
        Assert.Equal(10, PngScanlines.Paeth(10, 10, 10)); // all equal: a
        Assert.Equal(20, PngScanlines.Paeth(10, 20, 10)); // p = 20: b is exact
        Assert.Equal(10, PngScanlines.Paeth(10, 20, 20)); // p = 10: a is exact
        Assert.Equal(0, PngScanlines.Paeth(0, 0, 5)); // p = -5: |p-a| = |p-b| = 5 < |p-c| = 10: a first
        Assert.Equal(5, PngScanlines.Paeth(1, 9, 5)); // p = 5: c is exact
    }

    [Fact]
    public void Decode_SixteenBitMaskWithSmallValues_KeepsThem()
    {
        ushort[] samples = [0, 1, 2, 0, 65535, 3];
        PngImage image = PngReader.Decode(PngTestEncoder.Encode(3, 2, 0, 16, samples));
        Assert.Equal(samples, image.Samples);
        Assert.Equal([false, true, true, false, true, true], Enumerable.Range(0, 6).Select(image.IsNonZero).ToArray());
    }

    [Fact]
    public void Decode_TruncatedOrForeignBytes_IsInvalidData()
    {
        byte[] png = PngTestEncoder.Encode(8, 8, 0, 8, new ushort[64]);
        Assert.Throws<InvalidDataException>(() => PngReader.Decode(png[..(png.Length - 20)]));
        Assert.Throws<InvalidDataException>(() => PngReader.Decode("GIF89a not a png at all......................"u8.ToArray()));
        Assert.Equal(new PngHeader(8, 8, 8, 0, false), PngReader.ReadHeader(png));
    }

    [Theory]
    [InlineData("palette8.png")]
    [InlineData("grey16.png")]
    [InlineData("bits1.png")]
    [InlineData("rgba8.png")]
    public void Decode_FilesWrittenByPil_MatchTheSamplesPilStored(string name)
    {
        string dir = Path.Combine(TestPaths.Fixtures, "png");
        var expected = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "expected.json")))![name]!;
        PngImage image = PngReader.Decode(File.ReadAllBytes(Path.Combine(dir, name)));
        Assert.Equal(((int)expected["width"]!, (int)expected["height"]!, (int)expected["bitDepth"]!, (int)expected["colorType"]!), (image.Width, image.Height, image.BitDepth, image.ColorType));
        Assert.Equal(expected["samples"]!.AsArray().Select(v => (ushort)(int)v!).ToArray(), image.Samples);
    }
}
