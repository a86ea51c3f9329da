namespace GradCamAudit.Reporting.Html;

/// <summary>
/// Markup a template writes as it is: the output of <c>html.escape</c> (escaped once already) and of <c>html.raw</c>
/// (the report's own SVG charts). Every other value a template writes is HTML-escaped by <see cref="EscapingTemplateContext"/>.
/// </summary>
public sealed record RawHtml(string Value)
{
    public override string ToString() => Value;
}
