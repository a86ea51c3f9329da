namespace GradCamAudit.Data.Masks;

/// <summary>
/// One axis-aligned box in the original image's pixel coordinates: (<see cref="X"/>, <see cref="Y"/>) its top-left
/// corner, <see cref="W"/> and <see cref="H"/> its size, where pixel (i, j) covers [i, i + 1) x [j, j + 1). A pixel
/// belongs to the box when its centre (i + 0.5, j + 0.5) lies inside, half-open: <c>X &lt;= i + 0.5 &lt; X + W</c>
/// (and the same in y), so a box of integer corners covers exactly the pixels it encloses and two boxes that touch never
/// share a pixel. Pixels outside the image are clipped away.
/// </summary>
public readonly record struct PixelBox(double X, double Y, double W, double H)
{
    /// <summary>The covered pixels, clipped to a width x height image: columns [X0, X1), rows [Y0, Y1) (empty when either is empty).</summary>
    public (int X0, int X1, int Y0, int Y1) Pixels(int width, int height) =>
        (Edge(X, width), Edge(X + W, width), Edge(Y, height), Edge(Y + H, height));

    /// <summary>True when the box covers at least one pixel centre of a width x height image.</summary>
    public bool CoversAny(int width, int height)
    {
        (int x0, int x1, int y0, int y1) = Pixels(width, height);
        return x0 < x1 && y0 < y1;
    }

    /// <summary>The first pixel index whose centre is at or past <paramref name="edge"/>, clamped to [0, size].</summary>
    private static int Edge(double edge, int size) => (int)Math.Clamp(Math.Ceiling(edge - 0.5), 0, size);

    /// <summary>
    /// The union of <paramref name="boxes"/> on a width x height image, row-major, 1 inside. A sweep over the rows where a
    /// box starts or ends: each such row is recomputed from the active boxes (a difference array), the rows between copy
    /// it, so the cost is the image's pixels plus (rows with an event) x (width + boxes), never boxes x area.
    /// </summary>
    public static byte[] Rasterise(IReadOnlyList<PixelBox> boxes, int width, int height)
    {
        var plane = new byte[(long)width * height];
        var spans = boxes.Select(b => b.Pixels(width, height)).Where(p => p.X0 < p.X1 && p.Y0 < p.Y1).ToArray();
        if (spans.Length == 0)
        {
            return plane;
        }
        int[] rows = spans.SelectMany(s => new[] { s.Y0, s.Y1 }).Append(height).Distinct().Order().ToArray();
        var diff = new int[width + 1];
        var pattern = new byte[width];
        for (int k = 0; k + 1 < rows.Length; k++)
        {
            int from = rows[k], to = rows[k + 1];
            Array.Clear(diff);
            bool any = false;
            foreach (var s in spans)
            {
                if (s.Y0 <= from && from < s.Y1)
                {
                    diff[s.X0]++;
                    diff[s.X1]--;
                    any = true;
                }
            }
            if (!any)
            {
                continue;
            }
            int cover = 0;
            for (int x = 0; x < width; x++)
            {
                cover += diff[x];
                pattern[x] = (byte)(cover > 0 ? 1 : 0);
            }
            for (int y = from; y < to; y++)
            {
                pattern.CopyTo(plane, (long)y * width);
            }
        }
        return plane;
    }
}
