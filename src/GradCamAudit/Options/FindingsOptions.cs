namespace GradCamAudit.Options;

/// <summary>
/// Findings section: the smallest map side (in cells) a mask-based verdict is published from, whether coarser maps are
/// accepted anyway, and the outlier rule of the given label's probability (scaled MADs below its class's median log
/// probability). See the findings page (src/GradCamAudit/Findings/FINDINGS.md).
/// </summary>
public sealed record FindingsOptions(int MinMapSize = 4, bool AcceptCoarseMaps = false, double OutlierMads = 3.0)
{
    public static FindingsOptions Default { get; } = new();
}
