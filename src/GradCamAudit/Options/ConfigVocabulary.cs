namespace GradCamAudit.Options;

/// <summary>
/// The names a config is validated against that belong to the layers above the contract: the architectures the
/// model layer builds and the CAM methods the engine has. The composition root passes them in as data
/// (<c>Pipeline.AuditConfig</c>), so the config contract depends on neither.
/// </summary>
public sealed record ConfigVocabulary(IReadOnlyList<string> Architectures, IReadOnlyList<string> Methods, IReadOnlyList<string> PerturbationMethods)
{
    /// <summary>The architecture name of a TorchScript trunk/head pair (it needs <c>model.head</c>).</summary>
    public const string TorchScript = "torchscript";

    public bool IsPerturbation(string method) => PerturbationMethods.Contains(method, StringComparer.Ordinal);
}
