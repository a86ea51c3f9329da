using GradCamAudit.Options;
using SkiaSharp;

namespace GradCamAudit.Data;

/// <summary>
/// A decoded, resized sample: RGB bytes (H·W·3, row-major HWC), a binary mask (H·W, 0 or 1) and, when the mask has a
/// void region, <paramref name="Valid"/> (H·W, 1 valid, 0 void; null when every pixel counts).
/// </summary>
public sealed record DecodedSample(ManifestEntry Entry, byte[] Rgb, byte[] Mask, int SourceWidth, int SourceHeight, string ImageSha256 = "", byte[]? Valid = null);

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
public sealed class ImageDecoder(int height, int width, PreprocessOptions? preprocess = null, long maxImagePixels = ImageDecoder.DefaultMaxImagePixels,
    bool exifOrientation = false, Action<string>? notice = null, long maxFileBytes = ImageDecoder.DefaultMaxFileBytes, DecodeBudget? budget = null)
    : ISampleDecoder
{
    /// <summary>Default of <c>audit.maxFileBytes</c>: larger image or mask files are refused from their size, before they are read.</summary>
    public const long DefaultMaxFileBytes = 256L * 1024 * 1024;

    /// <summary>Default of <c>audit.maxImagePixels</c>: larger images are refused from their header, before any allocation.</summary>
    public const long DefaultMaxImagePixels = 64_000_000;

    private readonly PreprocessOptions pre = preprocess ?? PreprocessOptions.Default;

    public int Height => height;

    public int Width => width;

    /// <summary>
    /// Decodes one manifest entry; throws <see cref="SampleException"/> with a reason code on bad input. Both headers
    /// are read first (size limit, mask size), so no pixel memory is allocated for a file that will be refused; any
    /// exception of the decoder library is that file's corrupt code, never a failure of the run.
    /// </summary>
    public DecodedSample Decode(ManifestEntry entry)
    {
        // Refused from the files' sizes before a byte is read (a 2 GB file padded behind an 8x8 PNG header), then held
        // within the decode workers' shared memory budget: file bytes plus the decoded and mapped pixels.
        long imageFile = CheckedLength(entry.ImagePath, ReasonCodes.ImageMissing, "image", entry.Source.Image);
        string? maskFile = entry.Locator is Masks.FileMask fm ? fm.Path : entry.Locator == null ? entry.MaskPath : null;
        long maskBytes = maskFile == null ? 0 : CheckedLength(maskFile, ReasonCodes.MaskMissing, "mask", entry.Source.Mask);
        if (budget == null)
        {
            return DecodeWithin(entry);
        }
        (int w, int h) = SampleFiles.HeaderSize(entry.ImagePath, ReasonCodes.ImageMissing, ReasonCodes.ImageCorrupt, "image", entry.Source.Image);
        long pixels = Math.Min((long)w * h, maxImagePixels);
        using IDisposable lease = budget.Acquire(imageFile + maskBytes + (pixels * 4 * 3));
        return DecodeWithin(entry);
    }

    /// <summary>A file's length, refused over <c>audit.maxFileBytes</c>; missing files are left to the read, which names them.</summary>
    private long CheckedLength(string path, string missingCode, string what, string name)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return 0;
        }
        if (info.Length > maxFileBytes)
        {
            throw new SampleException(ReasonCodes.ImageTooLarge, $"{what} file is {info.Length:N0} bytes, over audit.maxFileBytes = {maxFileBytes:N0}: {name}");
        }
        return info.Length;
    }

    private DecodedSample DecodeWithin(ManifestEntry entry)
    {
        byte[] imageBytes = SampleFiles.ReadBytes(entry.ImagePath, ReasonCodes.ImageMissing, "image");
        if (entry.Locator != null)
        {
            return DecodeWithLocator(entry, entry.Locator, imageBytes);
        }
        byte[] maskBytes = SampleFiles.ReadBytes(entry.MaskPath, ReasonCodes.MaskMissing, "mask");
        using SKCodec image = OpenCodec(imageBytes, ReasonCodes.ImageCorrupt, "image", entry.Source.Image);
        using SKCodec mask = OpenCodec(maskBytes, ReasonCodes.MaskCorrupt, "mask", entry.Source.Mask);
        (int iw, int ih) = ShownSize(image);
        if (mask.Info.Width != iw || mask.Info.Height != ih)
        {
            throw new SampleException(ReasonCodes.MaskSizeMismatch, $"mask is {mask.Info.Width}x{mask.Info.Height} but image is {iw}x{ih}");
        }
        byte[] rgb = DecodeRgb(image, entry);
        byte[] binary = Guarded(ReasonCodes.MaskCorrupt, "mask", entry.Source.Mask, () => { using SKBitmap b = ReadPixels(mask, ReasonCodes.MaskCorrupt, "mask", entry.Source.Mask); return Mapped(b, MaskSampling, ToBinary); });
        // The hash of the file's bytes as read: a comparison can tell a changed image behind the same sample id.
        return new DecodedSample(entry, rgb, binary, iw, ih, Sha256(imageBytes));
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    /// <summary>The image's size as audited: as stored, or as displayed under <c>dataset.exifOrientation</c>.</summary>
    private (int Width, int Height) ShownSize(SKCodec image) =>
        exifOrientation ? ExifOrientation.Size(image.EncodedOrigin, image.Info.Width, image.Info.Height) : (image.Info.Width, image.Info.Height);

    /// <summary>The image's pixels mapped to the input (first frame of an animation, which the log mentions).</summary>
    private byte[] DecodeRgb(SKCodec image, ManifestEntry entry)
    {
        if (image.FrameCount > 1)
        {
            notice?.Invoke($"row {entry.Source.Row} ({entry.Source.Image}): animated image of {image.FrameCount} frames, the first frame is audited");
        }
        return Guarded(ReasonCodes.ImageCorrupt, "image", entry.Source.Image, () =>
        {
            SKBitmap stored = ReadPixels(image, ReasonCodes.ImageCorrupt, "image", entry.Source.Image);
            using SKBitmap b = exifOrientation ? ExifOrientation.Apply(stored, image.EncodedOrigin) : stored;
            return Mapped(b, ImageSampling, ToRgb, Antialiased);
        });
    }

    /// <summary>
    /// A sample whose mask comes from a <see cref="Masks.MaskLocator"/>: the planes at the source resolution, checked
    /// against the image's (oriented) size, then mapped to the input geometry with nearest-neighbour sampling, object
    /// and void alike.
    /// </summary>
    private DecodedSample DecodeWithLocator(ManifestEntry entry, Masks.MaskLocator locator, byte[] imageBytes)
    {
        using SKCodec image = OpenCodec(imageBytes, ReasonCodes.ImageCorrupt, "image", entry.Source.Image);
        (int iw, int ih) = ShownSize(image);
        // A declared size (COCO's) first: an image declared 8000x8000 over a 64x64 file is refused before thousands of
        // polygons are rasterised at the declared size. Mask files need no extra read: their decode gives the size.
        if (locator.DeclaredSize is (int mw, int mh) && (mw != iw || mh != ih))
        {
            throw new SampleException(ReasonCodes.MaskSizeMismatch, $"mask is {mw}x{mh} but image is {iw}x{ih}");
        }
        Masks.MaskPlanes planes = locator.LoadAt(iw, ih, maxImagePixels);
        if (planes.Width != iw || planes.Height != ih)
        {
            throw new SampleException(ReasonCodes.MaskSizeMismatch, $"mask is {planes.Width}x{planes.Height} but image is {iw}x{ih}");
        }
        byte[] rgb = DecodeRgb(image, entry);
        byte[] both = Guarded(ReasonCodes.MaskCorrupt, "mask", locator.Description, () =>
        {
            using SKBitmap b = new(new SKImageInfo(planes.Width, planes.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
            Span<byte> px = b.GetPixelSpan();
            for (int p = 0; p < planes.Object.Length; p++)
            {
                px[p * 4] = planes.Object[p];
                px[(p * 4) + 1] = planes.Void?[p] ?? 0;
                px[(p * 4) + 3] = 255;
            }
            return Mapped(b, MaskSampling, bitmap => ToPlanes(bitmap));
        });
        int n = height * width;
        byte[] mask = both.AsSpan(0, n).ToArray();
        byte[]? valid = planes.Void == null ? null : both.AsSpan(n, n).ToArray();
        return new DecodedSample(entry, rgb, mask, iw, ih, Sha256(imageBytes), valid);
    }

    /// <summary>Object (R) then validity (1 − G) bytes of a mapped plane bitmap, H·W each.</summary>
    private static byte[] ToPlanes(SKBitmap rgba)
    {
        ReadOnlySpan<byte> src = rgba.GetPixelSpan();
        int n = rgba.Width * rgba.Height;
        var both = new byte[2 * n];
        for (int q = 0; q < n; q++)
        {
            bool isVoid = src[(q * 4) + 1] != 0;
            both[q] = (byte)(src[q * 4] != 0 && !isVoid ? 1 : 0);
            both[n + q] = (byte)(isVoid ? 0 : 1);
        }
        return both;
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
            return what == "image" ? ShownSize(codec) : (codec.Info.Width, codec.Info.Height);
        }
        (int w, int h) = Header(entry.ImagePath, ReasonCodes.ImageMissing, ReasonCodes.ImageCorrupt, "image", entry.Source.Image);
        CheckedLength(entry.ImagePath, ReasonCodes.ImageMissing, "image", entry.Source.Image);
        string? maskFile = entry.Locator is Masks.FileMask fm ? fm.Path : entry.Locator == null ? entry.MaskPath : null;
        if (maskFile != null)
        {
            CheckedLength(maskFile, ReasonCodes.MaskMissing, "mask", entry.Source.Mask);
        }
        if (entry.Locator is { FollowsImage: true } drawn)
        {
            // Boxes and "no mask" take the image's size: nothing to compare, only whether every box covers a pixel of it.
            if ((long)w * h > maxImagePixels)
            {
                throw new SampleException(ReasonCodes.ImageTooLarge, $"image is {w}x{h} = {(long)w * h:N0} pixels, over audit.maxImagePixels = {maxImagePixels:N0}: {entry.Source.Image}");
            }
            if (drawn.DeclaredSize is (int dw, int dh) && (dw != w || dh != h))
            {
                throw new SampleException(ReasonCodes.MaskSizeMismatch, $"the annotation declares {dw}x{dh} but image is {w}x{h}");
            }
            if (drawn.ProblemAt(w, h) is SampleException problem)
            {
                throw problem;
            }
            return;
        }
        (int mw, int mh) = entry.Locator?.ReadSize() ?? Header(entry.MaskPath, ReasonCodes.MaskMissing, ReasonCodes.MaskCorrupt, "mask", entry.Source.Mask);
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
    public byte[] DecodeImage(string path) => DecodeOne(path, ReasonCodes.ImageMissing, ReasonCodes.ImageCorrupt, "image", ImageSampling, ToRgb, Antialiased);

    /// <summary>Decodes just the mask at model resolution (0/1 bytes), for the report.</summary>
    public byte[] DecodeMask(string path) => DecodeOne(path, ReasonCodes.MaskMissing, ReasonCodes.MaskCorrupt, "mask", MaskSampling, ToBinary);

    /// <summary>
    /// Decodes just a located mask at model resolution (0/1 bytes, void as 0), for the report. A region drawn at the
    /// image's size (boxes) takes it from <paramref name="imagePath"/>'s header (oriented as audited).
    /// </summary>
    public byte[] DecodeMask(Masks.MaskLocator locator, string? imagePath = null)
    {
        Masks.MaskPlanes planes;
        if (locator.FollowsImage)
        {
            if (imagePath == null)
            {
                throw new SampleException(ReasonCodes.MaskMissing, $"a region drawn at the image's size needs the image: {locator.Description}");
            }
            using SKCodec codec = OpenCodec(SampleFiles.ReadBytes(imagePath, ReasonCodes.ImageMissing, "image"), ReasonCodes.ImageCorrupt, "image", Path.GetFileName(imagePath));
            (int iw, int ih) = ShownSize(codec);
            planes = locator.LoadAt(iw, ih, maxImagePixels);
        }
        else
        {
            planes = locator.Load(maxImagePixels);
        }
        return Guarded(ReasonCodes.MaskCorrupt, "mask", locator.Description, () =>
        {
            using SKBitmap b = Pixels.ToBitmap(planes.Object.Select(v => (byte)(v * 255)).ToArray(), planes.Width, planes.Height, 1);
            using SKBitmap rgba = b.Copy(SKColorType.Rgba8888);
            return Mapped(rgba, MaskSampling, ToBinary);
        });
    }

    private byte[] DecodeOne(string path, string missingCode, string corruptCode, string what, SKSamplingOptions sampling, Func<SKBitmap, byte[]> read, bool antialias = false)
    {
        using SKCodec codec = OpenCodec(SampleFiles.ReadBytes(path, missingCode, what), corruptCode, what, Path.GetFileName(path));
        return Guarded(corruptCode, what, Path.GetFileName(path), () => { using SKBitmap b = ReadPixels(codec, corruptCode, what, Path.GetFileName(path)); return Mapped(b, sampling, read, antialias); });
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
    private byte[] Mapped(SKBitmap source, SKSamplingOptions sampling, Func<SKBitmap, byte[]> read, bool antialias = false)
    {
        (int rw, int rh) = ResizedSize(source.Width, source.Height);
        using SKBitmap? resized = source.Width == rw && source.Height == rh
            ? null
            : antialias ? PilResized(source, rw, rh)
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

    /// <summary>Images under <c>model.preprocess.antialias</c> (bilinear or bicubic): PIL's filters, see <see cref="AntialiasResampler"/>.</summary>
    private bool Antialiased => pre.Antialias && pre.Interpolation != "nearest";

    private SKBitmap PilResized(SKBitmap source, int rw, int rh)
    {
        using SKBitmap rgba = source.ColorType == SKColorType.Rgba8888 && source.AlphaType == SKAlphaType.Unpremul ? source.Copy() : ToRgba(source);
        byte[] pixels = AntialiasResampler.Resize(rgba.GetPixelSpan(), rgba.Width, rgba.Height, rw, rh, pre.Interpolation);
        var resized = new SKBitmap(new SKImageInfo(rw, rh, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        pixels.CopyTo(resized.GetPixelSpan());
        return resized;
    }

    private static SKBitmap ToRgba(SKBitmap source)
    {
        var rgba = new SKBitmap(new SKImageInfo(source.Width, source.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        if (!source.CopyTo(rgba, SKColorType.Rgba8888))
        {
            rgba.Dispose();
            throw new SampleException(ReasonCodes.ImageCorrupt, "image could not be converted to RGBA for resizing");
        }
        return rgba;
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
