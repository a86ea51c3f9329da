namespace GradCamAudit.Findings;

/// <summary>One ranked finding as a card shows it.</summary>
public sealed record FindingCard(string SampleId, long Row, string Image, string Given, string Predicted, double? Score, string Evidence, string? InterventionEvidence = null)
{
    /// <summary>The results row and where it is (the report reads the card's maps back from there).</summary>
    public Results.ReportRow? Source { get; init; }

    public Results.RowOrigin Origin { get; init; }
}

/// <summary>One kind of finding: its count and its top cards by score.</summary>
public sealed record FindingSection(string Kind, string Title, string Meaning, int Count, IReadOnlyList<FindingCard> Top, int Intervened = 0, int Confirmed = 0)
{
    /// <summary>"12 of 14 intervened on confirmed" (supported, for label errors), or "" where interventions do not test the kind or none ran.</summary>
    public string EvidenceSummary => Intervened == 0 || Kind is not (FindingKinds.Shortcut or FindingKinds.RightForWrongReason or FindingKinds.LabelError) ? ""
        : $"{Confirmed} of the {Intervened} intervened on are {(Kind == FindingKinds.LabelError ? "supported" : "confirmed")}";
}

/// <summary>
/// Per class: the class statistics and how many findings of each kind name it; over the class's intervention controls
/// (hash-chosen, whatever the model did), the core accuracy (the object alone gives the class: Singla et al. 2022) and
/// the background-only hit rate (the background alone gives the class); null without controls.
/// </summary>
public sealed record FindingClassRow(
    string Name, int Samples, double? Threshold, double? OutlierCut, int Support,
    int LabelErrorsGiven, int LabelErrorsSuggested, int ShortcutsPredicted, int RightForWrongReason, int Hard, int Ok,
    int Controls = 0, double? CoreAccuracy = null, double? BackgroundOnlyHitRate = null, int ShortcutsConfirmed = 0);

/// <summary>What the report, <c>findings.json</c> and the gates know of a run's findings.</summary>
public sealed record FindingsReport(
    int Rows,
    IReadOnlyDictionary<string, int> Counts,
    IReadOnlyDictionary<string, int> NoVerdict,
    IReadOnlyList<FindingSection> Sections,
    IReadOnlyList<FindingClassRow> Classes,
    IReadOnlyList<string> Cautions,
    string Verdict,
    int MinMapSize,
    bool AcceptCoarseMaps,
    double OutlierMads)
{
    public int Count(string kind) => Counts.GetValueOrDefault(kind);

    /// <summary>The evidence line of each sample the caller asked about (the report's gallery cards), by sample id.</summary>
    public IReadOnlyDictionary<string, string> EvidenceLines { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Rows with a verdict (any kind).</summary>
    public int Judged => Counts.Values.Sum();

    public int LabelErrors => Count(FindingKinds.LabelError);

    public int Shortcuts => Count(FindingKinds.Shortcut);

    /// <summary>The section of a kind (null for ok, which has none).</summary>
    public FindingSection? Section(string kind) => Sections.FirstOrDefault(s => s.Kind == kind);

    /// <summary>The empty report (a run with no rows, and the synthetic report of the template check).</summary>
    public static FindingsReport Empty { get; } = new(0, new Dictionary<string, int>(), new Dictionary<string, int>(), [], [], [], "", FindingsSettings.DefaultMinMapSize, false, FindingsSettings.DefaultOutlierMads);
}
