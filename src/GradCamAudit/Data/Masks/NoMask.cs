namespace GradCamAudit.Data.Masks;

/// <summary>
/// A sample without a region (an empty CSV <c>mask</c> field, no <c>mask</c> column, ImageFolder without
/// <c>dataset.masks</c>): an all-background plane at the image's size, so the sample is audited (prediction,
/// probabilities, maps) and its mask metrics and mask-based findings are null, reason <c>no_mask</c>. Its
/// <c>mask</c> column is empty.
/// </summary>
public sealed class NoMask() : MaskLocator("")
{
    public static NoMask Instance { get; } = new();

    public override string Source => MaskSources.None;

    public override bool FollowsImage => true;

    public override MaskPlanes LoadAt(int imageWidth, int imageHeight, long maxPixels) => new(imageWidth, imageHeight, new byte[(long)imageWidth * imageHeight], null);

    public override MaskPlanes Load(long maxPixels) => throw new InvalidOperationException("a sample without a mask has no size of its own: use LoadAt");

    public override (int Width, int Height) ReadSize() => throw new InvalidOperationException("a sample without a mask has no size of its own");
}
