namespace GradCamAudit.Explain;

/// <summary>The CAM methods a run can compute (<c>explain.methods</c>).</summary>
public static class CamMethods
{
    public static IReadOnlyList<string> Names { get; } = ["gradcam"];
}
