using GradCamAudit.Explain;
using GradCamAudit.Modeling;
using GradCamAudit.Options;

namespace GradCamAudit.Pipeline;

/// <summary>
/// The config loader with this build's vocabulary (architectures, CAM methods) passed down as data: the one place
/// that knows both the contract and the layers that implement it.
/// </summary>
public static class AuditConfig
{
    public static ConfigVocabulary Vocabulary { get; } = new(Architectures.Names, CamMethods.Names, CamMethods.Names.Where(CamMethods.IsPerturbation).ToArray());

    /// <inheritdoc cref="ConfigLoader.Load"/>
    public static AuditOptions Load(string path, string? outputOverride = null, IReadOnlyList<string>? overrides = null,
        IEnumerable<KeyValuePair<string, string>>? environment = null, List<ConfigKey>? recorder = null) =>
        ConfigLoader.Load(path, Vocabulary, outputOverride, overrides, environment, recorder);
}
