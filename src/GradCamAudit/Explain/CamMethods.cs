using GradCamAudit.Explain.Methods;

namespace GradCamAudit.Explain;

/// <summary>The CAM methods a run can compute (<c>explain.methods</c>), by name.</summary>
public static class CamMethods
{
    private static readonly CamMethod[] All =
    [
        new GradCamMethod(), new CamZhou(), new GradCamPlusPlus(), new XGradCam(), new HiResCam(), new LayerCam(), new EigenCam(),
    ];

    private static readonly PerturbationMethod[] Perturbation = [new ScoreCam(), new AblationCam()];

    /// <summary>Every method: the gradient family, then the perturbation methods.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(m => m.Name), .. Perturbation.Select(m => m.Name)];

    /// <summary>The methods computed from the one forward pass and gradients.</summary>
    public static IReadOnlyList<string> GradientNames { get; } = All.Select(m => m.Name).ToArray();

    public static bool IsPerturbation(string name) => Perturbation.Any(m => m.Name == name);

    public static CamMethod Create(string name) => All.FirstOrDefault(m => m.Name == name) ?? throw new ArgumentException($"unknown CAM method '{name}'", nameof(name));

    public static PerturbationMethod CreatePerturbation(string name) =>
        Perturbation.FirstOrDefault(m => m.Name == name) ?? throw new ArgumentException($"unknown perturbation method '{name}'", nameof(name));
}
