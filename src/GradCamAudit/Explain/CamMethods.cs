using GradCamAudit.Explain.Methods;

namespace GradCamAudit.Explain;

/// <summary>The CAM methods a run can compute (<c>explain.methods</c>), by name.</summary>
public static class CamMethods
{
    private static readonly CamMethod[] All =
    [
        new GradCamMethod(), new CamZhou(), new GradCamPlusPlus(), new XGradCam(), new HiResCam(), new LayerCam(), new EigenCam(),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(m => m.Name).ToArray();

    public static CamMethod Create(string name) => All.FirstOrDefault(m => m.Name == name) ?? throw new ArgumentException($"unknown CAM method '{name}'", nameof(name));
}
