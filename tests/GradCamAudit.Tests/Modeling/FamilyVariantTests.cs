using System.Text.Json;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Modeling;

/// <summary>
/// Every variant of the families this project builds (efficientnet_b0..b7, densenet121..201, mobilenet_v3_large/small, regnet_x/regnet_y but 128gf)
/// has torchvision 0.14's state_dict keys, their shapes and every BatchNorm's eps (fixtures/families/variants.json,
/// dumped without running the big models forward); and the config accepts exactly the architectures the code builds.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class FamilyVariantTests(FamilyFixtures fixtures) : IClassFixture<FamilyFixtures>
{
    public static TheoryData<string> Variants() =>
        [.. Enumerable.Range(0, 8).Select(i => $"efficientnet_b{i}"), "densenet121", "densenet161", "densenet169", "densenet201", "mobilenet_v3_large", "mobilenet_v3_small", .. GradCamAudit.Modeling.Families.RegNet.Variants.Keys];

    [Theory]
    [MemberData(nameof(Variants))]
    public void Variant_HasTorchvisionsKeysShapesAndEps(string arch)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(fixtures.File_("variants.json")));
        JsonElement expected = doc.RootElement.GetProperty(arch);
        using nn.Module<Tensor, Tensor> network = Architectures.Get(arch).Build(5);
        var keys = expected.GetProperty("keys").EnumerateArray().Select(k => $"{k[0].GetString()} [{string.Join(", ", k[1].EnumerateArray().Select(d => d.GetInt64()))}]").ToList();
        var actual = network.state_dict().Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.shape)}]").ToList();
        // Loading goes by key, so the order of a module's parameters and buffers is not compared.
        Assert.Equal(keys.Count, actual.Count);
        Assert.Equal(keys.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
        var eps = expected.GetProperty("eps").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        var ours = network.named_modules().Where(m => m.module is TorchSharp.Modules.BatchNorm2d).ToDictionary(m => m.name, m => ((TorchSharp.Modules.BatchNorm2d)m.module).eps);
        Assert.Equal(eps.Keys.Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
        Assert.All(eps, e => Assert.True(ours[e.Key] == e.Value, $"{arch} {e.Key}: eps {ours[e.Key]} vs torchvision {e.Value}"));
    }

    [Fact]
    public void SchemaArchitectureEnum_IsWhatTheCodeBuilds()
    {
        var schema = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Configs, "gradcam-audit.schema.json")))!;
        var listed = schema["properties"]!["model"]!["properties"]!["architecture"]!["enum"]!.AsArray().Select(n => (string)n!).ToList();
        Assert.Equal(Architectures.Names, listed);
    }

    [Theory]
    [InlineData("efficientnet_b0", 224, "features.8", 7)]
    [InlineData("efficientnet_b0", 64, "features.5", 4)]
    [InlineData("densenet121", 224, "features", 7)]
    [InlineData("densenet121", 64, "features.denseblock3", 4)]
    [InlineData("mobilenet_v3_large", 224, "features.16", 7)]
    [InlineData("mobilenet_v3_large", 64, "features.12", 4)]
    [InlineData("mobilenet_v3_small", 224, "features.12", 7)]
    [InlineData("mobilenet_v3_small", 64, "features.8", 4)]
    [InlineData("regnet_y_400mf", 224, "trunk_output", 7)]
    [InlineData("regnet_x_400mf", 64, "trunk_output.block3", 4)]
    public void Auto_ChoosesTheDeepestStageReachingTheMinimum(string arch, int size, string expected, int side)
    {
        using nn.Module<Tensor, Tensor> network = Architectures.Get(arch).Build(5);
        AutoTargetLayer.Choice choice = AutoTargetLayer.Choose(network, LoadedModel.StagesOf(arch)!, size, size, AutoTargetLayer.DefaultMinMapSide);
        Assert.Equal(expected, choice.Path);
        Assert.Equal((side, side), choice.Probed.Where(p => p.Stage == expected).Select(p => (p.Height, p.Width)).Single());
        Assert.Equal(Architectures.Get(arch).DefaultTarget, choice.Probed[^1].Stage);
        Assert.Equal(choice.Probed.Select(p => p.Height).OrderDescending(), choice.Probed.Select(p => p.Height)); // fine to coarse
    }

    [Fact]
    public void UnknownArchitecture_IsAConfigErrorListingTheNewFamilies()
    {
        var ex = Assert.Throws<ConfigException>(() => Architectures.Get("efficientnet_b9"));
        Assert.Contains("efficientnet_b7", ex.Message, StringComparison.Ordinal);
        Assert.Contains("densenet201", ex.Message, StringComparison.Ordinal);
        Assert.Contains("mobilenet_v3_small", ex.Message, StringComparison.Ordinal);
        Assert.Contains("regnet_y_400mf", ex.Message, StringComparison.Ordinal);
    }
}
