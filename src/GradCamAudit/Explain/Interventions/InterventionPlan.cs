namespace GradCamAudit.Explain.Interventions;

/// <summary>Which samples the audit intervenes on: the candidates of a finding among <see cref="Candidates"/>, and every one of <see cref="Controls"/>.</summary>
public sealed record InterventionPlan(ClassSampleSelector Candidates, ClassSampleSelector Controls)
{
    /// <summary>The plan of the findings settings, from the (label, id hash) of every valid manifest row (enumerated once, only when needed).</summary>
    public static InterventionPlan? Create(bool enabled, int candidatesPerClass, int controlsPerClass, int classCount, Func<IEnumerable<(int Label, ulong Hash)>> samples)
    {
        if (!enabled || (candidatesPerClass == 0 && controlsPerClass == 0))
        {
            return null;
        }
        (int Label, ulong Hash)[] all = samples().ToArray();
        return new InterventionPlan(ClassSampleSelector.Create(candidatesPerClass, classCount, all), ClassSampleSelector.Create(controlsPerClass, classCount, all));
    }
}
