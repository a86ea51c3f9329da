namespace GradCamAudit.Tests.Modeling;

/// <summary>
/// Runs fixtures/models/make_model_fixtures.py (Debian's python3-torch) once into the test output folder,
/// keyed by the script's hash: the PyTorch reference files are tens of MB and are not committed.
/// </summary>
public sealed class ModelFixtures
{
    public ModelFixtures() => Directory = PythonFixtures.Make(Path.Combine(TestPaths.Fixtures, "models", "make_model_fixtures.py"), "gca-model-fixtures",
        Path.Combine(TestPaths.Fixtures, "methods", "cam_methods.py")); // keyed on the shared method equations it imports too

    public string Directory { get; }

    public string File_(string name) => Path.Combine(Directory, name);
}

/// <summary>The coarse-map warning names a layer finer than the target, whatever the target.</summary>
public sealed class FinerTargetTests
{
    [Xunit.Theory]
    [Xunit.InlineData("resnet18", "layer4", "layer3")]
    [Xunit.InlineData("resnet18", "layer3", "layer2")]
    [Xunit.InlineData("resnet50", "layer4.2", "layer3")]
    [Xunit.InlineData("resnet18", "layer1", null)]
    [Xunit.InlineData("demo-cnn", "features.9", "features.4")]
    [Xunit.InlineData("demo-cnn", "features.7", "features.4")]
    [Xunit.InlineData("mobilenet_v2", "features.18", "features.13")]
    [Xunit.InlineData("mobilenet_v2", "features.10", "features.6")]
    [Xunit.InlineData("efficientnet_b0", "features.8", "features.5")]
    [Xunit.InlineData("efficientnet_b7", "features.6.3", "features.5")]
    [Xunit.InlineData("densenet121", "features", "features.denseblock3")]
    [Xunit.InlineData("densenet169", "features.denseblock2", "features.denseblock1")]
    [Xunit.InlineData("mobilenet_v3_large", "features.16", "features.12")]
    [Xunit.InlineData("mobilenet_v3_small", "features.12", "features.8")]
    [Xunit.InlineData("regnet_y_400mf", "trunk_output", "trunk_output.block3")]
    [Xunit.InlineData("regnet_x_8gf", "trunk_output.block4.block4-0", "trunk_output.block3")]
    [Xunit.InlineData("torchscript", "trunk", null)]
    public void FinerTarget_IsTheStageBeforeTheTarget(string architecture, string target, string? expected)
    {
        Xunit.Assert.Equal(expected, GradCamAudit.Modeling.LoadedModel.FinerTargetFor(architecture, target));
    }
}
