using System.Buffers.Binary;
using System.IO.Compression;

namespace GradCamAudit.Data.Png;

/// <summary>The IHDR fields (ISO/IEC 15948 §11.2.2).</summary>
public readonly record struct PngHeader(int Width, int Height, int BitDepth, int ColorType, bool Interlaced);

/// <summary>
/// A small PNG reader for label masks: SkiaSharp expands palettes to colours and reduces 16-bit samples to 8 bits, so
/// palette indices are lost and a 16-bit mask with small values turns empty. This one returns the samples as stored:
/// chunks read in order (IHDR, PLTE, the IDAT stream inflated with <see cref="ZLibStream"/>, IEND; ancillary chunks
/// skipped, CRCs not checked), then <see cref="PngScanlines"/>. Every bit depth of every colour type (1 to 16), the
/// five filter types and Adam7 interlacing. Malformed input throws <see cref="InvalidDataException"/>.
/// </summary>
public static class PngReader
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>True when the bytes start with the PNG signature.</summary>
    public static bool IsPng(ReadOnlySpan<byte> bytes) => bytes.Length >= 8 && bytes[..8].SequenceEqual(Signature);

    /// <summary>The header alone (validate reads nothing more).</summary>
    public static PngHeader ReadHeader(ReadOnlySpan<byte> bytes)
    {
        if (!IsPng(bytes))
        {
            throw new InvalidDataException("not a PNG file (no PNG signature)");
        }
        if (bytes.Length < 33 || !bytes.Slice(12, 4).SequenceEqual("IHDR"u8) || BinaryPrimitives.ReadInt32BigEndian(bytes[8..]) != 13)
        {
            throw new InvalidDataException("PNG without an IHDR chunk first");
        }
        ReadOnlySpan<byte> h = bytes.Slice(16, 13);
        var header = new PngHeader(BinaryPrimitives.ReadInt32BigEndian(h), BinaryPrimitives.ReadInt32BigEndian(h[4..]), h[8], h[9], h[12] == 1);
        bool depthOk = header.ColorType switch
        {
            0 => header.BitDepth is 1 or 2 or 4 or 8 or 16,
            3 => header.BitDepth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => header.BitDepth is 8 or 16,
            _ => false,
        };
        if (header.Width <= 0 || header.Height <= 0 || !depthOk || h[10] != 0 || h[11] != 0 || h[12] > 1)
        {
            throw new InvalidDataException($"PNG header not supported: {header.Width}x{header.Height}, bit depth {header.BitDepth}, colour type {header.ColorType}, compression {h[10]}, filter {h[11]}, interlace {h[12]}");
        }
        return header;
    }

    /// <summary>Decodes the whole image; refuses more than <paramref name="maxPixels"/> pixels before allocating them.</summary>
    public static PngImage Decode(byte[] bytes, long maxPixels = long.MaxValue)
    {
        PngHeader header = ReadHeader(bytes);
        if ((long)header.Width * header.Height > maxPixels)
        {
            throw new InvalidDataException($"PNG is {header.Width}x{header.Height}, over the pixel limit {maxPixels:N0}");
        }
        byte[]? palette = null;
        using var idat = new MemoryStream();
        int at = 8;
        bool ended = false;
        while (at + 12 <= bytes.Length && !ended)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            if (length < 0 || (long)at + 12 + length > bytes.Length)
            {
                throw new InvalidDataException($"PNG chunk at byte {at} runs past the end of the file (truncated)");
            }
            ReadOnlySpan<byte> type = bytes.AsSpan(at + 4, 4);
            if (type.SequenceEqual("PLTE"u8))
            {
                palette = bytes.AsSpan(at + 8, length).ToArray();
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                idat.Write(bytes, at + 8, length);
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                ended = true;
            }
            at += 12 + length;
        }
        if (idat.Length == 0)
        {
            throw new InvalidDataException("PNG without image data (no IDAT chunk)");
        }
        if (header.ColorType == 3 && palette == null)
        {
            throw new InvalidDataException("palette PNG without a PLTE chunk");
        }
        int channels = PngImage.ChannelsOf(header.ColorType);
        long expected = PngScanlines.ExpectedLength(header.Width, header.Height, channels, header.BitDepth, header.Interlaced);
        if (expected > int.MaxValue)
        {
            throw new InvalidDataException($"PNG of {expected:N0} bytes of pixel data is too large to read");
        }
        var data = new byte[expected];
        idat.Position = 0;
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            int read = 0, n;
            while (read < data.Length && (n = z.Read(data, read, data.Length - read)) > 0)
            {
                read += n;
            }
            if (read < data.Length)
            {
                throw new InvalidDataException($"PNG pixel data is truncated: {read:N0} of {data.Length:N0} bytes");
            }
        }
        ushort[] samples = PngScanlines.Decode(data, header.Width, header.Height, channels, header.BitDepth, header.Interlaced);
        return new PngImage(header.Width, header.Height, header.BitDepth, header.ColorType, samples, palette);
    }
}
