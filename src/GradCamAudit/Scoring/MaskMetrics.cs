using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace GradCamAudit.Scoring;

/// <summary>Parameters of the overlap metrics.</summary>
/// <param name="PointingTolerancePx">Euclidean tolerance, in input pixels, of the pointing game.</param>
/// <param name="TopFraction">q of <c>iou_top</c>: the ceil(q·H·W) highest map pixels are compared with the mask.</param>
public sealed record MetricSettings(double PointingTolerancePx, double TopFraction);

/// <summary>Per-sample metrics of one batch, each (B,) on the device; <see cref="Valid"/> is false where they are undefined.</summary>
public sealed record MetricTensors(Tensor EnergyInMask, Tensor EnergyLift, Tensor PointingHit, Tensor IouTop, Tensor Valid, Tensor CamIsZero);

/// <summary>
/// Overlap of a CAM with an object mask, batched on the device. Maps are the ReLU'd maps upsampled to the
/// input (B,H,W, non-negative, not min-max normalised: the scores are scale-free). Masks are (B,H,W) of 0/1.
/// Undefined cases: an empty mask or an all-zero map makes every metric of that sample undefined (Valid=false,
/// written as null); an all-zero map also counts as off-object.
/// </summary>
public static class MaskMetrics
{
    /// <summary>
    /// energy_in_mask = Σ cam·mask / Σ cam: the energy-based pointing game (Wang et al. 2020, Score-CAM §4.3).
    /// energy_lift = energy_in_mask / mask_fraction: 1.0 is what a uniform map scores.
    /// pointing_hit: a maximal map pixel lies within the tolerance (Euclidean, pixels) of the mask (Zhang et al. 2016).
    /// iou_top: IoU of the mask with the ceil(q·H·W) highest map pixels; ties at the k-th value go to the lowest
    /// row-major indices (topk's own order among ties is unspecified, which would make results differ run to run).
    /// </summary>
    /// <param name="cams">Maps (B,H,W), non-negative.</param>
    /// <param name="masks">Masks (B,H,W) of 0/1.</param>
    /// <param name="settings">Tolerance and top fraction.</param>
    public static MetricTensors Score(Tensor cams, Tensor masks, MetricSettings settings)
    {
        using var scope = NewDisposeScope();
        var c = new Metrics.MetricContext(cams, masks, cams, settings);
        Tensor F(Metrics.MaskMetric m) => m.Evaluate(c).nan_to_num(0.0).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
        return new MetricTensors(
            F(new Metrics.EnergyInMask()), F(new Metrics.EnergyLift()), new Metrics.PointingGame().Evaluate(c).nan_to_num(0.0).gt(0.5).MoveToOuterDisposeScope(),
            F(new Metrics.IouTop()), c.Valid.MoveToOuterDisposeScope(), c.Total.le(0).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// |top-k region ∩ mask| per map (B, float64), the top-k region being the k highest pixels with ties at the k-th
    /// value taken in row-major order (lowest indices first), so the result is deterministic. On the CPU backend the
    /// maps are counted where they lie, by <see cref="TopRegionKernel"/> (a radix selection, two passes per map). The
    /// tensor path (a GPU; or maps with negative values) selects the k-th value (kthvalue, no sort), counts the pixels
    /// at or above it, and only where a plateau at the k-th value reaches past the region applies the tie rule row by
    /// row: the rows whose ties all fit in the room left count in full, and one partial row pixel by pixel.
    /// </summary>
    /// <param name="maps">Maps (B,H,W).</param>
    /// <param name="masks">Masks (B,H,W) of 0/1, any type (bytes spare the host kernel a conversion).</param>
    /// <param name="k">Region size, 1 ≤ k ≤ H·W.</param>
    /// <param name="hostKernel">On the CPU backend, count with <see cref="TopRegionKernel"/> (false: the tensor path, as on a GPU).</param>
    public static Tensor TopOverlap(Tensor maps, Tensor masks, long k, bool hostKernel = true)
    {
        using var scope = NewDisposeScope();
        long b = maps.shape[0], n = maps.shape[1] * maps.shape[2];
        if (hostKernel && maps.device_type == TorchSharp.DeviceType.CPU && maps.dtype == ScalarType.Float32
            && HostOverlap(maps.contiguous(), (masks.dtype == ScalarType.Byte ? masks : masks.gt(0).to_type(ScalarType.Byte)).contiguous(), (int)k) is double[] counted)
        {
            return tensor(counted).MoveToOuterDisposeScope();
        }
        // The k-th largest value is the (n − k + 1)-th smallest: a selection (O(n)), not a top-k sort.
        Tensor kth = maps.reshape(b, n).kthvalue(n - k + 1, dim: 1, keepdim: true).values.view(b, 1, 1);
        Tensor atLeast = maps.ge(kth);
        Tensor inMask = masks.gt(0);
        Tensor overlap = atLeast.logical_and(inMask).sum([1, 2]);
        // Usually the pixels ≥ the k-th value are exactly k (one pixel at that value, or a plateau taken whole), and
        // they are the region. Where a plateau reaches past the region (the clamped border strips of an upsampled map,
        // a map that is mostly zero), the tie rule decides: only those maps take the longer count (one host sync).
        long[] tiedPast = atLeast.sum([1, 2]).gt(k).nonzero().flatten().cpu().data<long>().ToArray();
        if (tiedPast.Length > 0)
        {
            Tensor rows = tensor(tiedPast, device: maps.device);
            overlap.index_copy_(0, rows, Overlap(maps.index_select(0, rows), inMask.index_select(0, rows), kth.index_select(0, rows), full(tiedPast.Length, k, ScalarType.Int64, maps.device)));
        }
        return overlap.to_type(ScalarType.Float64).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="TopOverlap(Tensor, Tensor, long, bool)"/> with a k per map (B, any numeric type, at least 1): the k-th value from a descending sort.</summary>
    public static Tensor TopOverlap(Tensor maps, Tensor masks, Tensor k)
    {
        using var scope = NewDisposeScope();
        long b = maps.shape[0];
        Tensor kk = k.to_type(ScalarType.Int64).clamp_min(1);
        Tensor kth = maps.reshape(b, -1).sort(1, descending: true).Values.gather(1, kk.unsqueeze(1) - 1).view(b, 1, 1);
        return Overlap(maps, masks, kth, kk).to_type(ScalarType.Float64).MoveToOuterDisposeScope();
    }

    /// <summary>The host kernel over every map of a CPU batch (masks as bytes); null when some map has a negative or NaN value.</summary>
    private static double[]? HostOverlap(Tensor maps, Tensor masks, int k)
    {
        int b = (int)maps.shape[0], n = (int)(maps.shape[1] * maps.shape[2]);
        var result = new double[b];
        // One map after the other: LibTorch's worker threads still spin for a while after each tensor operation, so
        // parallel maps measured slower here (15 ms against 12.6 ms for ten batches of 8 maps on 2 cores).
        for (int i = 0; i < b; i++)
        {
            long? overlap = TopRegionKernel.Overlap(MemoryMarshal.Cast<byte, float>(maps.bytes).Slice(i * n, n), masks.bytes.Slice(i * n, n), k);
            if (overlap is not long value)
            {
                return null;
            }
            result[i] = value;
        }
        return result;
    }

    /// <summary>|top-k region ∩ mask| (B, int64) of maps (B,H,W) with their k-th values (B,1,1) and region sizes k (B).</summary>
    private static Tensor Overlap(Tensor maps, Tensor masks, Tensor kth, Tensor k)
    {
        long b = maps.shape[0], h = maps.shape[1], w = maps.shape[2];
        Tensor inMask = masks.dtype == ScalarType.Bool ? masks : masks.gt(0);
        Tensor above = maps.gt(kth);
        Tensor tied = maps.eq(kth);
        Tensor room = (k - above.sum([1, 2])).unsqueeze(1); // ties to take, ≥ 1
        Tensor tiedRows = tied.sum(2); // (B,H)
        Tensor tiedInMaskRows = tied.logical_and(inMask).sum(2);
        Tensor upTo = tiedRows.cumsum(1);
        Tensor whole = upTo.le(room); // a prefix of the rows: their ties are all taken
        Tensor partialRow = whole.sum(1, keepdim: true).clamp_max(h - 1); // the first row not taken whole
        Tensor need = (room - (upTo - tiedRows).gather(1, partialRow)).mul(whole.all(1, keepdim: true).logical_not()); // 0 when every row fits
        Tensor rowIndex = partialRow.view(b, 1, 1).expand(b, 1, w);
        Tensor rowTies = tied.gather(1, rowIndex).squeeze(1); // (B,W)
        Tensor rowInMask = inMask.gather(1, rowIndex).squeeze(1);
        Tensor partial = rowTies.logical_and(rowTies.to_type(ScalarType.Int64).cumsum(1).le(need)).logical_and(rowInMask).sum(1);
        return above.logical_and(inMask).sum([1, 2]) + (tiedInMaskRows * whole).sum(1) + partial;
    }

    /// <summary>
    /// The pointing game's tolerance region of each mask (B,H,W → B,H,W of 0/1 float32 on <paramref name="device"/>,
    /// default the masks' own): the pixels within Euclidean distance <paramref name="radius"/> of the mask, computed on
    /// the host (<see cref="MaskNeighbourhood"/>). Masks decoded on the host are passed as they are, before upload.
    /// </summary>
    public static Tensor Near(Tensor masks, double radius, Device? device = null)
    {
        using var scope = NewDisposeScope();
        int b = (int)masks.shape[0], h = (int)masks.shape[1], w = (int)masks.shape[2];
        Tensor host = masks.gt(0).to_type(ScalarType.Byte).cpu().contiguous();
        Tensor near = empty([b, h, w], ScalarType.Byte);
        for (int i = 0; i < b; i++)
        {
            MaskNeighbourhood.Near(host.bytes.Slice(i * h * w, h * w), h, w, radius, near.bytes.Slice(i * h * w, h * w));
        }
        return near.to(device ?? masks.device).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Pointing game (Zhang et al. 2016): true when some maximal pixel of the map lies within the tolerance region
    /// <paramref name="near"/> (B,H,W of 0/1, see <see cref="Near"/>). Exact and three passes per map, whatever the peak
    /// set looks like (one peak, a plateau, scattered ties): the largest value inside the region equals the map's
    /// maximum exactly when a maximal pixel is inside. An all-zero map has no peak (false). Maps are non-negative.
    /// </summary>
    public static Tensor PointingHit(Tensor cams, Tensor near)
    {
        using var scope = NewDisposeScope();
        Tensor peak = cams.amax([1, 2]);
        return (cams * near).amax([1, 2]).eq(peak).logical_and(peak.gt(0)).MoveToOuterDisposeScope();
    }

    /// <summary>The pointing game against masks with a Euclidean tolerance in pixels (the tolerance region computed here).</summary>
    public static Tensor PointingHit(Tensor cams, Tensor masks, double radius)
    {
        using var scope = NewDisposeScope();
        return PointingHit(cams, Near(masks, radius)).MoveToOuterDisposeScope();
    }
}
