using SkiaSharp;

namespace GradCamAudit.Data;

/// <summary>Small conversions between the pipeline's RGB byte buffers (HWC) and SkiaSharp bitmaps.</summary>
public static class Pixels
{
    /// <summary>An opaque RGBA bitmap holding RGB (channels = 3) or gray (channels = 1, as a Gray8 bitmap) pixels.</summary>
    public static SKBitmap ToBitmap(byte[] pixels, int width, int height, int channels)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque));
        Span<byte> dst = bitmap.GetPixelSpan();
        if (channels == 1)
        {
            pixels.CopyTo(dst);
            return bitmap;
        }
        for (int p = 0, q = 0; p < pixels.Length; p += 3, q += 4)
        {
            dst[q] = pixels[p];
            dst[q + 1] = pixels[p + 1];
            dst[q + 2] = pixels[p + 2];
            dst[q + 3] = 255;
        }
        return bitmap;
    }

    /// <summary>PNG bytes of RGB or gray pixels.</summary>
    public static byte[] EncodePng(byte[] pixels, int width, int height, int channels)
    {
        using SKBitmap bitmap = ToBitmap(pixels, width, height, channels);
        using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>
    /// JPEG bytes of RGB pixels, downscaled (never upscaled) so the longer side is at most <paramref name="maxSide"/>:
    /// the report's thumbnails, a few KB each whatever the input size.
    /// </summary>
    public static byte[] EncodeJpeg(byte[] rgb, int width, int height, int maxSide, int quality)
    {
        using SKBitmap bitmap = ToBitmap(rgb, width, height, 3);
        double scale = Math.Min(1.0, (double)maxSide / Math.Max(width, height));
        int w = Math.Max(1, (int)Math.Round(width * scale)), h = Math.Max(1, (int)Math.Round(height * scale));
        using SKBitmap? small = scale < 1.0 ? bitmap.Resize(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)) : null;
        using SKData data = (small ?? bitmap).Encode(SKEncodedImageFormat.Jpeg, quality);
        return data.ToArray();
    }
}
