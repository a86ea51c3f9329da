namespace GradCamAudit.Data.Png;

/// <summary>
/// A decoded PNG as it is stored (ISO/IEC 15948, PNG 2nd ed.): raw samples, never converted, so palette indices stay
/// indices and 16-bit values stay 16-bit. <see cref="Samples"/> holds <see cref="Channels"/> values per pixel,
/// row-major; <see cref="Palette"/> is the PLTE entries as RGB triples (colour type 3 only).
/// </summary>
public sealed record PngImage(int Width, int Height, int BitDepth, int ColorType, ushort[] Samples, byte[]? Palette)
{
    /// <summary>Samples per pixel of a PNG colour type: 0 grey, 2 RGB, 3 palette index, 4 grey + alpha, 6 RGBA.</summary>
    public static int ChannelsOf(int colorType) => colorType switch
    {
        0 => 1,
        2 => 3,
        3 => 1,
        4 => 2,
        6 => 4,
        _ => throw new InvalidDataException($"PNG colour type {colorType} is not one of 0, 2, 3, 4, 6"),
    };

    public int Channels => ChannelsOf(ColorType);

    /// <summary>True for the colour types that carry an alpha channel (4 and 6).</summary>
    public bool HasAlpha => ColorType is 4 or 6;

    /// <summary>The sample of channel <paramref name="channel"/> at pixel <paramref name="pixel"/> (row-major index).</summary>
    public int Sample(int pixel, int channel) => Samples[(pixel * Channels) + channel];

    /// <summary>
    /// True when the pixel's colour has a non-zero R, G or B (grey: a non-zero value; palette: the entry's colour),
    /// alpha ignored: the rule of binary mask files at any bit depth.
    /// </summary>
    public bool IsNonZero(int pixel)
    {
        int c = Channels;
        int at = pixel * c;
        switch (ColorType)
        {
            case 3:
                int entry = Samples[at] * 3;
                return Palette != null && entry + 2 < Palette.Length && (Palette[entry] | Palette[entry + 1] | Palette[entry + 2]) != 0;
            case 0 or 4:
                return Samples[at] != 0;
            default:
                return (Samples[at] | Samples[at + 1] | Samples[at + 2]) != 0;
        }
    }
}
