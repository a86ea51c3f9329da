namespace GradCamAudit.Options;

/// <summary>
/// Findings section: the smallest map side (in cells) a mask-based verdict is published from, whether coarser maps are
/// accepted anyway, the outlier rule of the given label's probability (scaled MADs below its class's median log
/// probability), and the interventions run inside the audit (object only / background only): on the candidates of a
/// finding (misclassified, or off the object) among the <paramref name="InterventionCandidatesPerClass"/> smallest
/// id hashes of each class, and on the <paramref name="InterventionControlsPerClass"/> smallest of each class whatever
/// the model does (the controls of the per-class core accuracy). See the findings page (src/GradCamAudit/Findings/FINDINGS.md).
/// </summary>
public sealed record FindingsOptions(int MinMapSize = 4, bool AcceptCoarseMaps = false, double OutlierMads = 3.0,
    bool Interventions = true, int InterventionCandidatesPerClass = 1000, int InterventionControlsPerClass = 50)
{
    public static FindingsOptions Default { get; } = new();
}
