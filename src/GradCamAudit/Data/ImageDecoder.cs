using GradCamAudit.Options;
using Polly;
using Polly.Retry;
using SkiaSharp;

namespace GradCamAudit.Data;

/// <summary>A decoded, resized sample: RGB bytes (H·W·3, row-major HWC) and a binary mask (H·W, 0 or 1).</summary>
public sealed record DecodedSample(ManifestEntry Entry, byte[] Rgb, byte[] Mask, int SourceWidth, int SourceHeight);

/// <summary>
/// Decodes images and masks with SkiaSharp and maps both to the model input with one geometry
/// (<see cref="PreprocessOptions"/>): a direct resize to (height, width), or a resize of the shorter side followed
/// by a centre crop, as torchvision's Resize/CenterCrop (crop offsets rounded the same way). Images use the
/// configured filter without mipmaps (bilinear: SKFilterMode.Linear, torchvision's antialias=False; bicubic: Keys
/// a=-0.75, as PIL/torchvision); masks always use nearest neighbour so they stay binary.
/// Grayscale, palette and RGBA images are converted to RGB (alpha dropped, as PIL's convert("RGB")).
/// A mask pixel is object when any of its R, G, B values is non-zero.
/// Transient I/O failures are retried with exponential backoff (Polly) before the sample becomes an error.
/// </summary>
public sealed class ImageDecoder(int height, int width, PreprocessOptions? preprocess = null)
{
    private readonly PreprocessOptions pre = preprocess ?? PreprocessOptions.Default;

    private static readonly ResiliencePipeline Retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 3,
            Delay = TimeSpan.FromMilliseconds(50),
            BackoffType = DelayBackoffType.Exponential,
            ShouldHandle = new PredicateBuilder().Handle<IOException>(e => e is not FileNotFoundException and not DirectoryNotFoundException),
        })
        .Build();

    public int Height => height;

    public int Width => width;

    /// <summary>Decodes one manifest entry; throws <see cref="SampleException"/> with a reason code on bad input.</summary>
    public DecodedSample Decode(ManifestEntry entry)
    {
        using SKBitmap image = Load(entry.ImagePath, ReasonCodes.ImageMissing, ReasonCodes.ImageCorrupt, "image");
        using SKBitmap mask = Load(entry.MaskPath, ReasonCodes.MaskMissing, ReasonCodes.MaskCorrupt, "mask");
        if (mask.Width != image.Width || mask.Height != image.Height)
        {
            throw new SampleException(ReasonCodes.MaskSizeMismatch, $"mask is {mask.Width}x{mask.Height} but image is {image.Width}x{image.Height}");
        }
        byte[] rgb = Mapped(image, ImageSampling, ToRgb);
        byte[] binary = Mapped(mask, MaskSampling, ToBinary);
        return new DecodedSample(entry, rgb, binary, image.Width, image.Height);
    }

    /// <summary>Decodes just the image at model resolution (RGB HWC bytes), for the report.</summary>
    public byte[] DecodeImage(string path) { using var b = Load(path, ReasonCodes.ImageMissing, ReasonCodes.ImageCorrupt, "image"); return Mapped(b, ImageSampling, ToRgb); }

    /// <summary>Decodes just the mask at model resolution (0/1 bytes), for the report.</summary>
    public byte[] DecodeMask(string path) { using var b = Load(path, ReasonCodes.MaskMissing, ReasonCodes.MaskCorrupt, "mask"); return Mapped(b, MaskSampling, ToBinary); }

    private static SKBitmap Load(string path, string missingCode, string corruptCode, string what)
    {
        byte[] bytes;
        try
        {
            bytes = Retry.Execute(static p => File.ReadAllBytes(p), path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SampleException(missingCode, $"{what} file not found: {path}");
        }
        catch (IOException ex)
        {
            throw new SampleException(ReasonCodes.IoError, $"{what} could not be read after retries: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new SampleException(ReasonCodes.IoError, $"{what} is not readable: {ex.Message}");
        }
        using var codec = SKCodec.Create(new SKMemoryStream(bytes));
        if (codec == null || codec.Info.Width <= 0 || codec.Info.Height <= 0)
        {
            throw new SampleException(corruptCode, $"{what} is not a decodable image ({bytes.Length} bytes): {path}");
        }
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        SKCodecResult result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new SampleException(corruptCode, $"{what} is corrupt or truncated ({result}): {path}");
        }
        return bitmap;
    }

    private static readonly SKSamplingOptions MaskSampling = new(SKFilterMode.Nearest, SKMipmapMode.None);

    private SKSamplingOptions ImageSampling => pre.Interpolation switch
    {
        "nearest" => new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None),
        "bicubic" => new SKSamplingOptions(new SKCubicResampler(0f, 0.75f)),
        _ => new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None),
    };

    /// <summary>The resized size before cropping: the input size (direct) or the shorter side scaled to resizeShorter.</summary>
    public (int Width, int Height) ResizedSize(int sourceWidth, int sourceHeight)
    {
        if (pre.Resize != "shorter-side-crop")
        {
            return (width, height);
        }
        int s = pre.ResizeShorter;
        return sourceWidth <= sourceHeight
            ? (s, (int)((long)s * sourceHeight / sourceWidth))
            : ((int)((long)s * sourceWidth / sourceHeight), s);
    }

    /// <summary>
    /// Reads the pixels of the source mapped to the input geometry: resized only when the size differs (a copy at
    /// the same size would premultiply and lose the colour of transparent pixels), then centre-cropped if needed.
    /// </summary>
    private byte[] Mapped(SKBitmap source, SKSamplingOptions sampling, Func<SKBitmap, byte[]> read)
    {
        (int rw, int rh) = ResizedSize(source.Width, source.Height);
        using SKBitmap? resized = source.Width == rw && source.Height == rh
            ? null
            : source.Resize(new SKImageInfo(rw, rh, SKColorType.Rgba8888, SKAlphaType.Unpremul), sampling)
                ?? throw new SampleException(ReasonCodes.ImageCorrupt, "resize failed");
        SKBitmap basis = resized ?? source;
        if (rw == width && rh == height)
        {
            return read(basis);
        }
        using SKBitmap crop = CentreCrop(basis);
        return read(crop);
    }

    /// <summary>The centre (height, width) window, offsets rounded half to even as torchvision's CenterCrop.</summary>
    private SKBitmap CentreCrop(SKBitmap source)
    {
        int left = (int)Math.Round((source.Width - width) / 2.0, MidpointRounding.ToEven);
        int top = (int)Math.Round((source.Height - height) / 2.0, MidpointRounding.ToEven);
        var crop = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        ReadOnlySpan<byte> src = source.GetPixelSpan();
        Span<byte> dst = crop.GetPixelSpan();
        for (int y = 0; y < height; y++)
        {
            src.Slice((((top + y) * source.Width) + left) * 4, width * 4).CopyTo(dst.Slice(y * width * 4, width * 4));
        }
        return crop;
    }

    private static byte[] ToRgb(SKBitmap rgba)
    {
        ReadOnlySpan<byte> src = rgba.GetPixelSpan();
        var rgb = new byte[rgba.Width * rgba.Height * 3];
        for (int p = 0, q = 0; q < rgb.Length; p += 4, q += 3)
        {
            rgb[q] = src[p];
            rgb[q + 1] = src[p + 1];
            rgb[q + 2] = src[p + 2];
        }
        return rgb;
    }

    private static byte[] ToBinary(SKBitmap rgba)
    {
        ReadOnlySpan<byte> src = rgba.GetPixelSpan();
        var mask = new byte[rgba.Width * rgba.Height];
        for (int p = 0, q = 0; q < mask.Length; p += 4, q++)
        {
            mask[q] = (byte)((src[p] | src[p + 1] | src[p + 2]) != 0 ? 1 : 0);
        }
        return mask;
    }
}
