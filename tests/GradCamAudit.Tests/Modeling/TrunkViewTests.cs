using GradCamAudit.Modeling;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Modeling;

/// <summary>
/// The (B,C,h,w) view of a trunk's output (tokens and channels-last, as pytorch-grad-cam's reshape_transform) on
/// hand-built tensors whose every value names its position, its inverse, and the config checks of <c>model.layout</c>.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TrunkViewTests
{
    [Fact]
    public void Tokens_DropThePrefixAndReshapeRowMajor_InverseKeepsThePrefix()
    {
        using var scope = NewDisposeScope();
        // (B=2, 1 prefix + 2x3 patches, D=4): value = 1000 b + 10 token + d.
        Tensor raw = arange(2).view(2, 1, 1) * 1000 + (arange(7).view(1, 7, 1) * 10) + arange(4).view(1, 1, 4);
        TrunkView view = TrunkView.Resolve(new TrunkOutput("tokens", 1), raw.shape, 64, 96);
        Assert.Equal((2L, 3L), (view.GridHeight, view.GridWidth));
        Tensor grid = view.ToGrid(raw);
        Assert.Equal([2L, 4, 2, 3], grid.shape);
        // Grid cell (i, j) of channel d is patch token 1 + 3i + j (the class token at 0 is dropped).
        Assert.Equal(1000 + (10 * (1 + 5)) + 2, grid[1, 2, 1, 2].item<long>());
        Assert.Equal(10 + 0, grid[0, 0, 0, 0].item<long>());
        Tensor back = view.FromGrid(grid, raw);
        Assert.True(back.eq(raw).all().item<bool>());
        // From a batch-1 original the prefix token broadcasts over every grid of the batch.
        Tensor fromOne = view.FromGrid(grid, raw.narrow(0, 0, 1));
        Assert.Equal([2L, 7, 4], fromOne.shape);
        Assert.Equal(raw[0, 0].data<long>().ToArray(), fromOne[1, 0].data<long>().ToArray());
    }

    [Fact]
    public void ChannelsLast_IsPermuted_AndBack()
    {
        using var scope = NewDisposeScope();
        Tensor raw = arange(2 * 3 * 2 * 5).view(2, 3, 2, 5); // (B, h, w, C)
        TrunkView view = TrunkView.Resolve(new TrunkOutput("nhwc"), raw.shape, 32, 32);
        Tensor grid = view.ToGrid(raw);
        Assert.Equal([2L, 5, 3, 2], grid.shape);
        Assert.Equal(raw[1, 2, 0, 4].item<long>(), grid[1, 4, 2, 0].item<long>());
        Assert.True(view.FromGrid(grid, raw).eq(raw).all().item<bool>());
        Assert.Same(TrunkView.Identity, TrunkView.Resolve(TrunkOutput.Nchw, [2, 5, 3, 2], 32, 32));
    }

    [Theory]
    [InlineData("tokens", 1, new long[] { 1, 17, 8 }, 0, 0, 4, 4)] // 16 patches, square input
    [InlineData("tokens", 2, new long[] { 1, 18, 8 }, 0, 0, 4, 4)] // class + distillation token
    [InlineData("tokens", 0, new long[] { 1, 8, 8 }, 0, 0, 2, 4)] // no prefix, 32x64 input: 2 x 4
    [InlineData("tokens", 1, new long[] { 1, 13, 8 }, 3, 4, 3, 4)] // given grid
    public void Resolve_InfersOrChecksTheGrid(string layout, int prefix, long[] shape, int gh, int gw, long h, long w)
    {
        var output = new TrunkOutput(layout, prefix, gh > 0 ? gh : null, gw > 0 ? gw : null);
        TrunkView view = TrunkView.Resolve(output, shape, shape[1] == 8 ? 32 : 64, 64);
        Assert.Equal((h, w), (view.GridHeight, view.GridWidth));
    }

    [Theory]
    [InlineData("tokens", 1, new long[] { 1, 17, 8, 2 }, "model.layout")] // 4-D output read as tokens
    [InlineData("nchw", 0, new long[] { 1, 17, 8 }, "set model.layout: tokens")] // 3-D output read as a CNN's
    [InlineData("tokens", 1, new long[] { 1, 18, 8 }, "model.tokenGrid")] // 17 patches: no grid of the aspect ratio
    [InlineData("tokens", 20, new long[] { 1, 17, 8 }, "model.prefixTokens")] // no patch left
    public void Resolve_RefusesWhatDoesNotFit_NamingTheKey(string layout, int prefix, long[] shape, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => TrunkView.Resolve(new TrunkOutput(layout, prefix), shape, 64, 64));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_LayoutKeys_AreCheckedAgainstTheArchitecture_AllAtOnce()
    {
        string dir = TestPaths.NewTempDir("layout");
        string demo = Path.Combine(TestPaths.Configs, "demo.json");
        var ex = Assert.Throws<ConfigException>(() => AuditConfig.Load(demo, dir, ["model.layout=tokens", "model.tokenGrid=[0, 4]"]));
        Assert.Contains("model.layout: 'tokens' applies to a torchscript trunk only", ex.Message, StringComparison.Ordinal);
        Assert.Contains("model.tokenGrid: expected [height, width]", ex.Message, StringComparison.Ordinal);
        var ex2 = Assert.Throws<ConfigException>(() => AuditConfig.Load(demo, dir, ["model.layout=sideways", "model.prefixTokens=1"]));
        Assert.Contains("model.layout: 'sideways' is not one of nchw, nhwc, tokens", ex2.Message, StringComparison.Ordinal);
        var ex3 = Assert.Throws<ConfigException>(() => AuditConfig.Load(demo, dir, ["model.prefixTokens=1"]));
        Assert.Contains("model.prefixTokens: applies to layout 'tokens' only", ex3.Message, StringComparison.Ordinal);
        Assert.Equal(TrunkOutput.Nchw, AuditConfig.Load(demo, dir).Model.OutputLayout);
    }
}
