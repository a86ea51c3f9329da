using System.Globalization;

namespace GradCamAudit.Data.Masks;

/// <summary>
/// The CSV manifest's <c>box</c> field: one or more boxes <c>x,y,w,h</c> in pixels of the original image (top-left
/// corner, then width and height; decimals allowed, invariant culture), separated by <c>;</c>. The field holds commas,
/// so it is quoted in the CSV: <c>"10,20,30,40;5,5,8,8"</c>. Refused (reason <c>box_invalid</c>): anything but four
/// finite numbers per box, a negative corner, a size that is not positive, a far edge beyond 2^31 - 1 pixels
/// (overflow), more than <see cref="MaxBoxes"/> boxes (counted before anything is parsed: hostile input is refused
/// cheaply). Clipping to the image happens when the image's size is known (<see cref="BoxMask"/>).
/// </summary>
public static class BoxList
{
    /// <summary>The most boxes one row may hold.</summary>
    public const int MaxBoxes = 1000;

    /// <summary>The largest far edge (x + w, y + h) accepted: beyond it a pixel index would overflow.</summary>
    public const double MaxEdge = int.MaxValue;

    /// <summary>The boxes of a field, or the reason it is refused.</summary>
    public static IReadOnlyList<PixelBox>? Parse(string field, out string? problem)
    {
        problem = null;
        string text = field.Trim();
        if (text.Length == 0)
        {
            problem = "the box field is empty";
            return null;
        }
        int count = 1 + text.AsSpan().Count(';');
        if (count > MaxBoxes)
        {
            problem = $"{count} boxes, more than the {MaxBoxes} a row may hold";
            return null;
        }
        var boxes = new List<PixelBox>(count);
        foreach (string part in text.Split(';'))
        {
            string[] v = part.Split(',');
            var n = new double[4];
            if (v.Length != 4 || !v.Select((s, i) => double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out n[i])).All(ok => ok))
            {
                problem = $"'{Shorten(part)}' is not x,y,w,h (four numbers; boxes are separated by ';')";
                return null;
            }
            if (!n.All(double.IsFinite) || n[0] < 0 || n[1] < 0)
            {
                problem = $"'{Shorten(part)}' has a negative or non-finite corner";
                return null;
            }
            if (!(n[2] > 0) || !(n[3] > 0))
            {
                problem = $"'{Shorten(part)}' has a width or height that is not positive";
                return null;
            }
            if (n[0] + n[2] > MaxEdge || n[1] + n[3] > MaxEdge)
            {
                problem = $"'{Shorten(part)}' reaches beyond {MaxEdge:F0} pixels (overflow)";
                return null;
            }
            boxes.Add(new PixelBox(n[0], n[1], n[2], n[3]));
        }
        return boxes;
    }

    private static string Shorten(string s) => s.Length <= 60 ? s.Trim() : s[..60].Trim() + "...";
}
