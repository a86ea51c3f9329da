using GradCamAudit.Options;
using Polly;
using Polly.Retry;
using SkiaSharp;

namespace GradCamAudit.Data;

/// <summary>A decoded, resized sample: RGB bytes (H·W·3, row-major HWC) and a binary mask (H·W, 0 or 1).</summary>
public sealed record DecodedSample(ManifestEntry Entry, byte[] Rgb, byte[] Mask, int SourceWidth, int SourceHeight, string ImageSha256 = "");

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
public sealed class ImageDecoder(int height, int width, PreprocessOptions? preprocess = null, long maxImagePixels = ImageDecoder.DefaultMaxImagePixels)
    : Pipeline.ISampleDecoder
{
    /// <summary>Default of <c>audit.maxImagePixels</c>: larger images are refused from their header, before any allocation.</summary>
    public const long DefaultMaxImagePixels = 64_000_000;

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

    /// <summary>
    /// Decodes one manifest entry; throws <see cref="SampleException"/> with a reason code on bad input. Both headers
    /// are read first (size limit, mask size), so no pixel memory is allocated for a file that will be refused; any
    /// exception of the decoder library is that file's corrupt code, never a failure of the run.
    /// </summary>
    public DecodedSample Decode(ManifestEntry entry)
    {
        byte[] imageBytes = ReadBytes(entry.ImagePath, ReasonCodes.ImageMissing, "image");
        byte[] maskBytes = ReadBytes(entry.MaskPath, ReasonCodes.MaskMissing, "mask");
        using SKCodec image = OpenCodec(imageBytes, ReasonCodes.ImageCorrupt, "image", entry.Source.Image);
        using SKCodec mask = OpenCodec(maskBytes, ReasonCodes.MaskCorrupt, "mask", entry.Source.Mask);
        if (mask.Info.Width != image.Info.Width || mask.Info.Height != image.Info.Height)
        {
            throw new SampleException(ReasonCodes.MaskSizeMismatch, $"mask is {mask.Info.Width}x{mask.Info.Height} but image is {image.Info.Width}x{image.Info.Height}");
        }
        byte[] rgb = Guarded(ReasonCodes.ImageCorrupt, "image", entry.Source.Image, () => { using SKBitmap b = ReadPixels(image, ReasonCodes.ImageCorrupt, "image", entry.Source.Image); return Mapped(b, ImageSampling, ToRgb); });
        byte[] binary = Guarded(ReasonCodes.MaskCorrupt, "mask", entry.Source.Mask, () => { using SKBitmap b = ReadPixels(mask, ReasonCodes.MaskCorrupt, "mask", entry.Source.Mask); return Mapped(b, MaskSampling, ToBinary); });
        // The hash of the file's bytes as read: a comparison can tell a changed image behind the same sample id.
        return new DecodedSample(entry, rgb, binary, image.Info.Width, image.Info.Height, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(imageBytes)));
    }

    /// <summary>
    /// Checks an entry from the files' headers only (for <c>validate</c>): both files exist and are regular, both
    /// headers decode, the sizes match, the image is within the pixel limit. No pixel is decoded, so truncated pixel
    /// data passes here and is found by the audit.
    /// </summary>
    public void CheckHeaders(ManifestEntry entry)
    {
        (int Width, int Height) Header(string path, string missingCode, string corruptCode, string what, string name)
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new SampleException(Directory.Exists(path) ? ReasonCodes.InvalidPath : missingCode, Directory.Exists(path) ? $"{what} is a folder, not a file: {name}" : $"{what} file not found: {name}");
            }
            if (info.Length == 0)
            {
                throw new SampleException(ReasonCodes.InvalidPath, $"{what} is empty or not a regular file (FIFO, device): {name}");
            }
            using SKCodec? codec = SKCodec.Create(path, out SKCodecResult result);
            if (codec == null || codec.Info.Width <= 0 || codec.Info.Height <= 0)
            {
                throw new SampleException(corruptCode, $"{what} header is not a decodable image ({result}): {name}");
            }
            return (codec.Info.Width, codec.Info.Height);
        }
        (int w, int h) = Header(entry.ImagePath, ReasonCodes.ImageMissing, ReasonCodes.ImageCorrupt, "image", entry.Source.Image);
        (int mw, int mh) = Header(entry.MaskPath, ReasonCodes.MaskMissing, ReasonCodes.MaskCorrupt, "mask", entry.Source.Mask);
        if ((long)w * h > maxImagePixels)
        {
            throw new SampleException(ReasonCodes.ImageTooLarge, $"image is {w}x{h} = {(long)w * h:N0} pixels, over audit.maxImagePixels = {maxImagePixels:N0}: {entry.Source.Image}");
        }
        if (mw != w || mh != h)
        {
            throw new SampleException(ReasonCodes.MaskSizeMismatch, $"mask is {mw}x{mh} but image is {w}x{h}");
        }
    }

    /// <summary>Decodes just the image at model resolution (RGB HWC bytes), for the report.</summary>
    public byte[] DecodeImage(string path) => DecodeOne(path, ReasonCodes.ImageMissing, ReasonCodes.ImageCorrupt, "image", ImageSampling, ToRgb);

    /// <summary>Decodes just the mask at model resolution (0/1 bytes), for the report.</summary>
    public byte[] DecodeMask(string path) => DecodeOne(path, ReasonCodes.MaskMissing, ReasonCodes.MaskCorrupt, "mask", MaskSampling, ToBinary);

    private byte[] DecodeOne(string path, string missingCode, string corruptCode, string what, SKSamplingOptions sampling, Func<SKBitmap, byte[]> read)
    {
        using SKCodec codec = OpenCodec(ReadBytes(path, missingCode, what), corruptCode, what, Path.GetFileName(path));
        return Guarded(corruptCode, what, Path.GetFileName(path), () => { using SKBitmap b = ReadPixels(codec, corruptCode, what, Path.GetFileName(path)); return Mapped(b, sampling, read); });
    }

    private static byte[] ReadBytes(string path, string missingCode, string what)
    {
        try
        {
            // Only regular files are read: a FIFO would block the read for ever and a device never ends. .NET does
            // not expose the file type on Unix, but both report a size of 0, as an empty file does: none of them is
            // opened. Symbolic links are followed (datasets are often linked in).
            var info = new FileInfo(path);
            if (info.Exists && info.Length == 0)
            {
                throw new SampleException(ReasonCodes.InvalidPath, $"{what} is empty or not a regular file (FIFO, device): {info.Name}");
            }
            if (!info.Exists && Directory.Exists(path))
            {
                throw new SampleException(ReasonCodes.InvalidPath, $"{what} is a folder, not a file: {info.Name}");
            }
            return Retry.Execute(static p => File.ReadAllBytes(p), path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SampleException(missingCode, $"{what} file not found: {Path.GetFileName(path)}");
        }
        catch (IOException ex)
        {
            throw new SampleException(ReasonCodes.IoError, $"{what} could not be read after retries: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new SampleException(ReasonCodes.IoError, $"{what} is not readable: {ex.Message}");
        }
    }

    /// <summary>Reads the header only; refuses undecodable files and images over the pixel limit before any pixel allocation.</summary>
    private SKCodec OpenCodec(byte[] bytes, string corruptCode, string what, string name)
    {
        SKCodec? codec;
        try
        {
            codec = SKCodec.Create(new SKMemoryStream(bytes));
        }
        catch (Exception ex) when (ex is not SampleException)
        {
            throw new SampleException(corruptCode, $"{what} header cannot be read ({ex.GetType().Name}: {ex.Message}): {name}");
        }
        if (codec == null || codec.Info.Width <= 0 || codec.Info.Height <= 0)
        {
            codec?.Dispose();
            throw new SampleException(corruptCode, $"{what} is not a decodable image ({bytes.Length} bytes): {name}");
        }
        SKImageInfo header = codec.Info;
        long pixels = (long)header.Width * header.Height;
        if (pixels > maxImagePixels)
        {
            codec.Dispose();
            throw new SampleException(ReasonCodes.ImageTooLarge, $"{what} is {header.Width}x{header.Height} = {pixels:N0} pixels, over audit.maxImagePixels = {maxImagePixels:N0}: {name}");
        }
        return codec;
    }

    private static SKBitmap ReadPixels(SKCodec codec, string corruptCode, string what, string name)
    {
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        SKCodecResult result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new SampleException(corruptCode, $"{what} is corrupt or truncated ({result}): {name}");
        }
        return bitmap;
    }

    /// <summary>Any failure of the decoder library on one file (its own exceptions, out of memory) is that file's reason code.</summary>
    private static byte[] Guarded(string corruptCode, string what, string name, Func<byte[]> decode)
    {
        try
        {
            return decode();
        }
        catch (Exception ex) when (ex is not SampleException)
        {
            throw new SampleException(corruptCode, $"{what} could not be decoded ({ex.GetType().Name}: {ex.Message}): {name}");
        }
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
