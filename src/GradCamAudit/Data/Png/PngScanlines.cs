namespace GradCamAudit.Data.Png;

/// <summary>
/// The pixel-data half of PNG decoding (ISO/IEC 15948 §9 filtering, §8 Adam7 interlace, §7 sample packing), pure
/// functions over the inflated bytes: undo the five filter types row by row, unpack 1/2/4-bit samples (most
/// significant bits first) and 16-bit ones (big-endian), and place each Adam7 pass's pixels on the full grid.
/// </summary>
public static class PngScanlines
{
    /// <summary>Adam7 passes: (x start, y start, x step, y step).</summary>
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <summary>Bytes of one unfiltered row of <paramref name="width"/> pixels.</summary>
    public static int RowBytes(int width, int channels, int bitDepth) => (int)(((long)width * channels * bitDepth + 7) / 8);

    /// <summary>The inflated size the header promises (filter byte + row bytes per row, per pass when interlaced).</summary>
    public static long ExpectedLength(int width, int height, int channels, int bitDepth, bool interlaced)
    {
        if (!interlaced)
        {
            return (long)height * (1 + RowBytes(width, channels, bitDepth));
        }
        long total = 0;
        foreach ((int w, int h, _) in Passes(width, height))
        {
            total += (long)h * (1 + RowBytes(w, channels, bitDepth));
        }
        return total;
    }

    /// <summary>Samples (channels per pixel, row-major) from the inflated data of a non-interlaced or Adam7 image.</summary>
    public static ushort[] Decode(byte[] data, int width, int height, int channels, int bitDepth, bool interlaced)
    {
        var samples = new ushort[(long)width * height * channels];
        if (!interlaced)
        {
            ReadPass(data, 0, width, height, channels, bitDepth, (x, y) => (y * width) + x, samples);
            return samples;
        }
        int offset = 0;
        foreach ((int w, int h, (int X0, int Y0, int Dx, int Dy) p) in Passes(width, height))
        {
            offset = ReadPass(data, offset, w, h, channels, bitDepth, (x, y) => (((p.Y0 + (y * p.Dy)) * width) + p.X0 + (x * p.Dx)), samples);
        }
        return samples;
    }

    private static IEnumerable<(int Width, int Height, (int X0, int Y0, int Dx, int Dy) Pass)> Passes(int width, int height)
    {
        foreach (var p in Adam7)
        {
            int w = (width - p.X0 + p.Dx - 1) / p.Dx, h = (height - p.Y0 + p.Dy - 1) / p.Dy;
            if (w > 0 && h > 0)
            {
                yield return (w, h, p);
            }
        }
    }

    /// <summary>Unfilters the rows of one (sub-)image starting at <paramref name="offset"/>, writes its samples; returns the next offset.</summary>
    private static int ReadPass(byte[] data, int offset, int width, int height, int channels, int bitDepth, Func<int, int, int> pixelIndex, ushort[] samples)
    {
        int rowBytes = RowBytes(width, channels, bitDepth);
        int bpp = Math.Max(1, channels * bitDepth / 8);
        var previous = new byte[rowBytes];
        var row = new byte[rowBytes];
        for (int y = 0; y < height; y++)
        {
            int filter = data[offset];
            Array.Copy(data, offset + 1, row, 0, rowBytes);
            offset += 1 + rowBytes;
            Unfilter(filter, row, previous, bpp);
            for (int x = 0; x < width; x++)
            {
                int at = pixelIndex(x, y) * channels;
                for (int c = 0; c < channels; c++)
                {
                    samples[at + c] = SampleAt(row, (x * channels) + c, bitDepth);
                }
            }
            (previous, row) = (row, previous);
        }
        return offset;
    }

    /// <summary>Undoes one row's filter in place (§9.2): a = left, b = above, c = upper left, bytes before the row are 0.</summary>
    public static void Unfilter(int filter, byte[] row, byte[] previous, int bpp)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0;
            row[i] = filter switch
            {
                0 => row[i],
                1 => (byte)(row[i] + a),
                2 => (byte)(row[i] + b),
                3 => (byte)(row[i] + ((a + b) >> 1)),
                4 => (byte)(row[i] + Paeth(a, b, c)),
                _ => throw new InvalidDataException($"PNG filter type {filter} is not one of 0 to 4"),
            };
        }
    }

    /// <summary>The Paeth predictor (§9.4): whichever of a, b, c is closest to a + b − c, ties in that order.</summary>
    public static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static ushort SampleAt(byte[] row, int index, int bitDepth) => bitDepth switch
    {
        16 => (ushort)((row[index * 2] << 8) | row[(index * 2) + 1]),
        8 => row[index],
        _ => (ushort)((row[index * bitDepth / 8] >> (8 - bitDepth - (index * bitDepth % 8))) & ((1 << bitDepth) - 1)),
    };
}
