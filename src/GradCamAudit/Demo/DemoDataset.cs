using System.Globalization;
using System.Text;
using GradCamAudit.Data;
using GradCamAudit.Scoring;

namespace GradCamAudit.Demo;

/// <summary>One synthetic sample: RGB pixels (HWC), its exact object mask, and whether it carries the marker or sits on the dotted texture.</summary>
public sealed record DemoSample(int Label, byte[] Rgb, byte[] Mask, bool Marker, bool Texture = false);

/// <summary>
/// The embedded demo: coloured shapes on textured backgrounds, drawn with integer arithmetic only (no
/// anti-aliasing, no floating-point trigonometry), so every machine produces identical pixels from a seed.
/// Two planted shortcuts. A local one: in the training split <see cref="ShortcutClass"/> almost always carries a small
/// checkerboard marker in the bottom-right corner, and the other classes never do. A diffuse one: <see cref="TextureClass"/>
/// almost always sits on a dotted background texture (a grid of light dots over the whole image), and the other classes
/// never do: the model learns the background, not the object (the water, not the bird). The audit split has clean
/// samples, "trap" samples of the other classes that carry the marker, and "texture-trap" samples of the other
/// classes on the dotted texture.
/// </summary>
public static class DemoDataset
{
    public const int Size = 64;
    public const int MarkerX = 54;
    public const int MarkerY = 54;
    public const int MarkerSize = 8;
    public const string ShortcutClass = "triangle";
    public const string TextureClass = "square";
    public const int TexturePeriod = 6;

    public static IReadOnlyList<string> Classes { get; } = ["circle", "square", "triangle", "cross"];

    /// <summary>How often the training split gives its class the planted shortcut, in percent (the committed demo CNN).</summary>
    public const int DefaultShortcutPercent = 97;

    public static int ShortcutIndex => 2;

    public static int TextureIndex => 1;

    private static readonly byte[][] ShapePalette =
    [
        [230, 60, 50], [60, 200, 80], [70, 110, 240], [240, 200, 40], [200, 80, 220], [40, 210, 210], [250, 140, 30],
    ];

    /// <summary>Draws one sample. <paramref name="marker"/> stamps the corner checkerboard; <paramref name="texture"/> lays light dots over the background.</summary>
    public static DemoSample Draw(SplitMix64 rng, int label, bool marker, bool texture = false)
    {
        var rgb = new byte[Size * Size * 3];
        var mask = new byte[Size * Size];
        // Background: two dark colours in integer-slanted stripes, plus per-pixel noise.
        int ax = rng.Int(-2, 3), ay = rng.Int(1, 3), period = rng.Int(3, 9);
        byte[] c0 = [(byte)rng.Int(20, 90), (byte)rng.Int(20, 90), (byte)rng.Int(20, 90)];
        byte[] c1 = [(byte)rng.Int(60, 140), (byte)rng.Int(60, 140), (byte)rng.Int(60, 140)];
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                byte[] c = ((((ax * x) + (ay * y) + 1000) / period) & 1) == 0 ? c0 : c1;
                int noise = rng.Int(-12, 13);
                int p = ((y * Size) + x) * 3;
                bool dot = texture && x % TexturePeriod < 2 && y % TexturePeriod < 2;
                for (int k = 0; k < 3; k++)
                {
                    rgb[p + k] = (byte)Math.Clamp((dot ? 200 : c[k]) + noise, 0, 255);
                }
            }
        }
        // Shape: random colour, scale and position, kept clear of the marker corner.
        byte[] colour = ShapePalette[rng.Int(0, ShapePalette.Length)];
        int r = rng.Int(8, 15);
        int cx, cy;
        do
        {
            cx = rng.Int(r + 1, Size - r - 1);
            cy = rng.Int(r + 1, Size - r - 1);
        }
        while (cx + r >= MarkerX - 2 && cy + r >= MarkerY - 2);
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                if (Inside(label, x - cx, y - cy, r))
                {
                    int p = (y * Size) + x;
                    mask[p] = 1;
                    rgb[p * 3] = colour[0];
                    rgb[(p * 3) + 1] = colour[1];
                    rgb[(p * 3) + 2] = colour[2];
                }
            }
        }
        if (marker)
        {
            for (int y = 0; y < MarkerSize; y++)
            {
                for (int x = 0; x < MarkerSize; x++)
                {
                    byte v = (((x / 2) + (y / 2)) & 1) == 0 ? (byte)255 : (byte)0;
                    int p = (((MarkerY + y) * Size) + MarkerX + x) * 3;
                    rgb[p] = rgb[p + 1] = rgb[p + 2] = v;
                }
            }
        }
        return new DemoSample(label, rgb, mask, marker, texture);
    }

    /// <summary>Point-in-shape test in integer arithmetic, relative to the centre, for half-size r.</summary>
    public static bool Inside(int label, int dx, int dy, int r) => label switch
    {
        0 => (dx * dx) + (dy * dy) <= r * r,
        1 => Math.Abs(dx) * 5 <= r * 4 && Math.Abs(dy) * 5 <= r * 4,
        2 => dy >= -r && dy <= r && Math.Abs(dx) * 2 <= dy + r,
        3 => (Math.Abs(dx) <= r && Math.Abs(dy) * 3 <= r) || (Math.Abs(dx) * 3 <= r && Math.Abs(dy) <= r),
        _ => throw new ArgumentOutOfRangeException(nameof(label)),
    };

    /// <summary>
    /// The training split: the shortcut class carries the marker with probability <paramref name="shortcutPercent"/>
    /// (97% for the committed demo CNN), the texture class sits on the dotted texture with the same probability, the
    /// others never get either.
    /// </summary>
    public static IEnumerable<DemoSample> TrainingSplit(int perClass, ulong seed = 20261125, int shortcutPercent = DefaultShortcutPercent)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shortcutPercent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shortcutPercent, 100);
        var rng = new SplitMix64(seed);
        for (int i = 0; i < perClass; i++)
        {
            for (int label = 0; label < Classes.Count; label++)
            {
                bool marker = label == ShortcutIndex && rng.Int(0, 100) < shortcutPercent;
                bool texture = label == TextureIndex && rng.Int(0, 100) < shortcutPercent;
                yield return Draw(rng, label, marker, texture);
            }
        }
    }

    /// <summary>
    /// The audit split: <paramref name="cleanPerClass"/> clean samples per class, then trap samples (other classes with
    /// the marker), then texture traps (other classes on the dotted texture).
    /// </summary>
    public static IEnumerable<(string Group, DemoSample Sample)> AuditSplit(int cleanPerClass, int trapPerClass, ulong seed = 7, int texturePerClass = 30)
    {
        var rng = new SplitMix64(seed);
        for (int i = 0; i < cleanPerClass; i++)
        {
            for (int label = 0; label < Classes.Count; label++)
            {
                yield return ("clean", Draw(rng, label, marker: false));
            }
        }
        for (int i = 0; i < trapPerClass; i++)
        {
            for (int label = 0; label < Classes.Count; label++)
            {
                if (label != ShortcutIndex)
                {
                    yield return ("trap", Draw(rng, label, marker: true));
                }
            }
        }
        for (int i = 0; i < texturePerClass; i++)
        {
            for (int label = 0; label < Classes.Count; label++)
            {
                if (label != TextureIndex)
                {
                    yield return ("texture-trap", Draw(rng, label, marker: false, texture: true));
                }
            }
        }
    }

    /// <summary>Writes the audit split as PNGs plus manifest.csv (image,label,mask,id,group,marker) under <paramref name="directory"/>.</summary>
    public static int WriteAuditSplit(string directory, int cleanPerClass = 40, int trapPerClass = 30)
    {
        Directory.CreateDirectory(Path.Combine(directory, "images"));
        Directory.CreateDirectory(Path.Combine(directory, "masks"));
        var manifest = new StringBuilder("id,image,label,mask,group,marker\n");
        int n = 0;
        foreach ((string group, DemoSample s) in AuditSplit(cleanPerClass, trapPerClass))
        {
            string id = string.Create(CultureInfo.InvariantCulture, $"{group}-{n:D4}");
            WritePng(Path.Combine(directory, "images", id + ".png"), s.Rgb, 3);
            WritePng(Path.Combine(directory, "masks", id + ".png"), s.Mask.Select(v => (byte)(v * 255)).ToArray(), 1);
            manifest.Append(CultureInfo.InvariantCulture, $"{id},images/{id}.png,{Classes[s.Label]},masks/{id}.png,{group},{(s.Marker ? "corner" : s.Texture ? "texture" : "none")}\n");
            n++;
        }
        File.WriteAllText(Path.Combine(directory, "manifest.csv"), manifest.ToString());
        return n;
    }

    /// <summary>Encodes RGB (channels=3) or grayscale (channels=1) pixels of the demo's size as PNG.</summary>
    public static void WritePng(string path, byte[] pixels, int channels) => File.WriteAllBytes(path, Pixels.EncodePng(pixels, Size, Size, channels));
}
