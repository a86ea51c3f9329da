namespace GradCamAudit.Options;

/// <summary>
/// Strategies section (SpRAy: Lapuschkin et al. 2019): per predicted class, the predicted-class maps of the
/// <paramref name="SamplePerClass"/> rows with the smallest id hashes are resampled to a <paramref name="GridSize"/>
/// square grid and clustered (spectral, the count chosen by the eigengap up to <paramref name="MaxStrategies"/>); every
/// row is then assigned to its nearest strategy. Decided after the audit from the committed results, maps only (masks
/// only for the mean lift column). See src/GradCamAudit/Findings/Strategies/STRATEGIES.md.
/// </summary>
public sealed record StrategiesOptions(bool Enabled = true, int SamplePerClass = 300, int MaxStrategies = 6, int GridSize = 8)
{
    public static StrategiesOptions Default { get; } = new();
}
