using System.Buffers;
using System.Runtime.CompilerServices;

namespace GradCamAudit.Scoring;

/// <summary>
/// The top-k overlap of one non-negative map with its mask, on the host, for maps that already live in host memory
/// (the CPU backend). Non-negative IEEE floats order as their bit patterns, so the k-th largest value is found by a
/// radix selection: one pass counts the values per top 11 bits and picks the bucket that holds the k-th largest; a
/// second pass counts the mask pixels of the buckets above it and gathers the bucket's own pixels (in row-major
/// order); the last 21 bits are then selected among those few, and the region's ties at the k-th value are taken in
/// row-major order from the gathered list. Two passes over the map instead of a selection plus eight tensor
/// operations; the same rule as the tensor path of <see cref="MaskMetrics.TopOverlap(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, long, bool)"/>.
/// </summary>
public static class TopRegionKernel
{
    private const int TopShift = 21;

    /// <summary>
    /// |top-k region ∩ mask| for one map (mask pixels are the non-zero bytes), or null when the map holds a negative value
    /// or NaN (the bit order no longer matches the value order; the caller uses the tensor path). −0 counts as 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long? Overlap(ReadOnlySpan<float> map, ReadOnlySpan<byte> mask, int k)
    {
        if (k < 1 || k > map.Length || mask.Length != map.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(k), $"k must be in [1, {map.Length}] and the mask as long as the map");
        }
        // Four interleaved histograms: a plateau (zeros, an upsampled map's clamped border) would otherwise make every
        // increment wait for the previous one to the same counter.
        const int Bins = 1 << 11;
        Span<int> counts = stackalloc int[4 * Bins];
        counts.Clear();
        uint largest = 0;
        int i = 0;
        for (; i + 3 < map.Length; i += 4)
        {
            uint a = Key(map[i]), b = Key(map[i + 1]), c = Key(map[i + 2]), d = Key(map[i + 3]);
            largest = Math.Max(largest, Math.Max(Math.Max(a, b), Math.Max(c, d)));
            counts[(int)(a >> TopShift)]++;
            counts[Bins + (int)(b >> TopShift)]++;
            counts[(2 * Bins) + (int)(c >> TopShift)]++;
            counts[(3 * Bins) + (int)(d >> TopShift)]++;
        }
        for (; i < map.Length; i++)
        {
            uint u = Key(map[i]);
            largest = Math.Max(largest, u);
            counts[(int)(u >> TopShift) & (Bins - 1)]++;
        }
        if (largest > 0x7F800000u)
        {
            return null; // a negative value or NaN (their keys lie above +∞'s)
        }
        for (int bin = 0; bin < Bins; bin++)
        {
            counts[bin] += counts[Bins + bin] + counts[(2 * Bins) + bin] + counts[(3 * Bins) + bin];
        }
        int bucket = Bins - 1, remaining = k; // remaining: the k-th largest's rank inside the bucket
        while (remaining > counts[bucket])
        {
            remaining -= counts[bucket];
            bucket--;
        }
        // The bucket's pixels in row-major order, each key with its mask flag in bit 31 (a usable key never sets it).
        int size = counts[bucket];
        uint[] keys = ArrayPool<uint>.Shared.Rent(size + 1);
        try
        {
            long overlap = 0;
            int gathered = 0;
            for (int j = 0; j < map.Length; j++)
            {
                // Branch-free: a pixel's bucket is as likely above, at or below the chosen one as a coin toss.
                uint u = Key(map[j]);
                int top = (int)(u >> TopShift);
                uint isMask = mask[j] != 0 ? 1u : 0u;
                overlap += top > bucket ? isMask : 0u;
                keys[gathered] = u | (isMask << 31); // always written; kept only when the pixel is in the bucket (one slot of slack)
                gathered += top == bucket ? 1 : 0;
            }
            Span<uint> bucketKeys = keys.AsSpan(0, size);
            uint kth = KthLargest(bucketKeys, remaining, out int ties);
            foreach (uint flagged in bucketKeys)
            {
                uint u = flagged & 0x7FFFFFFFu;
                if (u > kth || (u == kth && ties-- > 0))
                {
                    overlap += flagged >> 31;
                }
            }
            return overlap;
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(keys);
        }
    }

    /// <summary>
    /// The <paramref name="k"/>-th largest of keys that share their top 11 bits (bit 31 holds a flag and is ignored;
    /// two more radix levels of 11 and 10 bits), and how many of the keys equal to it the k largest take.
    /// </summary>
    private static uint KthLargest(ReadOnlySpan<uint> keys, int k, out int ties)
    {
        Span<int> counts = stackalloc int[1 << 11];
        uint prefixMask = 0x7FFFFFFFu & (~0u << TopShift);
        uint prefix = keys.Length > 0 ? keys[0] & prefixMask : 0;
        foreach ((int shift, int bits) in ((int, int)[])[(10, 11), (0, 10)])
        {
            uint binMask = (1u << bits) - 1;
            counts[..(1 << bits)].Clear();
            foreach (uint u in keys)
            {
                if ((u & prefixMask) == prefix)
                {
                    counts[(int)((u >> shift) & binMask)]++;
                }
            }
            int bin = (1 << bits) - 1;
            while (k > counts[bin])
            {
                k -= counts[bin];
                bin--;
            }
            prefix |= (uint)bin << shift;
            prefixMask |= binMask << shift;
        }
        ties = k;
        return prefix;
    }

    /// <summary>The float's bits, −0 read as +0: for non-negative values (and +∞) the unsigned order is the value order; NaN and negatives lie above +∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Key(float v)
    {
        uint u = BitConverter.SingleToUInt32Bits(v);
        return u == 0x80000000u ? 0u : u;
    }
}
