namespace GradCamAudit.Data.Masks;

/// <summary>
/// COCO's run-length encoding (the COCO API's mask format): counts of alternating runs of 0 and 1, starting with 0,
/// over the pixels in column-major order (x outer, y inner). The compressed string form packs each count in 5-bit
/// groups, least significant first, one character (48 + group, bit 0x20 = more groups follow, bit 0x10 of the last
/// group = negative) per group, and from the fourth count on stores the difference to the count two places back.
/// </summary>
public static class CocoRle
{
    /// <summary>The column-major 0/1 pixels of an RLE; the counts must cover exactly height·width pixels.</summary>
    public static byte[] Decode(IReadOnlyList<long> counts, int height, int width)
    {
        long total = (long)height * width;
        var mask = new byte[total];
        long at = 0;
        for (int i = 0; i < counts.Count; i++)
        {
            if (counts[i] < 0 || counts[i] > total - at) // never at + counts[i]: a count near long.MaxValue would wrap
            {
                throw new InvalidDataException($"RLE counts cover more than the {height}x{width} image (or are negative)");
            }
            if (i % 2 == 1)
            {
                Array.Fill(mask, (byte)1, (int)at, (int)counts[i]);
            }
            at += counts[i];
        }
        if (at != total)
        {
            throw new InvalidDataException($"RLE counts cover {at} pixels, the {height}x{width} image has {total}");
        }
        return mask;
    }

    /// <summary>The counts of a compressed RLE string.</summary>
    public static long[] DecodeString(string s)
    {
        var counts = new List<long>();
        int p = 0;
        while (p < s.Length)
        {
            long x = 0;
            int k = 0;
            bool more = true;
            while (more)
            {
                if (p >= s.Length)
                {
                    throw new InvalidDataException("compressed RLE string ends inside a count");
                }
                if (k > 12)
                {
                    throw new InvalidDataException("compressed RLE string holds a count of more than 64 bits");
                }
                int c = s[p] - 48;
                if (c is < 0 or > 63)
                {
                    throw new InvalidDataException($"compressed RLE string holds '{s[p]}', outside the 64 characters of the code");
                }
                x |= (long)(c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0)
                {
                    x |= -1L << (5 * k);
                }
            }
            if (counts.Count > 2)
            {
                x += counts[^2];
            }
            counts.Add(x);
        }
        return [.. counts];
    }

    /// <summary>
    /// Why counts cannot be an RLE of a height x width image (a negative count, or a sum other than its pixel count,
    /// checked without overflow), or null: a check made before any pixel is allocated.
    /// </summary>
    public static string? Problem(IReadOnlyList<long> counts, int height, int width)
    {
        long total = (long)height * width;
        long at = 0;
        for (int i = 0; i < counts.Count; i++)
        {
            if (counts[i] < 0)
            {
                return $"RLE count {i} is negative ({counts[i]})";
            }
            if (counts[i] > total - at)
            {
                return $"RLE counts cover more than the {height}x{width} image (count {i} is {counts[i]})";
            }
            at += counts[i];
        }
        return at == total ? null : $"RLE counts cover {at} pixels, the {height}x{width} image has {total}";
    }

    /// <summary>The compressed string of counts (the inverse of <see cref="DecodeString"/>).</summary>
    public static string EncodeString(IReadOnlyList<long> counts)
    {
        var s = new System.Text.StringBuilder();
        for (int i = 0; i < counts.Count; i++)
        {
            long x = counts[i] - (i > 2 ? counts[i - 2] : 0);
            bool more = true;
            while (more)
            {
                int c = (int)(x & 0x1f);
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                s.Append((char)((more ? c | 0x20 : c) + 48));
            }
        }
        return s.ToString();
    }

    /// <summary>The counts of column-major 0/1 pixels.</summary>
    public static long[] Encode(ReadOnlySpan<byte> columnMajor)
    {
        var counts = new List<long>();
        byte state = 0;
        long run = 0;
        foreach (byte v in columnMajor)
        {
            byte bit = v != 0 ? (byte)1 : (byte)0;
            if (bit != state)
            {
                counts.Add(run);
                run = 0;
                state = bit;
            }
            run++;
        }
        counts.Add(run);
        return [.. counts];
    }
}
