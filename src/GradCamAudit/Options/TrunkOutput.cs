namespace GradCamAudit.Options;

/// <summary>
/// How a TorchScript trunk's output is laid out (<c>model.layout</c>): <c>nchw</c> (a CNN's (B,C,h,w), the default),
/// <c>nhwc</c> (channels last, (B,h,w,C): Swin's stage outputs) or <c>tokens</c> ((B,P+N,D): a ViT's residual stream,
/// with <paramref name="PrefixTokens"/> class, distillation or register tokens first and N = h·w patch tokens in row
/// order). The maps are computed on the (B,C,h,w) view of the output and its gradients, as pytorch-grad-cam's
/// <c>reshape_transform</c>; the head still receives the raw output. <paramref name="GridHeight"/> and
/// <paramref name="GridWidth"/> (<c>model.tokenGrid</c>) give the patch grid; absent, it is inferred from N and the
/// input's aspect ratio when the model loads.
/// </summary>
public sealed record TrunkOutput(string Layout, int PrefixTokens = 0, int? GridHeight = null, int? GridWidth = null)
{
    public static readonly string[] Layouts = ["nchw", "nhwc", "tokens"];

    public static TrunkOutput Nchw { get; } = new("nchw");
}

/// <summary>Binds <c>model.layout</c>, <c>model.prefixTokens</c> and <c>model.tokenGrid</c>, checked against the architecture.</summary>
internal static class TrunkOutputBinder
{
    public static TrunkOutput Bind(JsonSection m, string architecture, List<string> errors)
    {
        string layout = m.String("layout", "nchw");
        int? prefix = m.OptionalInt("prefixTokens", 0, 1024);
        IReadOnlyList<int>? grid = m.IntList("tokenGrid");
        if (!TrunkOutput.Layouts.Contains(layout))
        {
            errors.Add($"model.layout: '{layout}' is not one of {string.Join(", ", TrunkOutput.Layouts)}");
            return TrunkOutput.Nchw;
        }
        if (layout != "nchw" && architecture != ConfigVocabulary.TorchScript)
        {
            errors.Add($"model.layout: '{layout}' applies to a torchscript trunk only; '{architecture}' is built here and its target layers are (B,C,h,w)");
        }
        if (layout != "tokens" && (prefix != null || grid != null))
        {
            errors.Add($"model.{(prefix != null ? "prefixTokens" : "tokenGrid")}: applies to layout 'tokens' only (layout is '{layout}')");
        }
        if (grid != null && (grid.Count != 2 || grid.Any(g => g < 1 || g > 4096)))
        {
            errors.Add($"model.tokenGrid: expected [height, width] of the patch grid between 1 and 4096, got [{string.Join(", ", grid)}]");
            grid = null;
        }
        return layout == "tokens" ? new TrunkOutput(layout, prefix ?? 1, grid?[0], grid?[1]) : new TrunkOutput(layout);
    }
}
