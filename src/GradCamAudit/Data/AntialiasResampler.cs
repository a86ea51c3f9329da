namespace GradCamAudit.Data;

/// <summary>
/// PIL's resize (Pillow <c>Resample.c</c>, which torchvision's standard evaluation transform runs on PIL images): a
/// separable convolution, horizontal pass then vertical, whose filter support is widened by the downscale factor, so a
/// downscale averages every source pixel under the output pixel (antialiasing) instead of sampling four. Output pixel
/// x of a pass covers source centre <c>(x + 0.5) * scale</c>; the taps lie within <c>support * max(scale, 1)</c> of it,
/// weighted by the filter at <c>(i - centre + 0.5) / max(scale, 1)</c> and normalised to sum 1; each pass rounds to 8
/// bits with 22-bit fixed-point weights, as Pillow does for 8-bit images. Bilinear is the triangle filter (support 1),
/// bicubic Keys' cubic with a = -0.5 (support 2). Works on RGBA8888 bytes; every channel is filtered alike.
/// </summary>
public static class AntialiasResampler
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes <paramref name="rgba"/> (w·h·4 bytes) to (outWidth, outHeight) with PIL's filter of that name.</summary>
    public static byte[] Resize(ReadOnlySpan<byte> rgba, int width, int height, int outWidth, int outHeight, string interpolation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outHeight, 1);
        if (rgba.Length != (long)width * height * 4)
        {
            throw new ArgumentException($"expected {width}x{height}x4 bytes, got {rgba.Length}", nameof(rgba));
        }
        Func<double, double> filter = interpolation == "bicubic" ? Bicubic : Bilinear;
        double support = interpolation == "bicubic" ? 2.0 : 1.0;
        byte[] horizontal = width == outWidth ? rgba.ToArray() : Pass(rgba, width, height, outWidth, horizontalPass: true, filter, support);
        return height == outHeight ? horizontal : Pass(horizontal, outWidth, height, outHeight, horizontalPass: false, filter, support);
    }

    private static double Bilinear(double x) => Math.Abs(x) < 1 ? 1 - Math.Abs(x) : 0;

    private static double Bicubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        return x < 1 ? ((((a + 2) * x) - (a + 3)) * x * x) + 1
            : x < 2 ? ((((x - 5) * x) + 8) * x - 4) * a
            : 0;
    }

    /// <summary>The taps of every output position of one axis: first source index and fixed-point weights.</summary>
    internal static (int[] First, int[][] Weights) Coefficients(int inSize, int outSize, Func<double, double> filter, double support)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double reach = support * filterScale;
        var first = new int[outSize];
        var weights = new int[outSize][];
        var k = new double[(int)Math.Ceiling(reach) * 2 + 1];
        for (int xx = 0; xx < outSize; xx++)
        {
            double centre = (xx + 0.5) * scale;
            int xmin = Math.Max((int)(centre - reach + 0.5), 0);
            int xmax = Math.Min((int)(centre + reach + 0.5), inSize) - xmin;
            double sum = 0;
            for (int x = 0; x < xmax; x++)
            {
                double w = filter((x + xmin - centre + 0.5) / filterScale);
                k[x] = w;
                sum += w;
            }
            var fixedPoint = new int[xmax];
            for (int x = 0; x < xmax; x++)
            {
                double w = sum != 0 ? k[x] / sum : 0;
                fixedPoint[x] = (int)(w < 0 ? -0.5 + (w * (1 << PrecisionBits)) : 0.5 + (w * (1 << PrecisionBits)));
            }
            first[xx] = xmin;
            weights[xx] = fixedPoint;
        }
        return (first, weights);
    }

    private static byte[] Pass(ReadOnlySpan<byte> src, int width, int height, int outSize, bool horizontalPass, Func<double, double> filter, double support)
    {
        (int[] first, int[][] weights) = Coefficients(horizontalPass ? width : height, outSize, filter, support);
        int outWidth = horizontalPass ? outSize : width, outHeight = horizontalPass ? height : outSize;
        var dst = new byte[outWidth * outHeight * 4];
        for (int y = 0; y < outHeight; y++)
        {
            for (int x = 0; x < outWidth; x++)
            {
                int o = horizontalPass ? x : y;
                int[] w = weights[o];
                for (int c = 0; c < 4; c++)
                {
                    long acc = 1L << (PrecisionBits - 1);
                    for (int t = 0; t < w.Length; t++)
                    {
                        int sx = horizontalPass ? first[o] + t : x, sy = horizontalPass ? y : first[o] + t;
                        acc += src[(((sy * width) + sx) * 4) + c] * (long)w[t];
                    }
                    dst[(((y * outWidth) + x) * 4) + c] = (byte)Math.Clamp(acc >> PrecisionBits, 0, 255);
                }
            }
        }
        return dst;
    }
}
