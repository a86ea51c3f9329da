using GradCamAudit.Data;

namespace GradCamAudit.Reporting;

/// <summary>
/// Display-only image work for the report: bilinear upsampling of a raw map (align_corners = false, as the
/// audit's scoring), min-max normalisation (display only: it changes energy ratios, so scores never use it),
/// a perceptually uniform colormap (viridis, piecewise-linear through 9 anchors), mask outlines, PNG data URIs.
/// </summary>
public static class Overlay
{
    private static readonly byte[,] Viridis =
    {
        { 68, 1, 84 }, { 71, 44, 122 }, { 59, 81, 139 }, { 44, 113, 142 }, { 33, 144, 141 },
        { 39, 173, 129 }, { 92, 200, 99 }, { 170, 220, 50 }, { 253, 231, 37 },
    };

    /// <summary>Bilinear resize of a (h,w) map to (H,W) with PyTorch's align_corners=false convention.</summary>
    public static float[] Upsample(float[] map, int h, int w, int height, int width)
    {
        var result = new float[height * width];
        float sy = (float)h / height, sx = (float)w / width;
        for (int y = 0; y < height; y++)
        {
            float fy = Math.Max(0f, ((y + 0.5f) * sy) - 0.5f);
            int y0 = Math.Min((int)fy, h - 1), y1 = Math.Min(y0 + 1, h - 1);
            float wy = fy - y0;
            for (int x = 0; x < width; x++)
            {
                float fx = Math.Max(0f, ((x + 0.5f) * sx) - 0.5f);
                int x0 = Math.Min((int)fx, w - 1), x1 = Math.Min(x0 + 1, w - 1);
                float wx = fx - x0;
                float top = (map[(y0 * w) + x0] * (1 - wx)) + (map[(y0 * w) + x1] * wx);
                float bottom = (map[(y1 * w) + x0] * (1 - wx)) + (map[(y1 * w) + x1] * wx);
                result[(y * width) + x] = (top * (1 - wy)) + (bottom * wy);
            }
        }
        return result;
    }

    /// <summary>Viridis colour of t in [0,1].</summary>
    public static (byte R, byte G, byte B) Colour(float t)
    {
        t = Math.Clamp(float.IsFinite(t) ? t : 0f, 0f, 1f) * 8f;
        int i = Math.Min((int)t, 7);
        float f = t - i;
        byte Mix(int c) => (byte)Math.Round((Viridis[i, c] * (1 - f)) + (Viridis[i + 1, c] * f));
        return (Mix(0), Mix(1), Mix(2));
    }

    /// <summary>
    /// The image (RGB HWC) with the map blended on top (alpha 0.55) and the mask outline in white. The map is min-max
    /// normalised for display unless <paramref name="normalise"/> is false (a map already on [0, 1], such as a mean map).
    /// </summary>
    public static byte[] Blend(byte[] rgb, float[]? map, byte[]? mask, int height, int width, bool normalise = true)
    {
        var output = (byte[])rgb.Clone();
        if (map != null)
        {
            float max = normalise ? map.Max() : 1f, min = normalise ? map.Min() : 0f;
            float range = max - min;
            for (int p = 0; p < map.Length; p++)
            {
                (byte r, byte g, byte b) = Colour(range > 0 ? (map[p] - min) / range : 0f);
                output[p * 3] = (byte)((rgb[p * 3] * 0.45f) + (r * 0.55f));
                output[(p * 3) + 1] = (byte)((rgb[(p * 3) + 1] * 0.45f) + (g * 0.55f));
                output[(p * 3) + 2] = (byte)((rgb[(p * 3) + 2] * 0.45f) + (b * 0.55f));
            }
        }
        if (mask != null)
        {
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    int p = (y * width) + x;
                    if (mask[p] != 0 && IsEdge(mask, x, y, height, width))
                    {
                        output[p * 3] = output[(p * 3) + 1] = output[(p * 3) + 2] = 255;
                    }
                }
            }
        }
        return output;
    }

    /// <summary>Longer side of a gallery thumbnail in pixels (the page shows them at 128 CSS pixels).</summary>
    public const int ThumbnailSide = 128;

    /// <summary>JPEG quality of the thumbnails: about 2 to 6 KB each.</summary>
    public const int ThumbnailQuality = 82;

    /// <summary>A JPEG data URI of RGB HWC pixels, at most <see cref="ThumbnailSide"/> pixels on the longer side.</summary>
    public static string ThumbnailDataUri(byte[] rgb, int height, int width) =>
        "data:image/jpeg;base64," + Convert.ToBase64String(Pixels.EncodeJpeg(rgb, width, height, ThumbnailSide, ThumbnailQuality));

    private static bool IsEdge(byte[] mask, int x, int y, int height, int width) =>
        x == 0 || y == 0 || x == width - 1 || y == height - 1
        || mask[(y * width) + x - 1] == 0 || mask[(y * width) + x + 1] == 0
        || mask[((y - 1) * width) + x] == 0 || mask[((y + 1) * width) + x] == 0;
}
