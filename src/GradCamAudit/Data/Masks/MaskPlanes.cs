namespace GradCamAudit.Data.Masks;

/// <summary>
/// A mask at the source image's resolution, row-major: <see cref="Object"/> is 1 on the object and 0 elsewhere,
/// <see cref="Void"/> (null when there is none) is 1 on pixels excluded from every metric (VOC's 255, ignored crowd
/// regions). A void pixel is never object.
/// </summary>
public sealed record MaskPlanes(int Width, int Height, byte[] Object, byte[]? Void)
{
    /// <summary>Builds the planes from a per-pixel rule (0 background, 1 object, 2 void); Void stays null when no pixel is void.</summary>
    public static MaskPlanes From(int width, int height, Func<int, int> classify)
    {
        var obj = new byte[width * height];
        byte[]? voids = null;
        for (int p = 0; p < obj.Length; p++)
        {
            switch (classify(p))
            {
                case 1:
                    obj[p] = 1;
                    break;
                case 2:
                    voids ??= new byte[obj.Length];
                    voids[p] = 1;
                    break;
            }
        }
        return new MaskPlanes(width, height, obj, voids);
    }
}
