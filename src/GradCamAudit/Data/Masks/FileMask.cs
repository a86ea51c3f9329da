using GradCamAudit.Data.Png;
using SkiaSharp;

namespace GradCamAudit.Data.Masks;

/// <summary>
/// A mask file read under <c>dataset.maskEncoding</c>: <c>nonzero</c> (object where R, G or B is non-zero, at any
/// bit depth: 16-bit PNGs are read as stored), <c>palette-index</c> (object where the stored index or grey value equals
/// <paramref name="index"/>; 255 is void, as in Pascal VOC) or <c>alpha</c> (object where alpha is non-zero). PNGs
/// are read by the project's own <see cref="PngReader"/> (indices and 16-bit values kept); other formats by SkiaSharp
/// (nonzero and alpha only).
/// </summary>
public sealed class FileMask(string path, string description, string encoding, int index = 1, string source = MaskSources.File) : MaskLocator(description)
{
    /// <summary><c>file</c>, or <c>voc</c> for a VOC segmentation PNG.</summary>
    public override string Source => source;

    /// <summary>The void value of palette-index masks (Pascal VOC's border and "difficult" label).</summary>
    public const int VoidIndex = 255;

    public string Path => path;

    public string Encoding => encoding;

    public override MaskPlanes Load(long maxPixels)
    {
        byte[] bytes = SampleFiles.ReadBytes(path, ReasonCodes.MaskMissing, "mask");
        if (PngReader.IsPng(bytes))
        {
            PngImage png = Corrupt(() => PngReader.Decode(bytes, maxPixels));
            return encoding switch
            {
                "palette-index" => MaskPlanes.From(png.Width, png.Height, p => png.Sample(p, 0) == index ? 1 : png.Sample(p, 0) == VoidIndex ? 2 : 0),
                "alpha" => png.HasAlpha
                    ? MaskPlanes.From(png.Width, png.Height, p => png.Sample(p, png.Channels - 1) != 0 ? 1 : 0)
                    : throw NoAlpha(),
                _ => MaskPlanes.From(png.Width, png.Height, p => png.IsNonZero(p) ? 1 : 0),
            };
        }
        if (encoding == "palette-index")
        {
            throw new SampleException(ReasonCodes.MaskCorrupt, $"dataset.maskEncoding palette-index needs PNG masks (indices are read as stored): {Description}");
        }
        if (encoding == "alpha" && !SourceHasAlpha(bytes))
        {
            throw NoAlpha();
        }
        using SKBitmap rgba = SampleFiles.DecodeRgba(bytes, maxPixels, ReasonCodes.MaskCorrupt, "mask", Description);
        byte[] px = rgba.GetPixelSpan().ToArray();
        return MaskPlanes.From(rgba.Width, rgba.Height, p => encoding == "alpha" ? (px[(p * 4) + 3] != 0 ? 1 : 0) : ((px[p * 4] | px[(p * 4) + 1] | px[(p * 4) + 2]) != 0 ? 1 : 0));
    }

    public override (int Width, int Height) ReadSize() => SampleFiles.HeaderSize(path, ReasonCodes.MaskMissing, ReasonCodes.MaskCorrupt, "mask", Description);

    /// <summary>
    /// A mask read under <c>maskEncoding: alpha</c> whose file has no alpha channel would be object everywhere (every
    /// correct sample "right for the wrong reason"): refused instead.
    /// </summary>
    private SampleException NoAlpha() =>
        new(ReasonCodes.MaskCorrupt, $"dataset.maskEncoding is alpha but the mask file has no alpha channel (it would be object everywhere): {Description}");

    /// <summary>Whether a non-PNG file declares an alpha channel (from its header; undecodable headers are left to the decoder's own error).</summary>
    private static bool SourceHasAlpha(byte[] bytes)
    {
        try
        {
            using SKCodec? codec = SKCodec.Create(new SKMemoryStream(bytes));
            return codec == null || codec.Info.AlphaType != SKAlphaType.Opaque;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return true;
        }
    }

    private T Corrupt<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is not SampleException)
        {
            throw new SampleException(ReasonCodes.MaskCorrupt, $"mask could not be decoded ({ex.GetType().Name}: {ex.Message}): {Description}");
        }
    }
}
