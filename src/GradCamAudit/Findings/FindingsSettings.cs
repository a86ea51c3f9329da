namespace GradCamAudit.Findings;

/// <summary>
/// What findings are decided with: the off-object threshold (the audit's, for the shortcut score), the smallest map
/// side a verdict is published from, whether coarser maps are accepted anyway, and how many scaled median absolute
/// deviations below its class's median (in log probability) a given label's probability must lie to be an outlier.
/// </summary>
public sealed record FindingsSettings(double OffObjectLiftThreshold, int MinMapSize, bool AcceptCoarseMaps, double OutlierMads)
{
    public const int DefaultMinMapSize = 4;
    public const double DefaultOutlierMads = 3.0;

    public static FindingsSettings Default { get; } = new(1.25, DefaultMinMapSize, false, DefaultOutlierMads);
}
