using static TorchSharp.torch;

namespace GradCamAudit.Scoring.Metrics;

/// <summary>
/// Weakly supervised localisation of the Grad-CAM paper (Selvaraju et al. 2017, §4.1): binarise the map at 15% of its
/// maximum, take the largest 8-connected component (union-find, on the host, over the small target-layer map; ties
/// go to the component met first in row-major order), scale its bounding box to the input (cell i covers input rows
/// floor(i·H/h) to ceil((i+1)·H/h) − 1), and score the IoU with the mask's bounding box. Null for an empty mask or an
/// all-zero map. Binarising at the target layer's resolution, not the upsampled map's, is this project's choice:
/// the components are those of the map the model produced.
/// </summary>
public sealed class WslIou : MaskMetric
{
    public const double Threshold = 0.15;

    public override MetricInfo Info { get; } = new("weakly supervised localisation IoU", "wsl_iou", false, true, "Selvaraju et al. 2017, §4.1");

    public override Tensor Evaluate(MetricContext c)
    {
        long b = c.RawMaps.shape[0], h = c.RawMaps.shape[1], w = c.RawMaps.shape[2];
        long height = c.Masks.shape[1], width = c.Masks.shape[2];
        Tensor raw = c.RawMaps.to_type(ScalarType.Float32);
        Tensor peak = raw.amax([1, 2], keepdim: true);
        bool[] binary = raw.ge(peak * (float)Threshold).logical_and(peak.gt(0)).cpu().data<bool>().ToArray();
        Tensor rows = c.Masks.gt(0).any(2).to_type(ScalarType.Int64), cols = c.Masks.gt(0).any(1).to_type(ScalarType.Int64);
        long[] box = stack([rows.argmax(1), height - 1 - rows.flip(1).argmax(1), cols.argmax(1), width - 1 - cols.flip(1).argmax(1), rows.sum(1)], 1).cpu().data<long>().ToArray();
        var values = new double[b];
        for (int i = 0; i < b; i++)
        {
            (long y0, long y1, long x0, long x1)? component = LargestComponentBox(binary.AsSpan((int)(i * h * w), (int)(h * w)), (int)h, (int)w);
            if (component is not { } cb || box[(i * 5) + 4] == 0)
            {
                values[i] = double.NaN;
                continue;
            }
            long my0 = (long)Math.Floor((double)cb.y0 * height / h), my1 = (long)Math.Ceiling((double)(cb.y1 + 1) * height / h) - 1;
            long mx0 = (long)Math.Floor((double)cb.x0 * width / w), mx1 = (long)Math.Ceiling((double)(cb.x1 + 1) * width / w) - 1;
            values[i] = BoxIou((my0, my1, mx0, mx1), (box[i * 5], box[(i * 5) + 1], box[(i * 5) + 2], box[(i * 5) + 3]));
        }
        return tensor(values, device: c.Cams.device);
    }

    /// <summary>Bounding box (inclusive cells) of the largest 8-connected set of true cells; null when there is none.</summary>
    public static (long Y0, long Y1, long X0, long X1)? LargestComponentBox(ReadOnlySpan<bool> cells, int h, int w)
    {
        var parent = new int[h * w];
        for (int p = 0; p < parent.Length; p++)
        {
            parent[p] = p;
        }
        int Find(int p)
        {
            while (parent[p] != p)
            {
                parent[p] = parent[parent[p]];
                p = parent[p];
            }
            return p;
        }
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                if (!cells[(y * w) + x])
                {
                    continue;
                }
                // Neighbours already visited in row-major order: left, and the three above.
                foreach ((int dy, int dx) in new[] { (0, -1), (-1, -1), (-1, 0), (-1, 1) })
                {
                    int ny = y + dy, nx = x + dx;
                    if (ny >= 0 && nx >= 0 && nx < w && cells[(ny * w) + nx])
                    {
                        int a = Find((y * w) + x), r = Find((ny * w) + nx);
                        if (a != r)
                        {
                            parent[Math.Max(a, r)] = Math.Min(a, r);
                        }
                    }
                }
            }
        }
        var size = new int[h * w];
        int best = -1;
        for (int p = 0; p < parent.Length; p++)
        {
            if (cells[p] && ++size[Find(p)] > (best < 0 ? 0 : size[best]))
            {
                best = Find(p);
            }
        }
        if (best < 0)
        {
            return null;
        }
        long y0 = long.MaxValue, y1 = -1, x0 = long.MaxValue, x1 = -1;
        for (int p = 0; p < parent.Length; p++)
        {
            if (cells[p] && Find(p) == best)
            {
                (y0, y1, x0, x1) = (Math.Min(y0, p / w), Math.Max(y1, p / w), Math.Min(x0, p % w), Math.Max(x1, p % w));
            }
        }
        return (y0, y1, x0, x1);
    }

    /// <summary>IoU of two inclusive pixel boxes (y0, y1, x0, x1).</summary>
    public static double BoxIou((long Y0, long Y1, long X0, long X1) a, (long Y0, long Y1, long X0, long X1) b)
    {
        long ih = Math.Min(a.Y1, b.Y1) - Math.Max(a.Y0, b.Y0) + 1, iw = Math.Min(a.X1, b.X1) - Math.Max(a.X0, b.X0) + 1;
        double inter = ih > 0 && iw > 0 ? (double)ih * iw : 0;
        double areaA = (double)(a.Y1 - a.Y0 + 1) * (a.X1 - a.X0 + 1), areaB = (double)(b.Y1 - b.Y0 + 1) * (b.X1 - b.X0 + 1);
        return inter / (areaA + areaB - inter);
    }
}
