using SkiaSharp;

namespace GradCamAudit.Data;

/// <summary>
/// The eight EXIF orientations (TIFF/EXIF tag 0x0112, as SkiaSharp reports them in <see cref="SKCodec.EncodedOrigin"/>):
/// where the stored image's first row and column belong on display. Applied only with
/// <c>dataset.exifOrientation = true</c>; by default images are read as stored, as PIL's <c>convert("RGB")</c> does.
/// </summary>
public static class ExifOrientation
{
    /// <summary>The displayed size: origins 5 to 8 swap width and height.</summary>
    public static (int Width, int Height) Size(SKEncodedOrigin origin, int width, int height) =>
        (int)origin >= 5 ? (height, width) : (width, height);

    /// <summary>The stored pixel (x, y) shown at displayed pixel (dx, dy) of an image stored as width x height.</summary>
    public static (int X, int Y) Source(SKEncodedOrigin origin, int dx, int dy, int width, int height) => origin switch
    {
        SKEncodedOrigin.TopRight => (width - 1 - dx, dy),
        SKEncodedOrigin.BottomRight => (width - 1 - dx, height - 1 - dy),
        SKEncodedOrigin.BottomLeft => (dx, height - 1 - dy),
        SKEncodedOrigin.LeftTop => (dy, dx),
        SKEncodedOrigin.RightTop => (dy, height - 1 - dx),
        SKEncodedOrigin.RightBottom => (width - 1 - dy, height - 1 - dx),
        SKEncodedOrigin.LeftBottom => (width - 1 - dy, dx),
        _ => (dx, dy),
    };

    /// <summary>An RGBA bitmap turned to its displayed orientation (a new bitmap; the same one for the identity).</summary>
    public static SKBitmap Apply(SKBitmap stored, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft)
        {
            return stored;
        }
        (int w, int h) = Size(origin, stored.Width, stored.Height);
        var shown = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        ReadOnlySpan<uint> src = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(stored.GetPixelSpan());
        Span<uint> dst = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(shown.GetPixelSpan());
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                (int sx, int sy) = Source(origin, x, y, stored.Width, stored.Height);
                dst[(y * w) + x] = src[(sy * stored.Width) + sx];
            }
        }
        stored.Dispose();
        return shown;
    }
}
