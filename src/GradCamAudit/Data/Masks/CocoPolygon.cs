namespace GradCamAudit.Data.Masks;

/// <summary>
/// Polygon rasterisation by the rule of the COCO API's <c>rleFrPoly</c> (cocoapi common/maskApi.c), so masks agree
/// pixel for pixel with what pycocotools computes: vertices are scaled by 5 and rounded (x·5 + 0.5, truncated), each
/// edge is walked one step at a time along its longer axis (the other coordinate rounded the same way, edges
/// walked from their lower end), and wherever the walk moves from one x to the next, the column between them is
/// crossed if its pixel centre lies there (x' + 0.5 = 5·(col + 0.5)); the crossing row is the smaller of the two
/// y's, scaled back and rounded up, clamped to [0, height]. Each crossing toggles inside/outside at that position
/// of the column-major order, and the pixels are the running parity (a crossing at row = height toggles the top of
/// the next column, as in the COCO API). Boxes are the polygon of their four corners (<c>rleFrBbox</c>).
/// </summary>
public static class CocoPolygon
{
    private const double Scale = 5;

    /// <summary>The polygon (x0, y0, x1, y1, ...) as column-major 0/1 pixels of a height x width image.</summary>
    public static byte[] Rasterise(IReadOnlyList<double> xy, int height, int width)
    {
        var mask = new byte[(long)height * width];
        RasteriseInto(xy, height, width, mask);
        return mask;
    }

    /// <summary>
    /// ORs the polygon into a column-major mask. The crossings are collected as positions and sorted; the pixels
    /// between each odd and the next even crossing are set, so the cost is the edges' length plus the covered pixels,
    /// not height x width per polygon. Vertices must be finite (see <see cref="CocoShape.Problem"/>).
    /// </summary>
    public static void RasteriseInto(IReadOnlyList<double> xy, int height, int width, byte[] columnMajor)
    {
        int k = xy.Count / 2;
        if (k == 0)
        {
            return;
        }
        var xs = new int[k + 1];
        var ys = new int[k + 1];
        for (int j = 0; j < k; j++)
        {
            xs[j] = (int)((Scale * xy[2 * j]) + 0.5);
            ys[j] = (int)((Scale * xy[(2 * j) + 1]) + 0.5);
        }
        (xs[k], ys[k]) = (xs[0], ys[0]);
        var walk = new List<(int U, int V)>();
        var crossings = new List<long>();
        for (int j = 0; j < k; j++)
        {
            Walk(xs[j], ys[j], xs[j + 1], ys[j + 1], walk);
        }
        for (int j = 1; j < walk.Count; j++)
        {
            (int u0, int v0) = walk[j - 1];
            (int u1, int v1) = walk[j];
            if (u1 == u0)
            {
                continue;
            }
            double column = ((Math.Min(u0, u1) + 0.5) / Scale) - 0.5;
            if (Math.Floor(column) != column || column < 0 || column > width - 1)
            {
                continue;
            }
            double row = Math.Ceiling(Math.Clamp(((Math.Min(v0, v1) + 0.5) / Scale) - 0.5, 0, height));
            crossings.Add(((long)column * height) + (long)row);
        }
        crossings.Sort();
        long n = (long)height * width;
        long start = -1;
        int i = 0;
        while (i < crossings.Count)
        {
            long at = crossings[i];
            int same = 1;
            while (i + same < crossings.Count && crossings[i + same] == at)
            {
                same++;
            }
            i += same;
            if (same % 2 == 0)
            {
                continue; // an even number of toggles at one position cancels out
            }
            if (start < 0)
            {
                start = at;
            }
            else
            {
                columnMajor.AsSpan((int)Math.Min(start, n), (int)(Math.Min(at, n) - Math.Min(start, n))).Fill(1);
                start = -1;
            }
        }
        if (start >= 0 && start < n)
        {
            columnMajor.AsSpan((int)start).Fill(1); // an unclosed parity runs to the end, as the running sum did
        }
    }

    /// <summary>The integer points of one scaled edge, stepping along its longer axis from its lower end (the edge's own order kept).</summary>
    private static void Walk(int x0, int y0, int x1, int y1, List<(int U, int V)> points)
    {
        int dx = Math.Abs(x1 - x0), dy = Math.Abs(y1 - y0);
        bool alongX = dx >= dy;
        int steps = alongX ? dx : dy;
        if (steps == 0)
        {
            points.Add((x0, y0));
            return;
        }
        bool flip = alongX ? x0 > x1 : y0 > y1;
        (int sx, int sy, int ex, int ey) = flip ? (x1, y1, x0, y0) : (x0, y0, x1, y1);
        double slope = alongX ? (double)(ey - sy) / steps : (double)(ex - sx) / steps;
        for (int d = 0; d <= steps; d++)
        {
            int t = flip ? steps - d : d;
            points.Add(alongX ? (t + sx, (int)(sy + (slope * t) + 0.5)) : ((int)(sx + (slope * t) + 0.5), t + sy));
        }
    }

    /// <summary>A box [x, y, width, height] as its corner polygon, in the COCO API's order.</summary>
    public static double[] BoxPolygon(double[] box) =>
        [box[0], box[1], box[0], box[1] + box[3], box[0] + box[2], box[1] + box[3], box[0] + box[2], box[1]];
}
