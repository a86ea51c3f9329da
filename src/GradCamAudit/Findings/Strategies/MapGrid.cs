namespace GradCamAudit.Findings.Strategies;

/// <summary>
/// The map space strategies are found in: a predicted-class map resampled to a fixed small grid by area averaging
/// (each grid cell the overlap-weighted mean of the map cells it covers, so any map size, coarser or finer, lands on the
/// same grid) and normalised to unit sum (negative values clipped to 0 first): a distribution of attention over the
/// image, independent of the map's scale and of the model's confidence, as SpRAy compares relevance maps.
/// </summary>
public static class MapGrid
{
    /// <summary>
    /// The map (row-major <paramref name="height"/> x <paramref name="width"/>) on a <paramref name="side"/> x
    /// <paramref name="side"/> grid with unit sum; null when it has no attention (all zero, wrong size or not finite).
    /// </summary>
    public static float[]? Normalise(ReadOnlySpan<float> map, int height, int width, int side)
    {
        if (height <= 0 || width <= 0 || map.Length != height * width || side <= 0)
        {
            return null;
        }
        var grid = new double[side * side];
        for (int gy = 0; gy < side; gy++)
        {
            double y0 = (double)gy * height / side, y1 = (double)(gy + 1) * height / side;
            for (int gx = 0; gx < side; gx++)
            {
                double x0 = (double)gx * width / side, x1 = (double)(gx + 1) * width / side;
                double sum = 0;
                for (int y = (int)Math.Floor(y0); y < Math.Min(height, (int)Math.Ceiling(y1)); y++)
                {
                    double wy = Math.Min(y1, y + 1) - Math.Max(y0, y);
                    for (int x = (int)Math.Floor(x0); x < Math.Min(width, (int)Math.Ceiling(x1)); x++)
                    {
                        double wx = Math.Min(x1, x + 1) - Math.Max(x0, x);
                        float v = map[(y * width) + x];
                        if (!float.IsFinite(v))
                        {
                            return null;
                        }
                        sum += wy * wx * Math.Max(0f, v);
                    }
                }
                grid[(gy * side) + gx] = sum / ((y1 - y0) * (x1 - x0));
            }
        }
        double total = grid.Sum();
        if (!(total > 0) || !double.IsFinite(total))
        {
            return null;
        }
        return grid.Select(g => (float)(g / total)).ToArray();
    }

    /// <summary>Squared Euclidean distance of two grids.</summary>
    public static double Distance2(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i];
            s += d * d;
        }
        return s;
    }

    /// <summary>Histogram intersection of two unit-sum grids (Swain and Ballard 1991): the attention mass they share, in [0, 1].</summary>
    public static double Intersection(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            s += Math.Min(a[i], b[i]);
        }
        return s;
    }

    private static readonly string[,] Regions =
    {
        { "the top-left corner", "the top edge", "the top-right corner" },
        { "the left edge", "the centre", "the right edge" },
        { "the bottom-left corner", "the bottom edge", "the bottom-right corner" },
    };

    /// <summary>Below this share of the mass in its heaviest ninth, a map is described as spread over the image.</summary>
    public const double SpreadBelow = 0.3;

    /// <summary>
    /// Where a unit-sum grid's mass is: the heaviest of the image's ninths (3 x 3 regions, cells split by area), e.g.
    /// "the bottom-right corner", with its share; "the whole image (spread)" when no ninth holds <see cref="SpreadBelow"/>.
    /// </summary>
    public static (string Region, double Share) Describe(ReadOnlySpan<float> grid, int side)
    {
        var mass = new double[3, 3];
        for (int y = 0; y < side; y++)
        {
            for (int x = 0; x < side; x++)
            {
                // Split a cell between the ninths it overlaps, by area (a side not divisible by 3).
                for (int ry = 0; ry < 3; ry++)
                {
                    double oy = Overlap(y, y + 1, ry * side / 3.0, (ry + 1) * side / 3.0);
                    for (int rx = 0; rx < 3 && oy > 0; rx++)
                    {
                        mass[ry, rx] += oy * Overlap(x, x + 1, rx * side / 3.0, (rx + 1) * side / 3.0) * grid[(y * side) + x];
                    }
                }
            }
        }
        (int by, int bx, double best) = (1, 1, -1.0);
        for (int ry = 0; ry < 3; ry++)
        {
            for (int rx = 0; rx < 3; rx++)
            {
                if (mass[ry, rx] > best + 1e-12)
                {
                    (by, bx, best) = (ry, rx, mass[ry, rx]);
                }
            }
        }
        return best < SpreadBelow ? ("the whole image (spread)", best) : (Regions[by, bx], best);
    }

    private static double Overlap(double a0, double a1, double b0, double b1) => Math.Max(0, Math.Min(a1, b1) - Math.Max(a0, b0));
}
