using System.Buffers;
using System.Runtime.CompilerServices;

namespace GradCamAudit.Scoring;

/// <summary>
/// The pixels within Euclidean distance r of an object mask (a disk-shaped dilation), on the host over the decoded
/// mask: the pointing game's tolerance region, computed once per sample and shared by every map scored against it.
/// Exact and O(H·W) whatever r: a row pass finds each pixel's horizontal distance g to the nearest mask pixel of its
/// row; a pixel (y, x) is near when some row y′ has g(y′, x)² + (y − y′)² ≤ r². So each run of equal g ≤ r in row y′
/// covers the rectangle of its columns × the rows y′ ± floor(√(r² − g²)): the rectangles go into a 2-D difference
/// array (four corners each), summed once over the image. A row has about 2r + 1 runs per edge of the mask.
/// </summary>
public static class MaskNeighbourhood
{
    /// <summary>Writes 1 to <paramref name="near"/> where a pixel lies within <paramref name="radius"/> of a non-zero mask pixel, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Near(ReadOnlySpan<byte> mask, int height, int width, double radius, Span<byte> near)
    {
        int pixels = height * width;
        if (mask.Length < pixels || near.Length < pixels)
        {
            throw new ArgumentException($"mask and output need {pixels} pixels");
        }
        int r = (int)Math.Floor(radius);
        if (r <= 0)
        {
            for (int p = 0; p < pixels; p++)
            {
                near[p] = mask[p] != 0 ? (byte)1 : (byte)0;
            }
            return;
        }
        // Half-height of the disk at horizontal offset g (the 1e-9 keeps an integer radius's own points, e.g. (3, 4) at r = 5).
        var halfHeight = new int[r + 1];
        for (int g = 0; g <= r; g++)
        {
            halfHeight[g] = (int)Math.Floor(Math.Sqrt((radius * radius) - (g * g)) + 1e-9);
        }
        int stride = width + 1;
        // Pooled: a 224x224 mask's difference array is 200 KB, which would land on the large-object heap every call.
        int[] diff = ArrayPool<int>.Shared.Rent((height + 1) * stride);
        int[] distance = ArrayPool<int>.Shared.Rent(width);
        int[] covered = ArrayPool<int>.Shared.Rent(width);
        try
        {
            Array.Clear(diff, 0, (height + 1) * stride);
            Array.Clear(covered, 0, width);
            Fill(mask, height, width, r, halfHeight, diff, distance);
            Sum(diff, height, width, covered, near);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(diff);
            ArrayPool<int>.Shared.Return(distance);
            ArrayPool<int>.Shared.Return(covered);
        }
    }

    /// <summary>The rectangles each run of equal horizontal distance covers, as corner increments of <paramref name="diff"/> ((H+1)·(W+1)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Fill(ReadOnlySpan<byte> mask, int height, int width, int r, int[] halfHeight, int[] diff, int[] distance)
    {
        int stride = width + 1;
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> row = mask.Slice(y * width, width);
            if (row.IndexOfAnyExcept((byte)0) < 0)
            {
                continue; // no mask pixel in this row: it covers nothing
            }
            int last = int.MinValue / 2;
            for (int x = 0; x < width; x++)
            {
                if (row[x] != 0)
                {
                    last = x;
                }
                distance[x] = x - last;
            }
            last = int.MaxValue / 2;
            for (int x = width - 1; x >= 0; x--)
            {
                if (row[x] != 0)
                {
                    last = x;
                }
                distance[x] = Math.Min(distance[x], last - x);
            }
            for (int x0 = 0; x0 < width;)
            {
                int g = distance[x0], x1 = x0 + 1;
                while (x1 < width && distance[x1] == g)
                {
                    x1++;
                }
                if (g <= r)
                {
                    int top = Math.Max(0, y - halfHeight[g]) * stride, bottom = (Math.Min(height - 1, y + halfHeight[g]) + 1) * stride;
                    diff[top + x0]++;
                    diff[top + x1]--;
                    diff[bottom + x0]--;
                    diff[bottom + x1]++;
                }
                x0 = x1;
            }
        }
    }

    /// <summary>The 2-D prefix sum of <paramref name="diff"/>: 1 where some rectangle covers the pixel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sum(int[] diff, int height, int width, int[] covered, Span<byte> near)
    {
        int stride = width + 1;
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<int> d = diff.AsSpan(y * stride, width);
            Span<byte> output = near.Slice(y * width, width);
            int run = 0;
            for (int x = 0; x < width; x++)
            {
                run += d[x];
                covered[x] += run;
                output[x] = covered[x] > 0 ? (byte)1 : (byte)0;
            }
        }
    }
}
