namespace GradCamAudit.Tests.Modeling;

/// <summary>
/// Runs fixtures/transformers/make_export_fixtures.py once into a temporary folder keyed by the hashes of the script
/// and of the shipped export helper (src/export/export_trunk_head.py), which the script calls through its command
/// line for every model: small seeded torchvision ViT, Swin, ConvNeXt, EfficientNet, DenseNet and RegNet exported as
/// TorchScript trunk/head pairs at two cuts each, with the independent PyTorch reference of their maps.
/// </summary>
public sealed class ExportFixtures
{
    public static readonly string Helper = Path.Combine(TestPaths.RepoRoot, "src", "export", "export_trunk_head.py");

    public ExportFixtures() => Directory = PythonFixtures.Make(Path.Combine(TestPaths.Fixtures, "transformers", "make_export_fixtures.py"), "gca-export-fixtures", Helper,
        Path.Combine(TestPaths.Fixtures, "transformers", "tiny_models.py"));

    public string Directory { get; }

    public string File_(string name) => Path.Combine(Directory, name);
}
