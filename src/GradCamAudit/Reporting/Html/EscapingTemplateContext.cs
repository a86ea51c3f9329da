using System.Net;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace GradCamAudit.Reporting.Html;

/// <summary>
/// A Scriban context that HTML-escapes every value a template writes (<c>{{ value }}</c>), so a string from any file
/// (a run.json edited by hand, a class name, a manifest column) reaches the page inert, in the embedded template and
/// in custom ones alike. Literal template text is written as it is. A template asks for markup on purpose with
/// <c>{{ value | html.raw }}</c>; <c>html.escape</c> escapes once (its result is not escaped again), so templates
/// written for plain Scriban render the same.
/// </summary>
public sealed class EscapingTemplateContext : TemplateContext
{
    public EscapingTemplateContext()
    {
        var html = new ScriptObject();
        html.Import("escape", new Func<object?, RawHtml>(v => new RawHtml(WebUtility.HtmlEncode(v?.ToString() ?? ""))));
        html.Import("raw", new Func<object?, RawHtml>(v => v as RawHtml ?? new RawHtml(v?.ToString() ?? "")));
        var functions = new ScriptObject();
        functions.SetValue("html", html, readOnly: true);
        PushGlobal(functions);
    }

    public override TemplateContext Write(SourceSpan span, object? textAsObject)
    {
        if (textAsObject is RawHtml raw)
        {
            return Write(raw.Value);
        }
        return textAsObject == null ? this : Write(WebUtility.HtmlEncode(ObjectToString(textAsObject) ?? ""));
    }
}
