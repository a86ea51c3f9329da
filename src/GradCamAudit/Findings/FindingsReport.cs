namespace GradCamAudit.Findings;

/// <summary>One ranked finding as a card shows it.</summary>
public sealed record FindingCard(string SampleId, long Row, string Image, string Given, string Predicted, double? Score, string Evidence);

/// <summary>One kind of finding: its count and its top cards by score.</summary>
public sealed record FindingSection(string Kind, string Title, string Meaning, int Count, IReadOnlyList<FindingCard> Top);

/// <summary>Per class: the class statistics and how many findings of each kind name it.</summary>
public sealed record FindingClassRow(
    string Name, int Samples, double? Threshold, double? OutlierCut, int Support,
    int LabelErrorsGiven, int LabelErrorsSuggested, int ShortcutsPredicted, int RightForWrongReason, int Hard, int Ok);

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

    /// <summary>Rows with a verdict (any kind).</summary>
    public int Judged => Counts.Values.Sum();

    public int LabelErrors => Count(FindingKinds.LabelError);

    public int Shortcuts => Count(FindingKinds.Shortcut);

    /// <summary>The empty report (a run with no rows, and the synthetic report of the template check).</summary>
    public static FindingsReport Empty { get; } = new(0, new Dictionary<string, int>(), new Dictionary<string, int>(), [], [], [], "", FindingsSettings.DefaultMinMapSize, false, FindingsSettings.DefaultOutlierMads);
}
