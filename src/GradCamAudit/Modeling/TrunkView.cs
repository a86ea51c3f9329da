using GradCamAudit.Options;
using static TorchSharp.torch;

namespace GradCamAudit.Modeling;

/// <summary>
/// The (B,C,h,w) view of a target layer's output that every CAM method reads, and its inverse for the methods that
/// write activations back (<c>ForwardFromTarget</c>). A CNN's output is that view already (<see cref="Identity"/>).
/// Channels-last output (B,h,w,C) is permuted; a token sequence (B,P+N,D) drops its P prefix tokens and reshapes the
/// N = h·w patch tokens, in row order, to (B,D,h,w): pytorch-grad-cam's <c>reshape_transform</c>, applied to the
/// activations and to their gradients alike (the gradients of the prefix tokens are dropped with them). The inverse
/// writes a grid back into the token sequence, the prefix tokens taken from the sample's own output.
/// </summary>
public sealed class TrunkView
{
    private TrunkView(string layout, long prefixTokens, long gridHeight, long gridWidth)
    {
        Layout = layout;
        PrefixTokens = prefixTokens;
        GridHeight = gridHeight;
        GridWidth = gridWidth;
    }

    public static TrunkView Identity { get; } = new("nchw", 0, 0, 0);

    public string Layout { get; }

    public long PrefixTokens { get; }

    /// <summary>The patch grid's height (tokens only; 0 otherwise).</summary>
    public long GridHeight { get; }

    /// <summary>The patch grid's width (tokens only; 0 otherwise).</summary>
    public long GridWidth { get; }

    public bool IsIdentity => Layout == "nchw";

    /// <summary>The (B,C,h,w) view of a raw output (or of its gradient).</summary>
    public Tensor ToGrid(Tensor raw) => Layout switch
    {
        "nhwc" => raw.permute(0, 3, 1, 2),
        "tokens" => raw.narrow(1, PrefixTokens, GridHeight * GridWidth).reshape(raw.shape[0], GridHeight, GridWidth, raw.shape[2]).permute(0, 3, 1, 2),
        _ => raw,
    };

    /// <summary>
    /// The raw output for a (n,C,h,w) <paramref name="grid"/>; <paramref name="original"/> is the output of the sample
    /// the grid was made from (batch 1 or n), whose prefix tokens are kept.
    /// </summary>
    public Tensor FromGrid(Tensor grid, Tensor original)
    {
        if (Layout == "nhwc")
        {
            return grid.permute(0, 2, 3, 1).contiguous();
        }
        if (Layout != "tokens")
        {
            return grid;
        }
        long n = grid.shape[0];
        Tensor patches = grid.permute(0, 2, 3, 1).reshape(n, GridHeight * GridWidth, grid.shape[1]);
        return PrefixTokens == 0 ? patches : cat([original.narrow(1, 0, PrefixTokens).expand(n, -1, -1), patches], 1);
    }

    /// <summary>
    /// The view for a trunk whose output has <paramref name="shape"/> on an input of <paramref name="inputHeight"/> x
    /// <paramref name="inputWidth"/>: checks the rank against the layout and, for tokens, that the patch tokens fill the
    /// given grid, or infers it from their count and the input's aspect ratio. Every mismatch is a <see cref="ConfigException"/>
    /// that says which key to set.
    /// </summary>
    public static TrunkView Resolve(TrunkOutput output, long[] shape, int inputHeight, int inputWidth)
    {
        string dims = "(" + string.Join(", ", shape) + ")";
        string hint = shape.Length == 3 ? "set model.layout: tokens (a ViT's token sequence)" : "check model.layout (nchw: (B,C,h,w); nhwc: (B,h,w,C) as Swin's stages)";
        if ((output.Layout == "tokens") != (shape.Length == 3) || shape.Length is not (3 or 4))
        {
            throw new ConfigException($"model.layout: the trunk's output on a {inputHeight}x{inputWidth} input is {dims}, not what layout '{output.Layout}' reads: {hint}");
        }
        if (output.Layout != "tokens")
        {
            return output.Layout == "nhwc" ? new TrunkView("nhwc", 0, 0, 0) : Identity;
        }
        long patches = shape[1] - output.PrefixTokens;
        if (patches < 1)
        {
            throw new ConfigException($"model.prefixTokens: {output.PrefixTokens} leaves no patch token of the trunk's {shape[1]} tokens {dims}");
        }
        if (output.GridHeight is int gh && output.GridWidth is int gw)
        {
            if ((long)gh * gw != patches)
            {
                throw new ConfigException($"model.tokenGrid: [{gh}, {gw}] holds {(long)gh * gw} patch tokens, but the trunk's output {dims} has {patches} after the {output.PrefixTokens} prefix token(s)");
            }
            return new TrunkView("tokens", output.PrefixTokens, gh, gw);
        }
        long h = (long)Math.Round(Math.Sqrt(patches * (double)inputHeight / inputWidth));
        if (h < 1 || patches % h != 0)
        {
            throw new ConfigException($"model.tokenGrid: {patches} patch tokens (output {dims} less {output.PrefixTokens} prefix token(s)) do not form a grid of the input's aspect ratio {inputHeight}:{inputWidth}; give model.tokenGrid [height, width] (and check model.prefixTokens)");
        }
        return new TrunkView("tokens", output.PrefixTokens, h, patches / h);
    }
}
