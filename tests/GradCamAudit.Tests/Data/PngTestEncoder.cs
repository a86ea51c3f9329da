using System.Buffers.Binary;
using System.IO.Compression;

namespace GradCamAudit.Tests.Data;

/// <summary>
/// A PNG writer for tests and fixtures (ISO/IEC 15948), independent of the reader under test in how it walks the
/// data: samples are packed per pass and row, each row filtered with a chosen filter type (cycling through all five
/// by default), the stream deflated with <see cref="ZLibStream"/>, chunks written with their CRC-32.
/// </summary>
public static class PngTestEncoder
{
    public static byte[] Encode(int width, int height, int colorType, int bitDepth, ushort[] samples, byte[]? palette = null, bool interlaced = false, Func<int, int>? filterOfRow = null)
    {
        int channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        filterOfRow ??= r => r % 5;
        var raw = new MemoryStream();
        int rowIndex = 0;
        (int X0, int Y0, int Dx, int Dy)[] passes = interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)];
        foreach (var p in passes)
        {
            int pw = (width - p.X0 + p.Dx - 1) / p.Dx, ph = (height - p.Y0 + p.Dy - 1) / p.Dy;
            if (pw <= 0 || ph <= 0)
            {
                continue;
            }
            int rowBytes = ((pw * channels * bitDepth) + 7) / 8;
            int bpp = Math.Max(1, channels * bitDepth / 8);
            var previous = new byte[rowBytes];
            for (int y = 0; y < ph; y++)
            {
                var row = new byte[rowBytes];
                for (int x = 0; x < pw; x++)
                {
                    for (int c = 0; c < channels; c++)
                    {
                        int v = samples[((((p.Y0 + (y * p.Dy)) * width) + p.X0 + (x * p.Dx)) * channels) + c];
                        int i = (x * channels) + c;
                        if (bitDepth == 16)
                        {
                            row[2 * i] = (byte)(v >> 8);
                            row[(2 * i) + 1] = (byte)v;
                        }
                        else if (bitDepth == 8)
                        {
                            row[i] = (byte)v;
                        }
                        else
                        {
                            int bit = i * bitDepth;
                            row[bit / 8] |= (byte)(v << (8 - bitDepth - (bit % 8)));
                        }
                    }
                }
                int filter = filterOfRow(rowIndex++);
                raw.WriteByte((byte)filter);
                for (int i = 0; i < rowBytes; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, b = previous[i], cc = i >= bpp ? previous[i - bpp] : 0;
                    int predictor = filter switch { 1 => a, 2 => b, 3 => (a + b) / 2, 4 => Paeth(a, b, cc), _ => 0 };
                    raw.WriteByte((byte)(row[i] - predictor));
                }
                previous = row;
            }
        }
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(z);
        }
        var png = new MemoryStream();
        png.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        (ihdr[8], ihdr[9], ihdr[12]) = ((byte)bitDepth, (byte)colorType, (byte)(interlaced ? 1 : 0));
        Chunk(png, "IHDR", ihdr);
        if (palette != null)
        {
            Chunk(png, "PLTE", palette);
        }
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(head, 4);
        s.Write(head);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32([.. head.AsSpan(4).ToArray(), .. data]));
        s.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }
        return ~crc;
    }

    /// <summary>A palette PNG (8-bit indices) of a row-major index plane, with a VOC-like colour map.</summary>
    public static byte[] Palette8(int width, int height, byte[] indices)
    {
        var palette = new byte[256 * 3];
        for (int i = 0; i < 256; i++)
        {
            (palette[3 * i], palette[(3 * i) + 1], palette[(3 * i) + 2]) = ((byte)(i * 37), (byte)(i * 91), (byte)(i == 0 ? 0 : 255 - i));
        }
        return Encode(width, height, 3, 8, indices.Select(v => (ushort)v).ToArray(), palette);
    }
}
