namespace GradCamAudit.Tests.Scoring;

/// <summary>The 4x4 map the hand-computed metric tests share, and a 4x4 plane with ones at given pixels.</summary>
internal static class TinyMaps
{
    public static readonly float[] Cam =
    [
        0, 0, 0, 0,
        0, 4, 2, 0,
        0, 2, 1, 0,
        0, 0, 0, 1,
    ];

    public static float[] Plane(params (int Y, int X)[] pixels)
    {
        var m = new float[16];
        foreach ((int y, int x) in pixels)
        {
            m[(y * 4) + x] = 1;
        }
        return m;
    }
}
